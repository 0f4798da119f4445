"""Reading dbt vars inside Python models: every default lives once, in ``dbt_project.yml``.

A Python model reads a var through its YAML ``config`` (``"{{ var('name') }}"``) and
``dbt.config.get("name")``; these helpers turn the raw value into a typed setting and fail
with a message naming the var when it is missing or malformed, instead of falling back to a
second default in Python.
"""

from __future__ import annotations

from typing import Any


class SettingError(ValueError):
    """A dbt var that a Python model needs is missing or has the wrong type."""


_WHERE = "set it in dbt_project.yml (vars:) or with --vars, and pass it through the model's config"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "None", "none"))


def required(name: str, value: Any) -> Any:
    """``value`` unchanged, or a :class:`SettingError` naming var ``name`` when it is unset."""
    if _missing(value):
        raise SettingError(f"dbt var '{name}' is not set: {_WHERE}.")
    return value


def optional(value: Any) -> Any:
    """``value``, or None for a var whose documented default is null."""
    return None if _missing(value) else value


def integer(name: str, value: Any, *, minimum: int | None = None) -> int:
    """Var ``name`` as an int (at least ``minimum``)."""
    raw = required(name, value)
    try:
        number = int(float(raw))
        if float(raw) != number:
            raise ValueError
    except (TypeError, ValueError):
        raise SettingError(f"dbt var '{name}' must be an integer, got {raw!r}.") from None
    if minimum is not None and number < minimum:
        raise SettingError(f"dbt var '{name}' must be at least {minimum}, got {number}.")
    return number


def number(name: str, value: Any, *, low: float | None = None, high: float | None = None) -> float:
    """Var ``name`` as a float within [``low``, ``high``]."""
    raw = required(name, value)
    try:
        result = float(raw)
    except (TypeError, ValueError):
        raise SettingError(f"dbt var '{name}' must be a number, got {raw!r}.") from None
    if (low is not None and result < low) or (high is not None and result > high):
        raise SettingError(f"dbt var '{name}' must be within [{low}, {high}], got {result}.")
    return result


def boolean(name: str, value: Any) -> bool:
    """Var ``name`` as a bool; accepts true/false, yes/no, 1/0 in any case."""
    raw = required(name, value)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes", "y", "1", "on"):
        return True
    if text in ("false", "no", "n", "0", "off"):
        return False
    raise SettingError(f"dbt var '{name}' must be true or false, got {raw!r}.")
