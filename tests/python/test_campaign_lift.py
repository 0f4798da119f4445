"""The reference of the campaign-lift statistics, and the dbt unit test written from it.

The reference (``lift_reference``) must reproduce Newcombe's (1998) published intervals, and
the expected rows of the unit test ``rpt_segment_campaign_lift_statistics_from_counts`` (in
``models/marts/activation/_activation__models.yml``) must be what the reference gives for its
input counts, so the numbers pasted into the YAML stay checked. The comparison with a built
warehouse is in ``test_activation_e2e.py``.
"""

from __future__ import annotations

import math

import pytest
import yaml
from scipy.stats import norm

from conftest import REPO
from lift_reference import DIGITS, Z_ALPHA, Z_POWER, lift_statistics, newcombe_interval

UNIT_TEST = "rpt_segment_campaign_lift_statistics_from_counts"
# Newcombe, R. G. (1998), "Interval estimation for the difference between independent
# proportions: comparison of eleven methods", Statistics in Medicine 17, 873-890, Table II,
# method 10 (hybrid score), to the 4 decimals printed there.
NEWCOMBE_EXAMPLES = [
    ((56, 70), (48, 80), (0.0524, 0.3339)),
    ((9, 10), (3, 10), (0.1705, 0.8090)),
    ((0, 10), (0, 20), (-0.1611, 0.2775)),
    ((0, 10), (0, 10), (-0.2775, 0.2775)),
    ((10, 10), (0, 20), (0.6791, 1.0000)),
    ((10, 10), (0, 10), (0.6075, 1.0000)),
]


def test_normal_quantiles_are_those_of_alpha_and_power() -> None:
    assert abs(Z_ALPHA - norm.ppf(0.975)) < 1e-6
    assert abs(Z_POWER - norm.ppf(0.8)) < 1e-6


@pytest.mark.parametrize(("treated", "control", "published"), NEWCOMBE_EXAMPLES)
def test_reference_reproduces_newcombes_examples(treated, control, published) -> None:
    lower, upper = newcombe_interval(treated, control)
    assert (round(lower, 4), round(upper, 4)) == published


def unit_test_case() -> tuple[list[dict], list[dict], int]:
    """Input rows, expected rows and var lift_min_group_customers of the dbt unit test."""
    models = yaml.safe_load(
        (REPO / "models" / "marts" / "activation" / "_activation__models.yml").read_text()
    )
    (case,) = [test for test in models["unit_tests"] if test["name"] == UNIT_TEST]
    (given,) = case["given"]
    return (
        given["rows"],
        case["expect"]["rows"],
        case["overrides"]["vars"]["lift_min_group_customers"],
    )


def test_unit_test_expectations_are_the_reference() -> None:
    inputs, expected, min_group_customers = unit_test_case()
    by_id = {row["drift_id"]: row for row in inputs}
    assert len(expected) >= 5
    for row in expected:
        counts = by_id[row["lift_id"]]
        reference = lift_statistics(
            (counts["treated_purchaser_count"], counts["treated_customer_count"]),
            (counts["control_purchaser_count"], counts["control_customer_count"]),
            min_group_customers,
        )
        assert row["lift_verdict"] == reference.lift_verdict, row["lift_id"]
        for column in (
            "treated_purchase_rate",
            "control_purchase_rate",
            "purchase_rate_lift",
        ):
            # plain IEEE arithmetic, the same on every engine: exact
            assert row[column] == getattr(reference, column), (row["lift_id"], column)
        for column in (
            "purchase_rate_lift_lower",
            "purchase_rate_lift_upper",
            "purchase_rate_ratio",
            "purchase_rate_ratio_lower",
            "purchase_rate_ratio_upper",
            "minimum_detectable_lift",
        ):
            value = getattr(reference, column)
            rounded = None if value is None else round(value, DIGITS)
            assert row[column] == rounded, (row["lift_id"], column)
        assert (row["purchase_rate_ratio_null_reason"] is None) == (
            reference.purchase_rate_ratio is not None
        )


def test_newcombes_interval_contains_the_difference_and_stays_in_range() -> None:
    for x1 in range(0, 11):
        for x2 in range(0, 8):
            lower, upper = newcombe_interval((x1, 10), (x2, 7))
            difference = x1 / 10 - x2 / 7
            assert -1 <= lower <= difference <= upper <= 1 + 1e-12
            assert not math.isnan(lower + upper)
