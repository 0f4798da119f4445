"""The seam `custseg.dbt_io` on DuckDB: reads, samples, the driver-row account, maps."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from custseg import clv, dbt_io

ROWS = 5_000
BATCH_ROWS = 500


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        # Stored in an order that is neither ascending nor descending by key.
        connection.execute(
            "create table features as select lpad(cast((range * 7919) % 5000 as varchar), 8, '0')"
            f" as customer_id, cast(range as double) as value from range({ROWS}) order by range"
        )
        yield connection


def read_all(relation, order_by: str | None = None) -> list[pd.DataFrame]:
    return list(dbt_io.iter_batches(relation, BATCH_ROWS, order_by=order_by))


@pytest.mark.parametrize("order_by", [None, "customer_id"])
def test_every_row_exactly_once_in_bounded_batches(con, order_by) -> None:
    batches = read_all(con.table("features"), order_by)
    assert all(0 < len(batch) <= BATCH_ROWS for batch in batches)
    combined = pd.concat(batches, ignore_index=True)
    assert len(combined) == ROWS
    assert combined["customer_id"].is_unique
    pd.testing.assert_frame_equal(
        combined.sort_values("customer_id", ignore_index=True),
        con.table("features").df().sort_values("customer_id", ignore_index=True),
    )


def test_without_order_by_a_table_streams_as_stored(con) -> None:
    # DuckDB's preserve_insertion_order (on by default, set by the profile) keeps the order
    # the table was written in; the model relies on that only for a stable row order.
    combined = pd.concat(read_all(con.table("features")), ignore_index=True)
    assert combined["value"].tolist() == [float(value) for value in range(ROWS)]
    assert not combined["customer_id"].is_monotonic_increasing


def test_order_by_sorts_across_batches(con) -> None:
    combined = pd.concat(read_all(con.table("features"), "customer_id"), ignore_index=True)
    assert combined["customer_id"].is_monotonic_increasing


def test_two_reads_are_identical(con) -> None:
    first = pd.concat(read_all(con.table("features")), ignore_index=True)
    second = pd.concat(read_all(con.table("features")), ignore_index=True)
    pd.testing.assert_frame_equal(first, second)


def test_empty_relation_yields_no_rows(con) -> None:
    batches = read_all(con.table("features").filter("value < 0"))
    assert sum(len(batch) for batch in batches) == 0


def test_read_relation_orders_by_the_given_key(con) -> None:
    stored = dbt_io.read_relation(con.table("features"))
    assert not stored["customer_id"].is_monotonic_increasing
    ordered = dbt_io.read_relation(con.table("features"), order_by="customer_id")
    assert ordered["customer_id"].is_monotonic_increasing
    pd.testing.assert_frame_equal(ordered, stored.sort_values("customer_id", ignore_index=True))


# ------------------------------------------------------------ driver-row account and maps


@pytest.fixture
def logged(monkeypatch) -> list[str]:
    """The progress lines the seam logs (instead of dbt's event system)."""
    lines: list[str] = []
    monkeypatch.setattr(dbt_io, "log_progress", lines.append)
    return lines


def test_driver_reads_log_one_parseable_line_each(con, logged) -> None:
    con.execute("create table settings as select 1 as as_of_rank")
    dbt_io.read_relation(con.sql('select * from "memory"."main"."settings"'), model="m1")
    dbt_io.read_sample(con.table("features"), 100, model="m2")
    con.execute("create table extra as select customer_id, value as rate from features")
    dbt_io.read_sample_with(con.table("features"), con.table("extra"), ["rate"], 50, model="m3")
    dbt_io.read_relation(con.table("features").filter("value < 10"), model="m4")
    parsed = dbt_io.parse_driver_rows("\n".join(f"12:00:00  {line}" for line in logged))
    assert parsed == [
        dbt_io.DriverRows("m1", "settings", 1),
        dbt_io.DriverRows("m2", "sample(features)", 100),
        dbt_io.DriverRows("m3", "sample(features,extra)", 50),
        dbt_io.DriverRows("m4", "query", 10),
    ]
    assert [row.is_sample for row in parsed] == [False, True, True, False]
    assert parsed[2].tables == ("features", "extra")
    assert parsed[0].tables == ("settings",)


def test_parse_driver_rows_ignores_other_lines() -> None:
    text = "19:00:01  int_x: fitting on 3 rows\n19:00:02  driver rows: int_x <- t: 7 rows\n"
    assert dbt_io.parse_driver_rows(text) == [dbt_io.DriverRows("int_x", "t", 7)]


def test_map_batches_maps_every_row_once_in_bounded_batches_without_driver_rows(
    con, logged
) -> None:
    schema = pa.schema([("customer_id", pa.string()), ("double_value", pa.float64())])
    sizes: list[int] = []

    def double(batch: pd.DataFrame) -> pd.DataFrame:
        sizes.append(len(batch))
        return pd.DataFrame(
            {"customer_id": batch["customer_id"], "double_value": 2 * batch["value"]}
        )

    reader = dbt_io.map_batches(con.table("features"), double, schema, BATCH_ROWS)
    result = reader.read_all()
    assert result.schema == schema
    assert sizes and max(sizes) <= BATCH_ROWS and sum(sizes) == ROWS
    frame = result.to_pandas().sort_values("customer_id", ignore_index=True)
    expected = con.table("features").df().sort_values("customer_id", ignore_index=True)
    assert frame["customer_id"].tolist() == expected["customer_id"].tolist()
    assert (frame["double_value"] == 2 * expected["value"]).all()
    assert logged == []


def test_map_batches_skips_empty_batches(con) -> None:
    schema = pa.schema([("customer_id", pa.string())])
    calls: list[int] = []

    def keep(batch: pd.DataFrame) -> pd.DataFrame:
        calls.append(len(batch))
        return batch[["customer_id"]]

    relation = con.table("features").filter("value < 0")
    assert dbt_io.map_batches(relation, keep, schema, BATCH_ROWS).read_all().num_rows == 0
    assert calls == []


def test_arrow_to_pandas_gives_duckdbs_dtypes() -> None:
    query = (
        "select * from (values ('a', date '2024-01-31', 1.25::decimal(10, 2), 1, null::integer,"
        " 2::bigint), ('b', date '2024-02-01', 2.50::decimal(10, 2), 2, 3, 4::bigint))"
        " as t(customer_id, first_date, amount, n, maybe, big)"
    )
    with duckdb.connect() as connection:
        expected = connection.sql(query).df()
        converted = dbt_io.arrow_to_pandas(connection.sql(query).to_arrow_table())
    assert converted.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(converted, expected)


def test_duckdb_results_go_to_the_engine_unchanged(con) -> None:
    frame = pd.DataFrame({"customer_id": ["a"]})
    assert dbt_io.to_engine(con, frame) is frame


def test_iter_batches_refuses_a_spark_relation() -> None:
    spark_like = type("DataFrame", (), {"__module__": "pyspark.sql.classic.dataframe"})()
    with pytest.raises(TypeError, match="map_batches"):
        next(dbt_io.iter_batches(spark_like, BATCH_ROWS))


def test_query_runs_the_backtest_deciles_on_the_engine_like_pandas(logged) -> None:
    rng = np.random.default_rng(7)
    n = 1_003
    inputs = pd.DataFrame(
        {
            "customer_id": [f"c{i:05d}" for i in range(n)],
            "frequency": rng.integers(0, 4, n),
            "recency": rng.integers(0, 3, n),
            "t": rng.integers(3, 5, n),
            "holdout_purchases": rng.integers(0, 5, n),
        }
    )
    histories = inputs.loc[:, ["frequency", "recency", "t"]].drop_duplicates()
    histories["predicted_purchases"] = (
        histories["frequency"] * 0.7 + histories["recency"] * 0.1 + 1.0 / histories["t"]
    )
    expected_predicted = inputs.merge(histories, on=["frequency", "recency", "t"])
    with duckdb.connect() as connection:
        connection.register("source_inputs", inputs)
        groups = dbt_io.query(
            connection,
            clv.BACKTEST_GROUP_SQL.format(inputs="m__inputs", predictions="m__predictions"),
            {"m__inputs": connection.table("source_inputs"), "m__predictions": histories},
            model="m",
        )
        with pytest.raises(duckdb.CatalogException):
            connection.sql("select * from m__predictions")  # the temporary names are gone
    engine = clv.backtest_summary_from_groups(groups, has_predictions=True)
    in_memory = clv.backtest_summary(
        expected_predicted["customer_id"],
        expected_predicted["predicted_purchases"],
        expected_predicted["holdout_purchases"],
    )
    assert engine["n_customers"].tolist() == in_memory["n_customers"].tolist()
    numeric = ["predicted_purchases", "actual_purchases", "error", "mean_absolute_error"]
    np.testing.assert_allclose(
        engine[numeric].to_numpy(float), in_memory[numeric].to_numpy(float), rtol=1e-9
    )
    assert dbt_io.parse_driver_rows("\n".join(logged)) == [dbt_io.DriverRows("m", "query", 10)]
