"""Stable segment ids across refits.

A refit numbers its clusters afresh. These functions map the new clusters onto the previous
model's segment ids with the Hungarian algorithm (``scipy.optimize.linear_sum_assignment``):

* :func:`match_by_overlap`: on a common set of customers, compare the new cluster labels with
  the segment ids the previous model gave them; the score of a pair is the Jaccard index of
  the two customer sets. A pair is kept only if its Jaccard is at least ``min_jaccard``.
* :func:`match_by_centroids`: compare centroids in ONE feature space; a pair is kept only if
  the distance is at most ``max_distance``. If the two models were preprocessed differently,
  do not compare their stored centroids; compute the old clusters' centres in the new space
  instead with :func:`cluster_means` (new preprocessing applied to common customers, grouped
  by their old segment id).

New clusters without a match get fresh ids ``next_segment_id, next_segment_id + 1, ...``
(default: one more than the largest previous id), in increasing order of new cluster label.
Previous ids without a match are reported as retired. Noise (label -1) always maps to
:data:`custseg.segment_ids.NOISE` and never takes part in matching.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from custseg.clustering.model import NOISE_LABEL
from custseg.segment_ids import NOISE


@dataclass(frozen=True)
class SegmentMapping:
    """Result of matching a refit's clusters to previous segment ids.

    Attributes:
        mapping: New cluster label -> segment id, for every new cluster.
        matched: New cluster label -> previous segment id it kept.
        new_segment_ids: Ids created for unmatched new clusters.
        retired_segment_ids: Previous ids that no new cluster kept.
        scores: New cluster label -> match score (Jaccard or distance) of its best pairing
            under the assignment, also for pairings rejected by the threshold.
    """

    mapping: dict[int, int]
    matched: dict[int, int]
    new_segment_ids: tuple[int, ...]
    retired_segment_ids: tuple[int, ...]
    scores: dict[int, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation (keys as ``[key, value]`` pairs)."""
        return {
            "mapping": [[k, v] for k, v in sorted(self.mapping.items())],
            "matched": [[k, v] for k, v in sorted(self.matched.items())],
            "new_segment_ids": list(self.new_segment_ids),
            "retired_segment_ids": list(self.retired_segment_ids),
            "scores": [[k, v] for k, v in sorted(self.scores.items())],
        }


