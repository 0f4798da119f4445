"""Tests of seed ``segment_playbook``: validation and first-match recommendations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custseg.segment_marts.playbook import PLAYBOOK_COLUMNS, recommend_action, validate_playbook
from marts_reference import seed


def _playbook(rows: list[tuple]) -> pd.DataFrame:
    """A playbook from rows of every seed column but the optional rationale."""
    return pd.DataFrame(rows, columns=[c for c in PLAYBOOK_COLUMNS if c != "rationale"])


def test_playbook_first_match_by_priority_wins() -> None:
    playbook = _playbook(
        [
            (30, "order_count", "z", ">=", 0.0, None, None, None, None, "generic"),
            (10, "predicted_clv", "z", ">=", 0.5, "churn_probability", "z", ">=", 0.3, "retain"),
            (20, "order_count", "mean", ">", 5.0, None, None, None, None, "reward"),
            (99, None, None, None, None, None, None, None, None, "default"),
        ]
    )
    row = {
        "predicted_clv__z": 1.2,
        "churn_probability__z": 0.4,
        "order_count__z": 0.9,
        "order_count__mean": 8.0,
    }
    assert recommend_action(row, playbook) == "retain"
    assert recommend_action({**row, "churn_probability__z": 0.1}, playbook) == "reward"
    assert recommend_action(
        {**row, "churn_probability__z": 0.1, "order_count__mean": 4.0}, playbook
    ) == ("generic")
    assert recommend_action({"order_count__z": np.nan}, playbook) == "default"
    assert recommend_action({}, playbook.iloc[:3]) is None


def test_playbook_validation() -> None:
    bad_op = _playbook([(1, "order_count", "z", "=>", 1.0, None, None, None, None, "a")])
    with pytest.raises(ValueError, match="condition_op must be one of"):
        validate_playbook(bad_op)
    bad_stat = _playbook([(1, "order_count", "median", ">", 1.0, None, None, None, None, "a")])
    with pytest.raises(ValueError, match="stat"):
        validate_playbook(bad_stat)
    duplicate = _playbook([(1, None, None, None, None, None, None, None, None, "a")] * 2)
    with pytest.raises(ValueError, match="unique"):
        validate_playbook(duplicate)

    no_action = _playbook([(5, None, None, None, None, None, None, None, None, " ")])
    with pytest.raises(ValueError, match="row with priority 5: no action"):
        validate_playbook(no_action)


def test_the_shipped_seed_is_valid() -> None:
    playbook = validate_playbook(seed("segment_playbook"))
    assert list(playbook.columns) == list(PLAYBOOK_COLUMNS)
    assert 8 <= len(playbook) <= 12
    assert playbook["priority"].is_monotonic_increasing
    assert recommend_action({}, playbook) == "standard lifecycle communications"
