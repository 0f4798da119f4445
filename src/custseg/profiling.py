"""Segment profiles: per-feature means and z-scores, distinguishing features, readable rules.

No I/O and no dbt imports. Three building blocks:

* **Profiles** (mart ``rpt_segment_feature_profiles``): per segment and feature the segment mean,
  the overall mean and standard deviation over all customers (noise included), and the z-score
  ``(segment_mean - overall_mean) / overall_std``. Everything is computed from additive
  per-segment aggregates (row count, non-null count, sum, sum of squares), so 1M+ customers
  can be profiled batch by batch without holding them::

      parts = [feature_aggregates(batch, "segment_id", FEATURES) for batch in batches]
      profiles = profiles_from_aggregates(combine_aggregates(parts))

  The same aggregates are one ``group by segment_id`` in SQL (``count(*)``, ``count(x)``,
  ``sum(x)``, ``sum(x * x)``). Merging segments is re-summing the aggregates after mapping the
  ids (:func:`combine_aggregates` with ``segment_mapping``).
* **Distinguishing features**: the top features per segment by ``|z|``.
* **Rules**: a shallow one-vs-rest decision tree on a bounded sample of raw (unscaled) feature
  values, turned into text such as ``days_since_last_order < 40 and order_count >= 8`` with the
  share of the segment it covers and its precision, both measured for the rounded text.

Nulls: a missing or non-finite value is left out of every sum and count of its feature; a
segment whose values of a feature are all missing has a null mean and a null z-score. A feature
with zero (or undefined) overall standard deviation has z-score 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from custseg.segment_ids import NOISE as NOISE_SEGMENT_ID

AGGREGATE_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "feature",
    "row_count",
    "value_count",
    "value_sum",
    "value_sum_sq",
)
"""Columns of the long aggregate frame (one row per segment and feature)."""

PROFILE_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "feature",
    "customer_count",
    "value_count",
    "segment_mean",
    "overall_mean",
    "overall_std",
    "z_score",
)
"""Columns of the long profile frame (one row per segment and feature)."""

FEATURE_KINDS: tuple[str, ...] = ("count", "share", "money", "number")
"""How a feature's thresholds are rounded in rule text (see :func:`infer_feature_kind`)."""

_SHARE_WORDS = ("share", "rate", "probability", "ratio", "pct", "percent")
_MONEY_WORDS = ("revenue", "value", "clv", "amount", "spend", "price")
_RELATIVE_ZERO_STD = 1e-12
_RANK_DECIMALS = 9


# ---------------------------------------------------------------------------------------------
# Aggregates and profiles
# ---------------------------------------------------------------------------------------------


def feature_aggregates(
    features_df: pd.DataFrame, segment_col: str, feature_cols: Sequence[str]
) -> pd.DataFrame:
    """Additive per-segment aggregates of numeric features (one batch of customers).

    Args:
        features_df: One row per customer, holding ``segment_col`` and ``feature_cols``.
        segment_col: Integer segment id column (``-1`` = noise); must not be null.
        feature_cols: Numeric or boolean feature columns.

    Returns:
        Long frame with :data:`AGGREGATE_COLUMNS`, ordered by segment id and then by the order of
        ``feature_cols``. ``row_count`` counts every row of the segment, ``value_count`` the
        rows with a finite value. Sums are taken over values sorted within each segment, so the
        result does not depend on the row order of the batch.

    Raises:
        KeyError: A column is missing.
        TypeError: A feature column is not numeric or boolean.
        ValueError: Null segment ids or duplicate feature names.
    """
    feature_cols = list(feature_cols)
    _check_feature_names(feature_cols)
    missing = [c for c in (segment_col, *feature_cols) if c not in features_df.columns]
    if missing:
        raise KeyError(f"columns not found: {missing}")
    segment_ids = _segment_ids(features_df[segment_col])
    codes, uniques = pd.factorize(segment_ids, sort=True)
    n_segments = len(uniques)
    row_count = np.bincount(codes, minlength=n_segments)
    rows: list[pd.DataFrame] = []
    blocks = {}
    for feature in feature_cols:
        values = as_float(features_df[feature], name=feature)
        finite = np.isfinite(values)
        clean = np.where(finite, values, 0.0)
        order = np.lexsort((clean, codes))  # by segment, then by value: order-independent sums
        starts = np.searchsorted(codes[order], np.arange(n_segments))
        sorted_values = clean[order]
        value_sum = np.add.reduceat(sorted_values, starts) if len(codes) else np.zeros(0)
        value_sum_sq = np.add.reduceat(sorted_values**2, starts) if len(codes) else np.zeros(0)
        blocks[feature] = (
            np.bincount(codes, weights=finite, minlength=n_segments).astype(np.int64),
            value_sum,
            value_sum_sq,
        )
    for position, segment_id in enumerate(uniques):
        rows.append(
            pd.DataFrame(
                {
                    "segment_id": np.full(len(feature_cols), int(segment_id), dtype=np.int64),
                    "feature": pd.array(feature_cols, dtype=object),
                    "row_count": np.full(len(feature_cols), row_count[position], dtype=np.int64),
                    "value_count": [blocks[f][0][position] for f in feature_cols],
                    "value_sum": [blocks[f][1][position] for f in feature_cols],
                    "value_sum_sq": [blocks[f][2][position] for f in feature_cols],
                }
            )
        )
    if not rows:
        return _empty_aggregates()
    frame = pd.concat(rows, ignore_index=True)
    return _typed_aggregates(frame)


