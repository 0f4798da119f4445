"""The readers of `custseg.dbt_io`: every row once, bounded batches, stable and keyed order."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from custseg import dbt_io

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
