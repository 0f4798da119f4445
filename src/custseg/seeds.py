"""Cells of the hand-edited seeds ``segment_overrides`` and ``segment_playbook``.

People edit these CSV files in a spreadsheet: an empty cell, a cell of spaces and a null all
mean "not set" (keep the automatic value, no condition).
"""

from __future__ import annotations

import pandas as pd


def is_blank(value: object) -> bool:
    """True for a seed cell that is not set: null, NaN, or a string of white space."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
