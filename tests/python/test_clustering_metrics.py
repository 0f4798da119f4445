"""Tests of the clustering metrics: Dunn, gap statistic, knee, stability, composite score."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

from custseg.clustering.algorithms import finalize, fit_kmeans
from custseg.clustering.metrics import (
    GapReference,
    bootstrap_stability,
    dunn_index,
    dunn_index_bruteforce,
    find_knee,
    gap_optimal_k,
    stability_resamples,
    subsample_indices,
    within_cluster_dispersion,
)
from custseg.clustering.selection import composite_scores


@pytest.fixture(autouse=True, scope="module")
def _single_thread() -> Iterator[None]:
    with threadpool_limits(limits=1):
        yield


def _kmeans_labels(x: np.ndarray, k: int) -> np.ndarray:
    return finalize(fit_kmeans(x, k, random_state=0), x)[1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dunn_matches_bruteforce_on_tiny_data(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 3))
    labels = rng.integers(0, 4, size=40)
    labels[:3] = -1  # noise is left out of both
    expected = dunn_index_bruteforce(x, labels)
    assert expected is not None
    assert dunn_index(x, labels, sample_size=1_000, chunk_rows=7) == pytest.approx(
        expected, rel=1e-12
    )


def test_dunn_on_separated_blobs_exceeds_random_labels() -> None:
    x, y = make_blobs(60, n_features=2, centers=3, cluster_std=0.3, random_state=0)
    good = dunn_index(x, y)
    shuffled = dunn_index(x, np.random.default_rng(0).permutation(y))
    assert good == pytest.approx(dunn_index_bruteforce(x, y), rel=1e-12)
    assert good > 1.0 > shuffled


def test_dunn_subsample_is_the_documented_subsample() -> None:
    x, y = make_blobs(3_000, n_features=4, centers=4, random_state=1)
    index = subsample_indices(len(y), 50, 7)
    assert len(index) == 50
    value = dunn_index(x, y, sample_size=50, random_state=7)
    assert value == pytest.approx(dunn_index_bruteforce(x[index], y[index]), rel=1e-12)


def test_dunn_is_none_for_a_single_cluster() -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    assert dunn_index(x, np.zeros(20, dtype=int)) is None
    assert dunn_index_bruteforce(x, np.zeros(20, dtype=int)) is None


def test_within_cluster_dispersion_equals_kmeans_inertia() -> None:
    x, _ = make_blobs(500, n_features=3, centers=3, random_state=2)
    from sklearn.cluster import KMeans

    model = KMeans(3, n_init=1, random_state=0).fit(x)
    assert within_cluster_dispersion(x, model.labels_) == pytest.approx(model.inertia_, rel=1e-9)


def test_gap_statistic_peaks_at_true_k_on_separated_blobs() -> None:
    x, _ = make_blobs(1_500, n_features=4, centers=4, cluster_std=0.6, random_state=3)
    reference = GapReference(x, n_references=5, random_state=0)
    ks = list(range(1, 8))
    results = [reference.gap(x, _kmeans_labels(x, k)) for k in ks]
    gaps = [r.gap for r in results]
    assert gaps[3] == max(gaps)  # k = 4
    assert gaps[3] > gaps[1] + 1.0  # far higher than k = 2
    assert gap_optimal_k(ks, gaps, [r.s_k for r in results]) == 4


def test_gap_statistic_picks_one_cluster_on_uniform_data() -> None:
    x = np.random.default_rng(1).uniform(size=(1_500, 4))
    reference = GapReference(x, n_references=5, random_state=0)
    ks = list(range(1, 6))
    results = [reference.gap(x, _kmeans_labels(x, k)) for k in ks]
    assert gap_optimal_k(ks, [r.gap for r in results], [r.s_k for r in results]) == 1


def test_gap_reference_is_cached_and_deterministic() -> None:
    x, _ = make_blobs(300, n_features=3, centers=3, random_state=4)
    first = GapReference(x, n_references=3, random_state=5).log_dispersions(3)
    second = GapReference(x, n_references=3, random_state=5).log_dispersions(3)
    assert np.array_equal(first, second)
    assert first.shape == (3,)


def test_knee_on_piecewise_linear_curve() -> None:
    x = np.arange(1, 13)
    y = np.where(x <= 4, 100 - 30 * (x - 1), 10 - 0.5 * (x - 4))
    assert find_knee(x, y) == 4


def test_knee_on_hyperbola_and_exponential() -> None:
    # Continuous knee (rescaled slope -1): 1/x on [1, 10] at x = sqrt(10) = 3.16, and
    # exp(-x) on [1, 20] at x = 3.94; the discrete maxima are at 3 and 4 respectively.
    x = np.arange(1, 11)
    assert find_knee(x, 1.0 / x) == 3
    x = np.arange(1, 21)
    assert find_knee(x, np.exp(-x)) == 4


def test_knee_none_for_line_concave_or_short_curves() -> None:
    x = np.arange(1, 11)
    assert find_knee(x, 50 - 3 * x) is None
    assert find_knee(x, 100 - x**2) is None
    assert find_knee([1, 2], [5, 1]) is None
    assert find_knee(x, np.ones(10)) is None


def test_knee_on_kmeans_inertia_of_five_blobs() -> None:
    # equidistant centres: each extra k up to 5 removes about the same inertia, then it flattens
    x, _ = make_blobs(1_000, centers=8 * np.eye(5), cluster_std=1.0, random_state=6)
    ks = list(range(2, 11))
    inertia = [within_cluster_dispersion(x, _kmeans_labels(x, k)) for k in ks]
    assert find_knee(ks, inertia) == 5


def _kmeans_stability(x: np.ndarray, k: int) -> float:
    labels = _kmeans_labels(x, k)
    resamples = stability_resamples(len(x), n_resamples=4, fit_size=10_000, random_state=1)

    def refit(x_fit: np.ndarray, r: int):  # noqa: ANN202 - local closure
        model = fit_kmeans(x_fit, k, n_init=1, random_state=10 + r)
        return lambda rows: model.assign(rows).labels

    evaluation = subsample_indices(len(x), 1_000, 2)
    value = bootstrap_stability(x, labels, refit, resamples=resamples, eval_indices=evaluation)
    assert value is not None
    return value


def test_stability_near_one_on_blobs_and_low_on_noise() -> None:
    blobs, _ = make_blobs(1_500, n_features=8, centers=5, cluster_std=1.0, random_state=7)
    noise = np.random.default_rng(2).normal(size=(1_500, 8))
    on_blobs = _kmeans_stability(blobs, 5)
    on_noise = _kmeans_stability(noise, 5)
    assert on_blobs > 0.98
    assert on_noise < 0.6


def test_stability_resamples_are_bounded_and_deterministic() -> None:
    first = stability_resamples(1_000, n_resamples=3, fit_size=300, random_state=4)
    second = stability_resamples(1_000, n_resamples=3, fit_size=300, random_state=4)
    assert [len(r) for r in first] == [300, 300, 300]
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], first[1])
    assert len(stability_resamples(100, n_resamples=1, fit_size=300, random_state=4)[0]) == 80


def test_composite_scores_rank_normalise_and_skip_ineligible() -> None:
    metrics = [
        {"silhouette": 0.5, "davies_bouldin": 1.0, "gap_statistic": None},
        {"silhouette": 0.7, "davies_bouldin": 0.5, "gap_statistic": None},
        {"silhouette": 0.9, "davies_bouldin": 0.1, "gap_statistic": 2.0},
        {"silhouette": 0.6, "davies_bouldin": 0.7, "gap_statistic": 1.0},
    ]
    scores = composite_scores(
        metrics,
        [True, True, False, True],
        weights={"silhouette": 2.0, "davies_bouldin": 1.0, "gap_statistic": 1.0},
        is_elbow=[True, False, False, False],
        elbow_bonus=0.05,
    )
    # eligible silhouette ranks: 0.5 -> 0, 0.6 -> 0.5, 0.7 -> 1; davies_bouldin (lower better):
    # 1.0 -> 0, 0.7 -> 0.5, 0.5 -> 1; gap only on candidate 3 -> 1.
    assert scores[0] == pytest.approx((2 * 0.0 + 0.0) / 3 + 0.05)
    assert scores[1] == pytest.approx((2 * 1.0 + 1.0) / 3)
    assert scores[2] is None
    assert scores[3] == pytest.approx((2 * 0.5 + 0.5 + 1.0) / 4)


def test_composite_scores_coverage_penalises_noise() -> None:
    metrics = [{"silhouette": 0.5}, {"silhouette": 0.9}]
    scores = composite_scores(
        metrics, [True, True], weights={"silhouette": 1.0}, coverage=[1.0, 0.4]
    )
    assert scores == [pytest.approx(0.0), pytest.approx(0.4)]
