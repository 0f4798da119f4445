"""Readable segment rules from a shallow decision tree, e.g. ``order_count >= 8``.

No I/O and no dbt imports. A one-vs-rest decision tree on a bounded sample of raw (unscaled)
feature values is turned into text such as ``days_since_last_order < 40 and order_count >= 8``
with the share of the segment it covers and its precision, both measured for the rounded text.
The model ``int_segments_named`` calls :func:`segment_rules` on the sample of
``int_segment_features_sampled``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from custseg.formatting import FEATURE_KINDS, feature_kind
from custseg.sampling import subsample_indices
from custseg.segment_ids import NOISE

RULE_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "rule_text",
    "rule_coverage",
    "rule_precision",
    "rule_sample_rows",
)
"""Columns of :func:`segment_rules` (joined into ``int_segments_named``)."""


def segment_rules(
    features: pd.DataFrame,
    labels: Sequence[int] | np.ndarray | pd.Series,
    feature_names: Sequence[str],
    *,
    max_rows: int,
    max_depth: int = 2,
    random_state: int = 42,
) -> pd.DataFrame:
    """Readable rules per segment from a shallow one-vs-rest decision tree on a sample.

    Wraps :func:`describe_segments` (raw feature values, at most ``max_rows`` rows). Segments
    absent from the sample, and noise, get no row.

    Returns:
        Frame with :data:`RULE_COLUMNS`; ``rule_text`` is empty when the tree found no region
        where the segment is the majority.
    """
    label_array = np.asarray(labels, dtype=np.int64)
    present = sorted(int(s) for s in np.unique(label_array) if s != NOISE)
    if len(label_array) == 0 or not present:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in RULE_COLUMNS})
    described = describe_segments(
        features,
        label_array,
        list(feature_names),
        segment_ids=present,
        max_depth=max_depth,
        max_rows=max_rows,
        random_state=random_state,
    )
    return pd.DataFrame(
        {
            "segment_id": described["segment_id"].astype(np.int64),
            "rule_text": described["rule_text"].astype(object),
            "rule_coverage": described["coverage"].astype(np.float64),
            "rule_precision": described["precision"].astype(np.float64),
            "rule_sample_rows": described["sample_rows"].astype(np.int64),
        }
    )


@dataclass(frozen=True)
class Condition:
    """One comparison of a rule, e.g. ``order_count >= 8``.

    Attributes:
        feature: Feature name.
        op: ``"<"`` or ``">="``.
        threshold: The rounded threshold the text shows (and coverage is measured with).
        threshold_text: The threshold as shown in the text.
        includes_missing: Whether customers with a missing value also satisfy it.
    """

    feature: str
    op: str
    threshold: float
    threshold_text: str
    includes_missing: bool = False

    @property
    def text(self) -> str:
        """Readable text, e.g. ``order_count >= 8`` or ``(x < 3 or x is missing)``."""
        core = f"{self.feature} {self.op} {self.threshold_text}"
        return f"({core} or {self.feature} is missing)" if self.includes_missing else core

    def mask(self, values: np.ndarray) -> np.ndarray:
        """Which of the ``values`` (of this feature) satisfy the condition."""
        with np.errstate(invalid="ignore"):
            hit = values < self.threshold if self.op == "<" else values >= self.threshold
        missing = ~np.isfinite(values)
        return np.where(missing, self.includes_missing, hit)


@dataclass(frozen=True)
class SegmentRule:
    """A conjunction of conditions (one positive branch of the tree).

    ``coverage`` is the share of the segment's sample rows the rule matches, ``precision`` the
    share of matched sample rows that are in the segment, ``matched_rows`` the matched count.
    """

    conditions: tuple[Condition, ...]
    coverage: float
    precision: float
    matched_rows: int

    @property
    def text(self) -> str:
        """Conditions joined with ``and``; ``"all customers"`` for no condition."""
        return " and ".join(c.text for c in self.conditions) or "all customers"


@dataclass(frozen=True)
class SegmentRules:
    """Readable description of one segment by a shallow one-vs-rest decision tree.

    Attributes:
        segment_id: The described segment.
        rules: Positive branches, largest coverage first; a customer matching any of them is
            predicted to be in the segment. Empty if the tree found no region where the segment
            is the (class-balanced) majority.
        coverage: Share of the segment's sample rows matched by any rule (recall).
        precision: Share of the rows matched by any rule that are in the segment (``nan`` if
            nothing matched).
        segment_rows: Sample rows in the segment.
        sample_rows: Rows in the (bounded) sample the tree was fitted on.
    """

    segment_id: int
    rules: tuple[SegmentRule, ...]
    coverage: float
    precision: float
    segment_rows: int
    sample_rows: int

    @property
    def text(self) -> str:
        """Rules joined with ``or`` (each in parentheses when there are several)."""
        if not self.rules:
            return ""
        if len(self.rules) == 1:
            return self.rules[0].text
        return " or ".join(f"({r.text})" for r in self.rules)


def round_threshold(threshold: float, kind: str) -> tuple[float, str]:
    """Round a (non-integer-data) threshold for display; returns ``(value, text)``.

    ``count``: nearest integer. ``share``: 2 decimals (3 significant digits below 0.05).
    ``money``, ``days`` and ``number``: 3 significant digits, shown without decimals from 100
    up and with thousands separators (``1,230``).
    """
    if kind not in FEATURE_KINDS:
        raise ValueError(f"kind must be one of {FEATURE_KINDS}, got {kind!r}")
    if not math.isfinite(threshold):
        raise ValueError("threshold must be finite")
    if kind == "count":
        value = float(round(threshold))
        return value, f"{int(value)}"
    if kind == "share" and abs(threshold) >= 0.05:
        value = round(threshold, 2)
        return value, f"{value:.2f}"
    value = _significant(threshold, 3)
    if abs(value) >= 100:
        return value, f"{value:,.0f}"
    return value, f"{value:.{_decimals_for(value, 3)}f}"


def describe_rules(
    x_sample: pd.DataFrame | np.ndarray,
    labels: Sequence[int] | np.ndarray | pd.Series,
    feature_names: Sequence[str] | None,
    segment_id: int,
    max_depth: int = 2,
    min_samples_leaf: int | None = None,
    *,
    max_rows: int,
    random_state: int = 42,
    feature_kinds: Mapping[str, str] | None = None,
) -> SegmentRules:
    """Readable rules for one segment from a shallow one-vs-rest decision tree.

    A :class:`~sklearn.tree.DecisionTreeClassifier` (balanced class weights, fixed random
    state) separates the segment from everybody else on raw feature values; each branch whose
    leaves all predict the segment becomes a rule. Thresholds are rounded per feature kind
    (:func:`custseg.formatting.feature_kind`); for whole-number features the rounding is
    exact (the tree's ``x <= 39.5`` becomes ``x < 40``). Missing values are handled natively by
    the tree; a condition mentions ``is missing`` when the sample had missing values of that
    feature and the tree sent them down the rule's side. Coverage and precision are measured
    for the rounded rules on the sample.

    Args:
        x_sample: Raw (unscaled) feature values, one row per customer; a DataFrame or an array.
        labels: Segment id per row.
        feature_names: Columns to use (required for an array; default for a DataFrame: all of
            its columns).
        segment_id: Segment to describe.
        max_depth: Tree depth (2 gives rules of at most two conditions).
        min_samples_leaf: Minimum rows per leaf; default ``max(20, 1% of the sample rows)``.
        max_rows: The tree is fitted on a uniform random subsample of at most this many rows.
        random_state: Seed of the subsample and the tree.
        feature_kinds: Optional feature -> kind overrides (:data:`FEATURE_KINDS`).

    Raises:
        ValueError: Bad shapes, or no sample row in the segment.
    """
    matrix, names, label_array = _rule_inputs(x_sample, labels, feature_names)
    index = subsample_indices(len(label_array), max_rows, random_state)
    matrix, label_array = matrix[index], label_array[index]
    kinds = _kinds(matrix, names, feature_kinds)
    return _describe(
        matrix,
        label_array,
        names,
        kinds,
        int(segment_id),
        max_depth,
        min_samples_leaf,
        random_state,
    )


def describe_segments(
    x_sample: pd.DataFrame | np.ndarray,
    labels: Sequence[int] | np.ndarray | pd.Series,
    feature_names: Sequence[str] | None = None,
    *,
    segment_ids: Iterable[int] | None = None,
    max_depth: int = 2,
    min_samples_leaf: int | None = None,
    max_rows: int,
    random_state: int = 42,
    feature_kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """:func:`describe_rules` for every segment (one shared subsample).

    Args:
        segment_ids: Segments to describe; default every id in ``labels`` except noise.
        Others: As in :func:`describe_rules`.

    Returns:
        Frame ``segment_id, rule_text, rule_count, coverage, precision, segment_rows,
        sample_rows`` ordered by segment id.
    """
    matrix, names, label_array = _rule_inputs(x_sample, labels, feature_names)
    index = subsample_indices(len(label_array), max_rows, random_state)
    matrix, label_array = matrix[index], label_array[index]
    kinds = _kinds(matrix, names, feature_kinds)
    if segment_ids is None:
        ids = sorted(int(s) for s in np.unique(label_array) if s != NOISE)
    else:
        ids = sorted(int(s) for s in segment_ids)
    records = []
    for sid in ids:
        result = _describe(
            matrix, label_array, names, kinds, sid, max_depth, min_samples_leaf, random_state
        )
        records.append(
            {
                "segment_id": sid,
                "rule_text": result.text,
                "rule_count": len(result.rules),
                "coverage": result.coverage,
                "precision": result.precision,
                "segment_rows": result.segment_rows,
                "sample_rows": result.sample_rows,
            }
        )
    columns = [
        "segment_id",
        "rule_text",
        "rule_count",
        "coverage",
        "precision",
        "segment_rows",
        "sample_rows",
    ]
    return pd.DataFrame(records, columns=columns)


def _describe(
    matrix: np.ndarray,
    label_array: np.ndarray,
    names: list[str],
    kinds: dict[str, str],
    segment_id: int,
    max_depth: int,
    min_samples_leaf: int | None,
    random_state: int,
) -> SegmentRules:
    n = len(label_array)
    target = label_array == segment_id
    segment_rows = int(target.sum())
    if segment_rows == 0:
        raise ValueError(f"segment {segment_id} has no rows in the sample")
    if segment_rows == n:
        rule = SegmentRule((), 1.0, 1.0, n)
        return SegmentRules(segment_id, (rule,), 1.0, 1.0, segment_rows, n)
    if max_depth < 1:
        raise ValueError("max_depth must be >= 1")
    leaf = min_samples_leaf if min_samples_leaf is not None else max(20, math.ceil(0.01 * n))
    tree = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(1, min(leaf, n // 2)),
        class_weight="balanced",
        random_state=random_state,
    ).fit(matrix, target)
    has_missing = ~np.isfinite(matrix).all(axis=0)
    paths = _positive_paths(tree, names, has_missing)
    rules = []
    for path in paths:
        conditions = _merge_conditions(path, kinds)
        rules.append(_measure(conditions, matrix, names, target))
    rules.sort(key=lambda r: (-r.coverage, -r.precision, r.text))
    matched = np.zeros(n, dtype=bool)
    for rule in rules:
        matched |= _rule_mask(rule.conditions, matrix, names)
    hits = int(matched.sum())
    coverage = float((matched & target).sum() / segment_rows)
    precision = float((matched & target).sum() / hits) if hits else math.nan
    return SegmentRules(segment_id, tuple(rules), coverage, precision, segment_rows, n)


_RawCondition = tuple[str, bool, float, bool]  # feature, is_left (<=), raw threshold, missing


def _positive_paths(
    tree: DecisionTreeClassifier, names: list[str], has_missing: np.ndarray
) -> list[list[_RawCondition]]:
    """Paths to maximal subtrees whose leaves all predict the positive class."""
    t = tree.tree_
    classes = list(tree.classes_)
    if True not in classes:
        return []
    positive = classes.index(True)
    left, right = t.children_left, t.children_right
    missing_left = getattr(t, "missing_go_to_left", None)

    def all_positive(node: int) -> bool:
        if left[node] == -1:
            value = t.value[node][0]
            return bool(value[positive] > value[1 - positive]) if len(value) == 2 else False
        return all_positive(left[node]) and all_positive(right[node])

    paths: list[list[_RawCondition]] = []

    def walk(node: int, path: list[_RawCondition]) -> None:
        if all_positive(node):
            paths.append(path)
            return
        if left[node] == -1:
            return
        feature = int(t.feature[node])
        threshold = float(t.threshold[node])
        goes_left = bool(missing_left[node]) if missing_left is not None else True
        mention = bool(has_missing[feature])
        walk(left[node], [*path, (names[feature], True, threshold, mention and goes_left)])
        walk(right[node], [*path, (names[feature], False, threshold, mention and not goes_left)])

    walk(0, [])
    return paths


def _merge_conditions(path: list[_RawCondition], kinds: dict[str, str]) -> tuple[Condition, ...]:
    """Round thresholds and keep the tightest bound per feature and direction."""
    bounds: dict[tuple[str, str], Condition] = {}
    order: list[tuple[str, str]] = []
    for feature, is_left, raw, includes_missing in path:
        kind = kinds[feature]
        if kind == "count":  # integer data: x <= t  <=>  x < floor(t) + 1, exactly
            value = float(math.floor(raw) + 1)
            text = f"{int(value)}"
        else:
            value, text = round_threshold(raw, kind)
        op = "<" if is_left else ">="
        condition = Condition(feature, op, value, text, includes_missing)
        key = (feature, op)
        previous = bounds.get(key)
        if previous is None:
            order.append(key)
            bounds[key] = condition
            continue
        tighter = (value < previous.threshold) if op == "<" else (value > previous.threshold)
        chosen = condition if tighter else previous
        bounds[key] = Condition(
            feature,
            op,
            chosen.threshold,
            chosen.threshold_text,
            previous.includes_missing and includes_missing,
        )
    return tuple(bounds[key] for key in order)


def _rule_mask(conditions: Sequence[Condition], matrix: np.ndarray, names: list[str]) -> np.ndarray:
    mask = np.ones(len(matrix), dtype=bool)
    position = {name: i for i, name in enumerate(names)}
    for condition in conditions:
        mask &= condition.mask(matrix[:, position[condition.feature]])
    return mask


def _measure(
    conditions: tuple[Condition, ...], matrix: np.ndarray, names: list[str], target: np.ndarray
) -> SegmentRule:
    mask = _rule_mask(conditions, matrix, names)
    hits = int(mask.sum())
    true_hits = int((mask & target).sum())
    return SegmentRule(
        conditions=conditions,
        coverage=float(true_hits / max(int(target.sum()), 1)),
        precision=float(true_hits / hits) if hits else math.nan,
        matched_rows=hits,
    )


def _rule_inputs(
    x_sample: pd.DataFrame | np.ndarray,
    labels: Sequence[int] | np.ndarray | pd.Series,
    feature_names: Sequence[str] | None,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    if isinstance(x_sample, pd.DataFrame):
        names = list(feature_names) if feature_names is not None else [str(c) for c in x_sample]
        missing = [c for c in names if c not in x_sample.columns]
        if missing:
            raise KeyError(f"columns not found: {missing}")
        matrix = np.column_stack([as_float(x_sample[c], name=c) for c in names])
    else:
        matrix = np.asarray(x_sample, dtype=np.float64)
        if matrix.ndim != 2:
            raise ValueError("x_sample must be 2-dimensional")
        if feature_names is None or len(feature_names) != matrix.shape[1]:
            raise ValueError("feature_names must name every column of an array x_sample")
        names = [str(f) for f in feature_names]
    _check_feature_names(names)
    label_array = np.asarray(labels).astype(np.int64)
    if label_array.ndim != 1 or len(label_array) != len(matrix):
        raise ValueError("labels must be 1-dimensional with one label per row of x_sample")
    matrix = np.where(np.isfinite(matrix), matrix, np.nan)
    return matrix, names, label_array


def _kinds(
    matrix: np.ndarray, names: list[str], overrides: Mapping[str, str] | None
) -> dict[str, str]:
    kinds = {name: feature_kind(name, matrix[:, i]) for i, name in enumerate(names)}
    for name, kind in (overrides or {}).items():
        if kind not in FEATURE_KINDS:
            raise ValueError(f"unknown kind {kind!r} for {name!r}; use one of {FEATURE_KINDS}")
        if name in kinds:
            kinds[name] = kind
    # integer-exact thresholds only when the data really are whole numbers
    for i, name in enumerate(names):
        if kinds[name] == "count" and feature_kind("", matrix[:, i]) != "count":
            kinds[name] = "number"
    return kinds


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def as_float(series: pd.Series, *, name: str | None = None) -> np.ndarray:
    """A numeric or boolean column as float64 with ``nan`` for nulls and non-finite values.

    Raises:
        TypeError: The column is not numeric or boolean (decimals stored as objects are
            accepted).
    """
    label = name or str(series.name)
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        values = series.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    elif series.dtype == object:
        try:
            values = pd.to_numeric(series, errors="raise").astype("Float64")
        except (TypeError, ValueError) as error:
            raise TypeError(f"feature {label!r} is not numeric") from error
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raise TypeError(f"feature {label!r} is not numeric (dtype {series.dtype})")
    return np.where(np.isfinite(values), values, np.nan)


def _check_feature_names(names: Sequence[str]) -> None:
    duplicates = sorted({n for n in names if list(names).count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate feature names: {duplicates}")


def _significant(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    exponent = math.floor(math.log10(abs(value)))
    return float(round(value, digits - 1 - exponent))


def _decimals_for(value: float, digits: int) -> int:
    if value == 0:
        return 0
    exponent = math.floor(math.log10(abs(value)))
    return max(0, digits - 1 - exponent)
