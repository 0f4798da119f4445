"""Compare two DuckDB warehouses relation by relation (EXCEPT ALL both ways, bookkeeping masked).

Usage:

    python scripts/compare_warehouses.py OLD.duckdb NEW.duckdb \
        [--left-work DIR] [--right-work DIR] [--ignore-column file_path]

Relations renamed by README "Changes" are matched by their new name. Prints one line per
relation that differs, and the relations and columns the second warehouse adds; exits 1
when a relation or column of the first is missing from the second or holds other rows.
The masks are documented in `custseg.warehouse_diff`.
"""

from __future__ import annotations

import argparse
import sys

from custseg.warehouse_diff import compare_warehouses
from custseg.warehouse_renames import RENAMED_RELATIONS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "left", help="the first warehouse file (for example, built before a change)"
    )
    parser.add_argument("right", help="the second warehouse file")
    parser.add_argument("--left-work", help="folder of the first build, masked in file paths")
    parser.add_argument("--right-work", help="folder of the second build, masked in file paths")
    parser.add_argument(
        "--ignore-column",
        action="append",
        default=[],
        help="a column left out of every comparison (repeatable), e.g. file_path",
    )
    args = parser.parse_args(argv)
    diff = compare_warehouses(
        args.left,
        args.right,
        left_work_dir=args.left_work,
        right_work_dir=args.right_work,
        renames=RENAMED_RELATIONS,
        ignored_columns=frozenset(args.ignore_column),
    )
    print(f"compared {len(diff.compared)} relations")
    for name in diff.only_left:
        print(f"only in {args.left}: {name}")
    for name in diff.only_right:
        print(f"added in {args.right} (not compared): {name}")
    for name, missing in diff.column_mismatch.items():
        print(f"{name}: columns missing in {args.right}: {missing}")
    for name, added in diff.added_columns.items():
        print(f"{name}: columns added in {args.right} (not compared): {added}")
    for name, (left_rows, right_rows) in diff.differing.items():
        print(f"{name}: {left_rows} rows only left, {right_rows} rows only right")
    print("every relation preserved" if diff.preserved else "DIFFERENT")
    return 0 if diff.preserved else 1


if __name__ == "__main__":
    sys.exit(main())
