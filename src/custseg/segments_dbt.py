"""Glue between the dbt segment models (``python_models/segments``) and the clustering engine.

Pure functions and value objects only: no dbt import and no I/O (the models read and log
through :mod:`custseg.dbt_io`). What lives here:

* **Settings**: the models' config values (dbt vars) turned into the engine's
  :class:`~custseg.clustering.PreprocessConfig` and :class:`~custseg.clustering.SelectionConfig`,
  with the documented defaults.
* **Refit policy**: :func:`decide_refit`, the decision table that says whether a build fits a
  new model or re-scores with a stored one, and :func:`active_version`, which stored version a
  build uses (never one trained after the build's as-of date).
* **Stable segment ids**: :func:`assign_stable_ids` matches a refit's clusters to the previous
  model's segments by assignment overlap on the fit sample, scoring it with the previous
  stored model (also after the feature list changed, when the caller supplies the previous
  model's features; :func:`missing_previous_features`); :func:`fit_new_version` runs a whole
  refit (candidate search or the single-segment fallback, ids, version row).
* **Tables**: the row of the model-versions table (:func:`build_version_row`) and its inverse
  (:func:`stored_version_from_row`, :func:`segmentation_from_row`), and the Arrow tables the
  models return: candidates, centroids, preprocessing parameters and customer assignments.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from custseg.clustering import (
    NOISE_LABEL,
    NOISE_SEGMENT_ID,
    SINGLE_SEGMENT,
    FittedSegmentation,
    NoEligibleCandidateError,
    NoUsableFeatureError,
    PreprocessConfig,
    SegmentationFit,
    SegmentMapping,
    SelectionConfig,
    fit_segmentation,
    fit_single_segment,
    match_by_overlap,
    minimum_fit_rows,
)
from custseg.clustering.model import ALGORITHMS, CENTROID_ALGORITHMS
from custseg.clustering.preprocess import describe_dropped, indicator_name

KEY_COLUMN = "customer_id"

# Documented defaults (docs block `segment_settings`); a dbt var set to null keeps them.
DEFAULT_ALGORITHMS: tuple[str, ...] = ("kmeans", "gmm")
DEFAULT_K_MIN = 2
DEFAULT_K_MAX = 12
DEFAULT_MIN_SEGMENT_SHARE = 0.02
DEFAULT_MAX_SEGMENT_SHARE = 0.60
DEFAULT_WARD_SAMPLE_SIZE = 10_000
DEFAULT_SAMPLE_SIZE = 50_000
DEFAULT_BATCH_ROWS = 100_000
DEFAULT_REFIT_AFTER_DAYS = 30
# Fewer customers in the fit sample than this (or than the search needs) fit the documented
# single-segment fallback instead of clustering (var segment_min_customers).
DEFAULT_MIN_CUSTOMERS = 50
FEATURE_TRANSFORMS: tuple[str, ...] = ("log1p", "none")
# Preprocessing options a user may override with var `segment_preprocessing`; the features and
# their transforms come from var `segment_features` (macro `segment_features`).
PREPROCESSING_OPTIONS: tuple[str, ...] = (
    "clip_quantiles",
    "null_indicators",
    "null_indicator_min_share",
    "variance_threshold",
    "correlation_threshold",
    "scaler",
    "pca_components",
)


# ---------------------------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------------------------


def features_from_config(rows: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(features, log1p_features)`` from ``int_segment_feature_config``, in configured order.

    Args:
        rows: One row per feature with ``feature_position``, ``feature_name`` and
            ``feature_transform`` (``log1p`` or ``none``).
    """
    if rows.empty:
        raise ValueError("no segment features are configured (var segment_features is empty)")
    ordered = rows.sort_values("feature_position", kind="stable")
    unknown = sorted(set(ordered["feature_transform"]) - set(FEATURE_TRANSFORMS))
    if unknown:
        raise ValueError(f"unknown feature transforms {unknown}; use one of {FEATURE_TRANSFORMS}")
    features = tuple(str(name) for name in ordered["feature_name"])
    log1p = tuple(
        str(name)
        for name, transform in zip(
            ordered["feature_name"], ordered["feature_transform"], strict=True
        )
        if transform == "log1p"
    )
    return features, log1p


def preprocess_config(
    features: Sequence[str],
    log1p_features: Sequence[str],
    overrides: Mapping[str, Any] | None = None,
) -> PreprocessConfig:
    """The engine's preprocessing config: its defaults, then var ``segment_preprocessing``.

    Raises:
        ValueError: An override names an option that is not in :data:`PREPROCESSING_OPTIONS`.
    """
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(PREPROCESSING_OPTIONS))
    if unknown:
        raise ValueError(
            f"var segment_preprocessing: unknown options {unknown}; allowed: "
            f"{list(PREPROCESSING_OPTIONS)}"
        )
    data = PreprocessConfig(features=tuple(features), log1p_features=tuple(log1p_features))
    return PreprocessConfig.from_dict({**data.to_dict(), **overrides})


