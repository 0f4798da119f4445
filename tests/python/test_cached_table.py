"""The `cached_table` materialization of the `base_` models: kept when nothing changed,
rebuilt when a raw file, a seed, the SQL or a time-dependent rejection changes."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from conftest import generate, run_dbt

BASE_MODELS = {
    "base_crm__customers",
    "base_marketing__campaigns",
    "base_marketing__events",
    "base_privacy__suppression_list",
    "base_shop__order_items",
    "base_shop__orders",
    "base_support__tickets",
    "base_web__events",
}
KEPT = "KEPT (inputs unchanged)"


def _messages(work_dir: Path) -> dict[str, str]:
    results = json.loads((work_dir / "target" / "run_results.json").read_text())
    return {
        r["unique_id"].split(".")[-1]: r["message"]
        for r in results["results"]
        if r["unique_id"].split(".")[-1] in BASE_MODELS
    }


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("cached_table")
    raw = base / "raw"
    generate(raw, 200, 11, "--layout", "flat")
    db = base / "warehouse.duckdb"
    run_dbt(["seed"], raw_dir=raw, db_path=db, work_dir=base)
    run_dbt(["run", "-s", "path:models/staging"], raw_dir=raw, db_path=db, work_dir=base)
    first = _messages(base)
    return raw, db, base, first


def _run(raw: Path, db: Path, work: Path, *extra: str) -> dict[str, str]:
    run_dbt(["run", "-s", "path:models/staging", *extra], raw_dir=raw, db_path=db, work_dir=work)
    return _messages(work)


def test_first_build_creates_every_base_table(staged):
    _, _, _, first = staged
    assert set(first) == BASE_MODELS
    assert KEPT not in first.values()


def test_unchanged_inputs_keep_every_table_then_a_changed_file_rebuilds_its_table(staged):
    raw, db, work, _ = staged
    assert _run(raw, db, work) == {name: KEPT for name in BASE_MODELS}

    tickets = raw / "support_tickets.csv"
    header = tickets.read_text().splitlines()[0].split(",")
    new_row = {column: "" for column in header}
    new_row.update(
        ticket_id="T-CACHE-1",
        customer_id="C-CACHE-1",
        created_at="2024-01-02T03:04:05Z",
        topic="billing",
    )
    with tickets.open("a") as handle:
        handle.write(",".join(new_row[column] for column in header) + "\n")

    messages = _run(raw, db, work)
    assert messages["base_support__tickets"] != KEPT
    assert {name for name, message in messages.items() if message == KEPT} == BASE_MODELS - {
        "base_support__tickets"
    }
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute(
            "select count(*) from staging.base_support__tickets where ticket_id = 'T-CACHE-1'"
        ).fetchone()[0]
    assert found == 1


def test_a_stale_future_rejection_forces_a_rebuild(staged):
    """A row rejected as `future_timestamp` whose time has passed must be validated again."""
    raw, db, work, _ = staged
    _run(raw, db, work)
    with duckdb.connect(str(db)) as con:
        order_id = con.execute(
            "select order_id from staging.base_shop__orders where reject_reason is null "
            "order by order_id limit 1"
        ).fetchone()[0]
        con.execute(
            "update staging.base_shop__orders set reject_reason = 'future_timestamp' "
            "where order_id = ?",
            [order_id],
        )
    messages = _run(raw, db, work)
    assert messages["base_shop__orders"] != KEPT
    # the items validate against the orders (orphans, exchange rates): rebuilt orders
    # rebuild them, while the tables that do not read the orders are kept
    assert messages["base_shop__order_items"] != KEPT
    assert messages["base_web__events"] == KEPT
    with duckdb.connect(str(db), read_only=True) as con:
        reason = con.execute(
            "select reject_reason from staging.base_shop__orders where order_id = ?",
            [order_id],
        ).fetchone()[0]
    assert reason is None


def test_a_changed_var_or_full_refresh_rebuilds(staged):
    raw, db, work, _ = staged
    _run(raw, db, work)
    messages = _run(raw, db, work, "--vars", "{reporting_currency: USD}")
    # the reporting currency is in the SQL of the models that convert money
    assert messages["base_shop__orders"] != KEPT
    assert messages["base_marketing__campaigns"] != KEPT
    assert messages["base_web__events"] == KEPT

    messages = _run(raw, db, work, "--full-refresh")
    assert KEPT not in messages.values()
