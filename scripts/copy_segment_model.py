"""Copy a segment model version from one engine's registry into a DuckDB warehouse's.

The registry is `intermediate.int_segment_model_versions` (one row per fitted version). On
Spark it is a Parquet table, read here without a Spark session from
`<SEGMENTS_SPARK_DIR>/warehouse/intermediate.db/int_segment_model_versions/`; on DuckDB it
is a table of the warehouse file. The copied row becomes the destination's next version
(its highest version + 1, or 1 in an empty or new warehouse; the table is created with the
registry's schema when the warehouse has none yet), so the next `dbt build` of the
destination re-scores every customer with it: the refit policy keeps the active version
when the settings are the same (README "Segments: the clustering engine").

    python scripts/copy_segment_model.py --from-spark-dir target/spark --to-duckdb segments.duckdb
    python scripts/copy_segment_model.py --from-duckdb other.duckdb --version 3 --to-duckdb x.duckdb

Both engines then score their customers with the same model: `tests/spark` uses this to
check that they give every customer the same segment. Run it while no build holds the
destination file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb
import pandas as pd

from custseg.segments.registry import VERSION_SCHEMA

SCHEMA = "intermediate"
REGISTRY = "int_segment_model_versions"


def spark_registry_glob(spark_dir: Path) -> str:
    """The Parquet files of the registry table of a Spark warehouse (`SEGMENTS_SPARK_DIR`)."""
    return str(spark_dir / "warehouse" / f"{SCHEMA}.db" / REGISTRY / "*.parquet")


def read_versions(source: str, *, spark_dir: Path | None, duckdb_path: Path | None) -> pd.DataFrame:
    """Every stored version of the source registry (a Spark warehouse or a DuckDB file)."""
    with duckdb.connect() as con:
        if spark_dir is not None:
            relation = con.read_parquet(spark_registry_glob(spark_dir))
        else:
            con.execute(f"attach '{duckdb_path}' as source_wh (read_only)")
            relation = con.table(f"source_wh.{SCHEMA}.{REGISTRY}")
        frame = relation.df()
    if frame.empty:
        raise SystemExit(f"{source}: the registry holds no model version")
    return frame


def copy_version(versions: pd.DataFrame, version: int | None, destination: Path) -> int:
    """Append ``version`` (default: the highest) of ``versions`` to the destination's
    registry as its next version; return that version number.

    Only ``model_version`` and ``previous_model_version`` (the destination's highest version,
    or none) change: the rest of the row, the model itself and why it was fitted, is copied
    as it is.
    """
    chosen = versions["model_version"].max() if version is None else version
    row = versions.loc[versions["model_version"] == chosen]
    if row.empty:
        raise SystemExit(f"no model version {chosen} in the source registry")
    with duckdb.connect(str(destination)) as con:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.register("empty_registry", VERSION_SCHEMA.empty_table())
        con.execute(f"create table if not exists {SCHEMA}.{REGISTRY} as from empty_registry")
        latest = con.sql(f"select max(model_version) from {SCHEMA}.{REGISTRY}").fetchall()[0][0]
        next_version = (latest or 0) + 1
        copied = row[[name for name in VERSION_SCHEMA.names if name in row.columns]].assign(
            model_version=next_version,
            previous_model_version=latest,
        )
        con.register("copied_row", copied)
        con.execute(f"insert into {SCHEMA}.{REGISTRY} by name select * from copied_row")
    return next_version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-spark-dir", type=Path, help="SEGMENTS_SPARK_DIR of a Spark build")
    source.add_argument("--from-duckdb", type=Path, help="a DuckDB warehouse file")
    parser.add_argument("--version", type=int, help="the version to copy (default: the highest)")
    parser.add_argument("--to-duckdb", type=Path, required=True, help="the warehouse to copy into")
    args = parser.parse_args(argv)
    label = str(args.from_spark_dir or args.from_duckdb)
    versions = read_versions(label, spark_dir=args.from_spark_dir, duckdb_path=args.from_duckdb)
    copied = copy_version(versions, args.version, args.to_duckdb)
    print(f"copied a model version of {label} into {args.to_duckdb} as version {copied}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