def _default(value: Any, default: Any) -> Any:
    return default if value is None or value == "" else value


def int_setting(value: Any, default: int, *, minimum: int = 1) -> int:
    """A whole-number dbt var (null or empty keeps ``default``); fails below ``minimum``."""
    result = int(_default(value, default))
    if result < minimum:
        raise ValueError(f"expected a whole number >= {minimum}, got {value!r}")
    return result


def as_bool(value: Any) -> bool:
    """A dbt var as a boolean (``true``/``false`` also as strings; null is false)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1", "yes", "y"):
            return True
        if text in ("false", "0", "no", "n", "", "none", "null"):
            return False
        raise ValueError(f"not a boolean: {value!r}")
    return bool(value)


@dataclass(frozen=True)
class SelectionSettings:
    """The candidate search settings users set with dbt vars (docs block `segment_settings`).

    Attributes:
        algorithms: Candidate algorithms compared on each refit (var ``algorithms``).
        k_min: Smallest k tried (var ``segment_k_min``).
        k_max: Largest k tried (var ``segment_k_max``).
        pinned_algorithm: Only this algorithm may be selected (var ``segment_algorithm``).
        pinned_n_clusters: Only this k may be selected (var ``segment_n_clusters``).
        min_segment_share: Guard: smallest allowed segment share (var ``segment_min_share``).
        max_segment_share: Guard: largest allowed segment share (var ``segment_max_share``).
        ward_sample_size: Rows of ward's sub-sample (var ``segment_ward_sample_size``).
        min_customers: Fewest customers in the fit sample to cluster; with fewer the refit
            fits the single-segment fallback (var ``segment_min_customers``; see
            :meth:`minimum_customers`).
    """

    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    k_min: int = DEFAULT_K_MIN
    k_max: int = DEFAULT_K_MAX
    pinned_algorithm: str | None = None
    pinned_n_clusters: int | None = None
    min_segment_share: float = DEFAULT_MIN_SEGMENT_SHARE
    max_segment_share: float = DEFAULT_MAX_SEGMENT_SHARE
    ward_sample_size: int = DEFAULT_WARD_SAMPLE_SIZE
    min_customers: int = DEFAULT_MIN_CUSTOMERS

    def __post_init__(self) -> None:
        object.__setattr__(self, "algorithms", tuple(self.algorithms))
        unknown = sorted(set(self.algorithms) - set(ALGORITHMS))
        if unknown or not self.algorithms:
            raise ValueError(f"var algorithms must be a non-empty subset of {ALGORITHMS}")
        if not 2 <= self.k_min <= self.k_max:
            raise ValueError("need 2 <= segment_k_min <= segment_k_max")
        if self.min_customers < 1:
            raise ValueError("var segment_min_customers must be at least 1")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SelectionSettings:
        """From the models' config values; a missing or null value keeps the default."""
        algorithms = _default(config.get("algorithms"), DEFAULT_ALGORITHMS)
        if isinstance(algorithms, str):
            algorithms = [algorithms]
        pinned_k = config.get("pinned_n_clusters")
        return cls(
            algorithms=tuple(str(a) for a in algorithms),
            k_min=int(_default(config.get("k_min"), DEFAULT_K_MIN)),
            k_max=int(_default(config.get("k_max"), DEFAULT_K_MAX)),
            pinned_algorithm=_default(config.get("pinned_algorithm"), None),
            pinned_n_clusters=None if _default(pinned_k, None) is None else int(pinned_k),
            min_segment_share=float(
                _default(config.get("min_segment_share"), DEFAULT_MIN_SEGMENT_SHARE)
            ),
            max_segment_share=float(
                _default(config.get("max_segment_share"), DEFAULT_MAX_SEGMENT_SHARE)
            ),
            ward_sample_size=int(
                _default(config.get("ward_sample_size"), DEFAULT_WARD_SAMPLE_SIZE)
            ),
            min_customers=int(_default(config.get("min_customers"), DEFAULT_MIN_CUSTOMERS)),
        )

    def selection_config(self) -> SelectionConfig:
        """The engine's selection config (engine defaults for everything not set here)."""
        return SelectionConfig(
            algorithms=self.algorithms,
            k_values=tuple(range(self.k_min, self.k_max + 1)),
            pinned_algorithm=self.pinned_algorithm,
            pinned_n_clusters=self.pinned_n_clusters,
            min_segment_share=self.min_segment_share,
            max_segment_share=self.max_segment_share,
            agglomerative_sample_size=self.ward_sample_size,
        )

    def minimum_customers(self) -> int:
        """Fewest fit-sample customers a refit clusters (below it: single-segment fallback).

        The larger of ``min_customers`` and what the candidate search needs (10 rows, and two
        per cluster of the smallest k).
        """
        return max(self.min_customers, minimum_fit_rows(self.selection_config()))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation."""
        data = asdict(self)
        data["algorithms"] = list(self.algorithms)
        return data


# ---------------------------------------------------------------------------------------------
# refit policy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredVersion:
    """What the refit policy needs to know about one row of the model-versions table."""

    model_version: int
    trained_as_of_date: date
    preprocess_config: dict[str, Any]
    selection_settings: dict[str, Any]
    segment_ids: tuple[int, ...] = ()
    retired_segment_ids: tuple[int, ...] = ()
    algorithm: str | None = None
    n_sample_rows: int | None = None


@dataclass(frozen=True)
class RefitDecision:
    """Outcome of :func:`decide_refit`.

    Attributes:
        refit: Fit a new model in this build.
        reasons: Why it refits (empty when it re-scores).
        active_version: The stored version a re-score uses: the latest trained on or before
            the as-of date (``None`` when there is none).
        previous_version: The version a refit matches its segment ids against: the active
            version, else the most recently created one (``None`` for the first model).
        notes: Things worth logging that do not trigger a refit.
    """

    refit: bool
    reasons: tuple[str, ...]
    active_version: int | None
    previous_version: int | None
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line for the build log."""
        if self.refit:
            text = "refit: " + "; ".join(self.reasons)
        else:
            text = f"re-scoring with stored model version {self.active_version} (no refit)"
        return text + "".join(f". Note: {note}" for note in self.notes)


