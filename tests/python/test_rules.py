"""Tests of the readable decision-tree rules (``custseg.segment_marts.rules``) and the feature
kinds."""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from custseg.formatting import feature_kind
from custseg.segment_marts.rules import as_float, describe_rules, describe_segments, round_threshold


def test_as_float_accepts_decimals_and_rejects_text() -> None:
    decimals = pd.Series([Decimal("1.5"), None, Decimal("2")], dtype=object)
    np.testing.assert_array_equal(as_float(decimals), [1.5, np.nan, 2.0])
    with pytest.raises(TypeError, match="not numeric"):
        as_float(pd.Series(["a", "b"], name="name"))


_RULE = re.compile(r"^[a-z_]+ (<|>=) [0-9.,]+( and [a-z_]+ (<|>=) [0-9.,]+)?$")


def _separable(n: int = 6_000, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Segment 7 is exactly `days_since_last_order < 40 and order_count >= 8`."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "days_since_last_order": rng.integers(0, 365, n),
            "order_count": rng.integers(1, 20, n),
            "return_rate": rng.random(n),
            "avg_order_value": rng.gamma(3.0, 30.0, n),
        }
    )
    inside = (frame["days_since_last_order"] < 40) & (frame["order_count"] >= 8)
    labels = np.where(inside, 7, rng.integers(1, 4, n))
    return frame, labels


def test_rules_recover_planted_thresholds_exactly_on_integer_features() -> None:
    frame, labels = _separable()
    rules = describe_rules(frame, labels, None, 7, max_rows=len(frame))
    assert rules.text == "days_since_last_order < 40 and order_count >= 8"
    assert _RULE.match(rules.text)
    assert rules.coverage == pytest.approx(1.0)
    assert rules.precision == pytest.approx(1.0)
    assert rules.segment_rows == int((labels == 7).sum())
    assert [c.text for c in rules.rules[0].conditions] == [
        "days_since_last_order < 40",
        "order_count >= 8",
    ]


def test_rules_round_continuous_thresholds_and_report_coverage() -> None:
    rng = np.random.default_rng(4)
    n = 5_000
    frame = pd.DataFrame(
        {
            "return_rate": rng.random(n),
            "avg_order_value": rng.gamma(3.0, 400.0, n),
            "noise_feature": rng.normal(size=n),
        }
    )
    inside = (frame["return_rate"] >= 0.3) & (frame["avg_order_value"] < 1234.0)
    flip = rng.random(n) < 0.03  # some label noise: coverage and precision below 1
    labels = np.where(inside ^ flip, 2, 1)
    rules = describe_rules(frame.to_numpy(), labels, list(frame.columns), 2, max_rows=4_000)
    assert rules.sample_rows == 4_000
    conditions = sorted(rules.text.split(" and "))  # root split first; order not part of it
    assert len(conditions) == 2, rules.text
    money_text = re.fullmatch(r"avg_order_value < ([\d,]+)", conditions[0])
    rate_text = re.fullmatch(r"return_rate >= (0\.\d\d)", conditions[1])
    assert money_text and rate_text, rules.text
    assert float(rate_text.group(1)) == pytest.approx(0.3, abs=0.02)
    money = float(money_text.group(1).replace(",", ""))
    assert money == pytest.approx(1234.0, rel=0.03) and money % 10 == 0  # 3 significant digits
    assert 0.9 < rules.coverage < 1.0 and 0.9 < rules.precision < 1.0


def test_rules_mention_missing_values_when_the_tree_routes_them_to_the_segment() -> None:
    rng = np.random.default_rng(5)
    n = 4_000
    days = rng.integers(0, 200, n).astype(float)
    days[rng.random(n) < 0.2] = np.nan  # e.g. no web session at all
    labels = np.where(np.isnan(days) | (days < 30), 2, 1)
    rules = describe_rules(
        pd.DataFrame({"days_since_last_session": days}), labels, None, 2, max_rows=n
    )
    assert rules.text == "(days_since_last_session < 30 or days_since_last_session is missing)"
    assert rules.coverage == pytest.approx(1.0) and rules.precision == pytest.approx(1.0)


def test_describe_segments_is_one_row_per_segment_and_deterministic() -> None:
    frame, labels = _separable(3_000, seed=2)
    labels[:20] = -1
    table = describe_segments(frame, labels, max_rows=len(frame))
    assert table["segment_id"].tolist() == [1, 2, 3, 7]
    assert table.loc[table["segment_id"] == 7, "rule_text"].item() == (
        "days_since_last_order < 40 and order_count >= 8"
    )
    pd.testing.assert_frame_equal(table, describe_segments(frame, labels, max_rows=len(frame)))
    with pytest.raises(ValueError, match="no rows"):
        describe_rules(frame, labels, None, 99, max_rows=len(frame))


def test_threshold_rounding_and_kinds() -> None:
    assert round_threshold(1234.56, "money") == (1230.0, "1,230")
    assert round_threshold(84.73, "money") == (84.7, "84.7")
    assert round_threshold(0.347, "share") == (0.35, "0.35")
    assert round_threshold(0.0123, "share") == (0.0123, "0.0123")
    assert round_threshold(7.6, "count") == (8.0, "8")
    assert feature_kind("churn_probability") == "share"
    assert feature_kind("predicted_clv") == "money"
    assert feature_kind("ticket_count", np.array([0.0, 2.0, np.nan])) == "count"
    assert feature_kind("avg_satisfaction_score", np.array([1.5, 4.2])) == "number"
