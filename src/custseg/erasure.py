"""Rows for seed `erasure_requests`: the SHA-256 digest of each customer id, never the id.

    python -m custseg.erasure 00000042 00000107 >> seeds/erasure_requests.csv

The build matches the digest of every raw row's trimmed customer id against the list
(macro `erased_rows_masked`), so the list itself holds no customer id in plain text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib


def customer_id_digest(customer_id: str) -> str:
    """The digest the build compares: SHA-256 of the trimmed id, 64 lower-case hex digits."""
    return hashlib.sha256(customer_id.strip().encode("utf-8")).hexdigest()


def erasure_rows(customer_ids: list[str], requested_at: dt.date) -> list[str]:
    """One CSV line per customer id (without header), in the seed's column order."""
    if any(not customer_id.strip() for customer_id in customer_ids):
        raise ValueError("a customer id is blank: give the id of each customer to erase")
    return [f"{customer_id_digest(c)},{requested_at.isoformat()}" for c in customer_ids]


def main(argv: list[str] | None = None) -> None:
    """Print the seed rows of the given customer ids."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customer_ids", nargs="+", help="customer ids to erase")
    parser.add_argument(
        "--requested-at",
        type=dt.date.fromisoformat,
        default=dt.date.today(),
        help="date of the request (default: today), YYYY-MM-DD",
    )
    args = parser.parse_args(argv)
    print("\n".join(erasure_rows(args.customer_ids, args.requested_at)))


if __name__ == "__main__":
    main()
