"""A BI reader in a loop, for the load suite: ``python published_reader.py PUBLISHED OUT STOP``.

Until the file ``STOP`` exists, it opens the published file ``PUBLISHED`` read-only, reads
the publication it names, its segment count and its customer total in one connection
(:data:`resilience_world.PUBLISHED_FINGERPRINT_SQL`), closes it, and appends one JSON line
to ``OUT``: ``{"publication_id", "segment_count", "customer_total"}``, or ``{"error"}``
with the exception when anything failed. It never stops on an error: the test counts them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
from resilience_world import PUBLISHED_FINGERPRINT_SQL

PAUSE_SECONDS = 0.05
"""Between two reads: eight readers in a tight loop would starve the build of both cores."""


def observe(published: str) -> dict:
    """One reader session: open read-only, read the fingerprint, close."""
    try:
        with duckdb.connect(published, read_only=True) as connection:
            publication_id, segment_count, customer_total = connection.sql(
                PUBLISHED_FINGERPRINT_SQL
            ).fetchall()[0]
    except Exception as error:  # noqa: BLE001 - every failure a BI tool would see counts
        return {"error": f"{type(error).__name__}: {error}"}
    return {
        "publication_id": publication_id,
        "segment_count": segment_count,
        "customer_total": int(customer_total),
    }


def main(published: str, out: str, stop: str) -> None:
    with open(out, "a", encoding="utf-8") as lines:
        while not Path(stop).exists():
            lines.write(json.dumps(observe(published)) + "\n")
            lines.flush()
            time.sleep(PAUSE_SECONDS)


if __name__ == "__main__":
    main(*sys.argv[1:4])