def _normalised(value: Any) -> Any:
    """JSON round trip, so tuples and lists (and int/float keys) compare equal."""
    return json.loads(json.dumps(value, sort_keys=True))


def active_version(versions: Sequence[StoredVersion], as_of_date: date) -> StoredVersion | None:
    """The stored version a build with ``as_of_date`` uses, or ``None``.

    Only versions trained on or before the as-of date qualify (a model never scores a date
    before its training data ended); among them the latest training date wins, then the
    highest version number.
    """
    applicable = [v for v in versions if v.trained_as_of_date <= as_of_date]
    if not applicable:
        return None
    return max(applicable, key=lambda v: (v.trained_as_of_date, v.model_version))


def decide_refit(
    versions: Sequence[StoredVersion],
    *,
    as_of_date: date,
    preprocess_config: Mapping[str, Any],
    selection_settings: Mapping[str, Any],
    refit_requested: bool = False,
    refit_after_days: int = DEFAULT_REFIT_AFTER_DAYS,
    drift_recommended: bool | None = None,
    fit_rows: int | None = None,
    min_fit_rows: int | None = None,
) -> RefitDecision:
    """Decide whether this build refits (docs block `segment_refit_policy`).

    A build refits when any of these holds, else re-scores with :func:`active_version`:

    1. no model is stored;
    2. no stored model was trained on or before the as-of date;
    3. var ``refit`` is true;
    4. the active model was trained more than ``refit_after_days`` before the as-of date
       (counted in as-of days, never wall-clock days);
    5. the configured features or preprocessing differ from the active model's;
    6. the previous build's drift report recommends a refit (``drift_recommended``; ``None``
       when no drift report exists);
    7. the active model is the single-segment fallback fitted on fewer than ``min_fit_rows``
       customers, and this build's fit sample (``fit_rows``) has at least that many (a
       project first pointed at toy files clusters as soon as the real data arrives; a
       fallback fitted because no feature survived preprocessing does not refit build
       after build).

    Selection settings (algorithms, k range, pins, guards) that differ from the active model's
    do not trigger a refit; they apply at the next one, and the decision notes it.
    """
    latest_created = max(versions, key=lambda v: v.model_version) if versions else None
    active = active_version(versions, as_of_date)
    reasons: list[str] = []
    notes: list[str] = []
    if not versions:
        reasons.append("no model exists yet")
    elif active is None:
        earliest = min(v.trained_as_of_date for v in versions)
        reasons.append(
            f"every stored model was trained after the as-of date {as_of_date} (earliest "
            f"{earliest}); a model never scores data from before its training date"
        )
    if refit_requested:
        reasons.append("var refit is true")
    if active is not None:
        age = (as_of_date - active.trained_as_of_date).days
        if age > refit_after_days:
            reasons.append(
                f"model version {active.model_version} was trained at as-of date "
                f"{active.trained_as_of_date}, {age} days before {as_of_date} "
                f"(more than refit_after_days = {refit_after_days})"
            )
        stored, current = _normalised(active.preprocess_config), _normalised(preprocess_config)
        if stored != current:
            changed = sorted(k for k in {*stored, *current} if stored.get(k) != current.get(k))
            reasons.append(
                f"the configured features or preprocessing differ from model version "
                f"{active.model_version}'s ({', '.join(changed)})"
            )
        if drift_recommended:
            reasons.append("the previous build's drift report recommends a refit")
        if (
            active.algorithm == SINGLE_SEGMENT
            and active.n_sample_rows is not None
            and fit_rows is not None
            and min_fit_rows is not None
            and active.n_sample_rows < min_fit_rows <= fit_rows
        ):
            reasons.append(
                f"model version {active.model_version} is the single-segment fallback fitted "
                f"on {active.n_sample_rows:,} customers; this build has {fit_rows:,} "
                f"(at least the minimum {min_fit_rows:,})"
            )
        stored_selection = _normalised(active.selection_settings)
        current_selection = _normalised(selection_settings)
        # a refit uses the current settings anyway; a re-score keeps the stored model's
        if not reasons and stored_selection != current_selection:
            changed = sorted(
                k
                for k in {*stored_selection, *current_selection}
                if stored_selection.get(k) != current_selection.get(k)
            )
            notes.append(
                f"selection settings differ from model version {active.model_version}'s "
                f"({', '.join(changed)}); they apply at the next refit (var refit: true)"
            )
    previous = active if active is not None else latest_created
    return RefitDecision(
        refit=bool(reasons),
        reasons=tuple(reasons),
        active_version=None if active is None else active.model_version,
        previous_version=None if previous is None else previous.model_version,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# stable segment ids
# ---------------------------------------------------------------------------------------------


def next_segment_id(versions: Iterable[StoredVersion]) -> int:
    """First id for a new segment: one more than any id ever used, so ids are never reused."""
    used = [i for v in versions for i in (*v.segment_ids, *v.retired_segment_ids)]
    return max(used, default=0) + 1


# How a version's segment ids were matched to the previous version's (column
# `segment_id_matching` of the model-versions table).
MATCHING_FIRST_VERSION = "first_version"
MATCHING_RESCORED = "previous_model_rescored"
MATCHING_NONE = "none"


def previous_segmentation(
    stored_frame: pd.DataFrame | None, decision: RefitDecision
) -> FittedSegmentation | None:
    """The stored model a refit matches its segment ids against (``decision.previous_version``)."""
    if decision.previous_version is None or stored_frame is None:
        return None
    rows = stored_frame.loc[stored_frame["model_version"] == decision.previous_version]
    return segmentation_from_row(rows.iloc[0].to_dict())


def missing_previous_features(
    previous: FittedSegmentation | None, columns: Iterable[str]
) -> list[str]:
    """The previous model's input features that ``columns`` lack, in its configured order.

    After the feature list changed, the caller reads these for the fit sample's customers
    (they are columns of ``dim_customers``) so the previous model can still score them.
    """
    if previous is None:
        return []
    present = set(columns)
    return [f for f in previous.preprocessor.config.features if f not in present]


def segment_id_matching(previous: FittedSegmentation | None, common: pd.DataFrame) -> str:
    """How :func:`assign_stable_ids` matches ids for these inputs (see ``MATCHING_*``)."""
    if previous is None:
        return MATCHING_FIRST_VERSION
    if missing_previous_features(previous, common.columns):
        return MATCHING_NONE
    return MATCHING_RESCORED


def assign_stable_ids(
    new: FittedSegmentation,
    previous: FittedSegmentation | None,
    common: pd.DataFrame,
    *,
    first_new_id: int,
    min_jaccard: float = 0.3,
) -> tuple[FittedSegmentation, SegmentMapping]:
    """Give a refit's clusters the previous model's segment ids where the segments persist.

    Both models assign the same customers (``common``, the fit sample); new clusters are
    matched to previous segments with the Hungarian algorithm on the Jaccard overlap
    (:func:`~custseg.clustering.match_by_overlap`). A persisting segment keeps its id, a new
    group gets a fresh id from ``first_new_id`` on, and a previous id nobody kept is retired.

    Overlap needs no common feature space, so it also works after the feature list or the
    preprocessing changed: the previous model applies its own stored preprocessing to its
    own features. ``common`` must then hold the previous model's features as well as the
    new one's (extra columns are ignored; see :func:`missing_previous_features`). Only when
    some previous feature is missing from ``common`` is nothing matched: every cluster gets
    a fresh id (:func:`segment_id_matching` says ``none``).
    """
    n_new = new.cluster_model.n_clusters
    basis = segment_id_matching(previous, common)
    if previous is None:
        new_labels = old_ids = np.empty(0, dtype=np.int64)
        previous_ids: list[int] = []
    else:
        previous_ids = sorted(set(previous.segment_ids.values()))
        if basis == MATCHING_RESCORED:
            new_labels = new.assign(common).labels
            old_ids = previous.segment_ids_for(previous.assign(common).labels)
        else:
            new_labels = old_ids = np.empty(0, dtype=np.int64)
    mapping = match_by_overlap(
        new_labels,
        old_ids,
        min_jaccard=min_jaccard,
        previous_segment_ids=previous_ids,
        n_new_clusters=n_new,
        next_segment_id=first_new_id,
    )
    return new.with_segment_ids(mapping.mapping), mapping


# ---------------------------------------------------------------------------------------------
# the model-versions table
# ---------------------------------------------------------------------------------------------

VERSION_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("trained_as_of_date", pa.date32()),
        ("trained_at", pa.timestamp("us", tz="UTC")),
        ("refit_reasons", pa.string()),
        ("algorithm", pa.string()),
        ("n_clusters", pa.int64()),
        ("params_json", pa.string()),
        ("features_json", pa.string()),
        ("preprocess_config_json", pa.string()),
        ("preprocessing_json", pa.string()),
        ("selection_settings_json", pa.string()),
        ("model_json", pa.string()),
        ("segment_ids_json", pa.string()),
        ("matched_segment_ids_json", pa.string()),
        ("new_segment_ids_json", pa.string()),
        ("retired_segment_ids_json", pa.string()),
        ("previous_model_version", pa.int64()),
        ("segment_sizes_json", pa.string()),
        ("candidates_json", pa.string()),
        ("composite_score", pa.float64()),
        ("selection_note", pa.string()),
        ("n_customers", pa.int64()),
        ("n_sample_rows", pa.int64()),
        ("fit_seconds", pa.float64()),
        ("segment_id_matching", pa.string()),
    ]
)


