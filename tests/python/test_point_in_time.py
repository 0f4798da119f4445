"""Point-in-time replays: a build at an earlier as-of date sees orders and tickets as they were
known then (README "Point in time"), even when the raw folder holds later drops that changed
them (an order returned, a ticket resolved).

One generated world (monthly drops of orders and tickets) is built twice at the same as-of
date D: once from every drop, once from only the drops that existed on D (a monthly drop
`YYYY-MM.csv` exists from the first day of the next month). Every feature must be equal.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import generate, run_dbt

AS_OF = date(2026, 6, 1)
MONTHLY_DROPS = ("shop_orders", "support_tickets")
# per-customer features and the CLV inputs, compared between the two builds
FEATURE_RELATIONS = {
    "intermediate.int_customers_joined": "customer_id",
    "intermediate.int_customers_tickets_aggregated": "customer_id",
    "intermediate.int_clv_inputs": "customer_id",
    "intermediate.int_clv_purchase_days": "customer_id, purchase_date",
}


def drops_existing_on(raw: Path, as_of: date) -> Path:
    """A copy of `raw` without the monthly drops that did not exist yet on `as_of`."""
    copy = raw.parent / f"{raw.name}_as_of_{as_of.isoformat()}"
    shutil.copytree(raw, copy)
    for table in MONTHLY_DROPS:
        for path in (copy / table).iterdir():
            year, month = map(int, re.fullmatch(r"(\d{4})-(\d{2})\.csv", path.name).groups())
            month_end = date(year + month // 12, month % 12 + 1, 1)
            if month_end > as_of:
                path.unlink()
    return copy


def build(raw: Path, work: Path) -> Path:
    """The feature models of `raw` at as-of date AS_OF; return the warehouse."""
    work.mkdir()
    db = work / "warehouse.duckdb"
    as_of_vars = json.dumps({"as_of_date": AS_OF.isoformat()})
    run_dbt(["seed"], raw_dir=raw, db_path=db, work_dir=work)
    selection = ["+" + relation.split(".")[1] for relation in FEATURE_RELATIONS]
    run_dbt(["run", "-s", *selection, "--vars", as_of_vars], raw_dir=raw, db_path=db, work_dir=work)
    return db


def read(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).df()


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("point_in_time")
    raw = base / "raw"
    generate(raw, 600, 5)
    full = build(raw, base / "all_drops")
    as_it_was = build(drops_existing_on(raw, AS_OF), base / "drops_until_as_of")
    return full, as_it_was


def test_later_drops_change_orders_and_tickets_known_on_the_as_of_date(builds) -> None:
    """Guard: the world has versions that a build ignoring point in time would get wrong."""
    full, _ = builds
    changed = read(
        full,
        "select order_id, order_status from staging.stg_shop__orders "
        f"where valid_from_date <= date '{AS_OF}' and valid_to_date > date '{AS_OF}'",
    )
    assert len(changed) >= 10
    assert set(changed["order_status"]) <= {"completed", "pending"}
    # the build at AS_OF uses the version known then, not the later return
    seen = read(
        full,
        "select order_id, order_status from intermediate.int_orders_filtered "
        f"where order_id in ({', '.join(repr(i) for i in changed['order_id'])})",
    )
    assert (
        seen.sort_values("order_id")
        .reset_index(drop=True)
        .equals(changed.sort_values("order_id").reset_index(drop=True))
    )
    open_then = read(
        full,
        "select count(*) as n from staging.stg_support__tickets where resolved_at is null "
        f"and valid_from_date <= date '{AS_OF}' and valid_to_date > date '{AS_OF}'",
    )
    assert open_then["n"][0] >= 1


@pytest.mark.parametrize("relation", FEATURE_RELATIONS)
def test_features_at_the_as_of_date_equal_a_build_on_the_drops_of_that_date(
    builds, relation: str
) -> None:
    full, as_it_was = builds
    order = FEATURE_RELATIONS[relation]
    ours = read(full, f"select * from {relation} order by {order}")
    theirs = read(as_it_was, f"select * from {relation} order by {order}")
    assert len(ours) > 0
    pd.testing.assert_frame_equal(ours, theirs, check_exact=False, rtol=1e-12)


def test_drop_known_date_reads_the_date_that_ends_the_file_name(tmp_path: Path) -> None:
    """Macro `drop_known_date` (README "Point in time"): daily, monthly, and undated files."""
    expected = {
        "shop_orders/2026-04-03.csv": "2026-04-03",
        "shop_orders/orders_2026-04-03.csv.gz": "2026-04-03",
        "shop_orders/2026-03.csv": "2026-04-01",
        "shop_orders/2026-12.parquet": "2027-01-01",
        "shop_orders.csv": None,
        "web_events/part-00000.parquet": None,
        "2026-01-05/shop_orders.csv": None,
    }
    values = ", ".join(f"('{name}')" for name in expected)
    inline = (
        "select source_file, cast({{ drop_known_date('source_file') }} as varchar) as known "
        f"from (values {values}) as files(source_file)"
    )
    result = run_dbt(
        ["show", "--output", "json", "--limit", "20", "--inline", inline],
        raw_dir=tmp_path,
        db_path=tmp_path / "w.duckdb",
        work_dir=tmp_path,
    )
    start = result.stdout.rindex("{", 0, result.stdout.index('"show"'))
    shown = json.JSONDecoder().raw_decode(result.stdout[start:])[0]["show"]
    assert {row["source_file"]: row["known"] for row in shown} == expected
