"""Tests of stable segment ids: Hungarian matching by overlap and by centroids, and the refit's
id matching after the feature list changed (custseg.segments.stable_ids.assign_stable_ids)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import selection_config
from custseg.clustering import PreprocessConfig, SelectionConfig, fit_segmentation
from custseg.clustering.matching import cluster_means, match_by_centroids, match_by_overlap
from custseg.segments.stable_ids import (
    assign_stable_ids,
    missing_previous_features,
    segment_id_matching,
)


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


# ------------------------------------------------- refit after the feature list changed (#5)


def _personas(n_per_group: int = 150, seed: int = 4) -> pd.DataFrame:
    """Four groups told apart by `spend` and `visits`; `email_rate` and `click_rate` are two
    noisy views of the same engagement (the feature a user swaps between model versions)."""
    rng = np.random.default_rng(seed)
    centres = np.array([[20.0, 2.0, 0.1], [300.0, 3.0, 0.2], [60.0, 25.0, 0.6], [500.0, 30.0, 0.8]])
    rows = np.vstack([rng.normal(c, [4.0, 1.0, 0.05], size=(n_per_group, 3)) for c in centres])
    frame = pd.DataFrame(rows, columns=["spend", "visits", "engagement"])
    frame["email_rate"] = frame["engagement"] + rng.normal(0.0, 0.02, len(frame))
    frame["click_rate"] = frame["engagement"] + rng.normal(0.0, 0.02, len(frame))
    frame.insert(0, "customer_id", [f"{i:08d}" for i in range(len(frame))])
    return frame.drop(columns="engagement").sort_values("customer_id", ignore_index=True)


def _small_search(k: int) -> SelectionConfig:
    return selection_config(
        algorithms=("kmeans",),
        k_values=(k,),
        gap_references=2,
        stability_resamples=2,
        stability_fit_size=200,
    )


@pytest.fixture(scope="module")
def feature_swap():
    """Version 1 on (spend, visits, email_rate); version 2 on (spend, visits, click_rate)."""
    frame = _personas()
    old_config = PreprocessConfig(features=("spend", "visits", "email_rate"))
    new_config = PreprocessConfig(features=("spend", "visits", "click_rate"))
    previous = fit_segmentation(frame, old_config, _small_search(4)).segmentation
    # a first model's ids are 1..k; give it other ids so that keeping them is visible
    previous = previous.with_segment_ids({label: 11 + label for label in range(4)})
    refit = fit_segmentation(frame, new_config, _small_search(4)).segmentation
    return frame, previous, refit


def test_a_changed_feature_list_keeps_the_ids_when_the_old_features_are_supplied(
    feature_swap,
) -> None:
    frame, previous, refit = feature_swap
    # the refit's own input lacks email_rate; the caller adds it (from dim_customers)
    assert missing_previous_features(previous, ["spend", "visits"]) == ["email_rate"]
    assert segment_id_matching(previous, frame) == "previous_model_rescored"
    new, mapping = assign_stable_ids(refit, previous, frame, first_new_id=15)
    assert mapping.new_segment_ids == ()
    assert mapping.retired_segment_ids == ()
    assert set(new.segment_ids.values()) == {11, 12, 13, 14}
    before = previous.segment_ids_for(previous.assign(frame).labels)
    after = new.segment_ids_for(new.assign(frame).labels)
    assert (before == after).mean() >= 0.99


def test_a_changed_feature_list_without_the_old_features_matches_nothing(feature_swap) -> None:
    frame, previous, refit = feature_swap
    current_only = frame.drop(columns="email_rate")
    assert segment_id_matching(previous, current_only) == "none"
    new, mapping = assign_stable_ids(refit, previous, current_only, first_new_id=15)
    assert sorted(new.segment_ids.values()) == [15, 16, 17, 18]
    assert mapping.retired_segment_ids == (11, 12, 13, 14)


def test_a_split_after_a_feature_change_keeps_the_larger_part_on_the_old_id(feature_swap) -> None:
    """The refit finds one more cluster: the persisting groups keep their ids, one new id."""
    frame, previous, _ = feature_swap
    refit = fit_segmentation(
        frame, PreprocessConfig(features=("spend", "visits", "click_rate")), _small_search(5)
    ).segmentation
    new, mapping = assign_stable_ids(refit, previous, frame, first_new_id=15)
    assert set(mapping.matched.values()) <= {11, 12, 13, 14}
    assert len(mapping.matched) == 4
    assert mapping.new_segment_ids == (15,)
    assert set(new.segment_ids.values()) == {11, 12, 13, 14, 15}


def test_no_previous_model_is_a_first_version(feature_swap) -> None:
    frame, _, refit = feature_swap
    assert segment_id_matching(None, frame) == "first_version"
    assert missing_previous_features(None, frame.columns) == []
    new, mapping = assign_stable_ids(refit, None, frame, first_new_id=1)
    assert sorted(new.segment_ids.values()) == [1, 2, 3, 4]
    assert mapping.matched == {}