def _clean(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, non-finite floats to ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value) if math.isfinite(float(value)) else None
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_clean(value), sort_keys=True)


def build_version_row(
    *,
    model_version: int,
    trained_as_of_date: date,
    trained_at: datetime,
    reasons: Sequence[str],
    fit: SegmentationFit,
    segmentation: FittedSegmentation,
    mapping: SegmentMapping,
    previous_version: int | None,
    selection_settings: SelectionSettings,
    n_customers: int,
    sample_labels: np.ndarray,
    fit_seconds: float,
    segment_id_matching: str | None = None,
) -> dict[str, Any]:
    """One row of the model-versions table for a fresh fit (columns of :data:`VERSION_SCHEMA`).

    ``segmentation`` is ``fit.segmentation`` with its stable segment ids; ``sample_labels``
    are its cluster labels of the fit sample (for the segment sizes); ``segment_id_matching``
    how its ids were matched (``MATCHING_*``).
    """
    preprocessor = segmentation.preprocessor
    cluster_model = segmentation.cluster_model
    selected = fit.selection.selected
    segment_of = segmentation.segment_ids_for(np.asarray(sample_labels))
    ids, counts = np.unique(segment_of, return_counts=True)
    return {
        "model_version": int(model_version),
        "trained_as_of_date": trained_as_of_date,
        "trained_at": trained_at,
        "refit_reasons": "; ".join(reasons),
        "algorithm": cluster_model.algorithm,
        "n_clusters": int(cluster_model.n_clusters),
        "params_json": _dumps(cluster_model.params),
        "features_json": _dumps(list(preprocessor.config.features)),
        "preprocess_config_json": _dumps(preprocessor.config.to_dict()),
        "preprocessing_json": _dumps(preprocessor.to_dict()),
        "selection_settings_json": _dumps(selection_settings.to_dict()),
        "model_json": _dumps(segmentation.to_dict()),
        "segment_ids_json": _dumps(
            [[int(k), int(v)] for k, v in sorted(segmentation.segment_ids.items())]
        ),
        "matched_segment_ids_json": _dumps(
            [[int(k), int(v)] for k, v in sorted(mapping.matched.items())]
        ),
        "new_segment_ids_json": _dumps(list(mapping.new_segment_ids)),
        "retired_segment_ids_json": _dumps(list(mapping.retired_segment_ids)),
        "previous_model_version": previous_version,
        "segment_sizes_json": _dumps([[int(i), int(c)] for i, c in zip(ids, counts, strict=True)]),
        "candidates_json": _dumps([record.to_dict() for record in fit.selection.records]),
        "composite_score": selected.composite_score,
        "selection_note": fit.selection.note,
        "n_customers": int(n_customers),
        "n_sample_rows": int(fit.sample_matrix_shape[0]),
        "fit_seconds": float(fit_seconds),
        "segment_id_matching": segment_id_matching,
    }


