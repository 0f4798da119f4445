"""End-to-end: no personal data where BI reads, plausibility rules, erasure that sticks (issue 15).

One generated world (600 customers, dirty) plus one implausible order is built three times
in a copy of the project (so the test can add an erasure request to its seed):

1. at a first as-of date, with no erasure request: every relation of schema `marts` (what
   is published for BI) and every Parquet mart file is scanned for the generated customers'
   emails, phones and names (from the raw CRM file) and for anything email-shaped; the
   restricted schema must hold them (the scan is shown to find what it looks for);
2. after adding one customer (present in the history, the exports and the rejected rows) to
   `seeds/erasure_requests.csv`, at a later as-of date: the customer's id, email, phone and
   full name appear in no relation of the build file (any schema), no export file and no
   Parquet mart, although the raw exports still contain them, and row conservation holds;
3. once more at the default as-of date: still gone.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import copy_project, generate, run_dbt
from personal_data import (
    digits,
    read_personal_values,
    scan_files,
    scan_warehouse,
)

CUSTOMERS = 600
SEED = 11
AS_OF_DATES = ["2026-09-01", "2026-10-15", None]
BUILD_VARS = {
    "activation_min_audience": {"crm": 1, "email": 1, "ads": 1},
    "algorithms": ["kmeans"],
    "segment_k_max": 6,
}
IMPLAUSIBLE_ORDER_ID = "9999999999"


@dataclass(frozen=True)
class Customer:
    """The personal values of the customer to erase, from every CRM version of them."""

    customer_id: str
    emails: frozenset[str]
    phone_digits: frozenset[str]
    full_names: frozenset[tuple[str, str]]


@dataclass(frozen=True)
class Build:
    """One build of the world: copies of its warehouse, its published file and its exports."""

    db_path: Path
    activation_dir: Path
    marts_dir: Path
    published_path: Path


def _build(project: Path, raw: Path, base: Path, db_path: Path, as_of: str | None, n: int):
    build_vars = BUILD_VARS | ({"as_of_date": as_of} if as_of else {})
    # models, seeds and hooks only: the data tests run in the other end-to-end tests, and
    # what this file checks it asserts itself (row conservation included)
    run_dbt(
        ["build", "--exclude-resource-type", "test", "unit_test"]
        + ["--vars", json.dumps(build_vars)],
        raw_dir=raw,
        db_path=db_path,
        work_dir=base,
        project_dir=project,
    )
    # copies, so each build's state can be inspected after the next one ran
    snapshot = base / f"build{n}"
    snapshot.mkdir()
    shutil.copyfile(db_path, snapshot / "warehouse.duckdb")
    # what BI tools open: the file this build published (dbt_env's SEGMENTS_PUBLISH_PATH)
    shutil.copyfile(base / "published" / "segments.duckdb", snapshot / "published.duckdb")
    shutil.copytree(base / "exports", snapshot / "exports")
    return Build(
        snapshot / "warehouse.duckdb",
        snapshot / "exports" / "activation",
        snapshot / "exports" / "marts",
        snapshot / "published.duckdb",
    )


def _add_implausible_order(raw: Path) -> None:
    """One order of a real customer with a total of 1,000,000,000.00 EUR."""
    orders = raw / "shop_orders"
    assert orders.is_dir(), "the mixed layout writes shop_orders as a folder"
    (orders / "zz-implausible.csv").write_text(
        "order_id,customer_id,ordered_at,status,currency,order_total,discount_total,sales_channel\n"
        f"{IMPLAUSIBLE_ORDER_ID},00000001,2026-06-01T10:00:00Z,completed,EUR,"
        "1000000000.00,0.00,web\n"
    )


def _customer(raw: Path, customer_id: str) -> Customer:
    emails, phones, names = set(), set(), set()
    with (raw / "crm_customers.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if (row["customer_id"] or "").strip() != customer_id:
                continue
            if row["email"].strip():
                emails.add(row["email"].strip().lower())
            if len(digits(row["phone"] or "")) >= 8:
                phones.add(digits(row["phone"]))
            names.add((row["first_name"].strip().lower(), row["last_name"].strip().lower()))
    return Customer(customer_id, frozenset(emails), frozenset(phones), frozenset(names))


def _full_names_of_others(raw: Path, customer_id: str) -> set[tuple[str, str]]:
    """The (first, last) names, lower-cased, of every other customer of the raw CRM file."""
    with (raw / "crm_customers.csv").open(newline="", encoding="utf-8") as handle:
        return {
            (row["first_name"].strip().lower(), row["last_name"].strip().lower())
            for row in csv.DictReader(handle)
            if (row["customer_id"] or "").strip() != customer_id
        }


def _mentions(text: str, customer: Customer) -> list[str]:
    """What of ``customer`` a row's or file's text holds: id, email, phone, full name."""
    lowered = text.lower()
    found = []
    if re.search(rf"(?<![0-9A-Za-z]){re.escape(customer.customer_id)}(?![0-9A-Za-z])", text):
        found.append(f"customer id {customer.customer_id}")
    found += [f"email {email}" for email in customer.emails if email in lowered]
    text_digits = digits(text)
    found += [f"phone {phone}" for phone in customer.phone_digits if phone in text_digits]
    words = set(re.findall(r"[^\W\d_]+", lowered))
    found += [f"name {f} {last}" for f, last in customer.full_names if {f, last} <= words]
    return found


def _rows_mentioning(db_path: Path, customer: Customer) -> list[str]:
    """Every row of every relation (all schemas) that mentions the customer."""
    hits = []
    with duckdb.connect(str(db_path), read_only=True) as con:
        relations = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by all"
        ).fetchall()
        for schema, name in relations:
            relation = f'"{schema}"."{name}"'
            for (row_text,) in con.sql(
                f"select cast(t as varchar) from {relation} as t"
            ).fetchall():
                hits += [f"{schema}.{name}: {what}" for what in _mentions(row_text, customer)]
    return hits


def _files_mentioning(folder: Path, customer: Customer) -> list[str]:
    """Every file under ``folder`` (CSV, Parquet, JSON manifests) that mentions the customer."""
    hits = []
    with duckdb.connect() as con:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            quoted = str(path).replace("'", "''")
            if path.suffix == ".parquet":
                rows = con.sql(f"select cast(t as varchar) from read_parquet('{quoted}') as t")
                text = "\n".join(row for (row,) in rows.fetchall())
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
            hits += [f"{path}: {what}" for what in _mentions(text, customer)]
    return hits


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("privacy")
    raw = base / "raw"
    generate(raw, CUSTOMERS, SEED)
    _add_implausible_order(raw)
    project = copy_project(base / "project")
    db_path = base / "warehouse.duckdb"
    first = _build(project, raw, base, db_path, AS_OF_DATES[0], 1)
    with duckdb.connect(str(first.db_path), read_only=True) as con:
        # a customer with a full CRM profile, orders and a segment, and no suppression
        # request (the suppression list may name emails)
        candidates = con.sql(
            "select contacts.customer_id from restricted.dim_customer_contacts as contacts "
            "inner join marts.fct_segment_history as history using (customer_id) "
            "inner join marts.dim_customers as customers using (customer_id) "
            "where contacts.email is not null and contacts.phone is not null "
            "and customers.has_ordered and contacts.is_marketing_opt_in "
            "and not history.is_control_group "
            "order by contacts.customer_id"
        ).fetchall()
    # the first whose full name no other customer has, so that a name found later is theirs
    customer = next(
        (
            found
            for found in (_customer(raw, candidate) for (candidate,) in candidates)
            if not found.full_names & _full_names_of_others(raw, found.customer_id)
        ),
        None,
    )
    assert customer, "the first build has no customer to erase"
    customer_id = customer.customer_id
    digest = hashlib.sha256(customer_id.encode()).hexdigest()
    with (project / "seeds" / "erasure_requests.csv").open("a", encoding="utf-8") as seed:
        seed.write(f"{digest},2026-10-20\n")
    second = _build(project, raw, base, db_path, AS_OF_DATES[1], 2)
    third = _build(project, raw, base, db_path, AS_OF_DATES[2], 3)
    return {"raw": raw, "customer": customer, "builds": [first, second, third]}


def test_no_personal_values_where_bi_reads(world) -> None:
    first = world["builds"][0]
    personal = read_personal_values(world["raw"] / "crm_customers.csv")
    hits = scan_warehouse(first.db_path, personal, schemas=("marts",))
    # every relation of the published file, whatever its schema
    hits += scan_warehouse(first.published_path, personal)
    hits += scan_files(first.marts_dir, personal)
    assert not hits, "personal data where BI reads:\n" + "\n".join(map(str, hits[:40]))
    # the scan finds what it looks for: the restricted schema holds every kind
    restricted = scan_warehouse(first.db_path, personal, schemas=("restricted",))
    kinds = {hit.kind for hit in restricted}
    assert {"email-shaped", "generated email", "generated phone", "generated name"} <= kinds


def _query(build: Build, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(build.db_path), read_only=True) as con:
        return con.sql(sql, params=params).fetchall()


def test_implausible_order_is_rejected_with_its_reason(world) -> None:
    first = world["builds"][0]
    reasons = _query(
        first,
        "select reason from marts.rpt_rejected_rows "
        "where source_file = 'shop_orders/zz-implausible.csv'",
    )
    staged = _query(
        first,
        "select count(*) from staging.stg_shop__orders where order_id = ?",
        [IMPLAUSIBLE_ORDER_ID],
    )
    revenue = _query(first, "select max(total_revenue) from marts.dim_customers")
    assert reasons == [("implausible_amount",)]
    assert staged == [(0,)]
    assert revenue[0][0] < 1_000_000


def test_the_customer_to_erase_was_everywhere_before(world) -> None:
    first, customer = world["builds"][0], world["customer"]
    hits = _rows_mentioning(first.db_path, customer)
    where = {hit.split(":")[0] for hit in hits}
    assert {"marts.fct_segment_history", "restricted.dim_customer_contacts"} <= where
    assert any("customer id" in hit for hit in _files_mentioning(first.activation_dir, customer))


@pytest.mark.parametrize("build", [1, 2], ids=["next build", "every later build"])
def test_an_erased_customer_is_gone(world, build: int) -> None:
    built, customer = world["builds"][build], world["customer"]
    hits = _rows_mentioning(built.db_path, customer)
    hits += _rows_mentioning(built.published_path, customer)
    hits += _files_mentioning(built.activation_dir, customer)
    hits += _files_mentioning(built.marts_dir, customer)
    assert not hits, "the erased customer is still there:\n" + "\n".join(hits[:40])
    # the raw exports still hold them: the build, not the data, made them disappear
    assert _mentions((world["raw"] / "crm_customers.csv").read_text(encoding="utf-8"), customer)


def test_erased_rows_are_counted_without_values(world) -> None:
    second = world["builds"][1]
    erased = _query(
        second,
        "select source_table, count(*) from marts.rpt_rejected_rows "
        "where reason = 'erased' group by all order by all",
    )
    unbalanced = _query(
        second,
        "select source_table from marts.rpt_ingestion_summary "
        "where raw_rows <> staged_rows + rejected_rows",
    )
    assert dict(erased).keys() >= {"crm_customers", "shop_orders"}
    assert unbalanced == []
