"""Fitted clustering models and batch assignment.

:class:`ClusterModel` lives in the preprocessed feature space and knows how to assign rows:

* ``kmeans`` / ``agglomerative``: nearest centroid (Euclidean). For agglomerative the
  centroids are the cluster means of the ward sub-sample. The score is the distance to the
  centroid; a row is an outlier when that distance exceeds the cluster's
  ``outlier_quantile`` (default 0.99) of the sample's distances.
* ``gmm``: the component with the highest posterior (same maths as scikit-learn's
  ``predict``). The score is that maximum posterior probability; a row is an outlier when its
  log-density is below the sample's ``1 - outlier_quantile`` quantile.
* ``dbscan`` / ``hdbscan``: the label of the nearest core point if it lies within ``eps``,
  else noise (``-1``). The score is the distance to the nearest core point; noise rows are the
  outliers. For dbscan, the core points are DBSCAN's core samples and ``eps`` its radius.
  HDBSCAN has no radius, so its "core points" are the points it clustered, and ``eps`` is a
  quantile (``eps_quantile``, default 0.95) of their core distances (distance to their
  ``min_samples``-th nearest neighbour, the point itself included). Core points are capped at
  ``max_core_points`` by a deterministic sub-sample; the lookup is a KD-tree, so memory per
  batch is O(batch rows), not O(batch rows x core points).
* ``single_segment``: the documented fallback when there is nothing to cluster (too few
  customers, or no feature survived preprocessing; see
  :func:`custseg.clustering.selection.fit_single_segment`). One cluster holds every row; its
  centroid is the sample mean (possibly in a space with no columns). The score is the distance
  to that centroid; no row is an outlier. It is not a candidate algorithm (not in
  :data:`ALGORITHMS`): the search never selects it.

Assignment of a row depends only on that row, so assigning batch by batch gives the same
labels as assigning everything at once.

:class:`FittedSegmentation` couples a fitted :class:`~custseg.clustering.preprocess.Preprocessor`
with a :class:`ClusterModel` and the cluster -> segment id mapping, and serialises to a
JSON-able dict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy.linalg import cholesky, solve_triangular
from scipy.special import logsumexp
from sklearn.neighbors import KDTree

from custseg.clustering.metrics import NOISE_LABEL
from custseg.clustering.preprocess import Preprocessor
from custseg.segment_ids import NOISE

ALGORITHMS: tuple[str, ...] = ("kmeans", "gmm", "agglomerative", "dbscan", "hdbscan")
CENTROID_ALGORITHMS: tuple[str, ...] = ("kmeans", "agglomerative")
DENSITY_ALGORITHMS: tuple[str, ...] = ("dbscan", "hdbscan")
K_ALGORITHMS: tuple[str, ...] = ("kmeans", "gmm", "agglomerative")
SINGLE_SEGMENT = "single_segment"
FORMAT_VERSION = 1
_CHUNK_ROWS = 65_536


class Assignment(NamedTuple):
    """Result of assigning rows to clusters.

    Attributes:
        labels: int64 cluster labels ``0..k-1``; ``-1`` is noise (density algorithms only).
        distance_or_probability: float64; distance to the centroid / nearest core point, or
            for gmm the maximum posterior probability.
        is_outlier: bool; see the module docstring for the rule per algorithm.
    """

    labels: np.ndarray
    distance_or_probability: np.ndarray
    is_outlier: np.ndarray


@dataclass
class ClusterModel:
    """A fitted clustering in the preprocessed space (see the module docstring).

    Attributes:
        algorithm: One of :data:`ALGORITHMS`, or :data:`SINGLE_SEGMENT` for the fallback.
        params: The parameters the model was fitted with (JSON-able).
        centroids: ``(k, d)``. Cluster centres: k-means centres, ward cluster means, gmm
            means, or for density algorithms the means of each cluster's core points.
        covariances: gmm only, ``(k, d, d)`` full covariance matrices.
        weights: gmm only, ``(k,)`` mixture weights.
        core_points: density only, ``(m, d)``.
        core_labels: density only, ``(m,)`` cluster label of each core point.
        eps: density only, the assignment radius.
        outlier_thresholds: kmeans/agglomerative: ``(k,)`` distance thresholds; gmm: ``(1,)``
            log-density threshold; ``None`` for density algorithms.
    """

    algorithm: str
    params: dict[str, Any]
    centroids: np.ndarray
    covariances: np.ndarray | None = None
    weights: np.ndarray | None = None
    core_points: np.ndarray | None = None
    core_labels: np.ndarray | None = None
    eps: float | None = None
    outlier_thresholds: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.algorithm not in (*ALGORITHMS, SINGLE_SEGMENT):
            raise ValueError(f"unknown algorithm {self.algorithm!r}")
        centroids = np.asarray(self.centroids, dtype=np.float64)
        # a (k, 0) array (no columns) cannot be reshaped with -1; keep 2-d arrays as they are
        if centroids.ndim != 2:
            centroids = centroids.reshape(-1, centroids.shape[-1])
        self.centroids = centroids
        if self.algorithm == SINGLE_SEGMENT and self.n_clusters != 1:
            raise ValueError("a single_segment model has exactly one centroid")
        if self.algorithm == "gmm" and (self.covariances is None or self.weights is None):
            raise ValueError("a gmm model needs covariances and weights")
        if self.algorithm in DENSITY_ALGORITHMS and (
            self.core_points is None or self.core_labels is None or self.eps is None
        ):
            raise ValueError("a density model needs core_points, core_labels and eps")

    @property
    def n_clusters(self) -> int:
        """Number of clusters (noise not counted)."""
        return int(self.centroids.shape[0])

    @property
    def n_features(self) -> int:
        """Dimension of the preprocessed space."""
        return int(self.centroids.shape[1])

    def assign(self, x: np.ndarray, *, chunk_rows: int = _CHUNK_ROWS) -> Assignment:
        """Assign preprocessed rows to clusters.

        Args:
            x: ``(n, d)`` rows in the preprocessed space.
            chunk_rows: Rows processed at a time, to bound temporary memory.

        Returns:
            An :class:`Assignment`. Outlier flags use ``outlier_thresholds``; before they are
            set (during fitting) no row is flagged for centroid and gmm models.
        """
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"expected an array of shape (n, {self.n_features}), got {x.shape}")
        parts = [self._assign_chunk(x[s : s + chunk_rows]) for s in range(0, len(x), chunk_rows)]
        if not parts:
            return Assignment(
                np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64), np.empty(0, dtype=bool)
            )
        return Assignment(*(np.concatenate(p) for p in zip(*parts, strict=True)))

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """gmm only: log of the mixture density at each row."""
        if self.algorithm != "gmm":
            raise ValueError("log_density is defined for gmm models only")
        return logsumexp(self._gmm_weighted_log_prob(np.asarray(x, dtype=np.float64)), axis=1)

    def _assign_chunk(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.algorithm == SINGLE_SEGMENT:
            distance = np.sqrt(np.sum(np.square(x - self.centroids[0]), axis=1))
            return np.zeros(len(x), dtype=np.int64), distance, np.zeros(len(x), dtype=bool)
        if self.algorithm in CENTROID_ALGORITHMS:
            labels, distance = nearest_centroid(x, self.centroids)
            if self.outlier_thresholds is None:
                return labels, distance, np.zeros(len(x), dtype=bool)
            return labels, distance, distance > self.outlier_thresholds[labels]
        if self.algorithm == "gmm":
            weighted = self._gmm_weighted_log_prob(x)
            log_density = logsumexp(weighted, axis=1)
            labels = weighted.argmax(axis=1).astype(np.int64)
            probability = np.exp(weighted[np.arange(len(x)), labels] - log_density)
            if self.outlier_thresholds is None:
                return labels, probability, np.zeros(len(x), dtype=bool)
            return labels, probability, log_density < self.outlier_thresholds[0]
        if self.core_points is None or len(self.core_points) == 0:
            noise = np.full(len(x), NOISE_LABEL, dtype=np.int64)
            return noise, np.full(len(x), np.inf), np.ones(len(x), dtype=bool)
        tree = self._cache.get("tree")
        if tree is None:
            tree = KDTree(self.core_points)
            self._cache["tree"] = tree
        distance, index = tree.query(x, k=1)
        distance, index = distance[:, 0], index[:, 0]
        labels = np.where(distance <= self.eps, self.core_labels[index], NOISE_LABEL)
        return labels.astype(np.int64), distance, labels == NOISE_LABEL

    def _gmm_weighted_log_prob(self, x: np.ndarray) -> np.ndarray:
        """log(weight_k) + log N(x | mean_k, cov_k), as in scikit-learn's GaussianMixture."""
        prec_chol = self._cache.get("prec_chol")
        if prec_chol is None:
            prec_chol = gmm_precision_cholesky(self.covariances)
            self._cache["prec_chol"] = prec_chol
        n_features = x.shape[1]
        log_det = np.array([np.sum(np.log(np.diag(p))) for p in prec_chol])
        log_prob = np.empty((x.shape[0], self.n_clusters))
        for k, (mean, prec) in enumerate(zip(self.centroids, prec_chol, strict=True)):
            y = x @ prec - mean @ prec
            log_prob[:, k] = np.sum(np.square(y), axis=1)
        log_gauss = -0.5 * (n_features * np.log(2 * np.pi) + log_prob) + log_det
        return log_gauss + np.log(self.weights)

    def relabel(self, order: np.ndarray) -> ClusterModel:
        """A copy whose new cluster ``i`` is old cluster ``order[i]`` (a permutation)."""
        order = np.asarray(order, dtype=np.int64)
        if sorted(order.tolist()) != list(range(self.n_clusters)):
            raise ValueError("order must be a permutation of the cluster labels")
        inverse = np.empty_like(order)
        inverse[order] = np.arange(len(order))
        core_labels = self.core_labels
        if core_labels is not None:
            core_labels = np.where(
                core_labels >= 0, inverse[np.maximum(core_labels, 0)], core_labels
            )
        thresholds = self.outlier_thresholds
        if thresholds is not None and self.algorithm != "gmm":
            thresholds = thresholds[order]
        return ClusterModel(
            algorithm=self.algorithm,
            params=dict(self.params),
            centroids=self.centroids[order],
            covariances=None if self.covariances is None else self.covariances[order],
            weights=None if self.weights is None else self.weights[order],
            core_points=self.core_points,
            core_labels=core_labels,
            eps=self.eps,
            outlier_thresholds=thresholds,
        )

    def with_outlier_thresholds(self, thresholds: np.ndarray | None) -> ClusterModel:
        """A copy with the given outlier thresholds."""
        copy = replace(self, params=dict(self.params))
        copy.outlier_thresholds = None if thresholds is None else np.asarray(thresholds, float)
        return copy

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation (nested lists of floats)."""
        return {
            "format_version": FORMAT_VERSION,
            "algorithm": self.algorithm,
            "params": _jsonable(self.params),
            "centroids": self.centroids.tolist(),
            "covariances": None if self.covariances is None else self.covariances.tolist(),
            "weights": None if self.weights is None else self.weights.tolist(),
            "core_points": None if self.core_points is None else self.core_points.tolist(),
            "core_labels": None if self.core_labels is None else self.core_labels.tolist(),
            "eps": self.eps,
            "outlier_thresholds": (
                None if self.outlier_thresholds is None else self.outlier_thresholds.tolist()
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClusterModel:
        """Inverse of :meth:`to_dict`."""
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"unsupported cluster model format_version {data.get('format_version')}"
            )

        def _array(key: str, dtype: type = np.float64) -> np.ndarray | None:
            value = data.get(key)
            return None if value is None else np.asarray(value, dtype=dtype)

        eps = data.get("eps")
        return cls(
            algorithm=data["algorithm"],
            params=dict(data["params"]),
            centroids=np.asarray(data["centroids"], dtype=np.float64),
            covariances=_array("covariances"),
            weights=_array("weights"),
            core_points=_array("core_points"),
            core_labels=_array("core_labels", np.int64),
            eps=None if eps is None else float(eps),
            outlier_thresholds=_array("outlier_thresholds"),
        )


def nearest_centroid(x: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of and Euclidean distance to the nearest centroid for each row.

    Computed centroid by centroid from the differences (no ``|x|^2 - 2x.c + |c|^2`` trick), so a
    row's result does not depend on the other rows. Ties go to the lower index.
    """
    squared = np.empty((x.shape[0], centroids.shape[0]))
    for k, centroid in enumerate(centroids):
        squared[:, k] = np.sum(np.square(x - centroid), axis=1)
    labels = squared.argmin(axis=1)
    return labels.astype(np.int64), np.sqrt(squared[np.arange(len(x)), labels])