def versions_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """The model-versions rows as an Arrow table with :data:`VERSION_SCHEMA` (also when empty)."""
    return pa.Table.from_pylist([dict(row) for row in rows], schema=VERSION_SCHEMA)


def _as_date(value: Any) -> date:
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    return date.fromisoformat(str(value)[:10])


def stored_version_from_row(row: Mapping[str, Any]) -> StoredVersion:
    """The refit policy's view of one stored row."""
    segment_ids = [int(v) for _, v in json.loads(row["segment_ids_json"])]
    n_sample_rows = row.get("n_sample_rows")
    n_sample_rows = None if n_sample_rows is None or pd.isna(n_sample_rows) else n_sample_rows
    return StoredVersion(
        model_version=int(row["model_version"]),
        trained_as_of_date=_as_date(row["trained_as_of_date"]),
        preprocess_config=json.loads(row["preprocess_config_json"]),
        selection_settings=json.loads(row["selection_settings_json"]),
        segment_ids=tuple(segment_ids),
        retired_segment_ids=tuple(int(v) for v in json.loads(row["retired_segment_ids_json"])),
        algorithm=None if row.get("algorithm") is None else str(row["algorithm"]),
        n_sample_rows=None if n_sample_rows is None else int(n_sample_rows),
    )


def stored_versions(frame: pd.DataFrame) -> list[StoredVersion]:
    """Every row of the model-versions table, ordered by version."""
    rows = frame.sort_values("model_version").to_dict("records")
    return [stored_version_from_row(row) for row in rows]


