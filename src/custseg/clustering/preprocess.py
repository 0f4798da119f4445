"""Feature preprocessing for clustering: fitted once on a sample, applied to any batch.

The pipeline, in this order:

1. **log1p** on the configured skewed features. It is the signed form
   ``sign(x) * log1p(|x|)``, which equals ``log1p(x)`` for ``x >= 0`` and stays defined for
   negative values. Non-finite values (``inf``) are treated as nulls.
2. **Clipping** at the fit sample's quantiles (default 0.005 / 0.995), computed after step 1.
   A row is flagged ``was_clipped`` when any of its feature values lay outside the bounds.
3. **Median imputation** of nulls. A feature that had nulls in the fit sample also gets an
   indicator column ``is_missing__<feature>`` (1.0 where the value was null). A feature that
   is null in every row of the fit sample is dropped (reason ``all_null``).
4. **Near-constant drop**: columns whose fit-sample variance (after steps 1-3, in the column's
   own units) is at most ``variance_threshold`` are dropped (reason ``near_constant``).
5. **Correlation drop**: walking the columns in configured order (features first, then
   indicator columns), a column whose absolute Pearson correlation with an already kept
   column exceeds ``correlation_threshold`` is dropped (reason ``correlated``); the earlier
   column is always the one kept, so the choice is deterministic.
6. **Scaling**: ``standard`` (mean / standard deviation), ``minmax`` (min / range) or
   ``robust`` (median / inter-quartile range; falls back to the standard deviation when the
   IQR is zero). A zero scale is replaced by 1. Indicator columns stay 0/1 (not scaled):
   standardising a rare indicator would blow it up (share p = 0.02 gives 7 standard
   deviations) and the missing-value rows would form a cluster of their own.
7. **PCA** (optional): ``pca_components`` as an int (number of components) or a float in
   (0, 1) (smallest number of components whose cumulative explained variance exceeds it),
   fitted with ``svd_solver="full"`` so the result is deterministic.

When every column is dropped, :func:`fit_preprocessor` raises :class:`NoUsableFeatureError`
(with the dropped columns and reasons), unless ``allow_no_columns`` is set: then it returns a
preprocessor with no output columns, whose :meth:`Preprocessor.transform` gives an ``(n, 0)``
array (the single-segment fallback model uses it; see :mod:`custseg.clustering.selection`).

A fitted :class:`Preprocessor` is a frozen value object. ``to_dict`` returns plain JSON-able
Python types and ``from_dict(to_dict())`` transforms bit-for-bit identically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

SCALERS: tuple[str, ...] = ("standard", "minmax", "robust")
INDICATOR_PREFIX = "is_missing__"
FORMAT_VERSION = 1


def indicator_name(feature: str) -> str:
    """Name of the null-indicator column of ``feature``."""
    return f"{INDICATOR_PREFIX}{feature}"


@dataclass(frozen=True)
class PreprocessConfig:
    """What to do to the features. All fields are plain values, so the config is JSON-able.

    Attributes:
        features: Input columns, in the configured order (the order decides which column of a
            correlated pair is kept: the earlier one).
        log1p_features: Subset of ``features`` that get the signed log1p transform.
        clip_quantiles: ``(lower, upper)`` quantiles of the fit sample to clip at, or ``None``
            for no clipping.
        null_indicators: Add an ``is_missing__<feature>`` column for features that had nulls
            in the fit sample.
        null_indicator_min_share: Only add the indicator when the feature's null share in the
            fit sample is at least this (default 0: any null). A rare 0/1 column can capture a
            cluster of its own (a gmm component collapses onto the rows where it is 1).
        variance_threshold: Columns with fit-sample variance ``<=`` this are dropped.
        correlation_threshold: Drop one column of each pair with ``|corr| >`` this; ``None``
            disables the step.
        scaler: ``"standard"``, ``"minmax"`` or ``"robust"``.
        pca_components: ``None`` (no PCA), an int (number of components) or a float in
            (0, 1) (share of variance to keep).
    """

    features: tuple[str, ...]
    log1p_features: tuple[str, ...] = ()
    clip_quantiles: tuple[float, float] | None = (0.005, 0.995)
    null_indicators: bool = True
    null_indicator_min_share: float = 0.0
    variance_threshold: float = 1e-8
    correlation_threshold: float | None = 0.95
    scaler: str = "standard"
    pca_components: int | float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "log1p_features", tuple(self.log1p_features))
        if self.clip_quantiles is not None:
            object.__setattr__(self, "clip_quantiles", tuple(float(q) for q in self.clip_quantiles))
        if not self.features:
            raise ValueError("PreprocessConfig.features must not be empty")
        if len(set(self.features)) != len(self.features):
            raise ValueError("PreprocessConfig.features contains duplicates")
        unknown = sorted(set(self.log1p_features) - set(self.features))
        if unknown:
            raise ValueError(f"log1p_features not in features: {unknown}")
        if self.clip_quantiles is not None:
            low, high = self.clip_quantiles
            if not 0.0 <= low < high <= 1.0:
                raise ValueError(
                    f"clip_quantiles must satisfy 0 <= low < high <= 1, got {low, high}"
                )
        if self.scaler not in SCALERS:
            raise ValueError(f"scaler must be one of {SCALERS}, got {self.scaler!r}")
        if self.correlation_threshold is not None and not 0.0 < self.correlation_threshold <= 1.0:
            raise ValueError("correlation_threshold must be in (0, 1]")
        pca = self.pca_components
        if pca is not None:
            if isinstance(pca, bool) or not isinstance(pca, int | float):
                raise ValueError("pca_components must be None, an int or a float")
            if isinstance(pca, int) and pca < 1:
                raise ValueError("pca_components as an int must be >= 1")
            if isinstance(pca, float) and not 0.0 < pca < 1.0:
                raise ValueError("pca_components as a float must be in (0, 1)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation."""
        return {
            "features": list(self.features),
            "log1p_features": list(self.log1p_features),
            "clip_quantiles": None if self.clip_quantiles is None else list(self.clip_quantiles),
            "null_indicators": self.null_indicators,
            "null_indicator_min_share": self.null_indicator_min_share,
            "variance_threshold": self.variance_threshold,
            "correlation_threshold": self.correlation_threshold,
            "scaler": self.scaler,
            "pca_components": self.pca_components,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PreprocessConfig:
        """Inverse of :meth:`to_dict`."""
        clip = data.get("clip_quantiles")
        return cls(
            features=tuple(data["features"]),
            log1p_features=tuple(data.get("log1p_features", ())),
            clip_quantiles=None if clip is None else (float(clip[0]), float(clip[1])),
            null_indicators=bool(data.get("null_indicators", True)),
            null_indicator_min_share=float(data.get("null_indicator_min_share", 0.0)),
            variance_threshold=float(data.get("variance_threshold", 1e-8)),
            correlation_threshold=data.get("correlation_threshold", 0.95),
            scaler=str(data.get("scaler", "standard")),
            pca_components=data.get("pca_components"),
        )


@dataclass(frozen=True)
class DroppedColumn:
    """A column removed while fitting, and why.

    ``reason`` is one of ``all_null``, ``near_constant``, ``correlated``.
    """

    column: str
    reason: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """JSON-able representation."""
        return {"column": self.column, "reason": self.reason, "detail": self.detail}


class NoUsableFeatureError(ValueError):
    """Preprocessing dropped every column (``dropped`` says which and why)."""

    def __init__(self, message: str, dropped: Sequence[DroppedColumn]) -> None:
        super().__init__(message)
        self.dropped = tuple(dropped)


def describe_dropped(dropped: Sequence[DroppedColumn]) -> str:
    """``reason: column, column; reason: column`` for a log line, in first-seen order."""
    by_reason: dict[str, list[str]] = {}
    for column in dropped:
        by_reason.setdefault(column.reason, []).append(column.column)
    return "; ".join(f"{reason}: {', '.join(columns)}" for reason, columns in by_reason.items())


@dataclass(frozen=True)
class Preprocessor:
    """A fitted preprocessing pipeline. Build it with :func:`fit_preprocessor`.

    Per-feature statistics are keyed by input feature; ``None`` marks "not applicable"
    (no clipping configured, or the feature was all null in the fit sample).
    """

    config: PreprocessConfig
    clip_lower: dict[str, float | None]
    clip_upper: dict[str, float | None]
    medians: dict[str, float | None]
    indicator_features: tuple[str, ...]
    kept_columns: tuple[str, ...]
    scale_center: tuple[float, ...]
    scale_scale: tuple[float, ...]
    dropped: tuple[DroppedColumn, ...]
    n_fit_rows: int
    pca_mean: tuple[float, ...] | None = None
    pca_components: tuple[tuple[float, ...], ...] | None = None
    pca_explained_variance_ratio: tuple[float, ...] | None = None
    _arrays: dict[str, np.ndarray] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._arrays["center"] = np.asarray(self.scale_center, dtype=np.float64)
        self._arrays["scale"] = np.asarray(self.scale_scale, dtype=np.float64)
        if self.pca_components is not None:
            self._arrays["pca_mean"] = np.asarray(self.pca_mean, dtype=np.float64)
            self._arrays["pca_components"] = np.asarray(self.pca_components, dtype=np.float64)

    @property
    def output_columns(self) -> tuple[str, ...]:
        """Names of the columns of :meth:`transform`'s output."""
        if self.pca_components is None:
            return self.kept_columns
        return tuple(f"pc_{i + 1}" for i in range(len(self.pca_components)))

    @property
    def n_output_columns(self) -> int:
        """Number of columns of :meth:`transform`'s output."""
        return len(self.output_columns)

    def transform_with_flags(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Transform a batch and report which rows had a value clipped.

        Args:
            df: A batch holding every configured feature column (extra columns are ignored).

        Returns:
            ``(x, was_clipped)``: a float64 array of shape ``(len(df), n_output_columns)`` and
            a bool array of shape ``(len(df),)``.
        """
        base, was_clipped = self._base_matrix(df)
        matrix = self._select_columns(base)
        matrix = (matrix - self._arrays["center"]) / self._arrays["scale"]
        if self.pca_components is not None:
            matrix = (matrix - self._arrays["pca_mean"]) @ self._arrays["pca_components"].T
        return np.ascontiguousarray(matrix, dtype=np.float64), was_clipped

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Transform a batch into the clustering space (see :meth:`transform_with_flags`)."""
        return self.transform_with_flags(df)[0]

    def clip_flags(self, df: pd.DataFrame) -> np.ndarray:
        """Per-row flag: was any feature value of the row outside the fitted clip bounds."""
        return self._base_matrix(df)[1]

    def _base_matrix(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Steps 1-3 (log1p, clip, impute, indicators) for all features, as one matrix.

        Columns: the configured features, then the indicator columns. All-null features are
        filled with 0 here; they are never among the kept columns.
        """
        raw = _extract(df, self.config.features)
        was_clipped = np.zeros(raw.shape[0], dtype=bool)
        indicators = []
        log1p = set(self.config.log1p_features)
        for j, feature in enumerate(self.config.features):
            column = raw[:, j]
            if feature in log1p:
                column = _signed_log1p(column)
            column[~np.isfinite(column)] = np.nan
            low, high = self.clip_lower[feature], self.clip_upper[feature]
            if low is not None and high is not None:
                outside = (column < low) | (column > high)
                was_clipped |= outside
                column = np.clip(column, low, high)
            missing = np.isnan(column)
            if feature in self.indicator_features:
                indicators.append(missing.astype(np.float64))
            median = self.medians[feature]
            column[missing] = 0.0 if median is None else median
            raw[:, j] = column
        if indicators:
            raw = np.column_stack([raw, *indicators])
        return raw, was_clipped

    def _select_columns(self, base: np.ndarray) -> np.ndarray:
        all_columns = _base_column_names(self.config.features, self.indicator_features)
        position = {name: i for i, name in enumerate(all_columns)}
        return base[:, [position[name] for name in self.kept_columns]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation (plain lists, floats, strings and ``None``)."""
        return {
            "format_version": FORMAT_VERSION,
            "config": self.config.to_dict(),
            "clip_lower": dict(self.clip_lower),
            "clip_upper": dict(self.clip_upper),
            "medians": dict(self.medians),
            "indicator_features": list(self.indicator_features),
            "kept_columns": list(self.kept_columns),
            "scale_center": list(self.scale_center),
            "scale_scale": list(self.scale_scale),
            "dropped": [d.to_dict() for d in self.dropped],
            "n_fit_rows": self.n_fit_rows,
            "pca_mean": None if self.pca_mean is None else list(self.pca_mean),
            "pca_components": (
                None if self.pca_components is None else [list(c) for c in self.pca_components]
            ),
            "pca_explained_variance_ratio": (
                None
                if self.pca_explained_variance_ratio is None
                else list(self.pca_explained_variance_ratio)
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Preprocessor:
        """Inverse of :meth:`to_dict`."""
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"unsupported preprocessor format_version {data.get('format_version')}"
            )

        def _opt_tuple(values: Sequence[float] | None) -> tuple[float, ...] | None:
            return None if values is None else tuple(float(v) for v in values)

        components = data.get("pca_components")
        return cls(
            config=PreprocessConfig.from_dict(data["config"]),
            clip_lower={k: _opt_float(v) for k, v in data["clip_lower"].items()},
            clip_upper={k: _opt_float(v) for k, v in data["clip_upper"].items()},
            medians={k: _opt_float(v) for k, v in data["medians"].items()},
            indicator_features=tuple(data["indicator_features"]),
            kept_columns=tuple(data["kept_columns"]),
            scale_center=tuple(float(v) for v in data["scale_center"]),
            scale_scale=tuple(float(v) for v in data["scale_scale"]),
            dropped=tuple(DroppedColumn(**d) for d in data["dropped"]),
            n_fit_rows=int(data["n_fit_rows"]),
            pca_mean=_opt_tuple(data.get("pca_mean")),
            pca_components=(
                None
                if components is None
                else tuple(tuple(float(v) for v in c) for c in components)
            ),
            pca_explained_variance_ratio=_opt_tuple(data.get("pca_explained_variance_ratio")),
        )


def fit_preprocessor(
    sample: pd.DataFrame, config: PreprocessConfig, *, allow_no_columns: bool = False
) -> Preprocessor:
    """Fit the preprocessing pipeline on a sample.

    Args:
        sample: Rows to fit on, holding every configured feature column. Should be sorted by
            key by the caller; the result does not depend on row order except through floating
            point summation order.
        config: What to do.
        allow_no_columns: Return a preprocessor without output columns (instead of raising)
            when the sample is empty or every column gets dropped. No scaling and no PCA are
            fitted then.

    Returns:
        A fitted :class:`Preprocessor`.

    Raises:
        ValueError: If the sample is empty (unless ``allow_no_columns``).
        NoUsableFeatureError: If every column gets dropped (unless ``allow_no_columns``).
    """
    if len(sample) == 0 and not allow_no_columns:
        raise ValueError("cannot fit the preprocessor on an empty sample")
    raw = _extract(sample, config.features)
    clip_lower: dict[str, float | None] = {}
    clip_upper: dict[str, float | None] = {}
    medians: dict[str, float | None] = {}
    indicator_features: list[str] = []
    dropped: list[DroppedColumn] = []
    all_null: set[str] = set()
    log1p = set(config.log1p_features)

    for j, feature in enumerate(config.features):
        column = raw[:, j]
        if feature in log1p:
            column = _signed_log1p(column)
        column[~np.isfinite(column)] = np.nan
        missing = np.isnan(column)
        if missing.all():
            all_null.add(feature)
            clip_lower[feature] = clip_upper[feature] = medians[feature] = None
            dropped.append(DroppedColumn(feature, "all_null", "every value null in the fit sample"))
            continue
        if config.clip_quantiles is not None:
            low, high = np.quantile(column[~missing], config.clip_quantiles)
            clip_lower[feature], clip_upper[feature] = float(low), float(high)
            column = np.clip(column, low, high)
        else:
            clip_lower[feature] = clip_upper[feature] = None
        median = float(np.median(column[~missing]))
        medians[feature] = median
        if (
            missing.any()
            and config.null_indicators
            and missing.mean() >= config.null_indicator_min_share
        ):
            indicator_features.append(feature)

    # Build the fit matrix through the same code path as transform, so the two cannot drift.
    preliminary = Preprocessor(
        config=config,
        clip_lower=clip_lower,
        clip_upper=clip_upper,
        medians=medians,
        indicator_features=tuple(indicator_features),
        kept_columns=(),
        scale_center=(),
        scale_scale=(),
        dropped=(),
        n_fit_rows=len(sample),
    )
    base, _ = preliminary._base_matrix(sample)
    names = _base_column_names(config.features, tuple(indicator_features))

    candidates: list[int] = []
    for i, name in enumerate(names):
        if name in all_null:
            continue
        variance = float(np.var(base[:, i]))
        if variance <= config.variance_threshold:
            dropped.append(
                DroppedColumn(
                    name,
                    "near_constant",
                    f"variance {variance:.6g} <= {config.variance_threshold:g}",
                )
            )
            continue
        candidates.append(i)

    kept: list[int] = []
    if config.correlation_threshold is not None and len(candidates) > 1:
        corr = np.corrcoef(base[:, candidates], rowvar=False)
        kept_local: list[int] = []
        for a in range(len(candidates)):
            partner = next(
                (b for b in kept_local if abs(corr[a, b]) > config.correlation_threshold), None
            )
            if partner is None:
                kept_local.append(a)
            else:
                dropped.append(
                    DroppedColumn(
                        names[candidates[a]],
                        "correlated",
                        f"|corr| {abs(corr[a, partner]):.4f} > {config.correlation_threshold:g} "
                        f"with kept column {names[candidates[partner]]}",
                    )
                )
        kept = [candidates[a] for a in kept_local]
    else:
        kept = candidates
    if not kept and not allow_no_columns:
        raise NoUsableFeatureError(
            "every feature was dropped by preprocessing; nothing left to cluster "
            f"({describe_dropped(dropped)})",
            dropped,
        )

    matrix = base[:, kept]
    if kept:
        center, scale = _fit_scaler(matrix, config.scaler)
    else:
        center, scale = np.empty(0), np.empty(0)
    is_indicator = np.array([names[i].startswith(INDICATOR_PREFIX) for i in kept], dtype=bool)
    center[is_indicator], scale[is_indicator] = 0.0, 1.0
    scaled = (matrix - center) / scale

    pca_mean = pca_components = pca_ratio = None
    if config.pca_components is not None and kept:
        n_components: int | float = config.pca_components
        if isinstance(n_components, int):
            n_components = min(n_components, scaled.shape[1], scaled.shape[0])
        pca = PCA(n_components=n_components, svd_solver="full").fit(scaled)
        pca_mean = tuple(float(v) for v in pca.mean_)
        pca_components = tuple(tuple(float(v) for v in row) for row in pca.components_)
        pca_ratio = tuple(float(v) for v in pca.explained_variance_ratio_)

    return Preprocessor(
        config=config,
        clip_lower=clip_lower,
        clip_upper=clip_upper,
        medians=medians,
        indicator_features=tuple(indicator_features),
        kept_columns=tuple(names[i] for i in kept),
        scale_center=tuple(float(v) for v in center),
        scale_scale=tuple(float(v) for v in scale),
        dropped=tuple(dropped),
        n_fit_rows=len(sample),
        pca_mean=pca_mean,
        pca_components=pca_components,
        pca_explained_variance_ratio=pca_ratio,
    )


def _fit_scaler(matrix: np.ndarray, scaler: str) -> tuple[np.ndarray, np.ndarray]:
    """Center and scale vectors for ``(matrix - center) / scale``; zero scales become 1."""
    if scaler == "standard":
        center, scale = matrix.mean(axis=0), matrix.std(axis=0)
    elif scaler == "minmax":
        center = matrix.min(axis=0)
        scale = matrix.max(axis=0) - center
    elif scaler == "robust":
        q25, center, q75 = np.quantile(matrix, [0.25, 0.5, 0.75], axis=0)
        scale = q75 - q25
        zero = scale <= 0
        scale[zero] = matrix.std(axis=0)[zero]
    else:  # pragma: no cover - validated by PreprocessConfig
        raise ValueError(scaler)
    scale = np.where(scale > 0, scale, 1.0)
    return center.astype(np.float64), scale.astype(np.float64)


def _base_column_names(features: Sequence[str], indicator_features: Sequence[str]) -> list[str]:
    return [*features, *(indicator_name(f) for f in indicator_features)]


def _extract(df: pd.DataFrame, features: Sequence[str]) -> np.ndarray:
    """The feature columns as a writable float64 array with NaN for nulls."""
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise KeyError(f"batch is missing feature columns: {missing}")
    return np.array(df.loc[:, list(features)].to_numpy(dtype=np.float64, na_value=np.nan))


def _signed_log1p(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sign(values) * np.log1p(np.abs(values))


def _opt_float(value: Any) -> float | None:
    if value is None:
        return None
    result = float(value)
    if not math.isfinite(result):
        raise ValueError("preprocessor parameters must be finite")
    return result
