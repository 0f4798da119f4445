"""Tests of fitted models: assignment rules, batch equivalence, serialisation, core-point cap."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

from custseg.clustering.algorithms import (
    finalize,
    fit_agglomerative,
    fit_dbscan,
    fit_gmm,
    fit_hdbscan,
    fit_kmeans,
    k_distances,
    ward_tree,
)
from custseg.clustering.model import ClusterModel, FittedSegmentation, default_segment_ids
from custseg.clustering.preprocess import PreprocessConfig, fit_preprocessor


@pytest.fixture(autouse=True, scope="module")
def _single_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def blobs() -> tuple[pd.DataFrame, np.ndarray]:
    x, y = make_blobs(2_000, n_features=4, centers=4, cluster_std=1.0, random_state=11)
    frame = pd.DataFrame(x, columns=["f1", "f2", "f3", "f4"])
    frame["customer_id"] = np.arange(len(frame))
    return frame, y


def _fit(algorithm: str, x: np.ndarray) -> ClusterModel:
    if algorithm == "kmeans":
        return fit_kmeans(x, 4, random_state=0)
    if algorithm == "gmm":
        return fit_gmm(x, 4, random_state=0)
    if algorithm == "agglomerative":
        return fit_agglomerative(ward_tree(x, sample_size=800, random_state=0), 4)
    if algorithm == "dbscan":
        eps = float(np.quantile(k_distances(x, 10), 0.9))
        return fit_dbscan(x, eps=eps, min_samples=10, sample_size=1_500, max_core_points=700)
    return fit_hdbscan(x, min_cluster_share=0.05, sample_size=1_500, max_core_points=700)


ALGORITHMS = ["kmeans", "gmm", "agglomerative", "dbscan", "hdbscan"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_batch_assignment_equals_one_shot_and_survives_json(
    algorithm: str, blobs: tuple[pd.DataFrame, np.ndarray]
) -> None:
    frame, _ = blobs
    preprocessor = fit_preprocessor(frame, PreprocessConfig(features=("f1", "f2", "f3", "f4")))
    x = preprocessor.transform(frame)
    model, labels = finalize(_fit(algorithm, x), x)
    segmentation = FittedSegmentation(preprocessor, model, default_segment_ids(model.n_clusters))

    whole = segmentation.assign(frame)
    assert np.array_equal(whole.labels, labels)
    batches = [segmentation.assign(frame.iloc[s : s + 137]) for s in range(0, len(frame), 137)]
    assert np.array_equal(np.concatenate([b.labels for b in batches]), whole.labels)
    assert np.allclose(
        np.concatenate([b.distance_or_probability for b in batches]),
        whole.distance_or_probability,
        rtol=1e-12,
        atol=0.0,
    )
    assert np.array_equal(np.concatenate([b.is_outlier for b in batches]), whole.is_outlier)

    restored = FittedSegmentation.from_dict(json.loads(json.dumps(segmentation.to_dict())))
    again = restored.assign(frame)
    assert np.array_equal(again.labels, whole.labels)
    assert np.allclose(again.distance_or_probability, whole.distance_or_probability, rtol=1e-12)
    assert np.array_equal(again.is_outlier, whole.is_outlier)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_algorithm_recovers_the_blobs(
    algorithm: str, blobs: tuple[pd.DataFrame, np.ndarray]
) -> None:
    from sklearn.metrics import adjusted_rand_score

    frame, truth = blobs
    x = frame[["f1", "f2", "f3", "f4"]].to_numpy()
    model, labels = finalize(_fit(algorithm, x), x)
    assert model.n_clusters == 4
    assert adjusted_rand_score(truth, labels) > 0.9


def test_gmm_assignment_matches_sklearn_predict(blobs: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, _ = blobs
    x = frame[["f1", "f2", "f3", "f4"]].to_numpy()
    reference = GaussianMixture(4, covariance_type="full", random_state=0, max_iter=200).fit(x)
    model = fit_gmm(x, 4, random_state=0)
    result = model.assign(x)
    assert np.array_equal(result.labels, reference.predict(x))
    assert np.allclose(result.distance_or_probability, reference.predict_proba(x).max(axis=1))
    assert np.allclose(model.log_density(x), reference.score_samples(x))


def test_finalize_orders_clusters_by_size_and_sets_outlier_thresholds() -> None:
    x, _ = make_blobs([100, 400, 250], n_features=2, cluster_std=0.5, random_state=2)
    model, labels = finalize(fit_kmeans(x, 3, random_state=0), x, outlier_quantile=0.9)
    assert np.bincount(labels).tolist() == [400, 250, 100]
    result = model.assign(x)
    # about 10% of each cluster lies beyond its 0.9 distance quantile
    assert 0.08 < result.is_outlier.mean() < 0.12
    assert model.outlier_thresholds is not None and len(model.outlier_thresholds) == 3


def test_density_core_points_are_capped_deterministically() -> None:
    x, _ = make_blobs(3_000, n_features=3, centers=3, random_state=5)
    first = fit_dbscan(x, eps=1.0, min_samples=5, sample_size=2_000, max_core_points=300)
    second = fit_dbscan(x, eps=1.0, min_samples=5, sample_size=2_000, max_core_points=300)
    assert first.core_points is not None and len(first.core_points) == 300
    assert first.params["fit_rows"] == 2_000
    assert np.array_equal(first.core_points, second.core_points)
    far = np.array([[1e3, 1e3, 1e3]])
    assert first.assign(far).labels.tolist() == [-1]
    assert first.assign(far).is_outlier.tolist() == [True]


def test_assign_frame_maps_segment_ids(blobs: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, _ = blobs
    preprocessor = fit_preprocessor(frame, PreprocessConfig(features=("f1", "f2", "f3", "f4")))
    x = preprocessor.transform(frame)
    model, labels = finalize(fit_kmeans(x, 4, random_state=0), x)
    segmentation = FittedSegmentation(preprocessor, model, {0: 17, 1: 3, 2: 9, 3: 11})
    result = segmentation.assign_frame(frame.iloc[:300], key_column="customer_id")
    assert list(result.columns) == [
        "customer_id",
        "cluster_label",
        "segment_id",
        "distance_or_probability",
        "is_outlier",
        "was_clipped",
    ]
    expected = np.array([17, 3, 9, 11])[labels[:300]]
    assert result["segment_id"].tolist() == expected.tolist()
    with pytest.raises(ValueError, match="segment_ids"):
        FittedSegmentation(preprocessor, model, {0: 1, 1: 2})
