"""One generated world built on DuckDB and on a running Spark cluster, for the engine tests.

`make spark-test` starts the local standalone cluster and runs these tests (`make test` runs
`tests/python` only). The cluster is ``SPARK_MASTER_URL`` (default the one of
`make spark-up`, spark://127.0.0.1:7077). Each build writes only under its own temporary
folder: its warehouse (a DuckDB file, or a Spark warehouse and Derby metastore under
``SEGMENTS_SPARK_DIR``), exports, charts, catalog, and dbt's target and log folders. The
helpers of ``tests/python/conftest.py`` (project copy, environment, dbt runner) are reused.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
CUSTOMERS = 3000
"""The world's size: the issue allows at most 5,000 in `make spark-test`."""
SEED = 14
DEFAULT_MASTER = "spark://127.0.0.1:7077"


def _python_conftest():
    """``tests/python/conftest.py`` as a module of its own name (both files are `conftest`)."""
    spec = importlib.util.spec_from_file_location(
        "python_conftest", REPO / "tests" / "python" / "conftest.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


shared = _python_conftest()


def read_parquet_folder(folder: Path) -> pd.DataFrame:
    """Every Parquet file under ``folder`` (a Spark table or a folder of part files), one frame.

    A partitioned table (e.g. the run history, by as-of date and model version) keeps its
    partition columns in the folder names (`as_of_date=2026-10-31/`): read them back as columns.
    """
    with duckdb.connect() as con:
        return con.read_parquet(str(folder / "**" / "*.parquet"), hive_partitioning=True).df()


def read_duckdb_table(path: Path, schema: str, name: str) -> pd.DataFrame:
    """One relation of a DuckDB warehouse file, opened read-only."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.table(f"{schema}.{name}").df()


@dataclass(frozen=True)
class Engines:
    """The raw world and what each engine built from it (paths of the builds' folders)."""

    raw_dir: Path
    duckdb_path: Path
    duckdb_exports: Path
    spark_dir: Path
    spark_exports: Path
    spark_log_dir: Path
    project_dir: Path

    def spark_table(self, schema: str, name: str) -> pd.DataFrame:
        """A table of the Spark build, read from its Parquet files (no Spark session)."""
        return read_parquet_folder(self.spark_dir / "warehouse" / f"{schema}.db" / name)

    def duckdb_table(self, schema: str, name: str) -> pd.DataFrame:
        """A relation of the DuckDB build."""
        return read_duckdb_table(self.duckdb_path, schema, name)


def spark_env(spark_dir: Path) -> dict[str, str]:
    """What a dbt run on the `spark` target adds to ``shared.dbt_env``."""
    return {
        "SEGMENTS_TARGET": "spark",
        "SEGMENTS_SPARK_DIR": str(spark_dir),
        "SPARK_MASTER_URL": os.environ.get("SPARK_MASTER_URL", DEFAULT_MASTER),
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


def build_duckdb(raw: Path, work: Path, project: Path) -> Path:
    """``dbt build`` of ``raw`` on DuckDB into ``work/warehouse.duckdb`` (new, or holding
    what an earlier step put there); returns that file."""
    database = work / "warehouse.duckdb"
    shared.run_dbt(["build"], raw_dir=raw, db_path=database, work_dir=work, project_dir=project)
    return database


@pytest.fixture(scope="session")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Engines:
    """A world of 3,000 generated customers built once on the Spark cluster and on DuckDB."""
    base = tmp_path_factory.mktemp("engines")
    raw = base / "raw"
    shared.generate(raw, CUSTOMERS, SEED)
    # Held-out bad files (ragged records, 0 bytes, a ZIP, not UTF-8): the same quarantine
    # and the same rejected records, with the same numbers, on both engines.
    shared.drop_bad_order_files(raw)
    # A copy of the project: Spark's Derby writes derby.log into the folder dbt runs in.
    project = shared.copy_project(base / "project")
    spark_work = base / "spark"
    spark_dir = spark_work / "warehouse_root"
    shared.run_dbt(
        ["build"],
        raw_dir=raw,
        db_path=spark_work / "unused.duckdb",
        work_dir=spark_work,
        project_dir=project,
        extra_env=spark_env(spark_dir),
    )
    duckdb_work = base / "duckdb"
    return Engines(
        raw_dir=raw,
        duckdb_path=build_duckdb(raw, duckdb_work, project),
        duckdb_exports=duckdb_work / "exports",
        spark_dir=spark_dir,
        spark_exports=spark_work / "exports",
        spark_log_dir=spark_work / "logs",
        project_dir=project,
    )


@dataclass(frozen=True)
class DuckDBWithSparkModel:
    """A DuckDB build of the same world that scored every customer with the Spark build's
    model (copied by `scripts/copy_segment_model.py` before its first build)."""

    duckdb_path: Path
    exports: Path

    def table(self, schema: str, name: str) -> pd.DataFrame:
        return read_duckdb_table(self.duckdb_path, schema, name)


@pytest.fixture(scope="session")
def duckdb_with_spark_model(
    engines: Engines, tmp_path_factory: pytest.TempPathFactory
) -> DuckDBWithSparkModel:
    """The registry of a new DuckDB warehouse starts with the Spark build's model version,
    so the DuckDB build re-scores with it instead of fitting its own."""
    work = tmp_path_factory.mktemp("duckdb_with_spark_model")
    copied = subprocess.run(
        [
            str(shared.BIN / "python"),
            str(REPO / "scripts" / "copy_segment_model.py"),
            "--from-spark-dir",
            str(engines.spark_dir),
            "--to-duckdb",
            str(work / "warehouse.duckdb"),
        ],
        capture_output=True,
        text=True,
    )
    assert copied.returncode == 0, f"copy_segment_model.py failed:\n{copied.stderr[-4000:]}"
    database = build_duckdb(engines.raw_dir, work, engines.project_dir)
    return DuckDBWithSparkModel(duckdb_path=database, exports=work / "exports")
