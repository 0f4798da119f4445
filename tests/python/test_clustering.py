"""End-to-end tests of the clustering engine: selection, guards, pins, determinism, refits,
and the single-segment fallback."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from conftest import selection_config
from custseg.clustering import (
    SINGLE_SEGMENT,
    FittedSegmentation,
    NoEligibleCandidateError,
    PreprocessConfig,
    SegmentationFit,
    fit_segmentation,
    fit_single_segment,
    match_by_overlap,
    minimum_fit_rows,
    records_frame,
    select_segmentation,
)

FEATURES = ("f1", "f2", "f3", "f4", "spend", "visits", "noise")
SIZES = [300, 320, 340, 360, 380]
CENTERS = 6.0 * np.eye(5, 6)


def _planted(sizes: list[int], seed: int = 21) -> tuple[pd.DataFrame, np.ndarray]:
    """Five blobs in six dimensions; two of them exponentiated into skewed features.

    The centres are 6 * e_1 .. 6 * e_5, so every pair is 8.5 standard deviations apart:
    planted structure that a working search must find (random centres can overlap, and then
    no metric can tell two blobs apart).
    """
    x, y = make_blobs(sizes, centers=CENTERS, cluster_std=1.0, random_state=seed)
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "f1": x[:, 0],
            "f2": x[:, 1],
            "f3": x[:, 2],
            "f4": x[:, 3],
            "spend": 40.0 * np.exp(x[:, 4]),  # heavy right skew
            "visits": np.expm1(np.clip(x[:, 5] + 8.0, 0, None)),
            "noise": rng.normal(size=len(y)),
        }
    )
    frame.loc[rng.choice(len(frame), 30, replace=False), "f3"] = np.nan
    frame["customer_id"] = np.arange(len(frame))
    return frame, y


PREPROCESS = PreprocessConfig(features=FEATURES, log1p_features=("spend", "visits"))


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, np.ndarray]:
    return _planted(SIZES)


@pytest.fixture(scope="module")
def first_fit(planted: tuple[pd.DataFrame, np.ndarray]) -> tuple[SegmentationFit, list[str]]:
    messages: list[str] = []
    fit = fit_segmentation(planted[0], PREPROCESS, selection_config(), progress=messages.append)
    return fit, messages


def test_selection_recovers_planted_blobs(
    planted: tuple[pd.DataFrame, np.ndarray], first_fit: tuple[SegmentationFit, list[str]]
) -> None:
    frame, truth = planted
    fit, _ = first_fit
    selected = fit.selection.selected
    assert selected.is_selected and selected.is_eligible
    assert sum(r.is_selected for r in fit.selection.records) == 1
    assert adjusted_rand_score(truth, fit.selection.labels) >= 0.8
    labels = fit.segmentation.assign(frame).labels
    assert np.array_equal(labels, fit.selection.labels)


def test_every_algorithm_is_evaluated_and_recorded(
    first_fit: tuple[SegmentationFit, list[str]],
) -> None:
    fit, messages = first_fit
    records = fit.selection.records
    assert {r.algorithm for r in records} == {"kmeans", "gmm", "agglomerative", "dbscan", "hdbscan"}
    assert sum(r.algorithm == "kmeans" for r in records) == 11  # k = 2..12
    frame = records_frame(records)
    for column in (
        "algorithm",
        "n_clusters",
        "params",
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "dunn_index",
        "gap_statistic",
        "inertia",
        "stability",
        "composite_score",
        "is_eligible",
        "ineligible_reason",
        "is_selected",
        "elapsed_seconds",
    ):
        assert column in frame.columns
    for record in records:
        if record.algorithm in ("dbscan", "hdbscan"):
            assert record.inertia is None and record.gap_statistic is None
        else:
            assert record.inertia is not None
        assert (record.composite_score is None) == (not record.is_eligible)
        assert (record.ineligible_reason is None) == record.is_eligible
        if record.is_eligible:
            assert record.min_segment_share is not None and record.min_segment_share >= 0.02
            assert record.max_segment_share is not None and record.max_segment_share <= 0.60
    # the one progress line per candidate names the algorithm, k and the elapsed time
    per_candidate = [m for m in messages if "elapsed=" in m]
    assert len(per_candidate) == len(records)
    assert per_candidate[0].startswith("kmeans k=2 ")
    assert fit.selection.elbow_k["kmeans"] == 5


def test_model_serialises_and_assigns_identically(
    planted: tuple[pd.DataFrame, np.ndarray], first_fit: tuple[SegmentationFit, list[str]]
) -> None:
    frame, _ = planted
    model = first_fit[0].segmentation
    text = json.dumps(model.to_dict())
    restored = FittedSegmentation.from_dict(json.loads(text))
    expected = model.assign_frame(frame, key_column="customer_id")
    actual = restored.assign_frame(frame, key_column="customer_id")
    pd.testing.assert_frame_equal(expected, actual)


def test_determinism_same_input_same_output(
    planted: tuple[pd.DataFrame, np.ndarray], first_fit: tuple[SegmentationFit, list[str]]
) -> None:
    fit, _ = first_fit
    again = fit_segmentation(planted[0], PREPROCESS, selection_config())
    assert np.array_equal(again.selection.labels, fit.selection.labels)
    drop = ["elapsed_seconds"]
    pd.testing.assert_frame_equal(
        records_frame(again.selection.records).drop(columns=drop),
        records_frame(fit.selection.records).drop(columns=drop),
    )
    first_dict, second_dict = fit.segmentation.to_dict(), again.segmentation.to_dict()
    first_dict.pop("metadata")
    second_dict.pop("metadata")
    assert first_dict == second_dict


def test_refit_with_five_percent_new_points_keeps_segment_ids(
    planted: tuple[pd.DataFrame, np.ndarray],
) -> None:
    frame, truth = planted
    config = selection_config(algorithms=("kmeans", "gmm"))
    old = fit_segmentation(frame, PREPROCESS, config).segmentation
    old_ids = old.segment_ids_for(old.assign(frame).labels)

    # 5% new customers, all in the smallest blob, which thereby becomes the largest: the
    # refit numbers its clusters differently, so only the matching keeps the ids.
    bigger, bigger_truth = _planted([s + (85 if i == 0 else 0) for i, s in enumerate(SIZES)])
    smallest_blob = bigger_truth == 0
    extra = bigger[smallest_blob].iloc[:85].copy()
    extra["customer_id"] = np.arange(len(frame), len(frame) + 85)
    refit_sample = pd.concat([frame, extra], ignore_index=True)
    new = fit_segmentation(refit_sample, PREPROCESS, config).segmentation
    new_labels_on_old = new.assign(frame).labels

    unmatched = new.segment_ids_for(new_labels_on_old)
    assert np.mean(unmatched == old_ids) < 0.5  # the raw numbering did change

    mapping = match_by_overlap(
        new_labels_on_old,
        old_ids,
        previous_segment_ids=list(old.segment_ids.values()),
        n_new_clusters=new.cluster_model.n_clusters,
    )
    matched = new.with_segment_ids(mapping.mapping)
    kept = np.mean(matched.segment_ids_for(new_labels_on_old) == old_ids)
    assert kept >= 0.95
    assert mapping.retired_segment_ids == ()


def test_guard_marks_small_segment_ineligible() -> None:
    x, _ = make_blobs([600, 600, 20], n_features=2, cluster_std=0.4, random_state=3)
    config = selection_config(algorithms=("kmeans",), k_values=(2, 3), stability_resamples=1)
    result = select_segmentation(x, config)
    by_k = {r.n_clusters: r for r in result.records}
    assert not by_k[3].is_eligible
    assert by_k[3].ineligible_reason is not None
    assert by_k[3].ineligible_reason.startswith("smallest segment share 0.0164 < 0.02")
    assert result.selected.n_clusters == 2


def test_pinning_selects_the_pinned_candidate() -> None:
    x, _ = make_blobs(600, centers=6.0 * np.eye(4), cluster_std=1.0, random_state=8)
    base = {"k_values": (2, 3, 4, 5), "stability_resamples": 1, "gap_references": 2}
    free = select_segmentation(x, selection_config(algorithms=("kmeans", "gmm"), **base))
    assert free.selected.n_clusters == 4
    pinned = select_segmentation(
        x,
        selection_config(
            algorithms=("kmeans", "gmm"), pinned_algorithm="gmm", pinned_n_clusters=3, **base
        ),
    )
    assert (pinned.selected.algorithm, pinned.selected.n_clusters) == ("gmm", 3)
    assert pinned.note is None
    # a pinned k outside k_values is added to the grid
    only_k = select_segmentation(
        x, selection_config(algorithms=("kmeans",), pinned_n_clusters=7, **base)
    )
    assert only_k.selected.n_clusters == 7
    assert [r.n_clusters for r in only_k.records] == [2, 3, 4, 5, 7]


def test_pinned_ineligible_candidate_is_selected_with_a_note_and_unpinned_raises() -> None:
    x, _ = make_blobs([600, 600, 20], n_features=2, cluster_std=0.4, random_state=3)
    base = {"algorithms": ("kmeans",), "k_values": (3,), "stability_resamples": 1}
    pinned = select_segmentation(x, selection_config(pinned_n_clusters=3, **base))
    assert pinned.selected.n_clusters == 3 and not pinned.selected.is_eligible
    assert pinned.note is not None and "smallest segment share" in pinned.note
    with pytest.raises(NoEligibleCandidateError) as error:
        select_segmentation(x, selection_config(**base))
    assert len(error.value.records) == 1


# ------------------------------------------------------------- nothing to cluster: fallback


def test_minimum_fit_rows() -> None:
    assert minimum_fit_rows(selection_config()) == 10
    assert minimum_fit_rows(selection_config(k_values=(6, 7))) == 12
    assert minimum_fit_rows(selection_config(k_values=(2, 3), pinned_n_clusters=8)) == 16
    with pytest.raises(ValueError, match="at least 10 rows"):
        select_segmentation(np.zeros((9, 2)), selection_config())


@pytest.mark.parametrize("n_rows", [0, 1, 3])
def test_single_segment_fallback_puts_everyone_in_segment_one(n_rows: int) -> None:
    frame, _ = _planted([20, 20, 20, 20, 20])
    sample = frame.head(n_rows)
    messages: list[str] = []
    fit = fit_single_segment(sample, PREPROCESS, "only a few rows", progress=messages.append)
    model = fit.segmentation
    assert model.cluster_model.algorithm == SINGLE_SEGMENT == "single_segment"
    assert model.cluster_model.n_clusters == 1 and model.segment_ids == {0: 1}
    assert messages == [
        "single-segment fallback: only a few rows; every customer is in one segment "
        f"({n_rows} rows x {fit.sample_matrix_shape[1]} columns)"
    ]
    (record,) = fit.selection.records
    assert record.is_selected and not record.is_eligible
    note = "single-segment fallback: only a few rows"
    assert record.ineligible_reason == fit.selection.note == note
    metrics = ("silhouette", "davies_bouldin", "calinski_harabasz", "dunn_index", "gap_statistic")
    assert all(getattr(record, name) is None for name in (*metrics, "stability", "inertia"))
    assert record.composite_score is None
    assert fit.selection.labels.tolist() == [0] * n_rows

    # every row of any later batch (more rows, nulls) lands in segment 1, before and after JSON
    restored = FittedSegmentation.from_dict(json.loads(json.dumps(model.to_dict())))
    for segmentation in (model, restored):
        assigned = segmentation.assign_frame(frame, key_column="customer_id")
        assert (assigned["segment_id"] == 1).all()
        assert not assigned["is_outlier"].any()
        assert (assigned["distance_or_probability"] >= 0).all()


def test_single_segment_centroid_is_the_sample_mean() -> None:
    frame, _ = _planted(SIZES)
    fit = fit_single_segment(frame, PREPROCESS, "test")
    x = fit.segmentation.transform(frame)
    assert fit.sample_matrix_shape == x.shape and x.shape[1] > 0
    np.testing.assert_allclose(fit.segmentation.cluster_model.centroids[0], x.mean(axis=0))
    distance = fit.segmentation.assign(frame).distance_or_probability
    np.testing.assert_allclose(distance, np.linalg.norm(x - x.mean(axis=0), axis=1))


def test_single_segment_is_not_a_candidate_algorithm() -> None:
    with pytest.raises(ValueError, match="subset"):
        selection_config(algorithms=("kmeans", SINGLE_SEGMENT))
