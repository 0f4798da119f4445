"""Peak memory of assigning every customer with a stored model, outside dbt.

Does what `int_customer_segments_assigned` does (stream `int_segment_features` as stored, in batches
of `--batch-rows` customers, assign each batch with the stored model version, stream the
result) against a warehouse that a `dbt build` already filled, and prints the customers
assigned, the process's peak RSS and where the memory is:

- `python_heap_peak_mib`: the peak of Python's own allocations, numpy and pandas buffers
  included (`tracemalloc`);
- `arrow_pool_peak_mib`: the peak of pyarrow's memory pool (the Arrow batches);
- `duckdb_peak_mib`: the largest total that DuckDB's buffer manager reported between batches
  (`duckdb_memory()`): the scanned table's blocks stay cached in it, up to `memory_limit`.

    .venv/bin/python scripts/bench_scoring_memory.py WAREHOUSE.duckdb [--batch-rows 100000]
        [--memory-limit 512MB] [--reader scan|ordered] [--output assignments.parquet]

`--sweep` measures growing numbers of customers without generating raw data: it copies the
three tables the step reads from WAREHOUSE into one DuckDB file per size, with
`int_segment_features` repeated (each copy's customer ids suffixed `~<copy>`) up to that
many customers, and measures each file in a fresh process:

    .venv/bin/python scripts/bench_scoring_memory.py WAREHOUSE.duckdb \
        --sweep 100000 1000000 4000000 --work-dir bench/scoring [--batch-rows 20000 ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from bench import peak_rss_mib
from custseg.dbt_io import iter_batches, read_relation
from custseg.segments import assign, registry
from custseg.segments.settings import KEY_COLUMN

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
# The tables the assignment step reads, as `schema.table` of a dbt build's warehouse.
FEATURES = "intermediate.int_segment_features"
COPIED_AS_IS = ("intermediate.int_as_of_date", "intermediate.int_segment_model_versions")


def project_var(name: str):
    """A var's default from ``dbt_project.yml``, the one place every default lives."""
    project = yaml.safe_load((REPO / "dbt_project.yml").read_text(encoding="utf-8"))
    return project["vars"][name]


def duckdb_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """What DuckDB's buffer manager holds now, in bytes, over all its memory tags.

    ``con`` must be a second cursor of the database: the first one is busy streaming.
    """
    return int(con.sql("select sum(memory_usage_bytes) from duckdb_memory()").fetchall()[0][0])


def measure(args: argparse.Namespace) -> dict:
    """Assign every customer of ``args.warehouse`` and return the memory it took."""
    tracemalloc.start()
    started = time.perf_counter()
    con = duckdb.connect(args.warehouse, read_only=True)
    con.execute(f"set memory_limit = '{args.memory_limit}'")
    as_of_date = read_relation(con.table("intermediate.int_as_of_date"))["as_of_date"]
    as_of_date = as_of_date.dt.date.iloc[0]
    row = registry.active_version_row(
        read_relation(con.table("intermediate.int_segment_model_versions")), as_of_date
    )
    segmentation = registry.segmentation_from_row(row)
    features = con.table(FEATURES)
    if args.reader == "ordered":
        batches = iter_batches(features, args.batch_rows, order_by=KEY_COLUMN)
    else:
        batches = iter_batches(features, args.batch_rows)
    reader = assign.assignment_reader(
        segmentation,
        batches,
        model_version=int(row["model_version"]),
        as_of_date=as_of_date,
    )
    writer = pq.ParquetWriter(args.output, reader.schema) if args.output else None
    assigned = 0
    probe = con.cursor()  # the same database instance, free while `con` streams
    duckdb_peak = duckdb_bytes(probe)
    for batch in reader:
        assigned += batch.num_rows
        if writer is not None:
            writer.write_batch(batch)
        duckdb_peak = max(duckdb_peak, duckdb_bytes(probe))
    if writer is not None:
        writer.close()
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "warehouse": str(args.warehouse),
        "reader": args.reader,
        "customers_assigned": assigned,
        "batch_rows": args.batch_rows,
        "memory_limit": args.memory_limit,
        "peak_rss_mib": round(peak_rss_mib()),
        "python_heap_peak_mib": round(python_peak / MIB, 1),
        "arrow_pool_peak_mib": round(pa.default_memory_pool().max_memory() / MIB, 1),
        "duckdb_peak_mib": round(duckdb_peak / MIB, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def replicate(source: Path, target: Path, customers: int) -> None:
    """Write ``target`` with the step's inputs from ``source``, features repeated to ``customers``.

    The table is written copy by copy, each copy ordered by customer id. The assignment of a
    customer does not depend on the read order, and the model scans the table as stored.
    """
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute(f"attach '{source}' as source_db (read_only)")
    for schema in ("intermediate", "marts"):
        con.execute(f"create schema if not exists {schema}")
    for table in COPIED_AS_IS:
        con.execute(f"create table {table} as select * from source_db.{table}")
    per_copy = con.sql(f"select count(*) from source_db.{FEATURES}").fetchall()[0][0]
    copies = -(-customers // per_copy)
    columns = [c[0] for c in con.sql(f"describe source_db.{FEATURES}").fetchall()]
    select_list = ", ".join(
        "features.customer_id || '~' || copies.copy as customer_id" if c == "customer_id" else c
        for c in columns
    )
    con.execute(
        f"create table {FEATURES} as "
        f"select {select_list} from range({copies}) as copies(copy) "
        f"cross join source_db.{FEATURES} as features "
        f"order by copies.copy, features.customer_id limit {customers}"
    )
    con.close()


def sweep(args: argparse.Namespace) -> None:
    """Measure each size of ``args.sweep`` in its own process and print a Markdown table."""
    args.work_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for customers in args.sweep:
        target = args.work_dir / f"scoring_{customers}.duckdb"
        print(f"[{customers:,}] writing {target} ...", file=sys.stderr, flush=True)
        replicate(Path(args.warehouse).resolve(), target, customers)
        command = [
            sys.executable,
            __file__,
            str(target),
            "--batch-rows",
            str(args.batch_rows),
            "--memory-limit",
            args.memory_limit,
            "--reader",
            args.reader,
        ]
        print(f"[{customers:,}] assigning ...", file=sys.stderr, flush=True)
        result = subprocess.run(command, check=True, capture_output=True, text=True)
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    keys = [
        "customers_assigned",
        "peak_rss_mib",
        "python_heap_peak_mib",
        "arrow_pool_peak_mib",
        "duckdb_peak_mib",
        "seconds",
    ]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---:|" * len(keys))
    for row in rows:
        print("| " + " | ".join(f"{row[k]:,}" for k in keys) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=project_var("segment_batch_rows"),
        help="customers per batch (default: var segment_batch_rows of dbt_project.yml)",
    )
    parser.add_argument(
        "--memory-limit", default="512MB", help="DuckDB's limit, kept small to isolate Python"
    )
    parser.add_argument(
        "--reader",
        choices=("scan", "ordered"),
        default="scan",
        help="scan: stream the table as stored, as the model; ordered: with a global sort",
    )
    parser.add_argument(
        "--output", help="write the assignments to this Parquet file, batch by batch"
    )
    parser.add_argument(
        "--sweep",
        type=int,
        nargs="+",
        metavar="CUSTOMERS",
        help="measure replicated warehouses of these sizes (see the module docstring)",
    )
    parser.add_argument("--work-dir", type=Path, default=Path("bench/scoring"))
    args = parser.parse_args()
    if args.sweep:
        sweep(args)
    else:
        print(json.dumps(measure(args)))


if __name__ == "__main__":
    main()