def combine_aggregates(
    parts: Iterable[pd.DataFrame], segment_mapping: Mapping[int, int] | None = None
) -> pd.DataFrame:
    """Sum aggregate frames of several batches (and optionally merge segments).

    Args:
        parts: Frames from :func:`feature_aggregates` (or the equivalent SQL).
        segment_mapping: Optional ``old segment id -> new segment id`` applied before summing,
            e.g. the merge mapping of :func:`custseg.naming.apply_overrides`.

    Returns:
        One frame with :data:`AGGREGATE_COLUMNS`, ordered by segment id and then by the order in
        which features first appear.
    """
    frames = [p.loc[:, list(AGGREGATE_COLUMNS)] for p in parts]
    if not frames:
        return _empty_aggregates()
    frame = pd.concat(frames, ignore_index=True)
    if segment_mapping:
        mapping = {int(k): int(v) for k, v in segment_mapping.items()}
        frame["segment_id"] = [mapping.get(int(s), int(s)) for s in frame["segment_id"]]
    feature_order = list(dict.fromkeys(frame["feature"]))
    frame["feature"] = pd.Categorical(frame["feature"], categories=feature_order)
    summed = (
        frame.groupby(["segment_id", "feature"], observed=True, sort=True)[
            ["row_count", "value_count", "value_sum", "value_sum_sq"]
        ]
        .sum()
        .reset_index()
    )
    summed["feature"] = summed["feature"].astype(object)
    return _typed_aggregates(summed)


