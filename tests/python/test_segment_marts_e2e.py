"""End-to-end checks of the segment marts on a built warehouse (session fixture
``dirty_world`` of conftest): SQL profiles equal an independent pandas reference, every
customer has one segment, the shared sample holds the same customers as a direct md5 sample,
the charts and Parquet exports on disk match their report rows, and the warehouse keeps no
view pointing at a file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import REPO, World
from custseg.files import TEMPORARY_FILE
from marts_reference import reference_profiles


def _frame(world: World, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(world.db_path), read_only=True) as con:
        return con.sql(sql).df()


def _path(file_path: str) -> Path:
    path = Path(file_path)
    return path if path.is_absolute() else REPO / path


def test_sql_profiles_equal_the_python_reference(dirty_world: World) -> None:
    profiles = _frame(dirty_world, "select * from marts.rpt_segment_feature_profiles")
    features = sorted(profiles["feature"].unique())
    customers = _frame(
        dirty_world,
        "select segments.segment_id, customers.* exclude (customer_id) "
        "from intermediate.int_customer_segments_merged as segments "
        "inner join marts.dim_customers as customers using (customer_id) "
        "where segments.segment_id != 0 and not segments.is_profiling_objection",
    )
    expected = reference_profiles(customers, "segment_id", features)
    merged = profiles.merge(expected, on=["segment_id", "feature"], suffixes=("", "_py"))
    assert len(merged) == len(expected) == len(profiles[profiles["segment_id"] != 0])
    assert -2 not in set(profiles["segment_id"])
    for column in ("customer_count", "value_count"):
        assert (merged[column] == merged[f"{column}_py"]).all()
    for column in ("segment_mean", "overall_mean", "overall_std", "z_score"):
        np.testing.assert_allclose(
            merged[column].to_numpy(dtype=float),
            merged[f"{column}_py"].to_numpy(dtype=float),
            rtol=1e-7,
            atol=1e-9,
            equal_nan=True,
            err_msg=column,
        )


def test_every_customer_has_one_named_segment(dirty_world: World) -> None:
    counts = _frame(
        dirty_world,
        "select (select count(*) from marts.dim_customers) as customers, "
        "(select count(*) from marts.dim_customer_segments) as assigned, "
        "(select sum(customer_count) from marts.dim_segments) as reported, "
        "(select sum(customer_share) from marts.dim_segments) as share_sum, "
        "(select count(distinct segment_name) = count(*) from marts.dim_segments) as unique_names",
    ).iloc[0]
    assert counts["customers"] == counts["assigned"] == counts["reported"]
    assert counts["share_sum"] == pytest.approx(1.0)
    assert bool(counts["unique_names"])
    # segment 0: no order and no objection to profiling; segment -2: exactly the objectors
    mismatches = _frame(
        dirty_world,
        "select count(*) as n from marts.dim_customer_segments "
        "where (segment_id = 0) <> (not has_ordered and not is_profiling_objection) "
        "or (segment_id = -2) <> is_profiling_objection",
    )
    assert mismatches["n"].iloc[0] == 0


def test_the_shared_sample_is_the_md5_sample_of_the_clustered_customers(
    dirty_world: World,
) -> None:
    sample = _frame(
        dirty_world,
        "select customer_id, segment_id, sample_rank "
        "from intermediate.int_segment_features_sampled order by sample_rank",
    )
    expected = _frame(
        dirty_world,
        "select features.customer_id, segments.segment_id "
        "from intermediate.int_segment_features as features "
        "inner join intermediate.int_customer_segments_merged as segments using (customer_id) "
        "order by md5(cast(features.customer_id as varchar)), features.customer_id "
        f"limit {len(sample)}",
    )
    assert len(sample) > 0
    assert sample["sample_rank"].tolist() == list(range(1, len(sample) + 1))
    pd.testing.assert_frame_equal(sample[["customer_id", "segment_id"]], expected)
    assert not set(sample["segment_id"]) & {0, -2}


def test_charts_on_disk_match_the_report(dirty_world: World) -> None:
    charts = _frame(dirty_world, "select * from marts.rpt_segment_plots")
    assert {"segment_sizes", "profile_heatmap", "k_selection"} <= set(charts["plot_name"])
    for row in charts.itertuples(index=False):
        data = _path(row.file_path).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert hashlib.sha256(data).hexdigest() == row.sha256, row.file_path


def test_parquet_exports_match_the_marts_and_leave_no_views(dirty_world: World) -> None:
    exports = _frame(dirty_world, "select * from marts.rpt_mart_exports")
    assert "dim_segments" in set(exports["mart_name"])
    with duckdb.connect() as con:
        for row in exports.itertuples(index=False):
            path = _path(row.file_path)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == row.sha256
            rows = con.execute("select count(*) from read_parquet(?)", [str(path)]).fetchall()
            assert rows[0][0] == row.row_count
            assert not [p for p in path.parent.iterdir() if TEMPORARY_FILE.match(p.name)]
    views = _frame(
        dirty_world,
        "select schema_name, view_name from duckdb_views() "
        "where not internal and (sql ilike '%parquet%' or sql ilike '%read_csv%')",
    )
    assert views.empty, views
