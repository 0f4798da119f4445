"""Compare what two engines built from the same raw data (DuckDB and Spark), one place.

Two builds of one world on different engines agree exactly on keys, counts, text, booleans
and dates, but floating-point sums may differ in the last bits (another order of additions).
:func:`compare_frames` picks the tolerance by column type: floating-point and decimal
columns within ``rel_tol`` relative, everything else exactly. Types are aligned first, so an
``int32`` on one side equals an ``int64`` on the other, and timestamps are compared in UTC.

Rows are matched by a key (a per-customer table) or, without one, as multisets: both sides
sorted by their exact columns, then by the others (export files, whose row order and part
files are the engine's business). ``tests/spark`` uses this module; so can anyone who
compares a Spark build with a DuckDB build of the same world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

REL_TOL = 1e-9
"""Relative tolerance for floating-point columns (issue 14: amounts and rates)."""
ABS_TOL = 1e-12
"""Absolute floor of that tolerance, for values that are zero on one side and a rounding
residue (about 1e-17) on the other."""
MANIFEST_LAYOUT_FIELDS = {"bytes", "sha256", "parts"}
"""Per-file fields of an export manifest that describe the bytes on disk: a Spark export
file is a folder of part files (`custseg.activation.engine_export`), a DuckDB one a file."""


@dataclass
class FrameDiff:
    """How two frames of the same relation differ (empty lists and dicts: equal)."""

    name: str
    rows: tuple[int, int]
    missing_columns: list[str] = field(default_factory=list)
    only_left_keys: int = 0
    only_right_keys: int = 0
    # column -> number of rows whose values differ beyond the column's tolerance
    differing: dict[str, int] = field(default_factory=dict)
    # column -> up to three (left, right) pairs that differ, for the failure message
    examples: dict[str, list[tuple[object, object]]] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        """Same columns, same keys (or row counts) and every value within tolerance."""
        return not (
            self.missing_columns
            or self.only_left_keys
            or self.only_right_keys
            or self.differing
            or self.rows[0] != self.rows[1]
        )

    def describe(self) -> str:
        """One readable paragraph for an assertion message."""
        if self.equal:
            return f"{self.name}: equal ({self.rows[0]} rows)"
        lines = [f"{self.name}: {self.rows[0]} rows left, {self.rows[1]} rows right"]
        if self.missing_columns:
            lines.append(f"  columns on one side only: {self.missing_columns}")
        if self.only_left_keys or self.only_right_keys:
            lines.append(
                f"  keys only left: {self.only_left_keys}, only right: {self.only_right_keys}"
            )
        for column, count in self.differing.items():
            lines.append(f"  {column}: {count} rows differ, e.g. {self.examples[column]}")
        return "\n".join(lines)


def is_approximate(series: pd.Series) -> bool:
    """Whether a column is compared within tolerance: floating point (DuckDB turns decimals
    into floats in ``.df()``; Spark may keep them as ``Decimal`` objects)."""
    if pd.api.types.is_float_dtype(series.dtype):
        return True
    if series.dtype == object:
        sample = series.dropna()
        return not sample.empty and all(
            type(value).__name__ == "Decimal" for value in sample.head(20)
        )
    return False


def normalised(series: pd.Series, approximate: bool) -> pd.Series:
    """One representation per kind of value, so equal values compare equal across engines:
    floats as ``float64``, integers and booleans as nullable ``Int64``/``boolean``,
    timestamps as UTC without a zone, everything else as text (``None`` for null)."""
    if approximate:
        return pd.to_numeric(series.astype(object), errors="raise").astype("float64")
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return series.astype("boolean")
    if pd.api.types.is_integer_dtype(dtype):
        return series.astype("Int64")
    if isinstance(dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    if pd.api.types.is_datetime64_dtype(dtype):
        return series.astype("datetime64[us]")
    return series.map(lambda value: None if value is None or value is pd.NA else str(value))


def _differs(left: pd.Series, right: pd.Series, approximate: bool) -> np.ndarray:
    """Row mask of values that differ (two nulls are equal)."""
    left_null = left.isna().to_numpy()
    right_null = right.isna().to_numpy()
    both = ~left_null & ~right_null
    mismatch = left_null != right_null
    if approximate:
        one = left.to_numpy(dtype="float64", na_value=np.nan)
        two = right.to_numpy(dtype="float64", na_value=np.nan)
        close = np.isclose(one, two, rtol=REL_TOL, atol=ABS_TOL)
        return mismatch | (both & ~close)
    one = left.to_numpy(dtype=object)
    two = right.to_numpy(dtype=object)
    unequal = np.array(
        [bool(a != b) if keep else False for a, b, keep in zip(one, two, both, strict=True)],
        dtype=bool,
    )
    return mismatch | unequal


def compare_frames(
    name: str,
    left: pd.DataFrame,
    right: pd.DataFrame,
    key: Sequence[str] | None = None,
    ignored_columns: Sequence[str] = (),
) -> FrameDiff:
    """Compare two frames of one relation, column by column with each column's tolerance.

    ``key`` matches rows (and must be unique on each side); without it, rows are matched as
    multisets: both sides sorted by their exact columns, then by the approximate ones.
    ``ignored_columns`` are left out (for example file paths, which name each build's folder).
    """
    columns = [column for column in left.columns if column not in ignored_columns]
    right_columns = [column for column in right.columns if column not in ignored_columns]
    diff = FrameDiff(name=name, rows=(len(left), len(right)))
    diff.missing_columns = sorted(set(columns) ^ set(right_columns))
    shared = [column for column in columns if column in right_columns]
    approximate = {
        column: is_approximate(left[column]) or is_approximate(right[column]) for column in shared
    }
    one = pd.DataFrame({c: normalised(left[c], approximate[c]) for c in shared})
    two = pd.DataFrame({c: normalised(right[c], approximate[c]) for c in shared})
    if key:
        key = list(key)
        for side in (one, two):
            duplicated = int(side.duplicated(key).sum())
            if duplicated:
                raise ValueError(f"{name}: key {key} is not unique ({duplicated} duplicates)")
        merged = one.merge(two, on=key, how="outer", suffixes=("__l", "__r"), indicator=True)
        diff.only_left_keys = int((merged["_merge"] == "left_only").sum())
        diff.only_right_keys = int((merged["_merge"] == "right_only").sum())
        matched = merged[merged["_merge"] == "both"]
        pairs = {c: (matched[f"{c}__l"], matched[f"{c}__r"]) for c in shared if c not in key}
    else:
        if len(one) != len(two):
            return diff
        order = [c for c in shared if not approximate[c]] + [c for c in shared if approximate[c]]
        one = one.sort_values(order, na_position="first", kind="stable").reset_index(drop=True)
        two = two.sort_values(order, na_position="first", kind="stable").reset_index(drop=True)
        pairs = {c: (one[c], two[c]) for c in shared}
    for column, (values_left, values_right) in pairs.items():
        mask = _differs(values_left, values_right, approximate[column])
        if mask.any():
            diff.differing[column] = int(mask.sum())
            diff.examples[column] = list(
                zip(values_left[mask].head(3), values_right[mask].head(3), strict=True)
            )
    return diff


def manifest_without_layout(manifest: dict) -> dict:
    """An export manifest without what depends on the file layout (sizes, digests, part
    lists and the ``file_layout`` note), its files in a fixed order: what both engines must
    agree on (destination, as-of date, model version, every file's name, rows and segment)."""
    files = [
        {name: value for name, value in entry.items() if name not in MANIFEST_LAYOUT_FIELDS}
        for entry in manifest.get("files", [])
    ]
    rest = {name: value for name, value in manifest.items() if name not in {"files", "file_layout"}}
    return {**rest, "files": sorted(files, key=lambda entry: str(entry.get("path")))}
