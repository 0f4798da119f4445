"""The second yardstick of the benchmark: a plain pandas + scikit-learn script.

It does what a quick notebook would: read the raw exports whole into pandas, compute the
same per-customer aggregates as `bench_baseline.sql`, scale them, pick k for k-means by
silhouette on a sample, and assign every customer. No validation, deduplication, currency
conversion, tests or history: it is a lower bound for "the same work" done by hand.

    .venv/bin/python scripts/bench_pandas.py RAW_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler


def read_csvs(path: Path, columns: list[str]) -> pd.DataFrame:
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path.with_suffix(".csv")]
    return pd.concat(
        [pd.read_csv(f, dtype=str, usecols=columns, engine="pyarrow") for f in files],
        ignore_index=True,
    )


def main(raw: Path) -> None:
    started = time.perf_counter()
    orders = read_csvs(
        raw / "shop_orders", ["customer_id", "ordered_at", "status", "order_total", "sales_channel"]
    )
    orders["ordered_at"] = pd.to_datetime(
        orders["ordered_at"], utc=True, errors="coerce", format="ISO8601"
    )
    orders["order_total"] = pd.to_numeric(orders["order_total"], errors="coerce")
    completed = orders["status"].str.strip().str.lower() == "completed"
    orders["is_web"] = orders["sales_channel"].str.strip().str.lower() == "web"
    as_of = orders["ordered_at"].max()
    per_customer = pd.DataFrame(
        {
            "order_count": completed.groupby(orders["customer_id"]).sum(),
            "revenue": orders["order_total"].where(completed).groupby(orders["customer_id"]).sum(),
            "recency_days": (as_of - orders.groupby("customer_id")["ordered_at"].max()).dt.days,
            "share_web": orders.groupby("customer_id")["is_web"].mean(),
        }
    )
    del orders

    web_dir = raw / "web_events"
    if web_dir.is_dir():
        web = pd.concat(
            [
                pd.read_parquet(f, columns=["customer_id", "anonymous_id", "event_at"])
                for f in sorted(web_dir.glob("*.parquet"))
            ],
            ignore_index=True,
        )
    else:
        web = read_csvs(raw / "web_events", ["customer_id", "anonymous_id", "event_at"])
    web["who"] = web["customer_id"].fillna(web["anonymous_id"])
    web["hour"] = pd.to_datetime(
        web["event_at"], utc=True, errors="coerce", format="ISO8601"
    ).dt.floor("h")
    per_customer["web_events"] = web.groupby("who").size()
    per_customer["web_sessions"] = web.groupby("who")["hour"].nunique()
    del web

    tickets = read_csvs(raw / "support_tickets", ["customer_id"])
    per_customer["tickets"] = tickets.groupby("customer_id").size()
    email = read_csvs(raw / "marketing_events", ["customer_id", "event_type"])
    opens = (email["event_type"] == "open").groupby(email["customer_id"]).sum()
    sends = (email["event_type"] == "sent").groupby(email["customer_id"]).sum()
    per_customer["open_rate"] = opens / sends.clip(lower=1)
    del tickets, email

    print(f"aggregates of {len(per_customer)} customers: {time.perf_counter() - started:.1f} s")
    features = np.log1p(per_customer.fillna(0).clip(lower=0).to_numpy(dtype=float))
    scaled = StandardScaler().fit_transform(features)
    rng = np.random.default_rng(0)
    sample = scaled[rng.choice(len(scaled), size=min(50_000, len(scaled)), replace=False)]
    best_k, best_score = 2, -1.0
    for k in range(2, 13):
        model = KMeans(n_clusters=k, n_init=4, random_state=0).fit(sample)
        score = silhouette_score(sample, model.labels_, sample_size=10_000, random_state=0)
        print(f"k={k} silhouette={score:.3f} ({time.perf_counter() - started:.0f} s)", flush=True)
        if score > best_score:
            best_k, best_score = k, score
    model = KMeans(n_clusters=best_k, n_init=4, random_state=0).fit(sample)
    labels = model.predict(scaled)
    print(
        f"{len(per_customer)} customers, k={best_k}, largest segment "
        f"{np.bincount(labels).max() / len(labels):.2f}, {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
