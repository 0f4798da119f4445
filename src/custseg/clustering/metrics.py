"""Cluster quality metrics, all bounded in memory and time on a sample.

Conventions:

* ``labels`` are integer arrays; ``-1`` is noise and is left out of the internal metrics
  (silhouette, Davies-Bouldin, Calinski-Harabasz, Dunn).
* A metric that cannot be computed (fewer than two clusters, every cluster a single point,
  ...) is ``None``, never NaN.
* Sub-samples are drawn with ``numpy.random.default_rng(random_state)``, so the same input gives
  the same value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from custseg.sampling import subsample_indices

# A density algorithm's label for points in no cluster (scikit-learn's convention). The model
# maps it to segment id custseg.segment_ids.NOISE.
NOISE_LABEL = -1


def _clustered(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = labels != NOISE_LABEL
    return x[keep], labels[keep]


def _n_groups_ok(labels: np.ndarray) -> bool:
    n_groups = len(np.unique(labels))
    return 2 <= n_groups <= len(labels) - 1


def silhouette(
    x: np.ndarray, labels: np.ndarray, *, sample_size: int = 5_000, random_state: int = 0
) -> float | None:
    """Mean silhouette coefficient on a bounded sub-sample (scikit-learn ``silhouette_score``).

    Cost is O(sample_size^2 * d) time, chunked by scikit-learn.
    """
    x, labels = _clustered(x, labels)
    if not _n_groups_ok(labels):
        return None
    size = sample_size if len(labels) > sample_size else None
    try:
        return float(silhouette_score(x, labels, sample_size=size, random_state=random_state))
    except ValueError:  # the sub-sample held a single cluster
        return None


def davies_bouldin(x: np.ndarray, labels: np.ndarray) -> float | None:
    """Davies-Bouldin index (lower is better), O(n * k) on all given rows."""
    x, labels = _clustered(x, labels)
    return float(davies_bouldin_score(x, labels)) if _n_groups_ok(labels) else None


def calinski_harabasz(x: np.ndarray, labels: np.ndarray) -> float | None:
    """Calinski-Harabasz index (higher is better), O(n * k) on all given rows."""
    x, labels = _clustered(x, labels)
    return float(calinski_harabasz_score(x, labels)) if _n_groups_ok(labels) else None


def dunn_index(
    x: np.ndarray,
    labels: np.ndarray,
    *,
    sample_size: int = 2_000,
    random_state: int = 0,
    chunk_rows: int = 512,
) -> float | None:
    """Dunn index: min distance between points of different clusters / max cluster diameter.

    Computed exactly on a uniform sub-sample of at most ``sample_size`` non-noise rows, in row
    chunks: memory O(chunk_rows * sample_size), time O(sample_size^2 * d). On a sub-sample
    the index is an estimate (it tends to be higher than on all rows, since fewer points give
    larger gaps and smaller diameters); with ``sample_size >= n`` it is exact.
    Higher is better. ``None`` with fewer than two clusters or a zero maximum diameter.
    """
    x, labels = _clustered(x, labels)
    index = subsample_indices(len(labels), sample_size, random_state)
    x, labels = x[index], labels[index]
    if len(np.unique(labels)) < 2:
        return None
    min_between = np.inf
    max_within = 0.0
    for start in range(0, len(labels), chunk_rows):
        stop = min(start + chunk_rows, len(labels))
        distances = cdist(x[start:stop], x)
        same = labels[start:stop, None] == labels[None, :]
        if same.any():
            max_within = max(max_within, float(distances[same].max()))
        if (~same).any():
            min_between = min(min_between, float(distances[~same].min()))
    if max_within <= 0.0 or not np.isfinite(min_between):
        return None
    return min_between / max_within


def dunn_index_bruteforce(x: np.ndarray, labels: np.ndarray) -> float | None:
    """Reference Dunn index by explicit loops over all pairs, O(n^2). For tests on tiny data."""
    x, labels = _clustered(np.asarray(x, dtype=float), np.asarray(labels))
    clusters = sorted(set(labels.tolist()))
    if len(clusters) < 2:
        return None
    members = {c: [x[i] for i in range(len(labels)) if labels[i] == c] for c in clusters}
    diameter = 0.0
    for points in members.values():
        for a in points:
            for b in points:
                diameter = max(diameter, float(np.sqrt(np.sum((a - b) ** 2))))
    separation = np.inf
    for i, c in enumerate(clusters):
        for other in clusters[i + 1 :]:
            for a in members[c]:
                for b in members[other]:
                    separation = min(separation, float(np.sqrt(np.sum((a - b) ** 2))))
    return None if diameter == 0.0 else separation / diameter


def within_cluster_dispersion(x: np.ndarray, labels: np.ndarray) -> float:
    """W_k = sum over clusters of the squared distances to the cluster mean (noise ignored).

    For k-means this is the inertia; Tibshirani's W_k (sum of D_r / 2 n_r) equals it for the
    squared Euclidean distance.
    """
    total = 0.0
    for label in np.unique(labels):
        if label == NOISE_LABEL:
            continue
        members = x[labels == label]
        total += float(np.sum(np.square(members - members.mean(axis=0))))
    return total


@dataclass(frozen=True)
class GapResult:
    """Gap statistic for one clustering: ``gap = mean(log W*_k) - log W_k``, ``s_k`` its error."""

    gap: float
    s_k: float


class GapReference:
    """Uniform reference data sets for the gap statistic (Tibshirani, Walther & Hastie 2001).

    ``n_references`` (B) sets of ``len(x)`` points are drawn uniformly in the bounding box of
    ``x`` aligned with its principal components (``box="pca"``, the paper's option (b)) or
    with the original axes (``box="axis"``). The same B sets serve every k. For each k the sets
    are clustered with k-means (``n_init`` restarts), and ``log W*_k`` is cached, so one
    instance can score candidates of several algorithms: the observed W_k comes from the
    candidate's own labels, the reference from k-means (for gmm / ward labels this makes the
    gap slightly conservative, because k-means minimises W_k).

    Cost: B k-means fits on ``len(x)`` points per distinct k; pass a bounded sample.
    """

    def __init__(
        self,
        x: np.ndarray,
        *,
        n_references: int = 5,
        random_state: int = 0,
        box: str = "pca",
        n_init: int = 2,
    ) -> None:
        if n_references < 1:
            raise ValueError("n_references must be >= 1")
        if box not in ("pca", "axis"):
            raise ValueError("box must be 'pca' or 'axis'")
        x = np.asarray(x, dtype=np.float64)
        self.n_references = n_references
        self.random_state = random_state
        self.n_init = n_init
        rng = np.random.default_rng(random_state)
        mean = x.mean(axis=0)
        if box == "pca":
            _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
            rotated = (x - mean) @ vt.T
        else:
            vt = np.eye(x.shape[1])
            rotated = x - mean
        low, high = rotated.min(axis=0), rotated.max(axis=0)
        self._references = [
            rng.uniform(low, high, size=rotated.shape) @ vt + mean for _ in range(n_references)
        ]
        self._cache: dict[int, np.ndarray] = {}

    def log_dispersions(self, k: int) -> np.ndarray:
        """``log W*_k`` of each reference set, shape ``(n_references,)``."""
        if k not in self._cache:
            values = []
            for b, reference in enumerate(self._references):
                model = KMeans(
                    n_clusters=k, n_init=self.n_init, random_state=self.random_state + b
                ).fit(reference)
                values.append(np.log(max(float(model.inertia_), np.finfo(float).tiny)))
            self._cache[k] = np.asarray(values)
        return self._cache[k]

    def gap(self, x: np.ndarray, labels: np.ndarray) -> GapResult | None:
        """Gap statistic of a clustering of ``x`` (the data the reference was built from).

        ``k`` is the number of non-noise clusters in ``labels``. ``None`` if W_k is zero.
        """
        k = len(np.unique(labels[labels != NOISE_LABEL]))
        w_k = within_cluster_dispersion(x, labels)
        if k < 1 or w_k <= 0.0:
            return None
        reference = self.log_dispersions(k)
        s_k = float(np.std(reference) * np.sqrt(1.0 + 1.0 / self.n_references))
        return GapResult(gap=float(reference.mean() - np.log(w_k)), s_k=s_k)


def gap_optimal_k(
    k_values: Sequence[int], gaps: Sequence[float], s_k: Sequence[float]
) -> int | None:
    """Tibshirani's rule: the smallest k with ``Gap(k) >= Gap(k+1) - s_{k+1}``.

    ``k_values`` must be consecutive-sorted; returns ``None`` if no k qualifies.
    """
    order = np.argsort(k_values)
    ks = np.asarray(k_values)[order]
    g = np.asarray(gaps, dtype=float)[order]
    s = np.asarray(s_k, dtype=float)[order]
    for i in range(len(ks) - 1):
        if g[i] >= g[i + 1] - s[i + 1]:
            return int(ks[i])
    return None


def find_knee(
    x: Sequence[float], y: Sequence[float], *, min_distance: float = 0.05
) -> float | None:
    """Knee of a decreasing, convex curve (e.g. inertia against k).

    Both axes are rescaled to [0, 1]; the knee is the point lying farthest below the chord
    from the first to the last point (the "max distance to the chord" method; for this curve
    shape it picks the same point as Kneedle's difference curve).

    Args:
        x: Increasing x values (e.g. k).
        y: Curve values; need not be strictly monotone.
        min_distance: Minimum perpendicular distance below the chord, in rescaled units,
            for a point to count as a knee. A straight line or a concave curve has none.

    Returns:
        The x value of the knee, or ``None`` (fewer than 3 points, flat curve, no knee).
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if len(xs) != len(ys):
        raise ValueError("x and y must have the same length")
    if len(xs) < 3 or np.any(np.diff(xs) <= 0):
        return None
    y_range = ys.max() - ys.min()
    if y_range <= 0:
        return None
    xn = (xs - xs[0]) / (xs[-1] - xs[0])
    yn = (ys - ys.min()) / y_range
    # chord from (0, yn[0]) to (1, yn[-1]); signed distance, positive below the chord
    dx, dy = 1.0, yn[-1] - yn[0]
    below = (dy * xn - dx * (yn - yn[0])) / np.hypot(dx, dy)
    best = int(np.argmax(below[1:-1])) + 1
    return float(xs[best]) if below[best] >= min_distance else None


def stability_resamples(
    n: int, *, n_resamples: int, fit_size: int, random_state: int
) -> list[np.ndarray]:
    """Sorted row indices of the stability sub-samples (without replacement).

    Each holds ``min(fit_size, 0.8 n)`` rows so that resamples differ even on small data.
    """
    size = max(2, min(fit_size, int(0.8 * n)))
    rng = np.random.default_rng(random_state)
    return [np.sort(rng.choice(n, size=size, replace=False)) for _ in range(n_resamples)]


def bootstrap_stability(
    x: np.ndarray,
    reference_labels: np.ndarray,
    refit: Callable[[np.ndarray, int], Callable[[np.ndarray], np.ndarray]],
    *,
    resamples: Sequence[np.ndarray],
    eval_indices: np.ndarray,
) -> float | None:
    """Stability: mean adjusted Rand index between the reference labels and refits.

    For each resample ``r``, ``refit(x[resamples[r]], r)`` fits the same algorithm with the same
    parameters on that sub-sample (with a different seed per ``r``) and returns a function that
    labels rows; it labels the evaluation rows ``x[eval_indices]``, which are compared with
    ``reference_labels[eval_indices]``. Noise (-1) counts as its own label. About 1 for a
    structure that every sub-sample finds again; lower when refits disagree.
    """
    if not resamples:
        return None
    reference = reference_labels[eval_indices]
    evaluated = x[eval_indices]
    scores = []
    for r, rows in enumerate(resamples):
        predict = refit(x[rows], r)
        scores.append(adjusted_rand_score(reference, predict(evaluated)))
    return float(np.mean(scores))
