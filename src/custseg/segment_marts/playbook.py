"""The action playbook: seed ``segment_playbook`` parsed, validated and applied to segments.

No I/O and no dbt imports. The seed (``seeds/segment_playbook.csv``) is the only copy of the
playbook; its rows are ordered by ``priority`` and the first row whose conditions hold on a
segment's profile gives the segment its recommended action. A row has up to two conditions
``<feature> <stat> <op> <value>``: ``stat`` is ``z`` (the segment's z-score, the default)
or ``mean`` (the raw segment mean), ``op`` one of ``<, <=, >, >=, ==, !=``. A row without
conditions matches every segment (the default action). A condition on a feature the profile
does not have, or whose value is null, does not hold.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from custseg.seeds import is_blank
from custseg.segment_marts.profiling import profiles_wide

PLAYBOOK_COLUMNS: tuple[str, ...] = (
    "priority",
    "condition_feature",
    "condition_stat",
    "condition_op",
    "condition_value",
    "condition2_feature",
    "condition2_stat",
    "condition2_op",
    "condition2_value",
    "action",
    "rationale",
)
"""Columns of the playbook seed; the second condition and the rationale are optional."""

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
_STATS = ("z", "mean")
_CONDITIONS = ("condition", "condition2")

_ParsedCondition = tuple[str, str, str, float] | None


def validate_playbook(playbook_df: pd.DataFrame) -> pd.DataFrame:
    """Check the playbook seed and return it sorted by priority.

    Raises:
        KeyError: A required column is missing.
        ValueError: Null or duplicate priorities, an unknown operator or stat, a condition
            with missing parts, or an empty action; the message names the seed row.
    """
    required = ("priority", "condition_feature", "condition_op", "condition_value", "action")
    missing = [c for c in required if c not in playbook_df.columns]
    if missing:
        raise KeyError(f"seed segment_playbook: columns not found: {missing}")
    playbook = playbook_df.copy()
    for column in PLAYBOOK_COLUMNS:
        if column not in playbook.columns:
            playbook[column] = None
    if playbook["priority"].isna().any():
        raise ValueError("seed segment_playbook: priorities must not be null")
    playbook["priority"] = playbook["priority"].astype(np.int64)
    if playbook["priority"].duplicated().any():
        duplicated = sorted(set(playbook.loc[playbook["priority"].duplicated(), "priority"]))
        raise ValueError(f"seed segment_playbook: priorities must be unique, got {duplicated}")
    for _, row in playbook.iterrows():
        if is_blank(row["action"]):
            raise ValueError(f"{_where(row)}: no action")
        for prefix in _CONDITIONS:
            _parse_condition(row, prefix)
    return playbook.sort_values("priority", kind="mergesort").reset_index(drop=True)


def recommend_action(
    profile_row: Mapping[str, float] | pd.Series, playbook_df: pd.DataFrame
) -> str | None:
    """The action of the first playbook row (by priority) whose conditions hold.

    Args:
        profile_row: One segment's row of
            :func:`custseg.segment_marts.profiling.profiles_wide` (keys ``<feature>__z`` and
            ``<feature>__mean``).
        playbook_df: The playbook seed (:data:`PLAYBOOK_COLUMNS`).

    Returns:
        The action, or ``None`` when no row matches.
    """
    chosen = _first_match(validate_playbook(playbook_df), dict(profile_row))
    return None if chosen is None else str(chosen["action"]).strip()


def recommend_actions(profiles: pd.DataFrame, playbook_df: pd.DataFrame) -> pd.DataFrame:
    """:func:`recommend_action` for every segment of the long profiles (noise included).

    Returns:
        Frame ``segment_id, recommended_action, playbook_priority`` ordered by segment id.
    """
    playbook = validate_playbook(playbook_df)
    records = []
    for sid, row in profiles_wide(profiles).iterrows():
        chosen = _first_match(playbook, row.to_dict())
        records.append(
            {
                "segment_id": int(sid),
                "recommended_action": None if chosen is None else str(chosen["action"]).strip(),
                "playbook_priority": None if chosen is None else int(chosen["priority"]),
            }
        )
    frame = pd.DataFrame(records, columns=["segment_id", "recommended_action", "playbook_priority"])
    frame["playbook_priority"] = frame["playbook_priority"].astype("Int64")
    return frame


def _first_match(playbook: pd.DataFrame, values: Mapping[str, float]) -> pd.Series | None:
    for _, rule in playbook.iterrows():
        if all(_condition_holds(_parse_condition(rule, prefix), values) for prefix in _CONDITIONS):
            return rule
    return None


def _where(rule: pd.Series) -> str:
    return f"seed segment_playbook, row with priority {rule['priority']}"


def _parse_condition(rule: pd.Series, prefix: str) -> _ParsedCondition:
    feature = rule.get(f"{prefix}_feature")
    if is_blank(feature):
        others = [rule.get(f"{prefix}_{part}") for part in ("op", "value")]
        if any(not is_blank(v) for v in others):
            raise ValueError(f"{_where(rule)}: {prefix} has no feature")
        return None
    stat = rule.get(f"{prefix}_stat")
    stat = "z" if is_blank(stat) else str(stat).strip()
    if stat not in _STATS:
        raise ValueError(f"{_where(rule)}: {prefix}_stat must be 'z' or 'mean'")
    op = rule.get(f"{prefix}_op")
    if is_blank(op) or str(op).strip() not in _OPS:
        raise ValueError(f"{_where(rule)}: {prefix}_op must be one of {list(_OPS)}")
    try:
        number = float(rule.get(f"{prefix}_value"))
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{_where(rule)}: {prefix}_value must be a number")
    return str(feature).strip(), stat, str(op).strip(), number


def _condition_holds(condition: _ParsedCondition, values: Mapping[str, float]) -> bool:
    if condition is None:
        return True
    feature, stat, op, number = condition
    value = values.get(f"{feature}__{stat}")
    try:
        value = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return math.isfinite(value) and bool(_OPS[op](value, number))