def cluster_means(x: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean row of each non-noise label: ``(sorted labels, means)``."""
    present = np.unique(labels[labels != NOISE_LABEL])
    means = (
        np.vstack([x[labels == value].mean(axis=0) for value in present])
        if len(present)
        else (np.empty((0, x.shape[1])))
    )
    return present, means


def match_by_centroids(
    new_centroids: np.ndarray,
    old_centroids: np.ndarray,
    old_segment_ids: Sequence[int],
    *,
    max_distance: float | None = None,
    next_segment_id: int | None = None,
) -> SegmentMapping:
    """Match new clusters (row ``i`` of ``new_centroids`` is cluster ``i``) to old segments.

    Args:
        new_centroids: ``(k_new, d)``.
        old_centroids: ``(k_old, d)`` in the same space as ``new_centroids``.
        old_segment_ids: Segment id of each old centroid row.
        max_distance: Largest Euclidean distance for a match. Default: half the median
            distance from each old centroid to its nearest other old centroid (so a new
            centre must be clearly closer to one old centre than old centres are to each
            other); with a single old centroid, no limit.
        next_segment_id: First id for new segments; default ``max(old ids) + 1``.
    """
    new_centroids = np.atleast_2d(np.asarray(new_centroids, dtype=float))
    old_centroids = np.atleast_2d(np.asarray(old_centroids, dtype=float))
    old_ids = [int(v) for v in old_segment_ids]
    if len(old_ids) != len(old_centroids):
        raise ValueError("old_segment_ids must have one id per old centroid")
    if max_distance is None:
        max_distance = _default_max_distance(old_centroids)
    cost = (
        cdist(new_centroids, old_centroids) if len(old_ids) else np.empty((len(new_centroids), 0))
    )
    return _assign(
        cost,
        old_ids,
        accept=lambda value: value <= max_distance,
        score_of=lambda value: float(value),
        next_segment_id=next_segment_id,
        previous_ids=old_ids,
    )


def match_by_overlap(
    new_labels: np.ndarray,
    old_segment_ids: np.ndarray,
    *,
    min_jaccard: float = 0.3,
    previous_segment_ids: Sequence[int] | None = None,
    n_new_clusters: int | None = None,
    next_segment_id: int | None = None,
) -> SegmentMapping:
    """Match by overlap of assignments of the same customers.

    Args:
        new_labels: New model's cluster label per common customer (``-1`` = noise).
        old_segment_ids: Previous segment id per common customer, aligned with ``new_labels``
            (``custseg.segment_ids.NOISE`` = noise).
        min_jaccard: Minimum Jaccard index |A & B| / |A | B| for a match.
        previous_segment_ids: All ids of the previous model (to report those with no common
            customers as retired, and to pick fresh ids); default the ids seen in
            ``old_segment_ids``.
        n_new_clusters: Number of new clusters (so that clusters without common customers get
            an id too); default ``max(new_labels) + 1``.
        next_segment_id: First id for new segments; default one more than the largest
            previous id.
    """
    new_labels = np.asarray(new_labels, dtype=np.int64)
    old = np.asarray(old_segment_ids, dtype=np.int64)
    if new_labels.shape != old.shape:
        raise ValueError("new_labels and old_segment_ids must be aligned (same shape)")
    if n_new_clusters is None:
        n_new_clusters = int(new_labels.max()) + 1 if len(new_labels) else 0
    seen_old = sorted(set(old[old != NOISE].tolist()))
    previous = sorted({*seen_old, *(int(v) for v in previous_segment_ids or [])})
    index_of = {segment: j for j, segment in enumerate(previous)}

    both = (new_labels != NOISE_LABEL) & (old != NOISE)
    intersection = np.zeros((n_new_clusters, len(previous)))
    np.add.at(intersection, (new_labels[both], [index_of[v] for v in old[both].tolist()]), 1.0)
    new_sizes = np.bincount(new_labels[new_labels != NOISE_LABEL], minlength=n_new_clusters)
    old_sizes = np.array([np.sum(old == segment) for segment in previous], dtype=float)
    union = new_sizes[:, None] + old_sizes[None, :] - intersection
    jaccard = np.divide(intersection, union, out=np.zeros_like(intersection), where=union > 0)
    return _assign(
        -jaccard,
        previous,
        accept=lambda value: -value >= min_jaccard,
        score_of=lambda value: float(-value),
        next_segment_id=next_segment_id,
        previous_ids=previous,
    )


def _assign(
    cost: np.ndarray,
    column_ids: list[int],
    *,
    accept: Any,
    score_of: Any,
    next_segment_id: int | None,
    previous_ids: list[int],
) -> SegmentMapping:
    n_new = cost.shape[0]
    matched: dict[int, int] = {}
    scores: dict[int, float] = {}
    if cost.size:
        rows, cols = linear_sum_assignment(cost)
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            scores[row] = score_of(cost[row, col])
            if accept(cost[row, col]):
                matched[row] = column_ids[col]
    if next_segment_id is None:
        next_segment_id = max(previous_ids, default=0) + 1
    mapping = dict(matched)
    new_ids = []
    for cluster in range(n_new):
        if cluster not in mapping:
            mapping[cluster] = next_segment_id
            new_ids.append(next_segment_id)
            next_segment_id += 1
    kept = set(matched.values())
    retired = tuple(sorted(segment for segment in set(previous_ids) if segment not in kept))
    return SegmentMapping(
        mapping=dict(sorted(mapping.items())),
        matched=dict(sorted(matched.items())),
        new_segment_ids=tuple(new_ids),
        retired_segment_ids=retired,
        scores=dict(sorted(scores.items())),
    )


def _default_max_distance(old_centroids: np.ndarray) -> float:
    if len(old_centroids) < 2:
        return float("inf")
    distances = cdist(old_centroids, old_centroids)
    np.fill_diagonal(distances, np.inf)
    return 0.5 * float(np.median(distances.min(axis=1)))
