"""Numbers as people read them: money, percentages, purchase intervals, and feature kinds.

One formatter per kind of number, used by the segment descriptions
(:mod:`custseg.segment_marts.naming`), the decision-tree rules
(:mod:`custseg.segment_marts.rules`) and the segment catalog of the docs
(:mod:`custseg.segment_marts.catalog`). Where two texts want a different precision (a
catalog table vs a sentence), the caller says so through a parameter, so the rule itself
lives here once.
Missing values (``None``, NaN, ``pd.NA``, infinities) are shown as ``missing`` (``–``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

CURRENCY_SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
"""Symbol per ISO currency code; other codes are written as the code and a space."""

MISSING = "–"

FEATURE_KINDS: tuple[str, ...] = ("share", "money", "count", "days", "number")
"""What a feature measures, for rounding and display (see :func:`feature_kind`)."""

_SHARE_WORDS = ("share", "rate", "probability", "ratio", "pct", "percent")
_MONEY_WORDS = ("revenue", "value", "clv", "amount", "spend", "price")


def currency_symbol(code: str | None) -> str:
    """``€`` for EUR, ``$`` for USD, ...; other codes as ``"CHF "``; empty without a code."""
    if not code:
        return ""
    return CURRENCY_SYMBOLS.get(str(code).upper(), f"{str(code).upper()} ")


def feature_kind(name: str, values: np.ndarray | None = None) -> str:
    """What a feature measures: ``share``, ``money``, ``count``, ``days`` or ``number``.

    The name decides first: a name with share/rate/probability/ratio/pct/percent is a
    ``share``, one with revenue/value/clv/amount/spend/price is ``money``. Then the data,
    when given: all finite values whole numbers -> ``count``, all within [0, 1] -> ``share``,
    else ``number``. Without data the name's unit decides: ``count`` or ``days`` in the name,
    else ``number``.
    """
    lowered = name.lower()
    if any(word in lowered for word in _SHARE_WORDS):
        return "share"
    if any(word in lowered for word in _MONEY_WORDS):
        return "money"
    if values is not None:
        finite = values[np.isfinite(values)]
        if finite.size and np.all(finite == np.round(finite)):
            return "count"
        if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            return "share"
        return "number"
    if "count" in lowered:
        return "count"
    if "days" in lowered:
        return "days"
    return "number"


def format_money(
    value: Any, symbol: str = "€", *, cents_below: float = 100.0, millions: bool = True
) -> str:
    """``€1,234``, ``€12.50``, ``€1.2M``; :data:`MISSING` for a missing value.

    Args:
        value: The amount.
        symbol: Currency symbol written before the amount.
        cents_below: Amounts below this (in absolute value) show cents; from it on, whole
            units with thousands separators. Sentences use 10 (``€45``), tables 100
            (``€45.00``).
        millions: Show amounts from one million on as ``€1.2M``.
    """
    if not is_finite(value):
        return MISSING
    number = float(value)
    if millions and abs(number) >= 1e6:
        return f"{symbol}{number / 1e6:,.1f}M"
    if abs(number) >= cents_below:
        return f"{symbol}{number:,.0f}"
    return f"{symbol}{number:,.2f}"


def format_share(value: Any, digits: int = 0, *, one_decimal_below: float = 0.01) -> str:
    """A share as a percentage: ``0.123`` -> ``12%``; :data:`MISSING` for a missing value.

    Args:
        value: The share (1 = 100%).
        digits: Decimals of the percentage.
        one_decimal_below: Non-zero shares below this (in absolute value) get one decimal
            (``0.4%``), so a small share never shows as ``0%``. Tables use 0.01, sentences 0.1
            (``7.5% of customers``).
    """
    if not is_finite(value):
        return MISSING
    share = float(value)
    if share != 0 and abs(share) < one_decimal_below:
        return f"{100 * share:.1f}%"
    return f"{100 * share:.{digits}f}%"


def format_number(value: Any, decimals: int = 0) -> str:
    """``1,234`` / ``3.95``; :data:`MISSING` for a missing value."""
    if not is_finite(value):
        return MISSING
    return f"{float(value):,.{decimals}f}"


def format_interval(days: float) -> str:
    """A purchase rhythm in words: ``every day``, ``every 9 days``, ``every 3 weeks``, ..."""
    if days < 1.5:
        return "every day"
    if days < 14:
        return f"every {days:.0f} days"
    if days < 63:
        weeks = round(days / 7)
        return f"every {weeks} weeks" if weeks != 1 else "every week"
    if days < 730:
        months = round(days / 30.44)
        return f"every {months} months" if months != 1 else "every month"
    return f"every {days / 365.25:.1f} years"


def format_feature_value(value: Any, kind: str, symbol: str = "€") -> str:
    """A feature's value in a sentence, by its :func:`feature_kind`; ``n/a`` when missing.

    Money and shares as :func:`format_money` (cents below 10) and :func:`format_share` (one
    decimal below 10%); days whole; counts with one decimal below 10; other numbers with two
    decimals below 10.
    """
    if not is_finite(value):
        return "n/a"
    number = float(value)
    if kind == "money":
        return format_money(number, symbol, cents_below=10, millions=False)
    if kind == "share":
        return format_share(number, one_decimal_below=0.1)
    if kind == "days":
        return f"{number:.0f}"
    if kind == "count":
        return f"{number:.1f}" if abs(number) < 10 else f"{number:,.0f}"
    return f"{number:.2f}" if abs(number) < 10 else f"{number:,.1f}"


def is_finite(value: object) -> bool:
    """True for a number that is neither missing nor infinite."""
    try:
        return value is not None and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
