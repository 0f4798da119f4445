"""dim_customers against an independent pandas reference computed from the raw files.

Generates a small clean world (`--no-dirt`, so every raw row is valid and staging keeps it),
builds `dim_customers` with dbt at a fixed as-of date in the middle of the history (so data
on and after it exists and must be ignored), and recomputes a set of features straight from
the raw CSVs with pandas, following the definitions in the docs blocks of
models/marts/customers/_customers__docs.md.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).with_name("dbt")
AS_OF_DATE = "2025-09-01"
END_DATE = "2025-12-31"
CUSTOMERS = 400
SEED = 20240601

pytestmark = pytest.mark.skipif(not DBT.exists(), reason=f"dbt not found next to {sys.executable}")


def read_raw(raw_dir: Path, table: str) -> pd.DataFrame:
    """A raw CSV with every column as text, as the exports are."""
    return pd.read_csv(raw_dir / f"{table}.csv", dtype=str, keep_default_na=False)


def to_utc(values: pd.Series) -> pd.Series:
    """ISO 8601 text (with or without offset; without one it is UTC) to naive UTC timestamps."""
    return pd.to_datetime(values, format="ISO8601", utc=True).dt.tz_localize(None)


def rates_to_eur(fx_rates: pd.DataFrame, orders: pd.DataFrame) -> pd.Series:
    """EUR per unit of each order's currency, from the latest rate on or before its date.

    Dates before a currency's first rate use the first rate (seed fx_rates documentation).
    """
    fx = fx_rates.assign(
        rate_date=pd.to_datetime(fx_rates["rate_date"]),
        units_per_eur=fx_rates["units_per_eur"].astype(float),
    ).sort_values("rate_date")
    keyed = orders[["currency", "ordered_at"]].reset_index()
    keyed["order_day"] = keyed["ordered_at"].dt.normalize()
    merged = pd.merge_asof(
        keyed.sort_values("order_day"),
        fx,
        left_on="order_day",
        right_on="rate_date",
        left_by="currency",
        right_by="currency_code",
        direction="backward",
    )
    first_rates = fx.groupby("currency_code")["units_per_eur"].first()
    units = merged["units_per_eur"].fillna(merged["currency"].map(first_rates))
    return pd.Series(1.0 / units.to_numpy(), index=merged["index"]).sort_index()


def reference_features(raw_dir: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    """Order, support and campaign features per customer, from the raw files only."""
    orders = read_raw(raw_dir, "shop_orders")
    orders["ordered_at"] = to_utc(orders["ordered_at"])
    orders = orders[orders["ordered_at"] < as_of].copy()
    orders["status"] = orders["status"].str.strip().str.lower()
    fx_rates = pd.read_csv(PROJECT_DIR / "seeds" / "fx_rates.csv", dtype=str)
    orders["revenue_eur"] = (
        orders["order_total"].astype(float) * rates_to_eur(fx_rates, orders)
    ).round(6)
    orders["ordered_date"] = orders["ordered_at"].dt.normalize()

    all_orders = orders.groupby("customer_id").agg(
        all_order_count=("order_id", "size"),
        returned_order_count=("status", lambda status: int((status == "returned").sum())),
    )
    completed = orders[orders["status"] == "completed"]
    purchases = completed.groupby("customer_id").agg(
        order_count=("order_id", "size"),
        total_revenue=("revenue_eur", "sum"),
        first_order_date=("ordered_date", "min"),
        last_order_date=("ordered_date", "max"),
    )
    features = all_orders.join(purchases, how="left")
    features["order_count"] = features["order_count"].fillna(0).astype(int)
    features["total_revenue"] = features["total_revenue"].fillna(0.0)
    features["avg_order_value"] = features["total_revenue"] / features["order_count"].replace(
        0, np.nan
    )
    features["days_since_last_order"] = (as_of - features["last_order_date"]).dt.days
    features["return_rate"] = features["returned_order_count"] / features["all_order_count"]

    tickets = read_raw(raw_dir, "support_tickets")
    tickets = tickets[to_utc(tickets["created_at"]) < as_of]
    ticket_counts = tickets.groupby("customer_id").size().rename("ticket_count")

    events = read_raw(raw_dir, "marketing_events")
    events = events[to_utc(events["event_at"]) < as_of]
    events = events.assign(event_type=events["event_type"].str.strip().str.lower())
    sent = events.loc[events["event_type"] == "sent", ["customer_id", "campaign_id"]]
    sent = sent.drop_duplicates()
    opened = events.loc[events["event_type"] == "open", ["customer_id", "campaign_id"]]
    opened = opened.drop_duplicates().assign(is_opened=1.0)
    per_campaign = sent.merge(opened, on=["customer_id", "campaign_id"], how="left")
    open_rates = per_campaign.fillna({"is_opened": 0.0}).groupby("customer_id")["is_opened"]

    customers = features.index.union(ticket_counts.index).union(sent["customer_id"].unique())
    features = features.reindex(customers)
    features["ticket_count"] = ticket_counts.reindex(customers).fillna(0).astype(int)
    features["open_rate"] = open_rates.mean().reindex(customers)
    return features


def build_dim_customers(raw_dir: Path, work: Path) -> pd.DataFrame:
    """Run `dbt build` of dim_customers and its parents on `raw_dir`; return the mart."""
    database = work / "features.duckdb"
    env = {
        **os.environ,
        "RAW_DATA_DIR": str(raw_dir),
        "SEGMENTS_DB_PATH": str(database),
        "SEGMENTS_PUBLISH_PATH": str(work / "published" / "segments.duckdb"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
    }
    build = subprocess.run(
        [
            str(DBT),
            "build",
            "--select",
            "+dim_customers",
            # only tests whose every parent is built (not, say, the tests of rejected rows)
            "--indirect-selection",
            "cautious",
            "--vars",
            f"{{as_of_date: '{AS_OF_DATE}'}}",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stdout[-5000:]
    with duckdb.connect(str(database), read_only=True) as connection:
        dim_customers = connection.sql("select * from marts.dim_customers").df()
    return dim_customers.set_index("customer_id")


@pytest.fixture(scope="module")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """Generate the raw files and build dim_customers; return the raw folder and the mart."""
    work = tmp_path_factory.mktemp("features_reference")
    raw_dir = work / "raw"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "custseg.generate",
            "--customers",
            str(CUSTOMERS),
            "--seed",
            str(SEED),
            "--out",
            str(raw_dir),
            "--layout",
            "flat",
            "--no-dirt",
            "--end-date",
            END_DATE,
        ],
        check=True,
        cwd=PROJECT_DIR,
    )
    return raw_dir, build_dim_customers(raw_dir, work)


def test_dim_customers_covers_every_customer_with_orders(built_world) -> None:
    raw_dir, dim_customers = built_world
    reference = reference_features(raw_dir, pd.Timestamp(AS_OF_DATE))
    has_orders = reference.index[reference["all_order_count"].notna()]
    assert set(has_orders) <= set(dim_customers.index)
    buyers = set(reference.index[reference["order_count"] > 0])
    assert buyers == set(dim_customers.index[dim_customers["has_ordered"]])
    assert (dim_customers["as_of_date"].astype(str) == AS_OF_DATE).all()


def test_order_features_match_reference(built_world) -> None:
    raw_dir, dim_customers = built_world
    reference = reference_features(raw_dir, pd.Timestamp(AS_OF_DATE))
    reference = reference[reference["all_order_count"].notna()]
    built = dim_customers.loc[reference.index]

    for column in ["order_count", "all_order_count", "returned_order_count"]:
        assert (built[column].astype(int) == reference[column].astype(int)).all(), column
    for column in ["first_order_date", "last_order_date"]:
        expected = reference[column].dt.date
        actual = pd.to_datetime(built[column]).dt.date
        same = (actual == expected) | (actual.isna() & expected.isna())
        assert same.all(), column
    expected_days = reference["days_since_last_order"]
    actual_days = built["days_since_last_order"].astype(float)
    assert np.allclose(actual_days, expected_days, equal_nan=True)
    assert np.allclose(built["total_revenue"].astype(float), reference["total_revenue"], atol=1e-5)
    assert np.allclose(
        built["avg_order_value"].astype(float),
        reference["avg_order_value"],
        atol=1e-5,
        equal_nan=True,
    )
    assert np.allclose(built["return_rate"].astype(float), reference["return_rate"])


def test_support_and_campaign_features_match_reference(built_world) -> None:
    raw_dir, dim_customers = built_world
    reference = reference_features(raw_dir, pd.Timestamp(AS_OF_DATE))
    in_both = reference.index.intersection(dim_customers.index)
    built = dim_customers.loc[in_both]
    expected = reference.loc[in_both]
    assert (built["ticket_count"].astype(int) == expected["ticket_count"]).all()
    assert np.allclose(
        built["open_rate"].astype(float), expected["open_rate"].astype(float), equal_nan=True
    )
    # Customers the mart has but the reference does not (known from the CRM or the web
    # only) have no tickets and no touches in the reference either.
    others = dim_customers.index.difference(reference.index)
    assert (dim_customers.loc[others, "ticket_count"] == 0).all()
    assert dim_customers.loc[others, "open_rate"].isna().all()


def test_orders_only_world_gives_defaults_not_errors(built_world, tmp_path: Path) -> None:
    """With only shop_orders.csv, the build passes and the other features take their defaults."""
    raw_dir, full_build = built_world
    orders_only_dir = tmp_path / "raw"
    orders_only_dir.mkdir()
    shutil.copy(raw_dir / "shop_orders.csv", orders_only_dir / "shop_orders.csv")
    dim_customers = build_dim_customers(orders_only_dir, tmp_path)

    buyers_or_not = full_build[full_build["all_order_count"] > 0]
    assert set(dim_customers.index) == set(buyers_or_not.index)
    for column in ["order_count", "all_order_count", "total_revenue", "rfm_segment"]:
        pd.testing.assert_series_equal(
            dim_customers[column].sort_index(), buyers_or_not[column].sort_index()
        )
    for column in ["web_session_count", "abandoned_cart_count", "ticket_count"]:
        assert (dim_customers[column] == 0).all(), column
    for column in ["campaign_touch_count", "product_category_count"]:
        assert (dim_customers[column] == 0).all(), column
    assert (dim_customers[["country_code", "age_band"]] == "unknown").all().all()
    assert not dim_customers[["has_crm_profile", "is_marketing_opt_in"]].any().any()
    assert not dim_customers[["has_unsubscribed", "has_bounced"]].any().any()
    for column in [
        "open_rate",
        "avg_satisfaction_score",
        "share_sessions_source_direct",
        "abandoned_cart_value",
        "top_product_category",
    ]:
        assert dim_customers[column].isna().all(), column


def test_reference_sees_enough_data(built_world) -> None:
    """Guard against a vacuous comparison: the world must exercise every compared feature."""
    raw_dir, dim_customers = built_world
    reference = reference_features(raw_dir, pd.Timestamp(AS_OF_DATE))
    assert (reference["order_count"] > 0).sum() > 100
    assert (reference["returned_order_count"] > 0).sum() > 10
    assert (reference["ticket_count"] > 0).sum() > 10
    assert reference["open_rate"].between(0, 1, inclusive="neither").sum() > 10
    # data on and after the as-of date exists, so the point-in-time cut is exercised
    orders = read_raw(raw_dir, "shop_orders")
    assert (to_utc(orders["ordered_at"]) >= pd.Timestamp(AS_OF_DATE)).sum() > 100
