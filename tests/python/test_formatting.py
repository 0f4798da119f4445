"""Tests of the one formatter per kind of number and the one feature-kind rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custseg.formatting import (
    currency_symbol,
    feature_kind,
    format_feature_value,
    format_interval,
    format_money,
    format_number,
    format_share,
)


@pytest.mark.parametrize(
    ("name", "values", "kind"),
    [
        ("complaint_share", None, "share"),
        ("basket_price", None, "money"),
        ("ticket_count", None, "count"),
        ("days_since_last_session", None, "days"),
        ("avg_satisfaction_score", None, "number"),
        # with data, the data decide after the name's share and money words
        ("days_since_last_order", np.array([3.0, 40.0, np.nan]), "count"),
        ("ticket_count", np.array([0.5, 0.25]), "share"),
        ("tenure_days", np.array([1.5, 40.0]), "number"),
        ("return_rate", np.array([3.0, 4.0]), "share"),
    ],
)
def test_one_feature_kind_rule(name: str, values: np.ndarray | None, kind: str) -> None:
    assert feature_kind(name, values) == kind


def test_money_tables_and_sentences_differ_only_by_parameters() -> None:
    # tables (the docs catalog): cents below 100, millions abbreviated
    assert format_money(1_234_567, "€") == "€1.2M"
    assert format_money(1_234, "€") == "€1,234"
    assert format_money(45, "€") == "€45.00"
    assert format_money(None) == "–"
    assert format_money(pd.NA) == "–"
    # sentences (segment descriptions): cents below 10, no abbreviation
    assert format_money(1_234_567, "$", cents_below=10, millions=False) == "$1,234,567"
    assert format_money(45.4, "$", cents_below=10, millions=False) == "$45"
    assert format_money(4.5, "$", cents_below=10, millions=False) == "$4.50"


def test_shares_numbers_and_intervals() -> None:
    assert format_share(0.1234) == "12%"
    assert format_share(0.004) == "0.4%"
    assert format_share(0.05) == "5%"
    assert format_share(0.05, one_decimal_below=0.1) == "5.0%"
    assert format_share(0.1234, 1) == "12.3%"
    assert format_share(0) == "0%"
    assert format_share(None) == "–"
    assert format_number(1234.5) == "1,234"
    assert format_number(3.949, 2) == "3.95"
    assert format_interval(1) == "every day"
    assert format_interval(9) == "every 9 days"
    assert format_interval(7) == "every 7 days"
    assert format_interval(20) == "every 3 weeks"
    assert format_interval(90) == "every 3 months"
    assert format_interval(1000) == "every 2.7 years"


def test_feature_values_in_sentences() -> None:
    assert format_feature_value(0.25, "share") == "25%"
    assert format_feature_value(0.075, "share") == "7.5%"
    assert format_feature_value(1234.0, "money", "£") == "£1,234"
    assert format_feature_value(12.345, "count") == "12"
    assert format_feature_value(2.345, "count") == "2.3"
    assert format_feature_value(40.4, "days") == "40"
    assert format_feature_value(3.14159, "number") == "3.14"
    assert format_feature_value(float("nan"), "number") == "n/a"


def test_currency_symbol() -> None:
    assert currency_symbol("eur") == "€"
    assert currency_symbol("CHF") == "CHF "
    assert currency_symbol(None) == ""