def segmentation_from_row(row: Mapping[str, Any]) -> FittedSegmentation:
    """The deployable model stored in a row (inverse of ``model_json``)."""
    return FittedSegmentation.from_dict(json.loads(row["model_json"]))


def active_version_row(frame: pd.DataFrame, as_of_date: date) -> dict[str, Any]:
    """The row of the version a build with ``as_of_date`` uses.

    Raises:
        LookupError: No stored version was trained on or before the as-of date.
    """
    chosen = active_version(stored_versions(frame), as_of_date)
    if chosen is None:
        raise LookupError(f"no segment model was trained on or before {as_of_date}")
    row = frame.loc[frame["model_version"] == chosen.model_version].iloc[0]
    return row.to_dict()


def fit_model(
    sample: pd.DataFrame,
    *,
    preprocess: PreprocessConfig,
    selection: SelectionSettings,
    n_customers: int,
    progress: Callable[[str], None] | None = None,
) -> SegmentationFit:
    """The candidate search on the sample, or the single-segment fallback when it cannot run.

    The fallback (docs block `segment_refit_policy`) is fitted when the sample has fewer
    customers than :meth:`SelectionSettings.minimum_customers`, or when preprocessing drops
    every feature; the log line and the model's selection note say which.

    Raises:
        RuntimeError: No candidate passed the guards (and nothing was pinned); the message
            lists every candidate's reasons and how to get past them.
    """
    say = progress or (lambda _message: None)
    minimum = selection.minimum_customers()
    if len(sample) < minimum:
        reason = (
            f"the fit sample has {len(sample):,} customers ({n_customers:,} clustered), fewer "
            f"than the minimum {minimum:,} (var segment_min_customers, default "
            f"{DEFAULT_MIN_CUSTOMERS}; at least 10 and 2 x the smallest k)"
        )
        return fit_single_segment(sample, preprocess, reason, progress=say)
    try:
        return fit_segmentation(sample, preprocess, selection.selection_config(), progress=say)
    except NoUsableFeatureError as error:
        reason = (
            f"no feature survived preprocessing on the {len(sample):,} customers of the fit "
            f"sample ({describe_dropped(error.dropped)})"
        )
        return fit_single_segment(sample, preprocess, reason, progress=say)
    except NoEligibleCandidateError as error:
        raise RuntimeError(
            f"{error}. Pin var segment_algorithm / segment_n_clusters or relax vars "
            "segment_min_share / segment_max_share."
        ) from error


def fit_new_version(
    sample: pd.DataFrame,
    *,
    preprocess: PreprocessConfig,
    selection: SelectionSettings,
    decision: RefitDecision,
    stored_frame: pd.DataFrame | None,
    as_of_date: date,
    n_customers: int,
    trained_at: datetime,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit a model version on the sample and return its row for the model-versions table.

    Runs :func:`fit_model` (candidate search or single-segment fallback), gives the model
    stable segment ids against ``decision.previous_version`` (ids never used before for new
    segments), and records the whole fit. ``sample`` must be sorted by key; for stable ids
    after a change of the feature list it should also hold the previous model's features
    (:func:`missing_previous_features`; the fit ignores extra columns).

    Raises:
        RuntimeError: No candidate passed the guards (and nothing was pinned).
    """
    say = progress or (lambda _message: None)
    stored = [] if stored_frame is None else stored_versions(stored_frame)
    started = time.perf_counter()
    fit = fit_model(
        sample, preprocess=preprocess, selection=selection, n_customers=n_customers, progress=say
    )
    previous = previous_segmentation(stored_frame, decision)
    matching = segment_id_matching(previous, sample)
    if matching == MATCHING_NONE:
        say(
            f"cannot score the fit sample with model version {decision.previous_version}: its "
            f"features {missing_previous_features(previous, sample.columns)} are not "
            "available, so no segment id is kept"
        )
    segmentation, mapping = assign_stable_ids(
        fit.segmentation, previous, sample, first_new_id=next_segment_id(stored)
    )
    fit_seconds = time.perf_counter() - started
    model_version = max((v.model_version for v in stored), default=0) + 1
    say(
        f"version {model_version}: {segmentation.cluster_model.algorithm} with "
        f"{segmentation.cluster_model.n_clusters} segments in {fit_seconds:.1f}s; segment ids "
        f"matched by {matching}: kept {sorted(mapping.matched.values())}, new "
        f"{list(mapping.new_segment_ids)}, retired {list(mapping.retired_segment_ids)}"
    )
    return build_version_row(
        model_version=model_version,
        trained_as_of_date=as_of_date,
        trained_at=trained_at,
        reasons=decision.reasons,
        fit=fit,
        segmentation=segmentation,
        mapping=mapping,
        previous_version=decision.previous_version,
        selection_settings=selection,
        n_customers=n_customers,
        sample_labels=fit.selection.labels,
        fit_seconds=fit_seconds,
        segment_id_matching=matching,
    )


# ---------------------------------------------------------------------------------------------
# tables derived from a version row
# ---------------------------------------------------------------------------------------------

CANDIDATE_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("trained_as_of_date", pa.date32()),
        ("candidate_index", pa.int64()),
        ("algorithm", pa.string()),
        ("n_clusters", pa.int64()),
        ("params", pa.string()),
        ("silhouette", pa.float64()),
        ("davies_bouldin", pa.float64()),
        ("calinski_harabasz", pa.float64()),
        ("dunn_index", pa.float64()),
        ("gap_statistic", pa.float64()),
        ("gap_std_error", pa.float64()),
        ("inertia", pa.float64()),
        ("stability", pa.float64()),
        ("is_elbow", pa.bool_()),
        ("composite_score", pa.float64()),
        ("is_eligible", pa.bool_()),
        ("ineligible_reason", pa.string()),
        ("is_selected", pa.bool_()),
        ("min_segment_share", pa.float64()),
        ("max_segment_share", pa.float64()),
        ("noise_share", pa.float64()),
        ("elapsed_seconds", pa.float64()),
    ]
)


def candidates_table(row: Mapping[str, Any]) -> pa.Table:
    """One row per candidate (algorithm x k or density parameters) of a version's fit."""
    records = json.loads(row["candidates_json"])
    rows = []
    for index, record in enumerate(records):
        rows.append(
            {
                **{name: record.get(name) for name in CANDIDATE_SCHEMA.names},
                "model_version": int(row["model_version"]),
                "trained_as_of_date": _as_date(row["trained_as_of_date"]),
                "candidate_index": index + 1,
                "params": json.dumps(record.get("params", {}), sort_keys=True),
            }
        )
    return pa.Table.from_pylist(rows, schema=CANDIDATE_SCHEMA)


CENTROID_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("algorithm", pa.string()),
        ("is_nearest_centroid_model", pa.bool_()),
        ("segment_id", pa.int64()),
        ("cluster_label", pa.int64()),
        ("column_name", pa.string()),
        ("column_position", pa.int64()),
        ("centroid_value", pa.float64()),
    ]
)


