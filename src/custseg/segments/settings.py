"""The segment models' dbt vars, typed: features, preprocessing and the candidate search.

Every default lives in ``dbt_project.yml`` (docs block `segment_settings`); the models pass
the vars through their YAML config, and these functions fail with a
:class:`~custseg.project_vars.SettingError` naming the var when one is missing or malformed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from custseg import project_vars
from custseg.clustering import PreprocessConfig, SelectionConfig, minimum_fit_rows
from custseg.clustering.model import ALGORITHMS

KEY_COLUMN = "customer_id"
"""The key of ``int_segment_features`` and of every per-customer table of the segment models."""

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
    overrides: Mapping[str, Any],
) -> PreprocessConfig:
    """The engine's preprocessing config: its defaults, then var ``segment_preprocessing``.

    Raises:
        SettingError: The var is missing, or names an option that is not in
            :data:`PREPROCESSING_OPTIONS`.
    """
    overrides = dict(project_vars.required("segment_preprocessing", overrides))
    unknown = sorted(set(overrides) - set(PREPROCESSING_OPTIONS))
    if unknown:
        raise project_vars.SettingError(
            f"var segment_preprocessing: unknown options {unknown}; allowed: "
            f"{list(PREPROCESSING_OPTIONS)}"
        )
    data = PreprocessConfig(features=tuple(features), log1p_features=tuple(log1p_features))
    return PreprocessConfig.from_dict({**data.to_dict(), **overrides})


SELECTION_VARS: dict[str, str] = {
    "algorithms": "algorithms",
    "k_min": "segment_k_min",
    "k_max": "segment_k_max",
    "pinned_algorithm": "segment_algorithm",
    "pinned_n_clusters": "segment_n_clusters",
    "min_segment_share": "segment_min_share",
    "max_segment_share": "segment_max_share",
    "ward_sample_size": "segment_ward_sample_size",
    "min_customers": "segment_min_customers",
}
"""The dbt var behind each field of :class:`SelectionSettings` (for messages that name it)."""


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

    algorithms: tuple[str, ...]
    k_min: int
    k_max: int
    pinned_algorithm: str | None
    pinned_n_clusters: int | None
    min_segment_share: float
    max_segment_share: float
    ward_sample_size: int
    min_customers: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "algorithms", tuple(self.algorithms))
        unknown = sorted(set(self.algorithms) - set(ALGORITHMS))
        if unknown or not self.algorithms:
            raise project_vars.SettingError(
                f"var algorithms must be a non-empty subset of {ALGORITHMS}"
            )
        if not 2 <= self.k_min <= self.k_max:
            raise project_vars.SettingError("need 2 <= segment_k_min <= segment_k_max")
        if self.min_customers < 1:
            raise project_vars.SettingError("var segment_min_customers must be at least 1")

    @classmethod
    def from_vars(cls, values: Mapping[str, Any]) -> SelectionSettings:
        """From the dbt vars, keyed by var name (``algorithms``, ``segment_k_min``, ...).

        Raises:
            SettingError: A var is missing (only ``segment_algorithm`` and
                ``segment_n_clusters`` may be null) or has the wrong type.
        """
        algorithms = project_vars.required("algorithms", values.get("algorithms"))
        if isinstance(algorithms, str):
            algorithms = [algorithms]
        pinned_k = project_vars.optional(values.get("segment_n_clusters"))
        pinned_algorithm = project_vars.optional(values.get("segment_algorithm"))
        return cls(
            algorithms=tuple(str(a) for a in algorithms),
            k_min=project_vars.integer("segment_k_min", values.get("segment_k_min")),
            k_max=project_vars.integer("segment_k_max", values.get("segment_k_max")),
            pinned_algorithm=None if pinned_algorithm is None else str(pinned_algorithm),
            pinned_n_clusters=None
            if pinned_k is None
            else project_vars.integer("segment_n_clusters", pinned_k),
            min_segment_share=project_vars.number(
                "segment_min_share", values.get("segment_min_share"), low=0, high=1
            ),
            max_segment_share=project_vars.number(
                "segment_max_share", values.get("segment_max_share"), low=0, high=1
            ),
            ward_sample_size=project_vars.integer(
                "segment_ward_sample_size", values.get("segment_ward_sample_size"), minimum=1
            ),
            min_customers=project_vars.integer(
                "segment_min_customers", values.get("segment_min_customers"), minimum=1
            ),
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
        """JSON-able representation (stored with each model version)."""
        data = asdict(self)
        data["algorithms"] = list(self.algorithms)
        return data