def profiles_from_aggregates(
    aggregates: pd.DataFrame, *, ddof: int = 1, include_noise: bool = True
) -> pd.DataFrame:
    """Segment x feature profiles with z-scores from additive aggregates.

    The overall variance is combined from per-segment sums of squared deviations (Chan et
    al.), so differences between segment means do not cancel; within a segment the sum of
    squared deviations is ``sum_sq - sum**2 / count`` (clipped at 0), accurate in float64
    unless a feature's mean is many orders of magnitude larger than its spread.

    Args:
        aggregates: Frame with :data:`AGGREGATE_COLUMNS`; one row per segment and feature (rows
            for the same pair are summed first).
        ddof: Delta degrees of freedom of the overall standard deviation (1 = sample standard
            deviation, like SQL ``stddev``; 0 = population).
        include_noise: Whether rows for the noise segment (``-1``) are returned. Noise customers
            always count towards the overall mean and standard deviation.

    Returns:
        Long frame with :data:`PROFILE_COLUMNS`, ordered by segment id and then feature order.
    """
    missing = [c for c in AGGREGATE_COLUMNS if c not in aggregates.columns]
    if missing:
        raise KeyError(f"aggregate columns not found: {missing}")
    agg = combine_aggregates([aggregates])
    if agg.empty:
        return _empty_profiles()
    n = agg["value_count"].to_numpy(dtype=np.float64)
    s = agg["value_sum"].to_numpy(dtype=np.float64)
    q = agg["value_sum_sq"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        segment_mean = np.where(n > 0, s / np.where(n > 0, n, 1.0), np.nan)
        segment_m2 = np.where(n > 0, np.maximum(q - s * segment_mean, 0.0), 0.0)
    codes, _ = pd.factorize(agg["feature"])
    total_n = np.bincount(codes, weights=n)
    total_s = np.bincount(codes, weights=s)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall_mean_f = np.where(
            total_n > 0, total_s / np.where(total_n > 0, total_n, 1.0), np.nan
        )
    overall_mean = overall_mean_f[codes]
    deviation = np.where(n > 0, segment_mean - overall_mean, 0.0)
    total_m2 = np.bincount(codes, weights=segment_m2 + n * deviation**2)
    dof = total_n - ddof
    with np.errstate(invalid="ignore", divide="ignore"):
        overall_std_f = np.where(dof > 0, np.sqrt(total_m2 / np.where(dof > 0, dof, 1.0)), np.nan)
    overall_std_f = np.where(
        overall_std_f <= _RELATIVE_ZERO_STD * np.maximum(1.0, np.abs(overall_mean_f)),
        0.0,
        overall_std_f,
    )
    overall_std = overall_std_f[codes]
    usable = np.isfinite(overall_std) & (overall_std > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(
            usable, (segment_mean - overall_mean) / np.where(usable, overall_std, 1.0), 0.0
        )
    z = np.where(np.isnan(segment_mean), np.nan, z)
    profiles = pd.DataFrame(
        {
            "segment_id": agg["segment_id"].to_numpy(dtype=np.int64),
            "feature": agg["feature"].to_numpy(dtype=object),
            "customer_count": agg["row_count"].to_numpy(dtype=np.int64),
            "value_count": agg["value_count"].to_numpy(dtype=np.int64),
            "segment_mean": segment_mean,
            "overall_mean": overall_mean,
            "overall_std": overall_std,
            "z_score": z,
        }
    )
    if not include_noise:
        profiles = profiles[profiles["segment_id"] != NOISE_SEGMENT_ID].reset_index(drop=True)
    return profiles


def segment_feature_profiles(
    features_df: pd.DataFrame,
    segment_col: str,
    feature_cols: Sequence[str],
    *,
    ddof: int = 1,
    include_noise: bool = True,
) -> pd.DataFrame:
    """Segment x feature profiles of an in-memory frame (mart ``rpt_segment_feature_profiles``).

    Same as ``profiles_from_aggregates(feature_aggregates(features_df, ...))``; see
    :func:`profiles_from_aggregates` for the arguments and the output.
    """
    return profiles_from_aggregates(
        feature_aggregates(features_df, segment_col, feature_cols),
        ddof=ddof,
        include_noise=include_noise,
    )


def segment_sizes_from_aggregates(
    aggregates: pd.DataFrame, revenue_feature: str | None = "total_revenue"
) -> pd.DataFrame:
    """Customers (and revenue) per segment from aggregates.

    Args:
        aggregates: Frame with :data:`AGGREGATE_COLUMNS`.
        revenue_feature: Feature whose sum is the segment's revenue; ``None`` (or a feature not
            in the aggregates) leaves the revenue columns null.

    Returns:
        Frame ``segment_id, customer_count, customer_share, total_revenue, revenue_share``
        ordered by segment id.
    """
    agg = combine_aggregates([aggregates])
    counts = agg.groupby("segment_id", sort=True)["row_count"].max()
    frame = pd.DataFrame(
        {"segment_id": counts.index.to_numpy(dtype=np.int64), "customer_count": counts.to_numpy()}
    )
    total = frame["customer_count"].sum()
    frame["customer_share"] = frame["customer_count"] / total if total else np.nan
    revenue = agg[agg["feature"] == revenue_feature].set_index("segment_id")["value_sum"]
    if revenue_feature is not None and len(revenue):
        frame["total_revenue"] = frame["segment_id"].map(revenue).astype(np.float64)
        revenue_total = frame["total_revenue"].sum()
        frame["revenue_share"] = frame["total_revenue"] / revenue_total if revenue_total else np.nan
    else:
        frame["total_revenue"] = np.nan
        frame["revenue_share"] = np.nan
    return frame


def segment_sizes(
    features_df: pd.DataFrame,
    segment_col: str = "segment_id",
    revenue_col: str | None = "total_revenue",
) -> pd.DataFrame:
    """Customers (and revenue) per segment of an in-memory frame.

    See :func:`segment_sizes_from_aggregates` for the output.
    """
    features = [revenue_col] if revenue_col else []
    if not features:
        frame = features_df[[segment_col]].assign(_one=1.0)
        return segment_sizes_from_aggregates(
            feature_aggregates(frame, segment_col, ["_one"]), revenue_feature=None
        )
    return segment_sizes_from_aggregates(
        feature_aggregates(features_df, segment_col, features), revenue_feature=revenue_col
    )


def profiles_wide(profiles: pd.DataFrame) -> pd.DataFrame:
    """One row per segment with columns ``<feature>__mean`` and ``<feature>__z``.

    The index is the segment id. A row of this frame is the ``profile_row`` that
    :func:`custseg.naming.recommend_action` evaluates a playbook on.
    """
    _check_profile_columns(profiles)
    ordered = _sorted_profiles(profiles)
    features = list(dict.fromkeys(profiles["feature"]))
    means = ordered.pivot(index="segment_id", columns="feature", values="segment_mean")
    zs = ordered.pivot(index="segment_id", columns="feature", values="z_score")
    columns: dict[str, pd.Series] = {}
    for feature in features:
        columns[f"{feature}__mean"] = means[feature]
        columns[f"{feature}__z"] = zs[feature]
    wide = pd.DataFrame(columns)
    wide.index = wide.index.astype(np.int64)
    wide.index.name = "segment_id"
    wide.columns.name = None
    return wide.sort_index()


def top_distinguishing_features(
    profiles: pd.DataFrame,
    n: int = 3,
    *,
    min_abs_z: float = 0.0,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """The ``n`` features per segment with the largest ``|z_score|``.

    Ties (after rounding ``|z|`` to 9 decimals, so float noise cannot reorder them) are broken
    by feature name. Features with a null z-score are skipped.

    Args:
        profiles: Long profile frame (:data:`PROFILE_COLUMNS`).
        n: Features per segment.
        min_abs_z: Only features with ``|z| >= min_abs_z``.
        exclude: Feature names to leave out.

    Returns:
        Frame ``segment_id, rank (1 = most distinguishing), feature, z_score, segment_mean,
        overall_mean`` ordered by segment id and rank.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    _check_profile_columns(profiles)
    excluded = set(exclude)
    frame = profiles.loc[
        profiles["z_score"].notna() & ~profiles["feature"].isin(excluded),
        ["segment_id", "feature", "z_score", "segment_mean", "overall_mean"],
    ].copy()
    frame["_abs_z"] = frame["z_score"].abs().round(_RANK_DECIMALS)
    frame = frame[frame["_abs_z"] >= min_abs_z]
    frame = frame.sort_values(
        ["segment_id", "_abs_z", "feature"], ascending=[True, False, True], kind="mergesort"
    )
    frame["rank"] = frame.groupby("segment_id").cumcount() + 1
    frame = frame[frame["rank"] <= n]
    columns = ["segment_id", "rank", "feature", "z_score", "segment_mean", "overall_mean"]
    return frame.loc[:, columns].reset_index(drop=True).astype({"rank": np.int64})


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


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


def infer_feature_kind(name: str, values: np.ndarray | None = None) -> str:
    """How to round a feature's thresholds: ``count``, ``share``, ``money`` or ``number``.

    Name first: a name containing share/rate/probability/ratio/pct/percent is a ``share`` (2
    decimals); revenue/value/clv/amount/spend/price is ``money`` (3 significant digits, no
    cents above 100). Otherwise the data decide: all finite values whole numbers -> ``count``
    (exact integer thresholds), all within [0, 1] -> ``share``, else ``number`` (3 significant
    digits).
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


def round_threshold(threshold: float, kind: str) -> tuple[float, str]:
    """Round a (non-integer-data) threshold for display; returns ``(value, text)``.

    ``count``: nearest integer. ``share``: 2 decimals (3 significant digits below 0.05).
    ``money`` and ``number``: 3 significant digits, shown without decimals from 100 up and with
    thousands separators (``1,230``).
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
    max_rows: int = 20_000,
    random_state: int = 42,
    feature_kinds: Mapping[str, str] | None = None,
) -> SegmentRules:
    """Readable rules for one segment from a shallow one-vs-rest decision tree.

    A :class:`~sklearn.tree.DecisionTreeClassifier` (balanced class weights, fixed random
    state) separates the segment from everybody else on raw feature values; each branch whose
    leaves all predict the segment becomes a rule. Thresholds are rounded per feature kind
    (:func:`infer_feature_kind`); for whole-number features the rounding is exact (the tree's
    ``x <= 39.5`` becomes ``x < 40``). Missing values are handled natively by the tree; a
    condition mentions ``is missing`` when the sample had missing values of that feature and
    the tree sent them down the rule's side. Coverage and precision are measured for the
    rounded rules on the sample.

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
    index = _subsample(len(label_array), max_rows, random_state)
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
    max_rows: int = 20_000,
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
    index = _subsample(len(label_array), max_rows, random_state)
    matrix, label_array = matrix[index], label_array[index]
    kinds = _kinds(matrix, names, feature_kinds)
    if segment_ids is None:
        ids = sorted(int(s) for s in np.unique(label_array) if s != NOISE_SEGMENT_ID)
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
    kinds = {name: infer_feature_kind(name, matrix[:, i]) for i, name in enumerate(names)}
    for name, kind in (overrides or {}).items():
        if kind not in FEATURE_KINDS:
            raise ValueError(f"unknown kind {kind!r} for {name!r}; use one of {FEATURE_KINDS}")
        if name in kinds:
            kinds[name] = kind
    # integer-exact thresholds only when the data really are whole numbers
    for i, name in enumerate(names):
        if kinds[name] == "count" and infer_feature_kind("", matrix[:, i]) != "count":
            kinds[name] = "number"
    return kinds


def _subsample(n: int, max_rows: int, random_state: int) -> np.ndarray:
    if max_rows < 2:
        raise ValueError("max_rows must be >= 2")
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


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


def _segment_ids(series: pd.Series) -> np.ndarray:
    if series.isna().any():
        raise ValueError("segment ids must not be null")
    values = series.to_numpy()
    as_int = np.asarray(values).astype(np.int64)
    if not np.array_equal(as_int, np.asarray(values, dtype=np.float64)):
        raise ValueError("segment ids must be integers")
    return as_int


def _check_feature_names(names: Sequence[str]) -> None:
    duplicates = sorted({n for n in names if list(names).count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate feature names: {duplicates}")


def _check_profile_columns(profiles: pd.DataFrame) -> None:
    needed = ("segment_id", "feature", "segment_mean", "overall_mean", "z_score")
    missing = [c for c in needed if c not in profiles.columns]
    if missing:
        raise KeyError(f"profile columns not found: {missing}")


def _sorted_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    return profiles.sort_values(["segment_id", "feature"], kind="mergesort").reset_index(drop=True)


def _typed_aggregates(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.loc[:, list(AGGREGATE_COLUMNS)].reset_index(drop=True)
    return out.astype(
        {
            "segment_id": np.int64,
            "feature": object,
            "row_count": np.int64,
            "value_count": np.int64,
            "value_sum": np.float64,
            "value_sum_sq": np.float64,
        }
    )


def _empty_aggregates() -> pd.DataFrame:
    return _typed_aggregates(pd.DataFrame({c: [] for c in AGGREGATE_COLUMNS}))


def _empty_profiles() -> pd.DataFrame:
    frame = pd.DataFrame({c: [] for c in PROFILE_COLUMNS})
    return frame.astype(
        {
            "segment_id": np.int64,
            "feature": object,
            "customer_count": np.int64,
            "value_count": np.int64,
            "segment_mean": np.float64,
            "overall_mean": np.float64,
            "overall_std": np.float64,
            "z_score": np.float64,
        }
    )


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
