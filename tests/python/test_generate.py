"""Tests of the sample-data generator (``python -m custseg.generate``).

The core is an independent validator: it re-reads the written files with pandas, applies the
dbt project's reject rules (precedence, dedup winner by file name and row, normalised
comparison) and must arrive at exactly the counts the generator recorded in ``dirt.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custseg.generate import parse_args
from custseg.generator import Options, generate
from custseg.generator.config import TABLE_COLUMNS

END_DATE = date(2026, 10, 31)
# The dbt project compares with the current time; every generated timestamp is either at most
# the end date or in the year 2099, so the end of the end date is an equivalent, stable "now".
NOW = pd.Timestamp("2026-10-31T23:59:59", tz="UTC")
CURRENCIES = {"EUR", "USD", "GBP", "SEK", "PLN", "CHF"}
BOOLEANS = {"true": True, "yes": True, "1": True, "y": True}
BOOLEANS.update({"false": False, "no": False, "0": False, "n": False})
VOCABULARY = {
    "web_events.event_type": {
        "page_view",
        "product_view",
        "add_to_cart",
        "checkout",
        "purchase",
        "login",
    },
    "web_events.traffic_source": {
        "direct",
        "organic_search",
        "paid_search",
        "email",
        "social",
        "referral",
    },
    "web_events.device_type": {"desktop", "mobile", "tablet"},
    "support_tickets.topic": {
        "delivery",
        "refund",
        "product_defect",
        "billing",
        "account",
        "general_question",
    },
    "marketing_events.event_type": {"sent", "open", "click", "conversion", "bounce", "unsubscribe"},
}
N_CUSTOMERS = 600


def run(out: Path, **overrides) -> dict:
    """Generate into ``out`` (truth next to it) and return the dirt report."""
    settings = {"customers": N_CUSTOMERS, "seed": 7, "chunk_size": 250, "end_date": END_DATE}
    settings.update(overrides)
    options = Options(out=out, truth_dir=out.parent / f"{out.name}_truth", **settings)
    return generate(options, progress=None)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mixed") / "raw"
    run(out)
    return out


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("flat") / "raw"
    run(out, layout="flat")
    return out


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "raw"
    run(out, dirt=False)
    return out


# ---------------------------------------------------------------------------------------------
# reading the raw files the way the dbt project does: everything as text, in file-name order
# ---------------------------------------------------------------------------------------------


def read_raw(out: Path, table: str) -> pd.DataFrame:
    """All raw rows of a table as strings ('' for blanks) plus their file and row position."""
    folder = out / table
    files = sorted(folder.iterdir()) if folder.is_dir() else [out / f"{table}.csv"]
    frames = []
    for path in files:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path).astype(object).where(lambda f: f.notna(), "")
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert list(frame.columns) == list(TABLE_COLUMNS[table]), path
        frame["_file"] = path.name
        frame["_row"] = np.arange(len(frame))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def blank(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip() == ""


def parse_ts(values: pd.Series) -> pd.Series:
    """ISO 8601 date or datetime with optional offset, as UTC; NaT when blank or unparseable."""
    text = values.astype(str).str.strip()
    return pd.to_datetime(text.where(text != ""), format="ISO8601", utc=True, errors="coerce")


def parse_date(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    valid = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
    return pd.to_datetime(text.where(valid), format="%Y-%m-%d", errors="coerce")


def parse_number(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    numeric = text.str.fullmatch(r"-?\d+(\.\d+)?")
    return pd.to_numeric(text.where(numeric), errors="coerce")


def is_integer(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.fullmatch(r"-?\d+")


def first_failure(checks: list[tuple[str, pd.Series]], index: pd.Index) -> pd.Series:
    """The first failing check per row, in precedence order ('' when all pass)."""
    reason = pd.Series("", index=index)
    for name, failed in checks:
        reason = reason.mask((reason == "") & failed.fillna(False).astype(bool), name)
    return reason


def drop_month(frame: pd.DataFrame) -> pd.Series:
    """The month of a monthly drop (``YYYY-MM.csv``) a row came from; '' for other files."""
    return frame["_file"].str.extract(r"^(\d{4}-\d{2})\.csv$", expand=False).fillna("")


def dedup(
    frame: pd.DataFrame,
    reason: pd.Series,
    key: pd.DataFrame,
    normal: pd.DataFrame,
    by_drop: bool = False,
):
    """Among rows that passed all checks, the last row per key (by file name, then row) wins;
    the others are duplicates if their normalised values equal the winner's, else superseded.

    ``by_drop`` (point-in-time tables): the ranking runs per key and drop month, and a drop's
    winner equal to the key's previous version is a duplicate (an unchanged re-export)."""
    passed = reason == ""
    key_text, signature = joined(key), joined(normal)
    drop = drop_month(frame) if by_drop else pd.Series("", index=frame.index)
    candidates = pd.DataFrame(
        {
            "key": key_text + "|" + drop,
            "item": key_text,
            "drop": drop,
            "sig": signature,
            "file": frame["_file"],
            "row": frame["_row"],
        }
    )[passed]
    ordered = candidates.sort_values(["file", "row"], kind="stable")
    winner_sig = ordered.groupby("key")["sig"].last()
    is_winner = ~ordered.duplicated("key", keep="last")
    losers = ordered[~is_winner]
    same = losers["sig"].to_numpy() == winner_sig.loc[losers["key"]].to_numpy()
    reason = reason.copy()
    reason.loc[losers.index[same]] = "duplicate"
    reason.loc[losers.index[~same]] = "superseded"
    winners = ordered[is_winner].sort_values(["item", "drop"], kind="stable")
    unchanged = winners["sig"] == winners.groupby("item")["sig"].shift()
    reason.loc[winners.index[unchanged.to_numpy()]] = "duplicate"
    return reason


