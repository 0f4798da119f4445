"""Tests of stable segment ids: Hungarian matching by overlap and by centroids."""

from __future__ import annotations

import json

import numpy as np
import pytest

from custseg.clustering.matching import cluster_means, match_by_centroids, match_by_overlap


def _old_ids() -> np.ndarray:
    return np.repeat([10, 20, 30, 40], 100)  # customers 0..399, 100 per old segment


def test_overlap_matching_with_permuted_labels_new_and_vanished_cluster() -> None:
    old = _old_ids()
    new = np.empty(400, dtype=np.int64)
    new[0:100] = 2  # old 10 -> new 2
    new[100:200] = 0  # old 20 -> new 0
    new[200:300] = 1  # old 30 -> new 1
    new[300:400] = np.tile([0, 1, 2], 34)[:100]  # old 40 vanishes into the others
    new[[5, 6, 7, 105, 106, 107, 205, 206, 207]] = 3  # a new small cluster
    new[[8, 108]] = -1  # noise takes no part
    mapping = match_by_overlap(new, old)
    assert mapping.mapping == {0: 20, 1: 30, 2: 10, 3: 41}
    assert mapping.matched == {0: 20, 1: 30, 2: 10}
    assert mapping.new_segment_ids == (41,)
    assert mapping.retired_segment_ids == (40,)
    # new 2 = 96 customers of old 10 (5..8 left) + 33 of old 40; union with old 10 = 133
    assert mapping.scores[2] == pytest.approx(96 / (129 + 100 - 96))
    json.dumps(mapping.to_dict())


def test_overlap_below_threshold_is_a_new_segment() -> None:
    old = np.repeat([1, 2], 100)
    new = np.zeros(200, dtype=np.int64)
    new[100:] = 1
    new[:75] = 1  # new 0 overlaps old 1 on 25 of 100 customers: Jaccard 25 / 100 = 0.25
    mapping = match_by_overlap(new, old, min_jaccard=0.3)
    assert mapping.matched == {1: 2}
    assert mapping.mapping == {0: 3, 1: 2}
    assert mapping.retired_segment_ids == (1,)
    assert match_by_overlap(new, old, min_jaccard=0.2).mapping == {0: 1, 1: 2}


def test_overlap_respects_previous_ids_and_next_id() -> None:
    old = np.repeat([4, 7], 50)
    new = np.repeat([1, 0], 50)
    mapping = match_by_overlap(
        new, old, previous_segment_ids=[4, 7, 9], n_new_clusters=3, next_segment_id=12
    )
    assert mapping.mapping == {0: 7, 1: 4, 2: 12}
    assert mapping.retired_segment_ids == (9,)


def test_centroid_matching_with_permutation_new_and_vanished() -> None:
    old = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    old_ids = [1, 2, 3, 4]
    rng = np.random.default_rng(0)
    # new clusters: old 4, old 1, old 3 (jittered), a new far cluster; old 2 vanished
    new = np.vstack([old[3], old[0], old[2], [30.0, -30.0]]) + rng.normal(scale=0.3, size=(4, 2))
    mapping = match_by_centroids(new, old, old_ids)
    assert mapping.mapping == {0: 4, 1: 1, 2: 3, 3: 5}
    assert mapping.retired_segment_ids == (2,)
    assert mapping.new_segment_ids == (5,)
    # default limit is half the median nearest-centroid distance: 0.5 * 10
    moved = np.vstack([old[0] + [6.0, 0.0], old[1]])
    assert match_by_centroids(moved, old, old_ids).mapping == {0: 5, 1: 2}
    assert match_by_centroids(moved, old, old_ids, max_distance=7.0).mapping == {0: 1, 1: 2}


def test_cluster_means_skip_noise() -> None:
    x = np.array([[0.0], [2.0], [10.0], [12.0], [100.0]])
    labels, means = cluster_means(x, np.array([0, 0, 1, 1, -1]))
    assert labels.tolist() == [0, 1]
    assert means[:, 0].tolist() == [1.0, 11.0]
