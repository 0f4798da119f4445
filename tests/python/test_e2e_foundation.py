"""End-to-end: `dbt build` on generated raw exports loses no row and rejects exactly the dirt
the generator injected (issue: foundation)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from conftest import World, run_dbt

TABLES = [
    "shop_orders",
    "shop_order_items",
    "crm_customers",
    "web_events",
    "support_tickets",
    "marketing_campaigns",
    "marketing_events",
]
STAGING = {
    "shop_orders": "staging.stg_shop__orders",
    "shop_order_items": "staging.stg_shop__order_items",
    "crm_customers": "staging.stg_crm__customers",
    "web_events": "staging.stg_web__events",
    "support_tickets": "staging.stg_support__tickets",
    "marketing_campaigns": "staging.stg_marketing__campaigns",
    "marketing_events": "staging.stg_marketing__events",
}


def count_raw_rows(raw_dir: Path, table: str) -> int:
    """Count data rows in the raw files of a table, independently of the dbt project."""
    files = sorted(raw_dir.glob(f"{table}.csv")) + sorted(raw_dir.glob(f"{table}.parquet"))
    files += sorted((raw_dir / table).glob("*.csv")) + sorted((raw_dir / table).glob("*.parquet"))
    total = 0
    with duckdb.connect() as con:
        for file in files:
            if file.suffix == ".parquet":
                total += con.sql(f"select count(*) from read_parquet('{file}')").fetchall()[0][0]
            else:
                total += con.sql(
                    f"select count(*) from read_csv('{file}', header = true, all_varchar = true)"
                ).fetchall()[0][0]
    return total


@pytest.mark.parametrize("table", TABLES)
def test_every_raw_row_is_staged_or_rejected(dirty_world: World, table: str) -> None:
    raw = count_raw_rows(dirty_world.raw_dir, table)
    staged = dirty_world.query(f"select count(*) from {STAGING[table]}")[0][0]
    rejected = dirty_world.query(
        f"select count(*) from marts.rpt_rejected_rows where source_table = '{table}'"
    )[0][0]
    assert raw == dirty_world.dirt["tables"][table]["raw_rows"]
    assert raw == staged + rejected


@pytest.mark.parametrize("table", TABLES)
def test_rejections_match_what_the_generator_injected(dirty_world: World, table: str) -> None:
    expected = dirty_world.dirt["tables"][table]
    rows = dirty_world.query(
        "select reason, count(*) from marts.rpt_rejected_rows "
        f"where source_table = '{table}' group by reason"
    )
    assert dict(rows) == {k: v for k, v in expected["rejected"].items() if v}
    staged = dirty_world.query(f"select count(*) from {STAGING[table]}")[0][0]
    assert staged == expected["staged_rows"]


def test_dirty_sample_injects_every_reason(dirty_world: World) -> None:
    reasons = {
        r for (r,) in dirty_world.query("select distinct reason from marts.rpt_rejected_rows")
    }
    assert {
        "missing_key",
        "duplicate",
        "superseded",
        "unparseable_timestamp",
        "unparseable_amount",
        "negative_amount",
        "unknown_currency",
        "future_timestamp",
        "orphan",
        "out_of_range",
    } <= reasons


def test_ingestion_summary_agrees_with_reports(dirty_world: World) -> None:
    for table, raw, staged, rejected in dirty_world.query(
        "select source_table, raw_rows, staged_rows, rejected_rows from marts.rpt_ingestion_summary"
    ):
        assert raw == staged + rejected
        # Tables the generator does not write (the suppression list) must be empty.
        assert raw == dirty_world.dirt["tables"].get(table, {"raw_rows": 0})["raw_rows"]


def test_messy_values_are_repaired_not_rejected(dirty_world: World) -> None:
    repairs = dirty_world.dirt["repairs"]
    statuses = {
        s
        for (s,) in dirty_world.query("select distinct order_status from staging.stg_shop__orders")
    }
    assert statuses <= {"completed", "cancelled", "returned", "pending"}
    currencies = {
        c
        for (c,) in dirty_world.query("select distinct currency_code from staging.stg_shop__orders")
    }
    assert all(c == c.strip().upper() for c in currencies)
    assert (
        dirty_world.query(
            "select count(*) from staging.stg_crm__customers where email <> lower(trim(email))"
        )[0][0]
        == 0
    )
    # Every opt-in encoding the generator wrote on staged rows parses to a boolean.
    parsed = dirty_world.query(
        "select count(*) from staging.stg_crm__customers where is_marketing_opt_in is not null"
    )[0][0]
    assert parsed == sum(repairs["opt_in_raw_values"].values())
    unknown_channel = dirty_world.query(
        "select count(*) from staging.stg_shop__orders where sales_channel = 'unknown'"
    )[0][0]
    assert unknown_channel == repairs["blank_sales_channel"]


def test_orders_of_customers_missing_from_crm_are_kept(dirty_world: World) -> None:
    missing = dirty_world.query(
        """
        select count(distinct orders.customer_id)
        from staging.stg_shop__orders as orders
        left join staging.stg_crm__customers as customers
            on orders.customer_id = customers.customer_id
        where customers.customer_id is null
        """
    )[0][0]
    assert missing == dirty_world.dirt["repairs"]["order_customers_missing_from_crm"]
    assert missing > 0


def test_unmapped_categories_are_counted(dirty_world: World) -> None:
    rows = dirty_world.query(
        "select source_table || '.' || column_name, sum(row_count) "
        "from marts.rpt_unmapped_values group by 1"
    )
    expected = {k: v for k, v in dirty_world.dirt["repairs"]["unmapped"].items() if v}
    assert dict(rows) == expected


def test_ids_keep_leading_zeros(dirty_world: World) -> None:
    lengths = dirty_world.query("select distinct length(customer_id) from staging.stg_shop__orders")
    assert lengths == [(8,)]
    assert (
        dirty_world.query(
            "select count(*) from staging.stg_shop__orders where customer_id like '0%'"
        )[0][0]
        > 0
    )


def test_bi_report_masks_personal_data(dirty_world: World) -> None:
    masked = dirty_world.query(
        "select raw_values from marts.rpt_rejected_rows where source_table = 'crm_customers'"
    )
    assert masked, "the generator injects CRM rejects"
    assert not any("@" in values for (values,) in masked)
    full = dirty_world.query(
        "select raw_values from restricted.rpt_rejected_rows_restricted "
        "where source_table = 'crm_customers'"
    )
    assert any("@" in values for (values,) in full)


ORDERS_HEADER = (
    "order_id,customer_id,ordered_at,status,currency,order_total,discount_total,sales_channel"
)


def _orders_csv(path: Path, header: str = ORDERS_HEADER) -> None:
    path.write_text(
        header
        + "\n0001,0042,2026-01-05T10:00:00Z,completed,EUR,10.00,0,web\n"
        + "0002,0042,2026-02-05 10:00:00,Completed ,usd,20.00,,app\n"
    )


def test_folder_with_only_shop_orders_builds(dirty_world: World, tmp_path: Path) -> None:
    """Only the required table (a realistic one: the dirty world's 600 customers) plus a
    header-only optional table: the whole project builds, optional sources are empty."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copytree(dirty_world.raw_dir / "shop_orders", raw / "shop_orders")
    (raw / "support_tickets.csv").write_text(
        "ticket_id,customer_id,created_at,resolved_at,channel,topic,satisfaction_score\n"
    )
    db = tmp_path / "w.duckdb"
    run_dbt(["build"], raw_dir=raw, db_path=db, work_dir=tmp_path)
    staged_orders = dirty_world.dirt["tables"]["shop_orders"]["staged_rows"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("select count(*) from staging.stg_shop__orders").fetchall() == [
            (staged_orders,)
        ]
        assert con.sql("select count(*) from staging.stg_web__events").fetchall() == [(0,)]
        assert con.sql("select count(*) from staging.stg_support__tickets").fetchall() == [(0,)]
        unsegmented = con.sql(
            "select count(*) from marts.dim_customer_segments where segment_id is null"
        ).fetchall()
        assert unsegmented == [(0,)]


def test_missing_required_column_names_table_file_and_column(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    _orders_csv(raw / "shop_orders.csv", header=ORDERS_HEADER.replace("customer_id,", "client,"))
    result = run_dbt(
        ["build"], raw_dir=raw, db_path=tmp_path / "w.duckdb", work_dir=tmp_path, check=False
    )
    assert result.returncode != 0
    message = result.stdout
    assert "required column 'customer_id' is missing" in message
    assert "shop_orders.csv" in message
    assert "Raw table 'shop_orders'" in message


def test_missing_required_table_is_named(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    result = run_dbt(
        ["build"], raw_dir=raw, db_path=tmp_path / "w.duckdb", work_dir=tmp_path, check=False
    )
    assert result.returncode != 0
    assert "Required raw table 'shop_orders' not found" in result.stdout