def as_text(values: pd.Series) -> pd.Series:
    """Plain Python strings, with a marker for missing values."""
    return values.astype(object).where(values.notna(), "<na>").map(str)


def joined(frame: pd.DataFrame) -> pd.Series:
    """One string per row from all columns (for comparing rows)."""
    columns = [as_text(frame[name]) for name in frame.columns]
    result = columns[0]
    for column in columns[1:]:
        result = result + "\x1f" + column
    return result


def norm_text(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip()


def norm_enum(values: pd.Series) -> pd.Series:
    return norm_text(values).str.lower()


def norm_ts(values: pd.Series) -> pd.Series:
    return as_text(parse_ts(values))


def norm_amount(values: pd.Series) -> pd.Series:
    return as_text(parse_number(values).round(2))


def validate(out: Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Independently assign every raw row its reject reason ('' = staged); count repairs."""
    frames = {table: read_raw(out, table) for table in TABLE_COLUMNS}

    orders = frames["shop_orders"]
    ordered_at = parse_ts(orders["ordered_at"])
    total, discount = parse_number(orders["order_total"]), parse_number(orders["discount_total"])
    currency = norm_text(orders["currency"]).str.upper()
    reason = first_failure(
        [
            ("missing_key", blank(orders["order_id"]) | blank(orders["customer_id"])),
            ("unparseable_timestamp", ordered_at.isna()),
            ("future_timestamp", ordered_at > NOW),
            (
                "unparseable_amount",
                total.isna() | (discount.isna() & ~blank(orders["discount_total"])),
            ),
            ("negative_amount", (total < 0) | (discount < 0)),
            ("unknown_currency", ~currency.isin(CURRENCIES)),
        ],
        orders.index,
    )
    normal = pd.DataFrame(
        {
            "order_id": norm_text(orders["order_id"]),
            "customer_id": norm_text(orders["customer_id"]),
            "ordered_at": norm_ts(orders["ordered_at"]),
            "status": norm_enum(orders["status"]),
            "currency": currency,
            "order_total": norm_amount(orders["order_total"]),
            "discount_total": norm_amount(orders["discount_total"]),
            "sales_channel": norm_enum(orders["sales_channel"]),
        }
    )
    orders["reason"] = dedup(orders, reason, normal[["order_id"]], normal, by_drop=True)
    staged_orders = set(normal.loc[orders["reason"] == "", "order_id"])

    items = frames["shop_order_items"]
    price = parse_number(items["unit_price"])
    integer = is_integer(items["quantity"])
    quantity = pd.to_numeric(items["quantity"].where(integer), errors="coerce")
    reason = first_failure(
        [
            ("missing_key", blank(items["order_id"]) | blank(items["product_id"])),
            ("unparseable_amount", price.isna() | ~integer),
            ("negative_amount", price < 0),
            ("out_of_range", quantity <= 0),
            ("orphan", ~norm_text(items["order_id"]).isin(staged_orders)),
        ],
        items.index,
    )
    normal = pd.DataFrame(
        {
            "order_id": norm_text(items["order_id"]),
            "product_id": norm_text(items["product_id"]),
            "product_category": norm_enum(items["product_category"]),
            "quantity": norm_text(items["quantity"]),
            "unit_price": norm_amount(items["unit_price"]),
        }
    )
    items["reason"] = dedup(items, reason, normal[["order_id", "product_id"]], normal)

    crm = frames["crm_customers"]
    updated, signup = parse_ts(crm["updated_at"]), parse_ts(crm["signup_at"])
    birth = parse_date(crm["birth_date"])
    reason = first_failure(
        [
            ("missing_key", blank(crm["customer_id"])),
            (
                "unparseable_timestamp",
                updated.isna()
                | (signup.isna() & ~blank(crm["signup_at"]))
                | (birth.isna() & ~blank(crm["birth_date"])),
            ),
            ("future_timestamp", (updated > NOW) | (signup > NOW)),
            (
                "out_of_range",
                (birth < pd.Timestamp("1900-01-01")) | (birth > pd.Timestamp(END_DATE)),
            ),
        ],
        crm.index,
    )
    opt_in = norm_enum(crm["marketing_opt_in"]).map(BOOLEANS)
    normal = pd.DataFrame(
        {
            "customer_id": norm_text(crm["customer_id"]),
            "email": norm_enum(crm["email"]),
            "first_name": norm_text(crm["first_name"]),
            "last_name": norm_text(crm["last_name"]),
            "phone": norm_text(crm["phone"]),
            "country_code": norm_text(crm["country_code"]).str.upper(),
            "city": norm_text(crm["city"]),
            "birth_date": as_text(birth),
            "signup_at": norm_ts(crm["signup_at"]),
            "marketing_opt_in": as_text(opt_in),
            "updated_at": norm_ts(crm["updated_at"]),
        }
    )
    crm["reason"] = dedup(crm, reason, normal[["customer_id", "updated_at"]], normal)

    web = frames["web_events"]
    event_at = parse_ts(web["event_at"])
    reason = first_failure(
        [
            (
                "missing_key",
                blank(web["event_id"]) | (blank(web["anonymous_id"]) & blank(web["customer_id"])),
            ),
            ("unparseable_timestamp", event_at.isna()),
            ("future_timestamp", event_at > NOW),
        ],
        web.index,
    )
    normal = web[list(TABLE_COLUMNS["web_events"])].apply(norm_enum)
    normal["event_at"] = norm_ts(web["event_at"])
    web["reason"] = dedup(web, reason, normal[["event_id"]], normal)

    tickets = frames["support_tickets"]
    created, resolved = parse_ts(tickets["created_at"]), parse_ts(tickets["resolved_at"])
    score_text = norm_text(tickets["satisfaction_score"])
    score = pd.to_numeric(score_text.where(is_integer(score_text)), errors="coerce")
    reason = first_failure(
        [
            ("missing_key", blank(tickets["ticket_id"]) | blank(tickets["customer_id"])),
            (
                "unparseable_timestamp",
                created.isna() | (resolved.isna() & ~blank(tickets["resolved_at"])),
            ),
            ("future_timestamp", created > NOW),
            (
                "out_of_range",
                ((score_text != "") & ~score.between(1, 5)) | (resolved < created),
            ),
        ],
        tickets.index,
    )
    normal = tickets[list(TABLE_COLUMNS["support_tickets"])].apply(norm_enum)
    normal["created_at"] = norm_ts(tickets["created_at"])
    normal["resolved_at"] = norm_ts(tickets["resolved_at"])
    tickets["reason"] = dedup(tickets, reason, normal[["ticket_id"]], normal, by_drop=True)

    campaigns = frames["marketing_campaigns"]
    normal = campaigns[list(TABLE_COLUMNS["marketing_campaigns"])].apply(norm_text)
    normal["started_at"] = norm_ts(campaigns["started_at"])
    no_reason = pd.Series("", index=campaigns.index)
    campaigns["reason"] = dedup(campaigns, no_reason, normal[["campaign_id"]], normal)
    staged_campaigns = set(normal.loc[campaigns["reason"] == "", "campaign_id"])

    events = frames["marketing_events"]
    event_at = parse_ts(events["event_at"])
    reason = first_failure(
        [
            ("missing_key", blank(events["campaign_id"]) | blank(events["customer_id"])),
            ("unparseable_timestamp", event_at.isna()),
            ("future_timestamp", event_at > NOW),
            ("orphan", ~norm_text(events["campaign_id"]).isin(staged_campaigns)),
        ],
        events.index,
    )
    normal = events[list(TABLE_COLUMNS["marketing_events"])].apply(norm_enum)
    normal["event_at"] = norm_ts(events["event_at"])
    events["reason"] = dedup(events, reason, normal, normal)

    staged = {table: frame[frame["reason"] == ""] for table, frame in frames.items()}
    orders_ok, crm_ok = staged["shop_orders"], staged["crm_customers"]
    unmapped = {}
    for key, known in VOCABULARY.items():
        table, column = key.split(".")
        unmapped[key] = int((~norm_enum(staged[table][column]).isin(known)).sum())
    crm_ids = set(norm_text(crm_ok["customer_id"]))
    repairs = {
        "order_status_messy": int((orders_ok["status"] != norm_enum(orders_ok["status"])).sum()),
        "currency_messy": int(
            (orders_ok["currency"] != norm_text(orders_ok["currency"]).str.upper()).sum()
        ),
        "email_messy": int((crm_ok["email"] != norm_enum(crm_ok["email"])).sum()),
        "blank_sales_channel": int(blank(orders_ok["sales_channel"]).sum()),
        "unmapped": unmapped,
        "opt_in_raw_values": {
            str(value): int(count)
            for value, count in sorted(crm_ok["marketing_opt_in"].value_counts().items())
        },
        "order_customers_missing_from_crm": int(
            (~norm_text(orders_ok["customer_id"]).drop_duplicates().isin(crm_ids)).sum()
        ),
    }
    return frames, repairs


def table_counts(frames: dict[str, pd.DataFrame]) -> dict:
    counts = {}
    for table, frame in frames.items():
        reasons = frame["reason"].value_counts().to_dict()
        staged = int(reasons.pop("", 0))
        counts[table] = {"raw_rows": len(frame), "staged_rows": staged, "rejected": reasons}
    return counts


def load_report(out: Path) -> dict:
    return json.loads((out.parent / f"{out.name}_truth" / "dirt.json").read_text())


def digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# ---------------------------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------------------------


def test_same_arguments_give_identical_bytes(tmp_path: Path, mixed: Path) -> None:
    again = tmp_path / "raw"
    run(again)
    assert digest(again) == digest(mixed)
    assert digest(tmp_path / "raw_truth") == digest(mixed.parent / "raw_truth")


def test_other_seed_gives_other_data(tmp_path: Path, mixed: Path) -> None:
    other = tmp_path / "raw"
    run(other, seed=8)
    theirs, ours = digest(other), digest(mixed)
    assert theirs["crm_customers.csv"] != ours["crm_customers.csv"]
    assert theirs["web_events/part-00000.parquet"] != ours["web_events/part-00000.parquet"]


def test_mixed_layout_files(mixed: Path) -> None:
    months = sorted(path.name for path in (mixed / "shop_orders").iterdir())
    assert months[-1] == "2026-10.csv"
    assert all(re.fullmatch(r"\d{4}-\d{2}\.csv", name) for name in months)
    parts = sorted(path.name for path in (mixed / "web_events").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert {path.name for path in (mixed / "support_tickets").iterdir()} <= set(months)
    for table in ("shop_order_items", "crm_customers"):
        assert (mixed / f"{table}.csv").is_file()
    assert not (mixed / "shop_orders.csv").exists()
    assert not (mixed / "support_tickets.csv").exists()


def test_flat_layout_files(flat: Path) -> None:
    names = sorted(path.name for path in flat.iterdir())
    assert names == sorted(f"{table}.csv" for table in TABLE_COLUMNS)


@pytest.mark.parametrize("layout", ["mixed", "flat"])
def test_headers_and_leading_zeros(layout: str, mixed: Path, flat: Path) -> None:
    out = mixed if layout == "mixed" else flat
    widths = {"customer_id": 8, "order_id": 10, "ticket_id": 9, "event_id": 12, "campaign_id": 4}
    for table, columns in TABLE_COLUMNS.items():
        frame = read_raw(out, table)  # asserts the exact header
        assert len(frame) > 0, table
        for column, width in widths.items():
            if column in columns:
                values = frame[column].str.strip()
                values = values[values != ""]
                valid = values.str.fullmatch(rf"\d{{{width}}}")
                assert valid.mean() > 0.99, (table, column)
    orders = read_raw(out, "shop_orders")
    assert "00000001" in set(orders["customer_id"]) | set(
        read_raw(out, "crm_customers")["customer_id"]
    )
    items = read_raw(out, "shop_order_items")
    assert items["product_id"].str.fullmatch(r"P\d{5}|\s*").all()
    web = read_raw(out, "web_events")
    assert web["anonymous_id"].str.fullmatch(r"[0-9a-f]{16}|\s*").all()


def test_dirt_report_matches_independent_recount_mixed(mixed: Path) -> None:
    frames, repairs = validate(mixed)
    report = load_report(mixed)
    assert table_counts(frames) == report["tables"]
    assert repairs == report["repairs"]


def test_dirt_report_matches_independent_recount_flat(flat: Path) -> None:
    frames, repairs = validate(flat)
    report = load_report(flat)
    assert table_counts(frames) == report["tables"]
    assert repairs == report["repairs"]


def test_dirt_report_shape_and_rates(mixed: Path) -> None:
    report = load_report(mixed)
    assert report["generator"] == {
        "customers": N_CUSTOMERS,
        "seed": 7,
        "end_date": "2026-10-31",
        "layout": "mixed",
    }
    assert list(report["tables"]) == list(TABLE_COLUMNS)
    for table, stats in report["tables"].items():
        assert stats["raw_rows"] == stats["staged_rows"] + sum(stats["rejected"].values())
        share = 1 - stats["staged_rows"] / stats["raw_rows"]
        assert 0 < share < 0.06, (table, share)
    orders = report["tables"]["shop_orders"]["rejected"]
    assert orders["duplicate"] > 0 and orders["superseded"] > 0
    items = report["tables"]["shop_order_items"]["rejected"]
    assert items["orphan"] > 0
    repairs = report["repairs"]
    assert set(repairs["opt_in_raw_values"]) >= {"yes", "Y", "true", "TRUE", "1", "0", "n"}
    assert all(value > 0 for value in repairs["unmapped"].values())
    assert repairs["order_customers_missing_from_crm"] > 0


def test_orphan_cascade_follows_rejected_orders(mixed: Path) -> None:
    frames, _ = validate(mixed)
    orders, items = frames["shop_orders"], frames["shop_order_items"]
    rejected = ~orders["reason"].isin(["", "duplicate", "superseded"])
    rejected_ids = set(orders.loc[rejected, "order_id"].str.strip()) - {""}
    staged_ids = set(orders.loc[orders["reason"] == "", "order_id"])
    orphans = items[items["reason"] == "orphan"]
    assert len(orphans) > 0
    # every orphan points at an order that was rejected (possibly via its blanked id)
    assert not set(orphans["order_id"]) & staged_ids
    assert set(items.loc[items["order_id"].isin(rejected_ids), "reason"]) <= {"orphan"}
    # a status change within one monthly drop leaves a superseded row; one re-exported in the
    # next monthly drop leaves two staged versions (point in time), with different statuses
    superseded = orders[orders["reason"] == "superseded"]
    winners = orders[orders["reason"] == ""]
    pairs = superseded.merge(winners, on="order_id", suffixes=("_old", "_new"))
    assert len(pairs) == len(superseded) > 0
    assert (pairs["_file_new"] == pairs["_file_old"]).all()
    assert (pairs["status_old"] != pairs["status_new"]).all()
    versions = winners[winners.duplicated("order_id", keep=False)].sort_values(["_file", "_row"])
    first, last = versions.groupby("order_id").nth(0), versions.groupby("order_id").nth(-1)
    changes = first.merge(last, on="order_id", suffixes=("_old", "_new"))
    assert len(changes) > 0
    assert (changes["_file_new"] > changes["_file_old"]).all()
    assert (changes["status_old"] != changes["status_new"]).all()
    changed_ids = set(pairs["order_id"]) | set(changes["order_id"])
    assert set(items.loc[items["order_id"].isin(changed_ids), "reason"]) <= {
        "",
        "duplicate",
        "missing_key",
        "unparseable_amount",
        "negative_amount",
        "out_of_range",
    }


def test_no_dirt_has_no_rejects_or_repairs(clean: Path) -> None:
    report = load_report(clean)
    for stats in report["tables"].values():
        assert stats["rejected"] == {}
        assert stats["raw_rows"] == stats["staged_rows"]
    repairs = report["repairs"]
    assert repairs["order_status_messy"] == repairs["currency_messy"] == 0
    assert repairs["email_messy"] == repairs["blank_sales_channel"] == 0
    assert set(repairs["unmapped"].values()) == {0}
    frames, recount = validate(clean)
    assert table_counts(frames) == report["tables"]
    assert recount == repairs


def test_dirt_does_not_change_the_clean_world(clean: Path, mixed: Path) -> None:
    truth_clean = (clean.parent / "raw_truth" / "customers.csv").read_bytes()
    truth_dirty = (mixed.parent / "raw_truth" / "customers.csv").read_bytes()
    assert truth_clean == truth_dirty


def test_clean_timestamps_within_history(clean: Path) -> None:
    columns = {
        "shop_orders": ["ordered_at"],
        "crm_customers": ["signup_at", "updated_at"],
        "web_events": ["event_at"],
        "support_tickets": ["created_at", "resolved_at"],
        "marketing_campaigns": ["started_at"],
        "marketing_events": ["event_at"],
    }
    for table, names in columns.items():
        frame = read_raw(clean, table)
        for name in names:
            stamps = parse_ts(frame[name])
            assert stamps.max() <= NOW, (table, name)
            assert (stamps.notna() | blank(frame[name])).all(), (table, name)
    tickets = read_raw(clean, "support_tickets")
    resolved = parse_ts(tickets["resolved_at"])
    assert (resolved.isna() | (resolved > parse_ts(tickets["created_at"]))).all()
    crm = read_raw(clean, "crm_customers")
    first = crm.assign(u=parse_ts(crm["updated_at"]), s=parse_ts(crm["signup_at"]))
    assert (first["s"] <= first["u"]).all()
    forms = read_raw(clean, "shop_orders")["ordered_at"]
    assert forms.str.endswith("Z").any()
    assert forms.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").any()
    assert forms.str.contains(r"[+-]\d\d:\d\d$").any()


def test_clean_values_are_consistent(clean: Path) -> None:
    orders = read_raw(clean, "shop_orders")
    items = read_raw(clean, "shop_order_items")
    assert set(orders["status"]) == {"completed", "cancelled", "returned", "pending"}
    shares = orders["status"].value_counts(normalize=True)
    assert shares["completed"] > 0.8 and 0.02 < shares["returned"] < 0.12
    line = items["quantity"].astype(int) * items["unit_price"].astype(float)
    gross = line.groupby(items["order_id"]).sum()
    expected = gross.loc[orders["order_id"]].to_numpy() - orders["discount_total"].astype(float)
    assert np.allclose(expected, orders["order_total"].astype(float), atol=0.02)
    assert 2.0 < len(items) / len(orders) < 3.2
    assert not items.duplicated(["order_id", "product_id"]).any()
    crm = read_raw(clean, "crm_customers")
    assert crm["email"].str.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.(com|org|net)").all()
    versions = crm.groupby("customer_id").size()
    assert versions.min() >= 1 and versions.max() <= 3 and (versions > 1).any()
    web = read_raw(clean, "web_events")
    per_anon = web[web["customer_id"] != ""].groupby("anonymous_id")["customer_id"].nunique()
    assert per_anon.max() == 1
    # before an anonymous id's first login its events carry no customer id, after it they do
    web["at"] = parse_ts(web["event_at"])
    login_at = web[web["event_type"] == "login"].groupby("anonymous_id")["at"].min()
    web["login_at"] = web["anonymous_id"].map(login_at)
    assert ((web["at"] >= web["login_at"]) == (web["customer_id"] != "")).all()
    assert (web.groupby("anonymous_id")["customer_id"].max() == "").any()  # pure visitors
    events = read_raw(clean, "marketing_events")
    events["at"] = parse_ts(events["event_at"])
    steps = events.pivot_table(
        index=["campaign_id", "customer_id"], columns="event_type", values="at", aggfunc="min"
    )
    assert (steps["open"].isna() | (steps["open"] > steps["sent"])).all()
    assert (steps["click"].isna() | (steps["click"] > steps["open"])).all()
    assert (steps["conversion"].isna() | (steps["conversion"] > steps["click"])).all()
    assert len(read_raw(clean, "marketing_campaigns")) == 40


def test_personas_differ(clean: Path) -> None:
    truth = pd.read_csv(clean.parent / "raw_truth" / "customers.csv", dtype=str)
    assert len(truth) == N_CUSTOMERS and truth["customer_id"].is_unique
    orders = read_raw(clean, "shop_orders")
    orders["at"] = parse_ts(orders["ordered_at"])
    orders["discount"] = orders["discount_total"].astype(float)
    orders["gross"] = orders["order_total"].astype(float) + orders["discount"]
    per_customer = orders.groupby("customer_id").agg(
        n=("order_id", "size"),
        last=("at", "max"),
        first=("at", "min"),
        returns=("status", lambda s: (s == "returned").mean()),
        discount=("discount", "sum"),
        gross=("gross", "sum"),
    )
    data = truth.set_index("customer_id").join(per_customer)
    data["n"] = data["n"].fillna(0)
    by_persona = data.groupby("persona")
    mean_orders = by_persona["n"].mean()
    assert mean_orders["champion"] > mean_orders["loyal_regular"] > mean_orders["lapsed"]
    assert by_persona["n"].max()["prospect"] == 0
    ordering = data[data["n"] > 0]
    assert 10 <= ordering["n"].mean() <= 18
    lapsed = data[data["persona"] == "lapsed"]
    assert (lapsed["last"] < NOW - pd.Timedelta(days=270)).all()
    new = data[data["persona"] == "new_customer"]
    assert (new["first"] > NOW - pd.Timedelta(days=60)).all() and new["n"].max() <= 2
    share = by_persona["discount"].sum() / by_persona["gross"].sum()
    assert share["bargain_hunter"] > 3 * share["champion"]
    assert (
        by_persona["returns"].mean()["unhappy_returner"]
        > 3 * by_persona["returns"].mean()["loyal_regular"]
    )
    tickets = read_raw(clean, "support_tickets")
    per_ticket = tickets.merge(truth, on="customer_id")
    rate = per_ticket.groupby("persona").size() / truth.groupby("persona").size()
    assert rate["unhappy_returner"] > 4 * rate["champion"]
    web = read_raw(clean, "web_events")
    known = web[web["customer_id"] != ""].drop_duplicates("anonymous_id")
    web["customer_id"] = web["anonymous_id"].map(known.set_index("anonymous_id")["customer_id"])
    carts = web[web["event_type"] == "add_to_cart"].merge(truth, on="customer_id")
    carts_per = carts.groupby("persona").size() / truth.groupby("persona").size()
    assert carts_per["window_shopper"] > 2 * carts_per["loyal_regular"]
    crm_ids = set(read_raw(clean, "crm_customers")["customer_id"])
    no_crm = ~ordering.index.isin(list(crm_ids))
    assert 0.005 < no_crm.mean() < 0.08


def test_cli_defaults_and_progress(tmp_path: Path) -> None:
    options = parse_args(["--customers", "5", "--seed", "1", "--out", str(tmp_path / "x")])
    assert options.truth_dir == tmp_path / "x_truth"
    assert options.layout == "mixed" and options.dirt and options.end_date == END_DATE
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "custseg.generate",
            "--customers",
            "120",
            "--seed",
            "3",
            "--out",
            str(tmp_path / "cli"),
            "--layout",
            "flat",
            "--chunk-size",
            "50",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "chunk 3/3: 120 customers" in result.stderr
    report = load_report(tmp_path / "cli")
    assert report["generator"]["layout"] == "flat"
    assert (tmp_path / "cli_truth" / "customers.csv").is_file()
