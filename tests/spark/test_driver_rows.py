"""No Python model of the Spark build pulls every customer onto the driver (issue 14, item 3).

Every read that brings rows to the driver goes through `custseg.dbt_io` and logs one
driver-row account line (`driver rows: <model> <- <relation>: <n> rows`) into the build's
`dbt.log`. A relation has one row per customer when the DuckDB build of the same world gives
it a `customer_id` column. Such a relation may reach the driver only as a bounded sample:

- `sample(<table>[,<joined>])`, the deterministic sample of `dbt_io.read_sample`, at most var
  `segment_sample_size` rows (the clustering fit);
- `int_segment_features_sampled`, the SQL sample of charts, rules and silhouettes, at most
  the largest of its three sample-size vars.

The per-customer models (assignments, CLV predictions, the CLV backtest) run on the engine
and read no per-customer row at all.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from custseg.dbt_io import DriverRows, parse_driver_rows

REPO = Path(__file__).resolve().parents[2]
VARS = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
SQL_SAMPLE = "int_segment_features_sampled"
SQL_SAMPLE_SIZE = max(
    int(VARS[name])
    for name in (
        "segment_rule_sample_size",
        "segment_plot_sample_size",
        "drift_silhouette_sample_size",
    )
)
FIT_SAMPLE_SIZE = int(VARS["segment_sample_size"])
PER_CUSTOMER_MODELS = (
    "int_customer_segments_assigned",
    "int_customers_clv_predicted",
    "rpt_clv_backtest",
)


@pytest.fixture(scope="module")
def driver_rows(engines) -> list[DriverRows]:
    """The driver-row account of the Spark build."""
    rows = parse_driver_rows((Path(engines.spark_log_dir) / "dbt.log").read_text())
    assert rows, "the Spark build logged no driver-row account line"
    return rows


@pytest.fixture(scope="module")
def per_customer_relations(engines) -> set[str]:
    """Relations of the DuckDB build of the same world with a `customer_id` column."""
    with duckdb.connect(str(engines.duckdb_path), read_only=True) as con:
        names = con.sql(
            "select distinct table_name from information_schema.columns "
            "where column_name = 'customer_id'"
        ).fetchall()
    return {name for (name,) in names}


def test_per_customer_relations_reach_the_driver_only_as_bounded_samples(
    driver_rows, per_customer_relations
) -> None:
    assert {"int_segment_features", "int_clv_inputs"} <= per_customer_relations
    offending = []
    for row in driver_rows:
        if not per_customer_relations.intersection(row.tables):
            continue
        if row.is_sample:
            bound = FIT_SAMPLE_SIZE
        elif row.relation == SQL_SAMPLE:
            bound = SQL_SAMPLE_SIZE
        else:
            bound = 0  # a whole per-customer relation: never allowed
        if bound == 0 or row.rows > bound:
            offending.append(row)
    assert not offending, f"per-customer rows brought to the driver: {offending}"


def test_per_customer_models_bring_no_customer_row_to_the_driver(
    driver_rows, per_customer_relations
) -> None:
    logged_models = {row.model for row in driver_rows}
    assert set(PER_CUSTOMER_MODELS) <= logged_models, "a per-customer model did not run"
    customer_reads = [
        row
        for row in driver_rows
        if row.model in PER_CUSTOMER_MODELS and per_customer_relations.intersection(row.tables)
    ]
    assert customer_reads == []


def test_the_fit_reads_at_most_one_bounded_sample(driver_rows) -> None:
    fit_reads = [row for row in driver_rows if row.model == "int_segment_model_versions"]
    samples = [row for row in fit_reads if row.is_sample]
    # one sample per fitting build (none when the build re-scores with a stored model)
    assert len(samples) <= 1
    assert all(0 < row.rows <= FIT_SAMPLE_SIZE for row in samples)