def centroids_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """One row per model version x segment x preprocessed column: the centroid coordinate.

    Coordinates are in the preprocessed space (after log1p, clipping, imputation and
    scaling). Versions fitted with PCA are left out: their centroids live in the PCA space,
    which the SQL scoring macro does not compute.
    """
    out: list[dict[str, Any]] = []
    for row in rows:
        segmentation = segmentation_from_row(row)
        if segmentation.preprocessor.pca_components is not None:
            continue
        model = segmentation.cluster_model
        columns = segmentation.preprocessor.kept_columns
        for label in range(model.n_clusters):
            for position, column in enumerate(columns):
                out.append(
                    {
                        "model_version": int(row["model_version"]),
                        "algorithm": model.algorithm,
                        "is_nearest_centroid_model": model.algorithm in CENTROID_ALGORITHMS,
                        "segment_id": int(segmentation.segment_ids[label]),
                        "cluster_label": label,
                        "column_name": column,
                        "column_position": position + 1,
                        "centroid_value": float(model.centroids[label, position]),
                    }
                )
    return pa.Table.from_pylist(out, schema=CENTROID_SCHEMA)


PREPROCESSING_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("column_name", pa.string()),
        ("column_kind", pa.string()),
        ("feature_name", pa.string()),
        ("feature_position", pa.int64()),
        ("is_log1p", pa.bool_()),
        ("clip_lower", pa.float64()),
        ("clip_upper", pa.float64()),
        ("impute_value", pa.float64()),
        ("is_kept", pa.bool_()),
        ("column_position", pa.int64()),
        ("scale_center", pa.float64()),
        ("scale_scale", pa.float64()),
        ("drop_reason", pa.string()),
        ("has_pca", pa.bool_()),
    ]
)


def preprocessing_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """One row per model version x column before selection: how a raw value is preprocessed.

    ``column_kind`` is ``feature`` (a configured feature: log1p, clip, impute) or
    ``null_indicator`` (``is_missing__<feature>``: 1 when the feature was null, else 0).
    Kept columns carry their position and the scaler's center and scale.
    """
    out: list[dict[str, Any]] = []
    for row in rows:
        preprocessor = segmentation_from_row(row).preprocessor
        config = preprocessor.config
        kept = {name: i for i, name in enumerate(preprocessor.kept_columns)}
        dropped = {d.column: d.reason for d in preprocessor.dropped}
        log1p = set(config.log1p_features)
        base = [(f, "feature", f) for f in config.features]
        base += [(indicator_name(f), "null_indicator", f) for f in preprocessor.indicator_features]
        for column, kind, feature in base:
            position = kept.get(column)
            is_feature = kind == "feature"
            out.append(
                {
                    "model_version": int(row["model_version"]),
                    "column_name": column,
                    "column_kind": kind,
                    "feature_name": feature,
                    "feature_position": config.features.index(feature) + 1,
                    "is_log1p": feature in log1p,
                    "clip_lower": preprocessor.clip_lower[feature] if is_feature else None,
                    "clip_upper": preprocessor.clip_upper[feature] if is_feature else None,
                    "impute_value": preprocessor.medians[feature] if is_feature else None,
                    "is_kept": position is not None,
                    "column_position": None if position is None else position + 1,
                    "scale_center": None
                    if position is None
                    else preprocessor.scale_center[position],
                    "scale_scale": None if position is None else preprocessor.scale_scale[position],
                    "drop_reason": dropped.get(column),
                    "has_pca": preprocessor.pca_components is not None,
                }
            )
    return pa.Table.from_pylist(out, schema=PREPROCESSING_SCHEMA)