def gmm_precision_cholesky(covariances: np.ndarray) -> np.ndarray:
    """Cholesky factors of the precision matrices, computed as scikit-learn does."""
    result = np.empty_like(covariances)
    for k, covariance in enumerate(covariances):
        cov_chol = cholesky(covariance, lower=True)
        eye = np.eye(covariance.shape[0])
        result[k] = solve_triangular(cov_chol, eye, lower=True).T
    return result


def default_segment_ids(n_clusters: int) -> dict[int, int]:
    """Segment ids for a first model: cluster ``i`` -> segment ``i + 1``."""
    return {i: i + 1 for i in range(n_clusters)}


@dataclass
class FittedSegmentation:
    """Preprocessing + cluster model + cluster -> segment id mapping, ready to assign batches.

    Attributes:
        preprocessor: The fitted preprocessing.
        cluster_model: The fitted model in the preprocessed space.
        segment_ids: Cluster label -> persistent segment id (see
            :mod:`custseg.clustering.matching`). Noise maps to :data:`custseg.segment_ids.NOISE`.
        metadata: JSON-able extras, e.g. the selected candidate's metrics.
    """

    preprocessor: Preprocessor
    cluster_model: ClusterModel
    segment_ids: dict[int, int]
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = set(range(self.cluster_model.n_clusters)) - set(self.segment_ids)
        if missing:
            raise ValueError(f"segment_ids has no entry for clusters {sorted(missing)}")
        if self.preprocessor.n_output_columns != self.cluster_model.n_features:
            raise ValueError("preprocessor output and cluster model dimensions differ")

    def transform(self, batch: pd.DataFrame) -> np.ndarray:
        """The batch in the preprocessed space."""
        return self.preprocessor.transform(batch)

    def assign(self, batch: pd.DataFrame) -> Assignment:
        """Preprocess and assign a batch: ``(labels, distance_or_probability, is_outlier)``.

        Memory is O(batch rows x features); call it once per batch of e.g. 100,000 rows.
        """
        return self.cluster_model.assign(self.preprocessor.transform(batch))

    def segment_ids_for(self, labels: np.ndarray) -> np.ndarray:
        """Map cluster labels to segment ids (noise -> :data:`custseg.segment_ids.NOISE`)."""
        lookup = np.array(
            [self.segment_ids[i] for i in range(self.cluster_model.n_clusters)], dtype=np.int64
        )
        labels = np.asarray(labels, dtype=np.int64)
        return np.where(labels >= 0, lookup[np.maximum(labels, 0)], NOISE)

    def assign_frame(self, batch: pd.DataFrame, key_column: str | None = None) -> pd.DataFrame:
        """Assign a batch and return one row per input row.

        Columns: ``key_column`` (if given), ``cluster_label``, ``segment_id``,
        ``distance_or_probability``, ``is_outlier``, ``was_clipped``.
        """
        x, was_clipped = self.preprocessor.transform_with_flags(batch)
        result = self.cluster_model.assign(x)
        columns: dict[str, Any] = {}
        if key_column is not None:
            columns[key_column] = batch[key_column].to_numpy()
        columns["cluster_label"] = result.labels
        columns["segment_id"] = self.segment_ids_for(result.labels)
        columns["distance_or_probability"] = result.distance_or_probability
        columns["is_outlier"] = result.is_outlier
        columns["was_clipped"] = was_clipped
        return pd.DataFrame(columns, index=batch.index)

    def with_segment_ids(self, segment_ids: Mapping[int, int]) -> FittedSegmentation:
        """A copy with another cluster -> segment id mapping."""
        return FittedSegmentation(
            self.preprocessor, self.cluster_model, dict(segment_ids), dict(self.metadata)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation (``json.dumps`` works on it directly)."""
        return {
            "format_version": FORMAT_VERSION,
            "preprocessor": self.preprocessor.to_dict(),
            "cluster_model": self.cluster_model.to_dict(),
            "segment_ids": [[int(k), int(v)] for k, v in sorted(self.segment_ids.items())],
            "metadata": _jsonable(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FittedSegmentation:
        """Inverse of :meth:`to_dict`."""
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"unsupported segmentation format_version {data.get('format_version')}"
            )
        return cls(
            preprocessor=Preprocessor.from_dict(data["preprocessor"]),
            cluster_model=ClusterModel.from_dict(data["cluster_model"]),
            segment_ids={int(k): int(v) for k, v in data["segment_ids"]},
            metadata=dict(data.get("metadata", {})),
        )


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples inside ``value`` to plain Python types."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        result = float(value)
        return result if math.isfinite(result) else None
    return value
