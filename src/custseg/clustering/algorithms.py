"""Fitting functions: one per algorithm, each returning a :class:`ClusterModel`.

Every function is deterministic for a given input (fixed ``random_state``; sub-samples drawn
with ``numpy.random.default_rng``) and bounded:

* ``kmeans`` and ``gmm`` fit on all given rows (O(n k d) per iteration; gmm O(n k d^2)).
* ``agglomerative`` (ward) fits on at most ``sample_size`` rows (scipy's ward linkage needs
  n^2 / 2 doubles: 400 MB at 10,000 rows); the tree can be reused for every k.
* ``dbscan`` / ``hdbscan`` fit on at most ``sample_size`` rows and keep at most
  ``max_core_points`` core points.

:func:`finalize` labels the sample with the model's own assignment rule, orders the clusters
canonically (largest first, ties by the fitted cluster index) and sets the outlier thresholds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster
from scipy.cluster.hierarchy import ward as ward_linkage_scipy
from sklearn.cluster import DBSCAN, HDBSCAN, KMeans
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import NearestNeighbors

from custseg.clustering.metrics import subsample_indices
from custseg.clustering.model import NOISE_LABEL, ClusterModel


def fit_kmeans(
    x: np.ndarray, n_clusters: int, *, n_init: int = 3, random_state: int = 0, max_iter: int = 300
) -> ClusterModel:
    """k-means (k-means++ init, Lloyd) on all rows of ``x``."""
    model = KMeans(
        n_clusters=n_clusters, n_init=n_init, max_iter=max_iter, random_state=random_state
    ).fit(x)
    params = {"n_clusters": n_clusters, "n_init": n_init, "random_state": random_state}
    return ClusterModel("kmeans", params, model.cluster_centers_)


def fit_gmm(
    x: np.ndarray,
    n_components: int,
    *,
    random_state: int = 0,
    reg_covar: float = 1e-6,
    max_iter: int = 200,
    n_init: int = 1,
) -> ClusterModel:
    """Gaussian mixture with full covariances (k-means initialisation)."""
    model = GaussianMixture(
        n_components=n_components,
        covariance_type="full",
        reg_covar=reg_covar,
        max_iter=max_iter,
        n_init=n_init,
        random_state=random_state,
    ).fit(x)
    params = {
        "n_components": n_components,
        "covariance_type": "full",
        "reg_covar": reg_covar,
        "random_state": random_state,
        "converged": bool(model.converged_),
    }
    return ClusterModel(
        "gmm", params, model.means_, covariances=model.covariances_, weights=model.weights_
    )


@dataclass(frozen=True)
class WardTree:
    """A ward linkage over a sub-sample, reusable for every k."""

    points: np.ndarray
    linkage: np.ndarray


def ward_tree(x: np.ndarray, *, sample_size: int, random_state: int = 0) -> WardTree:
    """Ward linkage on a deterministic sub-sample of at most ``sample_size`` rows.

    Memory is O(sample_size^2) (scipy stores the condensed distance matrix), time about
    O(sample_size^2 * d); about 4 s at 10,000 x 12 here.
    """
    points = x[subsample_indices(len(x), sample_size, random_state)]
    return WardTree(points=points, linkage=ward_linkage_scipy(points))


def fit_agglomerative(tree: WardTree, n_clusters: int) -> ClusterModel:
    """Cut a ward tree into ``n_clusters`` clusters; the model's centroids are the cluster means.

    Rows outside the sub-sample (and new batches) go to the nearest centroid.
    """
    labels = fcluster(tree.linkage, t=n_clusters, criterion="maxclust") - 1
    found = int(labels.max()) + 1
    centroids = np.vstack([tree.points[labels == c].mean(axis=0) for c in range(found)])
    params = {"n_clusters": n_clusters, "linkage": "ward", "sample_size": len(tree.points)}
    return ClusterModel("agglomerative", params, centroids)


def k_distances(
    x: np.ndarray, min_samples: int, *, query_size: int = 5_000, random_state: int = 0
) -> np.ndarray:
    """Distance of (a sub-sample of) rows to their ``min_samples``-th nearest neighbour in x.

    The row itself counts as its first neighbour, matching DBSCAN's ``min_samples``; ``eps``
    at quantile q of these distances makes about a share q of the rows core points.
    """
    neighbours = NearestNeighbors(n_neighbors=min(min_samples, len(x))).fit(x)
    query = x[subsample_indices(len(x), query_size, random_state)]
    distances, _ = neighbours.kneighbors(query)
    return distances[:, -1]


def fit_dbscan(
    x: np.ndarray,
    *,
    eps: float,
    min_samples: int,
    sample_size: int = 20_000,
    max_core_points: int = 20_000,
    random_state: int = 0,
    extra_params: Mapping[str, Any] | None = None,
) -> ClusterModel:
    """DBSCAN on at most ``sample_size`` rows; the model keeps the (capped) core samples."""
    points = x[subsample_indices(len(x), sample_size, random_state)]
    model = DBSCAN(eps=eps, min_samples=min_samples).fit(points)
    core = np.asarray(model.core_sample_indices_, dtype=np.int64)
    params = {
        "eps": float(eps),
        "min_samples": int(min_samples),
        "fit_rows": len(points),
        **(extra_params or {}),
    }
    return _density_model(
        "dbscan",
        params,
        points[core],
        model.labels_[core],
        float(eps),
        max_core_points,
        random_state,
    )


def fit_hdbscan(
    x: np.ndarray,
    *,
    min_cluster_share: float,
    min_samples: int = 10,
    eps_quantile: float = 0.95,
    sample_size: int = 20_000,
    max_core_points: int = 20_000,
    random_state: int = 0,
) -> ClusterModel:
    """HDBSCAN on at most ``sample_size`` rows, with ``min_cluster_size`` as a share of them.

    The clustered (non-noise) points become the core points; the assignment radius ``eps`` is
    the ``eps_quantile`` quantile of their core distances (distance to the ``min_samples``-th
    nearest neighbour, self included, as HDBSCAN defines it).
    """
    points = x[subsample_indices(len(x), sample_size, random_state)]
    min_cluster_size = max(2, round(min_cluster_share * len(points)))
    model = HDBSCAN(min_cluster_size=min_cluster_size, min_samples=min_samples, copy=True).fit(
        points
    )
    labels = model.labels_
    clustered = labels != NOISE_LABEL
    params: dict[str, Any] = {
        "min_cluster_share": float(min_cluster_share),
        "min_cluster_size": int(min_cluster_size),
        "min_samples": int(min_samples),
        "eps_quantile": float(eps_quantile),
        "fit_rows": len(points),
    }
    if not clustered.any():
        eps = 0.0
    else:
        neighbours = NearestNeighbors(n_neighbors=min(min_samples, len(points))).fit(points)
        core_distance = neighbours.kneighbors(points[clustered])[0][:, -1]
        eps = float(np.quantile(core_distance, eps_quantile))
    params["eps"] = eps
    return _density_model(
        "hdbscan", params, points[clustered], labels[clustered], eps, max_core_points, random_state
    )


def _density_model(
    algorithm: str,
    params: dict[str, Any],
    core_points: np.ndarray,
    core_labels: np.ndarray,
    eps: float,
    max_core_points: int,
    random_state: int,
) -> ClusterModel:
    if len(core_points) > max_core_points:
        keep = subsample_indices(len(core_points), max_core_points, random_state)
        core_points, core_labels = core_points[keep], core_labels[keep]
    params = {**params, "n_core_points": len(core_points)}
    # renumber labels 0..k-1 in case capping removed a whole cluster
    present = np.unique(core_labels)
    core_labels = np.searchsorted(present, core_labels).astype(np.int64)
    if len(core_points):
        centroids = np.vstack(
            [core_points[core_labels == c].mean(axis=0) for c in range(len(present))]
        )
    else:
        centroids = np.empty((0, core_points.shape[1]))
    return ClusterModel(
        algorithm, params, centroids, core_points=core_points, core_labels=core_labels, eps=eps
    )


def finalize(
    model: ClusterModel, x: np.ndarray, *, outlier_quantile: float = 0.99
) -> tuple[ClusterModel, np.ndarray]:
    """Label the sample with the model's assignment rule and put the model in canonical form.

    * Clusters are renumbered by decreasing size on ``x`` (ties: lower fitted index first), so
      labels do not depend on an algorithm's internal numbering.
    * Outlier thresholds: per-cluster ``outlier_quantile`` of the distance to the centroid
      (kmeans / agglomerative; 0 for a cluster with no rows), or the ``1 - outlier_quantile``
      quantile of the log-density (gmm).

    Returns:
        ``(model, labels)`` with ``labels == model.assign(x).labels``.
    """
    assignment = model.assign(x)
    labels = assignment.labels
    if model.n_clusters == 0:
        return model, labels
    sizes = np.bincount(labels[labels >= 0], minlength=model.n_clusters)
    order = np.lexsort((np.arange(model.n_clusters), -sizes))
    model = model.relabel(order)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    labels = np.where(labels >= 0, inverse[np.maximum(labels, 0)], labels)
    distance = assignment.distance_or_probability
    if model.algorithm in ("kmeans", "agglomerative"):
        thresholds = np.zeros(model.n_clusters)
        for c in range(model.n_clusters):
            member = labels == c
            if member.any():
                thresholds[c] = np.quantile(distance[member], outlier_quantile)
        model = model.with_outlier_thresholds(thresholds)
    elif model.algorithm == "gmm":
        log_density = model.log_density(x)
        model = model.with_outlier_thresholds(
            np.array([np.quantile(log_density, 1.0 - outlier_quantile)])
        )
    return model, labels
