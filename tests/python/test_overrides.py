"""Tests of seed ``segment_overrides``: resolving merges and applying renames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custseg.segment_marts.overrides import (
    MERGE_COLUMNS,
    OVERRIDE_COLUMNS,
    apply_overrides,
    resolve_merges,
)
from marts_reference import seed

NO_MERGES = pd.DataFrame({"from_segment_id": [], "to_segment_id": []}, dtype=np.int64)


def _auto() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": [-1, 1, 2, 3, 4],
            "segment_name": ["Outliers", "A", "B", "C", "D"],
            "segment_description": ["noise", "a", "b", "c", "d"],
            "recommended_action": ["x", "act a", "act b", "act c", "act d"],
        }
    )


def test_overrides_replace_fields_and_blanks_keep_auto_values() -> None:
    overrides = pd.DataFrame(
        {
            "segment_id": [1, 2, 9],
            "segment_name": ["VIPs", "", "Ghost"],
            "segment_description": [None, "Big spenders on the app.", None],
            "owner": ["crm-team", None, None],
            "recommended_action": [np.nan, "call them", None],
            "merge_into_segment_id": [None, None, None],
        }
    )
    result = apply_overrides(_auto(), overrides, NO_MERGES)
    segments = result.segments.set_index("segment_id")
    assert segments.loc[1, "segment_name"] == "VIPs"
    assert segments.loc[1, "segment_description"] == "a"
    assert segments.loc[1, "owner"] == "crm-team"
    assert segments.loc[1, "recommended_action"] == "act a"
    assert segments.loc[2, "segment_name"] == "B"
    assert segments.loc[2, "segment_description"] == "Big spenders on the app."
    assert segments.loc[2, "recommended_action"] == "call them"
    assert segments["is_overridden"].to_dict() == {-1: False, 1: True, 2: True, 3: False, 4: False}
    assert result.unknown_segment_ids == (9,)


def test_merged_away_segments_are_not_unknown_and_targets_must_exist() -> None:
    overrides = pd.DataFrame({"segment_id": [7, 4], "merge_into_segment_id": [4, None]})
    merges = resolve_merges(overrides)
    result = apply_overrides(_auto(), overrides, merges)
    assert result.unknown_segment_ids == ()
    stale = resolve_merges(pd.DataFrame({"segment_id": [7], "merge_into_segment_id": [42]}))
    with pytest.raises(ValueError, match="merge target segments not found: \\[42\\]"):
        apply_overrides(_auto(), overrides, stale)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"segment_id": [1, 1], "segment_name": ["x", "y"]}, "more than once: \\[1\\]"),
        ({"segment_id": [1], "segment_name": ["B"]}, "not unique"),
    ],
)
def test_bad_renames_raise(rows: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apply_overrides(_auto(), pd.DataFrame(rows), NO_MERGES)


def test_resolve_merges_follows_chains() -> None:
    overrides = pd.DataFrame({"segment_id": [3, 5, 1, 2], "merge_into_segment_id": [5, 7, None, 3]})
    merges = resolve_merges(overrides)
    assert list(merges.columns) == list(MERGE_COLUMNS)
    assert merges.dtypes.tolist() == [np.int64, np.int64]
    assert merges.to_dict("list") == {"from_segment_id": [2, 3, 5], "to_segment_id": [7, 7, 7]}


def test_resolve_merges_of_the_shipped_seed_is_empty() -> None:
    shipped = seed("segment_overrides")
    assert list(shipped.columns) == list(OVERRIDE_COLUMNS)
    assert len(shipped) <= 1
    assert resolve_merges(shipped).empty
    assert resolve_merges(pd.DataFrame()).empty


@pytest.mark.parametrize(
    ("segment_ids", "targets", "message"),
    [
        ([3, 5], [5, 3], "row segment_id 3: merge cycle 3 -> 5 -> 3"),
        ([3], [3], "row segment_id 3: merges into itself"),
        ([0], [2], "row segment_id 0: .*rule-based"),
        ([2], [0], "row segment_id 2: .*rule-based"),
        ([2, 2], [3, 4], "more than once: \\[2\\]"),
    ],
)
def test_resolve_merges_rejects_bad_seeds_naming_the_row(segment_ids, targets, message) -> None:
    overrides = pd.DataFrame({"segment_id": segment_ids, "merge_into_segment_id": targets})
    with pytest.raises(ValueError, match=f"seed segment_overrides.*{message}"):
        resolve_merges(overrides)