# ---------------------------------------------------------------------------------------------
# customer assignments
# ---------------------------------------------------------------------------------------------

ASSIGNMENT_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("segment_id", pa.int64()),
        ("segment_name", pa.string()),
        ("model_version", pa.int64()),
        ("algorithm", pa.string()),
        ("cluster_label", pa.int64()),
        ("distance_to_centroid", pa.float64()),
        ("membership_probability", pa.float64()),
        ("is_outlier", pa.bool_()),
        ("was_clipped", pa.bool_()),
        ("as_of_date", pa.date32()),
    ]
)


def segment_name(segment_id: int) -> str:
    """Placeholder name until the segment marts name segments: ``Segment <id>`` or noise."""
    return "Unassigned (noise)" if segment_id == NOISE_SEGMENT_ID else f"Segment {segment_id}"


def assign_batch(
    segmentation: FittedSegmentation,
    batch: pd.DataFrame,
    *,
    model_version: int,
    as_of_date: date,
) -> pa.RecordBatch:
    """Assign one batch of customers (rows of ``int_segment_features``).

    ``distance_to_centroid`` is the Euclidean distance in the preprocessed space to the
    assigned segment's centroid (the gmm component mean, the mean of a density cluster's core
    points); null for noise. ``membership_probability`` is gmm's posterior probability of the
    assigned component, null for other algorithms.
    """
    x, was_clipped = segmentation.preprocessor.transform_with_flags(batch)
    model = segmentation.cluster_model
    result = model.assign(x)
    labels = result.labels
    clustered = labels != NOISE_LABEL
    distance = np.full(len(labels), np.nan)
    if clustered.any():
        difference = x[clustered] - model.centroids[labels[clustered]]
        distance[clustered] = np.sqrt(np.sum(np.square(difference), axis=1))
    probability = (
        result.distance_or_probability if model.algorithm == "gmm" else np.full(len(labels), np.nan)
    )
    segment_ids = segmentation.segment_ids_for(labels)
    names = {int(s): segment_name(int(s)) for s in np.unique(segment_ids)}
    columns = {
        "customer_id": pa.array(batch[KEY_COLUMN].astype(str).to_numpy(), pa.string()),
        "segment_id": pa.array(segment_ids, pa.int64()),
        "segment_name": pa.array([names[int(s)] for s in segment_ids], pa.string()),
        "model_version": pa.array(np.full(len(labels), model_version), pa.int64()),
        "algorithm": pa.array([model.algorithm] * len(labels), pa.string()),
        "cluster_label": pa.array(labels, pa.int64()),
        "distance_to_centroid": pa.array(distance, pa.float64(), from_pandas=True),
        "membership_probability": pa.array(probability, pa.float64(), from_pandas=True),
        "is_outlier": pa.array(result.is_outlier, pa.bool_()),
        "was_clipped": pa.array(was_clipped, pa.bool_()),
        "as_of_date": pa.array([as_of_date] * len(labels), pa.date32()),
    }
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=ASSIGNMENT_SCHEMA)


@dataclass
class AssignmentStats:
    """Running totals of an assignment stream (filled while the stream is consumed)."""

    rows: int = 0
    batches: int = 0
    segment_counts: dict[int, int] = field(default_factory=dict)


def assignment_reader(
    segmentation: FittedSegmentation,
    batches: Iterable[pd.DataFrame],
    *,
    model_version: int,
    as_of_date: date,
    progress: Callable[[AssignmentStats], None] | None = None,
    stats: AssignmentStats | None = None,
) -> pa.RecordBatchReader:
    """A stream of assigned batches: one batch in memory at a time, whatever the row count."""
    stats = stats if stats is not None else AssignmentStats()

    def generate() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.empty:
                continue
            assigned = assign_batch(
                segmentation, batch, model_version=model_version, as_of_date=as_of_date
            )
            stats.rows += assigned.num_rows
            stats.batches += 1
            ids, counts = np.unique(
                assigned.column("segment_id").to_numpy(zero_copy_only=False), return_counts=True
            )
            for segment, count in zip(ids.tolist(), counts.tolist(), strict=True):
                stats.segment_counts[segment] = stats.segment_counts.get(segment, 0) + count
            if progress is not None:
                progress(stats)
            yield assigned
            # Drop this batch's frames before the next read, so two batches never coexist.
            del batch, assigned

    return pa.RecordBatchReader.from_batches(ASSIGNMENT_SCHEMA, generate())
