"""Tests of segment profiles (aggregates, z-scores), distinguishing features and rules."""

from __future__ import annotations

import math
import re
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from custseg.profiling import (
    AGGREGATE_COLUMNS,
    PROFILE_COLUMNS,
    as_float,
    combine_aggregates,
    describe_rules,
    describe_segments,
    feature_aggregates,
    infer_feature_kind,
    profiles_from_aggregates,
    profiles_wide,
    round_threshold,
    segment_feature_profiles,
    segment_sizes,
    top_distinguishing_features,
)

FEATURES = ["order_count", "total_revenue", "return_rate", "constant", "sparse"]


def _customers(n: int = 3_000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    segment = rng.choice([1, 2, 3, -1], size=n, p=[0.5, 0.3, 0.18, 0.02])
    frame = pd.DataFrame(
        {
            "segment_id": segment,
            "order_count": rng.poisson(2 + 4 * (segment == 1), n),
            "total_revenue": rng.gamma(2.0, 150.0 + 400.0 * (segment == 2), n) + 1e5,
            "return_rate": rng.beta(2, 8, n),
            "constant": np.full(n, 7.0),
            "sparse": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.1, "return_rate"] = np.nan
    frame.loc[frame["segment_id"] == 3, "sparse"] = np.nan  # all missing in one segment
    frame.loc[rng.random(n) < 0.01, "total_revenue"] = np.inf  # non-finite -> treated as null
    return frame


def _direct(frame: pd.DataFrame, features: list[str], ddof: int = 1) -> pd.DataFrame:
    """The textbook computation with pandas, straight from the rows."""
    rows = []
    clean = frame.replace([np.inf, -np.inf], np.nan)
    for feature in features:
        overall_mean = clean[feature].mean()
        overall_std = clean[feature].std(ddof=ddof)
        for sid, group in clean.groupby("segment_id"):
            mean = group[feature].mean()
            z = 0.0 if not overall_std > 1e-9 else (mean - overall_mean) / overall_std
            rows.append(
                (sid, feature, mean, overall_mean, overall_std, np.nan if np.isnan(mean) else z)
            )
    return pd.DataFrame(
        rows,
        columns=["segment_id", "feature", "segment_mean", "overall_mean", "overall_std", "z"],
    )


def test_profiles_from_aggregates_equal_the_direct_computation() -> None:
    frame = _customers()
    profiles = segment_feature_profiles(frame, "segment_id", FEATURES)
    assert tuple(profiles.columns) == PROFILE_COLUMNS
    expected = _direct(frame, FEATURES)
    merged = profiles.merge(expected, on=["segment_id", "feature"], suffixes=("", "_expected"))
    assert len(merged) == len(profiles) == 4 * len(FEATURES)
    for column in ("segment_mean", "overall_mean"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_expected"], rtol=1e-10)
    varying = merged["feature"] != "constant"
    np.testing.assert_allclose(
        merged.loc[varying, "overall_std"], merged.loc[varying, "overall_std_expected"], rtol=1e-8
    )
    np.testing.assert_allclose(merged["z_score"], merged["z"], rtol=1e-8, atol=1e-10)
    # null-safety: all-missing segment -> null mean and z; constant feature -> z 0
    sparse3 = profiles[(profiles["segment_id"] == 3) & (profiles["feature"] == "sparse")]
    assert sparse3["segment_mean"].isna().all() and sparse3["z_score"].isna().all()
    assert sparse3["value_count"].item() == 0
    constant = profiles[profiles["feature"] == "constant"]
    assert (constant["overall_std"] == 0).all() and (constant["z_score"] == 0).all()
    counts = profiles[profiles["feature"] == "order_count"].set_index("segment_id")
    assert counts["customer_count"].to_dict() == frame["segment_id"].value_counts().to_dict()


def test_batches_and_row_order_give_the_same_profiles() -> None:
    frame = _customers(seed=1)
    whole = segment_feature_profiles(frame, "segment_id", FEATURES)
    mixed = frame.sample(frac=1.0, random_state=3)
    parts = [
        feature_aggregates(mixed.iloc[start : start + 800], "segment_id", FEATURES)
        for start in range(0, len(mixed), 800)
    ]
    combined = combine_aggregates(parts)
    assert tuple(combined.columns) == AGGREGATE_COLUMNS
    from_batches = profiles_from_aggregates(combined)
    pd.testing.assert_frame_equal(
        whole.drop(columns=["segment_mean", "overall_mean", "overall_std", "z_score"]),
        from_batches.drop(columns=["segment_mean", "overall_mean", "overall_std", "z_score"]),
    )
    for column in ("segment_mean", "overall_mean", "overall_std", "z_score"):
        np.testing.assert_allclose(whole[column], from_batches[column], rtol=1e-9, atol=1e-12)
    shuffled = frame.sample(frac=1.0, random_state=9).reset_index(drop=True)
    # sums run over values sorted within each segment: bit-identical for any row order
    pd.testing.assert_frame_equal(whole, segment_feature_profiles(shuffled, "segment_id", FEATURES))


def test_z_scores_by_hand_on_tiny_data() -> None:
    frame = pd.DataFrame(
        {
            "seg": [1, 1, 2, 2, -1],
            "x": [1.0, 3.0, 5.0, 7.0, None],
            "flag": [True, False, True, True, False],
        }
    )
    profiles = segment_feature_profiles(frame, "seg", ["x", "flag"]).set_index(
        ["segment_id", "feature"]
    )
    std = math.sqrt(((1 - 4) ** 2 + (3 - 4) ** 2 + (5 - 4) ** 2 + (7 - 4) ** 2) / 3)
    assert profiles.loc[(1, "x"), "overall_mean"] == pytest.approx(4.0)
    assert profiles.loc[(1, "x"), "overall_std"] == pytest.approx(std)
    assert profiles.loc[(1, "x"), "z_score"] == pytest.approx((2.0 - 4.0) / std)
    assert profiles.loc[(2, "x"), "z_score"] == pytest.approx((6.0 - 4.0) / std)
    assert np.isnan(profiles.loc[(-1, "x"), "z_score"])  # noise has no x at all
    flag_std = math.sqrt(np.var([1, 0, 1, 1, 0], ddof=1))
    assert profiles.loc[(2, "flag"), "z_score"] == pytest.approx((1.0 - 0.6) / flag_std)
    population = segment_feature_profiles(frame, "seg", ["x"], ddof=0).set_index("segment_id")
    assert population.loc[1, "z_score"] == pytest.approx(-2.0 / math.sqrt(5.0))
    without_noise = segment_feature_profiles(frame, "seg", ["x", "flag"], include_noise=False)
    assert set(without_noise["segment_id"]) == {1, 2}
    # noise still counts towards the overall statistics
    flag = without_noise[without_noise["feature"] == "flag"]
    assert flag["overall_mean"].iloc[0] == pytest.approx(0.6)


def test_profiles_from_sql_style_aggregates() -> None:
    """What `count(*), count(x), sum(x), sum(x * x) group by segment_id` produces."""
    aggregates = pd.DataFrame(
        {
            "segment_id": [1, 2],
            "feature": ["x", "x"],
            "row_count": [3, 2],
            "value_count": [2, 2],
            "value_sum": [4.0, 12.0],
            "value_sum_sq": [10.0, 74.0],
        }
    )
    profiles = profiles_from_aggregates(aggregates).set_index("segment_id")
    direct = segment_feature_profiles(
        pd.DataFrame({"s": [1, 1, 1, 2, 2], "x": [1.0, 3.0, None, 5.0, 7.0]}), "s", ["x"]
    ).set_index("segment_id")
    pd.testing.assert_frame_equal(profiles, direct)
    assert profiles.loc[1, "customer_count"] == 3


def test_bad_inputs_raise() -> None:
    frame = pd.DataFrame({"s": [1, 2], "x": [1.0, 2.0], "name": ["a", "b"]})
    with pytest.raises(TypeError, match="not numeric"):
        segment_feature_profiles(frame, "s", ["name"])
    with pytest.raises(KeyError):
        segment_feature_profiles(frame, "s", ["missing"])
    with pytest.raises(ValueError, match="null"):
        segment_feature_profiles(frame.assign(s=[1, None]), "s", ["x"])
    with pytest.raises(ValueError, match="duplicate"):
        segment_feature_profiles(frame, "s", ["x", "x"])
    decimals = pd.Series([Decimal("1.5"), None, Decimal("2")], dtype=object)
    np.testing.assert_array_equal(as_float(decimals), [1.5, np.nan, 2.0])


def test_segment_sizes_count_customers_and_revenue() -> None:
    frame = pd.DataFrame({"segment_id": [1, 1, 2, -1], "total_revenue": [10.0, 30.0, None, 60.0]})
    sizes = segment_sizes(frame)
    assert sizes["segment_id"].tolist() == [-1, 1, 2]
    assert sizes["customer_count"].tolist() == [1, 2, 1]
    assert sizes["total_revenue"].tolist() == [60.0, 40.0, 0.0]
    assert sizes["revenue_share"].sum() == pytest.approx(1.0)
    assert segment_sizes(frame, revenue_col=None)["total_revenue"].isna().all()


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
    frame = _customers(500)
    wide = profiles_wide(segment_feature_profiles(frame, "segment_id", ["order_count", "sparse"]))
    assert list(wide.columns) == [
        "order_count__mean",
        "order_count__z",
        "sparse__mean",
        "sparse__z",
    ]
    assert list(wide.index) == [-1, 1, 2, 3]


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------

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
    rules = describe_rules(frame, labels, None, 7)
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
    rules = describe_rules(pd.DataFrame({"days_since_last_session": days}), labels, None, 2)
    assert rules.text == "(days_since_last_session < 30 or days_since_last_session is missing)"
    assert rules.coverage == pytest.approx(1.0) and rules.precision == pytest.approx(1.0)


def test_describe_segments_is_one_row_per_segment_and_deterministic() -> None:
    frame, labels = _separable(3_000, seed=2)
    labels[:20] = -1
    table = describe_segments(frame, labels)
    assert table["segment_id"].tolist() == [1, 2, 3, 7]
    assert table.loc[table["segment_id"] == 7, "rule_text"].item() == (
        "days_since_last_order < 40 and order_count >= 8"
    )
    pd.testing.assert_frame_equal(table, describe_segments(frame, labels))
    with pytest.raises(ValueError, match="no rows"):
        describe_rules(frame, labels, None, 99)


def test_threshold_rounding_and_kinds() -> None:
    assert round_threshold(1234.56, "money") == (1230.0, "1,230")
    assert round_threshold(84.73, "money") == (84.7, "84.7")
    assert round_threshold(0.347, "share") == (0.35, "0.35")
    assert round_threshold(0.0123, "share") == (0.0123, "0.0123")
    assert round_threshold(7.6, "count") == (8.0, "8")
    assert infer_feature_kind("churn_probability") == "share"
    assert infer_feature_kind("predicted_clv") == "money"
    assert infer_feature_kind("ticket_count", np.array([0.0, 2.0, np.nan])) == "count"
    assert infer_feature_kind("avg_satisfaction_score", np.array([1.5, 4.2])) == "number"
