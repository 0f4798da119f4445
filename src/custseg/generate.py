"""Command line of the sample-data generator.

``python -m custseg.generate --customers N --seed S --out DIR`` writes seven raw export tables
into DIR and the planted truth (``customers.csv`` with each customer's persona, ``dirt.json``
with the exact reject and repair counts the dbt validation must reproduce) into a sibling
folder ``DIR_truth`` that the dbt project never reads. The same arguments always give
byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from custseg.generator.core import DEFAULT_CHUNK_SIZE, DEFAULT_END_DATE, Options, generate
from custseg.generator.writer import LAYOUTS


def parse_args(argv: Sequence[str] | None = None) -> Options:
    """Turn command-line arguments into generator options."""
    parser = argparse.ArgumentParser(
        prog="python -m custseg.generate",
        description="Generate deterministic, deliberately dirty customer-segmentation exports.",
    )
    parser.add_argument("--customers", type=int, required=True, help="number of customers")
    parser.add_argument("--seed", type=int, required=True, help="random seed (>= 0)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the raw exports")
    parser.add_argument(
        "--truth-dir", type=Path, default=None, help="folder for the truth (default: <out>_truth)"
    )
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=DEFAULT_END_DATE,
        help="last day of the two-year history (default: %(default)s)",
    )
    parser.add_argument("--layout", choices=LAYOUTS, default="mixed", help="file layout")
    parser.add_argument(
        "--no-dirt", action="store_true", help="write clean data only (no rejects, no repairs)"
    )
    parser.add_argument(
        "--chunk-size",
        type=int,
        default=DEFAULT_CHUNK_SIZE,
        help="customers generated per chunk; bounds memory (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    out = args.out
    truth_dir = args.truth_dir or out.parent / f"{out.name}_truth"
    return Options(
        customers=args.customers,
        seed=args.seed,
        out=out,
        truth_dir=truth_dir,
        end_date=args.end_date,
        layout=args.layout,
        dirt=not args.no_dirt,
        chunk_size=args.chunk_size,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m custseg.generate``."""
    options = parse_args(argv)
    report = generate(options, progress=sys.stderr)
    tables = report["tables"]
    summary = ", ".join(f"{name} {stats['raw_rows']}" for name, stats in tables.items())
    print(f"wrote {options.out} ({summary}); truth in {options.truth_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
