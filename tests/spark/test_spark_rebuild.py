"""What must survive a rebuild on Spark as on DuckDB: the model registry and the run history.

A second Spark build of the same world, one week after the first build's as-of date, runs on
the warehouse of the `engines` fixture. Parquet tables have no delete or merge, so the
incremental models append (the registry) or overwrite their own run's partition (history);
this checks that neither loses nor duplicates a row.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from conftest import shared, spark_env

WEEK = dt.timedelta(days=7)


@pytest.fixture(scope="module")
def rebuilt(engines):
    """The first build's registry, history and as-of date, then a second build a week later."""
    first = {
        "versions": engines.spark_table("intermediate", "int_segment_model_versions"),
        "history": engines.spark_table("marts", "fct_segment_history"),
        "as_of": pd.Timestamp(
            engines.spark_table("intermediate", "int_as_of_date")["as_of_date"].iloc[0]
        ).date(),
    }
    work = engines.spark_dir.parent / "rebuild"
    later = first["as_of"] + WEEK
    shared.run_dbt(
        ["build", "--vars", f"{{as_of_date: '{later.isoformat()}'}}"],
        raw_dir=engines.raw_dir,
        db_path=work / "unused.duckdb",
        work_dir=work,
        project_dir=engines.project_dir,
        extra_env=spark_env(engines.spark_dir),
    )
    return first, later


def test_the_registry_keeps_its_version_and_adds_none(engines, rebuilt):
    first, _ = rebuilt
    versions = engines.spark_table("intermediate", "int_segment_model_versions")
    assert len(first["versions"]) == 1
    columns = ["model_version", "trained_as_of_date", "algorithm", "n_clusters"]
    pd.testing.assert_frame_equal(
        versions[columns].sort_values("model_version").reset_index(drop=True),
        first["versions"][columns].sort_values("model_version").reset_index(drop=True),
    )


def test_the_history_keeps_the_first_run_and_adds_the_second(engines, rebuilt):
    first, later = rebuilt
    history = engines.spark_table("marts", "fct_segment_history")
    as_of_dates = pd.to_datetime(history["as_of_date"]).dt.date
    earlier_run = history.loc[as_of_dates == first["as_of"]]
    assert len(earlier_run) == len(first["history"]) > 0
    assert not earlier_run.duplicated().any()
    assert (as_of_dates == later).sum() > 0
    assert set(as_of_dates) == {first["as_of"], later}
