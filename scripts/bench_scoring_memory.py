"""Peak memory of assigning every customer with a stored model, outside dbt.

Does what `fct_customer_segments` does (stream `int_segment_features` as stored, in batches
of `--batch-rows` customers, assign each batch with the stored model version, stream the
result) against a warehouse that a `dbt build` already filled, and prints the customers
assigned and the process's peak RSS. Run it on warehouses of growing size: the peak should
not grow with the number of customers. `--reader ordered` measures the old reader instead,
one query ordered by customer id, whose global sort grows with the number of customers.

    .venv/bin/python scripts/bench_scoring_memory.py WAREHOUSE.duckdb [--batch-rows 100000]
        [--memory-limit 512MB] [--reader scan|ordered] [--output assignments.parquet]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import duckdb
import pyarrow.parquet as pq

from custseg import segments_dbt
from custseg.dbt_io import iter_batches, read_relation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument("--batch-rows", type=int, default=segments_dbt.DEFAULT_BATCH_ROWS)
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
    args = parser.parse_args()

    started = time.perf_counter()
    con = duckdb.connect(args.warehouse, read_only=True)
    con.execute(f"set memory_limit = '{args.memory_limit}'")
    as_of_date = read_relation(con.table("intermediate.int_as_of_date"))["as_of_date"]
    as_of_date = as_of_date.dt.date.iloc[0]
    row = segments_dbt.active_version_row(
        read_relation(con.table("marts.dim_segment_model_versions")), as_of_date
    )
    segmentation = segments_dbt.segmentation_from_row(row)
    features = con.table("intermediate.int_segment_features")
    if args.reader == "ordered":
        batches = iter_batches(features, args.batch_rows, order_by=segments_dbt.KEY_COLUMN)
    else:
        batches = iter_batches(features, args.batch_rows)
    reader = segments_dbt.assignment_reader(
        segmentation,
        batches,
        model_version=int(row["model_version"]),
        as_of_date=as_of_date,
    )
    writer = pq.ParquetWriter(args.output, reader.schema) if args.output else None
    assigned = 0
    for batch in reader:
        assigned += batch.num_rows
        if writer is not None:
            writer.write_batch(batch)
    if writer is not None:
        writer.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "reader": args.reader,
                "customers_assigned": assigned,
                "batch_rows": args.batch_rows,
                "memory_limit": args.memory_limit,
                "peak_rss_mib": round(peak_mib),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
