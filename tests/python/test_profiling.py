"""Tests of reading the segment profiles: distinguishing features and the wide form."""

from __future__ import annotations

import numpy as np
import pandas as pd

from custseg.segment_marts.profiling import profiles_wide, top_distinguishing_features


def test_top_distinguishing_features_by_abs_z_with_name_tie_break() -> None:
    profiles = pd.DataFrame(
        {
            "segment_id": [1, 1, 1, 1, 2, 2],
            "feature": ["b", "a", "c", "d", "a", "b"],
            "segment_mean": [1.0] * 6,
            "overall_mean": [0.0] * 6,
            "z_score": [-2.0, 2.0, 0.5, np.nan, 0.1, -0.3],
        }
    )
    top = top_distinguishing_features(profiles, n=2)
    assert top[top["segment_id"] == 1]["feature"].tolist() == ["a", "b"]  # tie: by name
    assert top[top["segment_id"] == 2]["feature"].tolist() == ["b", "a"]
    assert top["rank"].tolist() == [1, 2, 1, 2]
    strong = top_distinguishing_features(profiles, n=5, min_abs_z=0.4, exclude=["a"])
    assert strong["feature"].tolist() == ["b", "c"]


def test_profiles_wide_has_mean_and_z_columns() -> None:
    profiles = pd.DataFrame(
        {
            "segment_id": [2, 2, -1, -1, 1, 1],
            "feature": ["order_count", "sparse"] * 3,
            "segment_mean": [1.0, np.nan, 2.0, 3.0, 4.0, 5.0],
            "overall_mean": [2.0, 4.0] * 3,
            "z_score": [-1.0, np.nan, 0.0, -0.5, 1.0, 0.5],
        }
    )
    wide = profiles_wide(profiles)
    assert list(wide.columns) == [
        "order_count__mean",
        "order_count__z",
        "sparse__mean",
        "sparse__z",
    ]
    assert list(wide.index) == [-1, 1, 2]
    assert wide.loc[1, "order_count__z"] == 1.0
    assert np.isnan(wide.loc[2, "sparse__z"])
