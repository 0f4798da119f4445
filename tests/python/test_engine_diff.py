"""custseg.engine_diff: exact columns exactly, floating-point columns within 1e-9 relative."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from custseg.engine_diff import compare_frames, manifest_without_layout


def customers(**changes) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "order_count": pd.array([1, 2, None], dtype="Int64"),
            "first_order_date": pd.to_datetime(["2025-01-02", "2025-03-04", None]),
            "revenue": [10.5, 200.25, None],
            "is_active": [True, False, True],
        }
    )
    return frame.assign(**changes)


def test_equal_frames_in_another_order_and_other_integer_width_are_equal():
    left = customers()
    right = customers(order_count=pd.array([1, 2, None], dtype="Int32")).iloc[::-1]
    diff = compare_frames("t", left, right, key=["customer_id"])
    assert diff.equal, diff.describe()


def test_amounts_within_relative_tolerance_are_equal_beyond_it_not():
    within = customers(revenue=[10.5 * (1 + 1e-12), 200.25, None])
    beyond = customers(revenue=[10.5 * (1 + 1e-7), 200.25, None])
    assert compare_frames("t", customers(), within, key=["customer_id"]).equal
    diff = compare_frames("t", customers(), beyond, key=["customer_id"])
    assert diff.differing == {"revenue": 1}


def test_counts_and_dates_are_exact():
    diff = compare_frames(
        "t",
        customers(),
        customers(
            order_count=pd.array([1, 3, None], dtype="Int64"),
            first_order_date=pd.to_datetime(["2025-01-02", "2025-03-05", None]),
        ),
        key=["customer_id"],
    )
    assert diff.differing == {"order_count": 1, "first_order_date": 1}


def test_a_null_on_one_side_only_differs():
    diff = compare_frames(
        "t", customers(), customers(revenue=[10.5, 200.25, 0.0]), key=["customer_id"]
    )
    assert diff.differing == {"revenue": 1}


def test_decimal_objects_compare_with_floats_within_tolerance():
    right = customers(revenue=[Decimal("10.5"), Decimal("200.25"), None])
    assert compare_frames("t", customers(), right, key=["customer_id"]).equal


def test_utc_timestamps_equal_their_naive_utc_values():
    aware = pd.Series(pd.to_datetime(["2025-01-02 10:00"]).tz_localize("Europe/Berlin"))
    naive = pd.Series(pd.to_datetime(["2025-01-02 09:00"]))
    diff = compare_frames("t", pd.DataFrame({"at": aware}), pd.DataFrame({"at": naive}))
    assert diff.equal, diff.describe()


def test_missing_keys_and_columns_are_reported():
    right = customers().iloc[:2].drop(columns=["is_active"])
    diff = compare_frames("t", customers(), right, key=["customer_id"])
    assert (diff.only_left_keys, diff.missing_columns) == (1, ["is_active"])
    assert not diff.equal


def test_without_a_key_rows_compare_as_multisets():
    left = pd.DataFrame({"email": ["x", "y", "y"], "score": [0.1, 0.2, 0.2]})
    assert compare_frames("f", left, left.iloc[[2, 0, 1]]).equal
    other = pd.DataFrame({"email": ["x", "x", "y"], "score": [0.1, 0.1, 0.2]})
    assert not compare_frames("f", left, other).equal


def test_a_duplicated_key_is_an_error_not_a_silent_match():
    twice = pd.concat([customers(), customers().iloc[:1]])
    with pytest.raises(ValueError, match="not unique"):
        compare_frames("t", twice, customers(), key=["customer_id"])


def test_manifests_differing_only_in_layout_are_equal_without_it():
    duckdb_manifest = {
        "destination": "email",
        "files": [
            {"path": "segment_2.csv", "rows": 5, "bytes": 90, "sha256": "a"},
            {"path": "segment_1.csv", "rows": 3, "bytes": 50, "sha256": "b"},
        ],
    }
    spark_manifest = {
        "destination": "email",
        "file_layout": "folders of part files",
        "files": [
            {"path": "segment_1.csv", "rows": 3, "bytes": 51, "sha256": "c", "parts": ["p0"]},
            {"path": "segment_2.csv", "rows": 5, "bytes": 91, "sha256": "d", "parts": ["p0"]},
        ],
    }
    assert manifest_without_layout(spark_manifest) == manifest_without_layout(duckdb_manifest)
    spark_manifest["files"][0]["rows"] = 4
    assert manifest_without_layout(spark_manifest) != manifest_without_layout(duckdb_manifest)
