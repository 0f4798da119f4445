"""Peak memory of assigning every customer with a stored model, outside dbt.

Does what `fct_customer_segments` does (read `int_segment_features` in batches, assign each
batch with the stored model version, stream the result) against a warehouse that a
`dbt build` already filled, and prints the customers assigned and the process's peak RSS.
Run it on warehouses of growing size: with batched assignment the peak should not grow
with the number of customers.

    .venv/bin/python scripts/bench_scoring_memory.py WAREHOUSE.duckdb [--batch-rows 100000]
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import duckdb

from custseg import segments_dbt
from custseg.dbt_io import iter_batches, read_relation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse")
    parser.add_argument("--batch-rows", type=int, default=segments_dbt.DEFAULT_BATCH_ROWS)
    parser.add_argument(
        "--memory-limit", default="512MB", help="DuckDB's limit, kept small to isolate Python"
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
    reader = segments_dbt.assignment_reader(
        segmentation,
        iter_batches(
            con.table("intermediate.int_segment_features"),
            args.batch_rows,
            order_by=segments_dbt.KEY_COLUMN,
        ),
        model_version=int(row["model_version"]),
        as_of_date=as_of_date,
    )
    assigned = sum(batch.num_rows for batch in reader)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "customers_assigned": assigned,
                "batch_rows": args.batch_rows,
                "peak_rss_mib": round(peak_mib),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
