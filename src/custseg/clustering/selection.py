"""Candidate search, guards, composite score and selection.

Every algorithm x parameter candidate is fitted and scored on the SAME preprocessed sample.
For each candidate the sample labels are those of the model's own assignment rule (the rule
used later on every batch; see :mod:`custseg.clustering.model`), so the metrics describe the
segmentation that is actually deployed.

Candidates:

* kmeans, gmm, agglomerative: one per k in ``k_values`` (default 2..12), plus a pinned k.
  Ward runs on a sub-sample of at most ``agglomerative_sample_size`` rows; the tree is built
  once and cut at every k.
* dbscan: ``eps`` at each quantile in ``dbscan_eps_quantiles`` of the k-distance
  (distance to the ``min_samples``-th neighbour) x each ``min_samples`` in
  ``dbscan_min_samples``; fitted on at most ``density_sample_size`` rows.
* hdbscan: ``min_cluster_size`` = each share in ``hdbscan_min_cluster_shares`` of the fit rows;
  fitted on at most ``density_sample_size`` rows.

Metrics per candidate (see :mod:`custseg.clustering.metrics`): silhouette (sub-sample of
``metric_sample_size``), Davies-Bouldin and Calinski-Harabasz (all rows), Dunn (sub-sample of
``dunn_sample_size``), gap statistic (``gap_references`` uniform reference sets over a
sub-sample of ``gap_sample_size``; k algorithms only), inertia (W_k; k algorithms only) and
stability (mean ARI of ``stability_resamples`` refits on sub-samples of ``stability_fit_size``
rows, compared on ``metric_sample_size`` evaluation rows).

Guards: a candidate is ineligible (with a reason) if it has fewer than 2 clusters, a cluster
smaller than ``min_segment_share`` of the sample, one larger than ``max_segment_share``, or
(density algorithms) more than ``max_noise_share`` noise.

Composite score (eligible candidates only): each metric in ``weights`` is rank-normalised
across the eligible candidates that have it (average ranks for ties, mapped to [0, 1], 1 =
best; higher is better for silhouette, Calinski-Harabasz, Dunn, gap and stability, lower for
Davies-Bouldin). The score is the weighted mean of the available normalised metrics (weights
renormalised over the metrics the candidate has, so density candidates are not penalised for
having no gap), plus ``elbow_bonus`` when the candidate's k is the knee of its algorithm's
inertia curve; with ``noise_penalty`` (default) the result is multiplied by the share of rows
that got a cluster (1 - noise share), because the internal metrics leave noise out and would
otherwise favour density candidates that discard the hard rows. Default weights: silhouette
0.25, stability 0.25, Davies-Bouldin 0.15, gap 0.15, Calinski-Harabasz 0.10, Dunn 0.10; elbow
bonus 0.05.

Threads: by default the search runs with BLAS and OpenMP limited to one thread
(``max_threads=1``; ``None`` leaves them alone). On the 2-core machine this project targets,
k-means (OpenMP) right after a BLAS call ran about 50x slower while OpenBLAS threads were still
spinning; single-threaded, a kmeans+gmm search on 20,000 rows took 5 s instead of 31 s.

Selection: the eligible candidate with the highest composite (ties: earliest evaluated). With
``pinned_algorithm`` and/or ``pinned_n_clusters`` only matching candidates can be selected; if
none of them is eligible the matching candidate with the best silhouette is selected anyway and
``SelectionResult.note`` says so. Without pins and with no eligible candidate,
:class:`NoEligibleCandidateError` is raised (it carries the records).

Nothing to cluster: the search needs at least :func:`minimum_fit_rows` rows (10, and two per
cluster of the smallest k). When a caller has fewer, or preprocessing drops every column
(:class:`~custseg.clustering.preprocess.NoUsableFeatureError`), it can fit the documented
trivial model instead with :func:`fit_single_segment`: one segment holding every row, one
candidate record (algorithm ``single_segment``, metrics null, ineligible with the reason) and
the reason as the selection note.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from threadpoolctl import threadpool_limits

from custseg.clustering.algorithms import (
    WardTree,
    finalize,
    fit_agglomerative,
    fit_dbscan,
    fit_gmm,
    fit_hdbscan,
    fit_kmeans,
    k_distances,
    ward_tree,
)
from custseg.clustering.metrics import (
    GapReference,
    bootstrap_stability,
    calinski_harabasz,
    davies_bouldin,
    dunn_index,
    find_knee,
    silhouette,
    stability_resamples,
    subsample_indices,
    within_cluster_dispersion,
)
from custseg.clustering.model import (
    ALGORITHMS,
    DENSITY_ALGORITHMS,
    K_ALGORITHMS,
    NOISE_LABEL,
    SINGLE_SEGMENT,
    ClusterModel,
    FittedSegmentation,
    default_segment_ids,
)
from custseg.clustering.preprocess import PreprocessConfig, Preprocessor, fit_preprocessor

Progress = Callable[[str], None]

# The candidate search refuses fewer rows than this (its metrics need a few rows per cluster).
MIN_SEARCH_ROWS = 10

DEFAULT_WEIGHTS: dict[str, float] = {
    "silhouette": 0.25,
    "stability": 0.25,
    "davies_bouldin": 0.15,
    "gap_statistic": 0.15,
    "calinski_harabasz": 0.10,
    "dunn_index": 0.10,
}
HIGHER_IS_BETTER: dict[str, bool] = {
    "silhouette": True,
    "stability": True,
    "davies_bouldin": False,
    "gap_statistic": True,
    "calinski_harabasz": True,
    "dunn_index": True,
}


@dataclass(frozen=True)
class SelectionConfig:
    """Candidate grid, guards, score weights and the sample-size bounds of the metrics.

    The fields a dbt var sets (algorithms, k range, share guards, ward sample) have no
    default here: their one default is in ``dbt_project.yml``
    (:meth:`custseg.segments.settings.SelectionSettings.selection_config`). The other
    fields are tuning constants of the search, documented in the module docstring.
    """

    algorithms: tuple[str, ...]
    k_values: tuple[int, ...]
    min_segment_share: float
    max_segment_share: float
    agglomerative_sample_size: int
    pinned_algorithm: str | None = None
    pinned_n_clusters: int | None = None
    max_noise_share: float = 0.25
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    elbow_bonus: float = 0.05
    noise_penalty: bool = True
    random_state: int = 42
    kmeans_n_init: int = 3
    gmm_reg_covar: float = 1e-6
    gmm_n_init: int = 1
    density_sample_size: int = 20_000
    max_core_points: int = 20_000
    dbscan_min_samples: tuple[int, ...] = (10,)
    dbscan_eps_quantiles: tuple[float, ...] = (0.5, 0.75, 0.9)
    hdbscan_min_cluster_shares: tuple[float, ...] = (0.01, 0.02, 0.05)
    hdbscan_min_samples: int = 10
    hdbscan_eps_quantile: float = 0.95
    metric_sample_size: int = 5_000
    dunn_sample_size: int = 2_000
    gap_sample_size: int = 5_000
    gap_references: int = 5
    stability_resamples: int = 3
    stability_fit_size: int = 10_000
    outlier_quantile: float = 0.99
    max_threads: int | None = 1

    def __post_init__(self) -> None:
        for name in (
            "algorithms",
            "k_values",
            "dbscan_min_samples",
            "dbscan_eps_quantiles",
            "hdbscan_min_cluster_shares",
        ):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "weights", dict(self.weights))
        unknown = sorted(set(self.algorithms) - set(ALGORITHMS))
        if unknown or not self.algorithms:
            raise ValueError(f"algorithms must be a non-empty subset of {ALGORITHMS}: {unknown}")
        if self.pinned_algorithm is not None and self.pinned_algorithm not in self.algorithms:
            raise ValueError(f"pinned_algorithm {self.pinned_algorithm!r} is not in algorithms")
        if self.pinned_n_clusters is not None and self.pinned_n_clusters < 2:
            raise ValueError("pinned_n_clusters must be >= 2")
        unknown_metrics = sorted(set(self.weights) - set(HIGHER_IS_BETTER))
        if unknown_metrics:
            raise ValueError(f"unknown metrics in weights: {unknown_metrics}")
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("weights must be >= 0")
        if not 0.0 <= self.min_segment_share < self.max_segment_share <= 1.0:
            raise ValueError("need 0 <= min_segment_share < max_segment_share <= 1")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able representation."""
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


@dataclass
class CandidateRecord:
    """One row of the candidate table.

    The first fifteen fields are the documented output; ``gap_std_error``,
    ``noise_share``, ``min_segment_share``, ``max_segment_share`` and ``is_elbow`` are extras
    that explain the guards and the score. ``elapsed_seconds`` is the wall time spent on the
    candidate, including shared work it triggered first (ward tree, gap reference fits).
    """

    algorithm: str
    n_clusters: int
    params: dict[str, Any]
    silhouette: float | None
    davies_bouldin: float | None
    calinski_harabasz: float | None
    dunn_index: float | None
    gap_statistic: float | None
    inertia: float | None
    stability: float | None
    composite_score: float | None
    is_eligible: bool
    ineligible_reason: str | None
    is_selected: bool
    elapsed_seconds: float
    gap_std_error: float | None = None
    noise_share: float = 0.0
    min_segment_share: float | None = None
    max_segment_share: float | None = None
    is_elbow: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (``params`` stays a dict)."""
        return asdict(self)


class NoEligibleCandidateError(ValueError):
    """No candidate passed the guards (and nothing was pinned). ``records`` has the details."""

    def __init__(self, message: str, records: list[CandidateRecord]) -> None:
        super().__init__(message)
        self.records = records


@dataclass
class SelectionResult:
    """Outcome of :func:`select_segmentation`.

    Attributes:
        records: One record per candidate, in evaluation order; exactly one has
            ``is_selected``.
        selected_index: Index of the selected record.
        model: The selected model, in canonical form with outlier thresholds set.
        labels: The selected model's labels of the sample rows.
        elbow_k: Knee of the inertia curve per k algorithm (``None`` if no knee).
        note: Set when a pinned but ineligible candidate was selected.
    """

    records: list[CandidateRecord]
    selected_index: int
    model: ClusterModel
    labels: np.ndarray
    elbow_k: dict[str, int | None]
    note: str | None = None

    @property
    def selected(self) -> CandidateRecord:
        """The selected record."""
        return self.records[self.selected_index]


def composite_scores(
    metrics: Sequence[Mapping[str, float | None]],
    eligible: Sequence[bool],
    *,
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    is_elbow: Sequence[bool] | None = None,
    elbow_bonus: float = 0.05,
    coverage: Sequence[float] | None = None,
) -> list[float | None]:
    """Composite score per candidate (``None`` for ineligible ones); see the module docstring.

    Args:
        metrics: Per candidate, metric name -> value (``None`` when not applicable).
        eligible: Per candidate, whether it passed the guards.
        weights: Metric name -> weight (names from :data:`HIGHER_IS_BETTER`).
        is_elbow: Per candidate, whether its k is the knee of its inertia curve.
        elbow_bonus: Added to the score of elbow candidates.
        coverage: Per candidate, the share of rows that got a cluster (1 - noise share); the
            score is multiplied by it. ``None``: no penalty.
    """
    n = len(metrics)
    is_elbow = is_elbow if is_elbow is not None else [False] * n
    normalised: dict[str, list[float | None]] = {}
    for metric, weight in weights.items():
        if weight <= 0:
            continue
        rows = [i for i in range(n) if eligible[i] and metrics[i].get(metric) is not None]
        column: list[float | None] = [None] * n
        if rows:
            values = np.array([float(metrics[i][metric]) for i in rows])
            if not HIGHER_IS_BETTER[metric]:
                values = -values
            ranks = rankdata(values, method="average")
            scaled = (ranks - 1) / (len(rows) - 1) if len(rows) > 1 else np.ones(1)
            for i, value in zip(rows, scaled, strict=True):
                column[i] = float(value)
        normalised[metric] = column
    scores: list[float | None] = []
    for i in range(n):
        if not eligible[i]:
            scores.append(None)
            continue
        parts = [
            (weights[m], values[i]) for m, values in normalised.items() if values[i] is not None
        ]
        total_weight = sum(w for w, _ in parts)
        score = sum(w * v for w, v in parts) / total_weight if total_weight > 0 else 0.0
        score += elbow_bonus if is_elbow[i] else 0.0
        scores.append(float(score * (coverage[i] if coverage is not None else 1.0)))
    return scores


_Fitter = Callable[[np.ndarray, object], ClusterModel]


def select_segmentation(
    x: np.ndarray, config: SelectionConfig, *, progress: Progress | None = None
) -> SelectionResult:
    """Fit, score and select among all candidates on one preprocessed sample.

    Args:
        x: ``(n, d)`` preprocessed sample (rows sorted by key by the caller).
        config: Candidate grid, guards and weights.
        progress: Called with a one-line message per candidate (algorithm, k, elapsed time).

    Returns:
        A :class:`SelectionResult`.

    Raises:
        NoEligibleCandidateError: Nothing pinned and no candidate passed the guards.
        ValueError: Bad input, or no candidate matches the pins.
    """
    if config.max_threads is None:
        return _select(x, config, progress)
    with threadpool_limits(limits=config.max_threads):
        return _select(x, config, progress)


def _select(x: np.ndarray, config: SelectionConfig, progress: Progress | None) -> SelectionResult:
    say = progress or (lambda _message: None)
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 2 or len(x) < MIN_SEARCH_ROWS:
        raise ValueError(f"x must be a 2-d array with at least {MIN_SEARCH_ROWS} rows")
    if not np.isfinite(x).all():
        raise ValueError("x contains non-finite values; preprocess first")
    n = len(x)
    rs = config.random_state
    eval_index = subsample_indices(n, config.metric_sample_size, rs + 1)
    resamples = stability_resamples(
        n,
        n_resamples=config.stability_resamples,
        fit_size=config.stability_fit_size,
        random_state=rs + 3,
    )
    gap_reference = None
    gap_index = subsample_indices(n, config.gap_sample_size, rs + 2)
    if config.gap_references > 0 and any(a in K_ALGORITHMS for a in config.algorithms):
        gap_reference = GapReference(
            x[gap_index], n_references=config.gap_references, random_state=rs + 4
        )
    say(f"candidate search on {n} rows x {x.shape[1]} features: {', '.join(config.algorithms)}")

    entries: list[tuple[CandidateRecord, ClusterModel, np.ndarray]] = []
    for algorithm in config.algorithms:
        for n_clusters, fitter in _candidates(algorithm, x, config):
            started = time.perf_counter()
            model, labels = finalize(fitter(x, "main"), x, outlier_quantile=config.outlier_quantile)
            record = _evaluate(
                algorithm,
                model,
                labels,
                x,
                fitter,
                config,
                eval_index=eval_index,
                resamples=resamples,
                gap_reference=gap_reference,
                gap_index=gap_index,
            )
            record.elapsed_seconds = time.perf_counter() - started
            entries.append((record, model, labels))
            k_text = n_clusters if n_clusters is not None else f"{record.n_clusters} (found)"
            say(
                f"{algorithm} k={k_text} params={json.dumps(record.params, sort_keys=True)} "
                f"silhouette={_fmt(record.silhouette)} stability={_fmt(record.stability)} "
                f"eligible={record.is_eligible} elapsed={record.elapsed_seconds:.2f}s"
            )

    records = [entry[0] for entry in entries]
    elbow_k = _mark_elbows(records, config)
    scores = composite_scores(
        [{m: getattr(r, m) for m in HIGHER_IS_BETTER} for r in records],
        [r.is_eligible for r in records],
        weights=config.weights,
        is_elbow=[r.is_elbow for r in records],
        elbow_bonus=config.elbow_bonus,
        coverage=[1.0 - r.noise_share for r in records] if config.noise_penalty else None,
    )
    for record, score in zip(records, scores, strict=True):
        record.composite_score = score
    index, note = _choose(records, config)
    records[index].is_selected = True
    chosen = records[index]
    say(
        f"selected {chosen.algorithm} k={chosen.n_clusters} "
        f"composite={_fmt(chosen.composite_score)}" + (f" ({note})" if note else "")
    )
    return SelectionResult(
        records=records,
        selected_index=index,
        model=entries[index][1],
        labels=entries[index][2],
        elbow_k=elbow_k,
        note=note,
    )


def _candidates(
    algorithm: str, x: np.ndarray, config: SelectionConfig
) -> list[tuple[int | None, _Fitter]]:
    """(requested k, fitter) pairs; ``fitter(x_fit, key)`` with key "main" or resample number."""
    rs = config.random_state

    def seed(key: object) -> int:
        return rs if key == "main" else rs + 1 + int(key)  # type: ignore[call-overload]

    ks = sorted(
        {*config.k_values, *([config.pinned_n_clusters] if config.pinned_n_clusters else [])}
    )
    ks = [k for k in ks if 2 <= k < len(x)]
    if algorithm == "kmeans":
        return [
            (
                k,
                lambda x_fit, key, k=k: fit_kmeans(
                    x_fit, k, n_init=config.kmeans_n_init, random_state=seed(key)
                ),
            )
            for k in ks
        ]
    if algorithm == "gmm":
        return [
            (
                k,
                lambda x_fit, key, k=k: fit_gmm(
                    x_fit,
                    k,
                    random_state=seed(key),
                    reg_covar=config.gmm_reg_covar,
                    n_init=config.gmm_n_init,
                ),
            )
            for k in ks
        ]
    if algorithm == "agglomerative":
        trees: dict[object, WardTree] = {}

        def tree_for(x_fit: np.ndarray, key: object) -> WardTree:
            if key not in trees:
                trees[key] = ward_tree(
                    x_fit, sample_size=config.agglomerative_sample_size, random_state=seed(key)
                )
            return trees[key]

        ks = [k for k in ks if k < min(len(x), config.agglomerative_sample_size)]
        return [(k, lambda x_fit, key, k=k: fit_agglomerative(tree_for(x_fit, key), k)) for k in ks]
    if algorithm == "dbscan":
        density_rows = x[subsample_indices(len(x), config.density_sample_size, rs)]
        result: list[tuple[int | None, _Fitter]] = []
        for min_samples in config.dbscan_min_samples:
            distances = k_distances(density_rows, min_samples, random_state=rs)
            for quantile in config.dbscan_eps_quantiles:
                eps = float(np.quantile(distances, quantile))
                extra = {"eps_quantile": float(quantile)}
                result.append(
                    (
                        None,
                        lambda x_fit, key, eps=eps, ms=min_samples, extra=extra: fit_dbscan(
                            x_fit,
                            eps=eps,
                            min_samples=ms,
                            sample_size=config.density_sample_size,
                            max_core_points=config.max_core_points,
                            random_state=seed(key),
                            extra_params=extra,
                        ),
                    )
                )
        return result
    if algorithm == "hdbscan":
        return [
            (
                None,
                lambda x_fit, key, share=share: fit_hdbscan(
                    x_fit,
                    min_cluster_share=share,
                    min_samples=config.hdbscan_min_samples,
                    eps_quantile=config.hdbscan_eps_quantile,
                    sample_size=config.density_sample_size,
                    max_core_points=config.max_core_points,
                    random_state=seed(key),
                ),
            )
            for share in config.hdbscan_min_cluster_shares
        ]
    raise ValueError(f"unknown algorithm {algorithm!r}")  # pragma: no cover


def _evaluate(
    algorithm: str,
    model: ClusterModel,
    labels: np.ndarray,
    x: np.ndarray,
    fitter: _Fitter,
    config: SelectionConfig,
    *,
    eval_index: np.ndarray,
    resamples: list[np.ndarray],
    gap_reference: GapReference | None,
    gap_index: np.ndarray,
) -> CandidateRecord:
    n = len(labels)
    rs = config.random_state
    counts = np.bincount(labels[labels != NOISE_LABEL], minlength=model.n_clusters)
    shares = counts / n
    noise_share = float(np.mean(labels == NOISE_LABEL))
    n_clusters = int(model.n_clusters)
    reasons = []
    if n_clusters < 2:
        reasons.append(f"{n_clusters} cluster(s) found, need at least 2")
    else:
        if shares.min() < config.min_segment_share:
            reasons.append(
                f"smallest segment share {shares.min():.4f} < {config.min_segment_share:g}"
            )
        if shares.max() > config.max_segment_share:
            reasons.append(
                f"largest segment share {shares.max():.4f} > {config.max_segment_share:g}"
            )
    if algorithm in DENSITY_ALGORITHMS and noise_share > config.max_noise_share:
        reasons.append(f"noise share {noise_share:.4f} > {config.max_noise_share:g}")

    gap = gap_error = inertia = stability = None
    if algorithm in K_ALGORITHMS:
        inertia = within_cluster_dispersion(x, labels)
        if gap_reference is not None and n_clusters >= 2:
            result = gap_reference.gap(x[gap_index], labels[gap_index])
            if result is not None:
                gap, gap_error = result.gap, result.s_k
    if n_clusters >= 2 and resamples:

        def refit(x_fit: np.ndarray, r: int) -> Callable[[np.ndarray], np.ndarray]:
            refitted = fitter(x_fit, r)
            return lambda rows: refitted.assign(rows).labels

        stability = bootstrap_stability(
            x, labels, refit, resamples=resamples, eval_indices=eval_index
        )
    return CandidateRecord(
        algorithm=algorithm,
        n_clusters=n_clusters,
        params=dict(model.params),
        silhouette=silhouette(x, labels, sample_size=config.metric_sample_size, random_state=rs),
        davies_bouldin=davies_bouldin(x, labels),
        calinski_harabasz=calinski_harabasz(x, labels),
        dunn_index=dunn_index(x, labels, sample_size=config.dunn_sample_size, random_state=rs),
        gap_statistic=gap,
        inertia=inertia,
        stability=stability,
        composite_score=None,
        is_eligible=not reasons,
        ineligible_reason="; ".join(reasons) or None,
        is_selected=False,
        elapsed_seconds=0.0,
        gap_std_error=gap_error,
        noise_share=noise_share,
        min_segment_share=float(shares.min()) if n_clusters else None,
        max_segment_share=float(shares.max()) if n_clusters else None,
    )


def _mark_elbows(records: list[CandidateRecord], config: SelectionConfig) -> dict[str, int | None]:
    """Knee of each k algorithm's inertia curve (requested k on the x axis); marks records."""
    elbow_k: dict[str, int | None] = {}
    for algorithm in config.algorithms:
        if algorithm not in K_ALGORITHMS:
            continue
        curve = sorted(
            (r.params.get("n_clusters", r.params.get("n_components")), r.inertia, i)
            for i, r in enumerate(records)
            if r.algorithm == algorithm and r.inertia is not None
        )
        knee = find_knee([c[0] for c in curve], [c[1] for c in curve]) if curve else None
        elbow_k[algorithm] = None if knee is None else int(knee)
        for requested_k, _, i in curve:
            records[i].is_elbow = knee is not None and requested_k == int(knee)
    return elbow_k


def _choose(records: list[CandidateRecord], config: SelectionConfig) -> tuple[int, str | None]:
    pinned = config.pinned_algorithm is not None or config.pinned_n_clusters is not None
    matching = [
        i
        for i, r in enumerate(records)
        if (config.pinned_algorithm is None or r.algorithm == config.pinned_algorithm)
        and (config.pinned_n_clusters is None or r.n_clusters == config.pinned_n_clusters)
    ]
    if not matching:
        raise ValueError(
            f"no candidate matches pinned_algorithm={config.pinned_algorithm!r}, "
            f"pinned_n_clusters={config.pinned_n_clusters!r}"
        )
    eligible = [i for i in matching if records[i].is_eligible]
    if eligible:
        best = max(eligible, key=lambda i: (records[i].composite_score, -i))
        return best, None
    if not pinned:
        reasons = "; ".join(
            f"{r.algorithm} k={r.n_clusters}: {r.ineligible_reason}" for r in records
        )
        raise NoEligibleCandidateError(f"no candidate passed the guards: {reasons}", records)
    best = max(
        matching,
        key=lambda i: (
            records[i].silhouette if records[i].silhouette is not None else -np.inf,
            -i,
        ),
    )
    return best, (
        "no pinned candidate passed the guards; selected the pinned candidate with the best "
        f"silhouette although {records[best].ineligible_reason}"
    )


def _fmt(value: float | None) -> str:
    return "None" if value is None else f"{value:.4f}"


@dataclass
class SegmentationFit:
    """Outcome of :func:`fit_segmentation`: the deployable model and the selection details."""

    segmentation: FittedSegmentation
    selection: SelectionResult
    sample_matrix_shape: tuple[int, int]


def fit_segmentation(
    sample: pd.DataFrame,
    preprocess_config: PreprocessConfig,
    selection_config: SelectionConfig,
    *,
    segment_ids: Mapping[int, int] | None = None,
    progress: Progress | None = None,
) -> SegmentationFit:
    """Fit preprocessing on the sample, run the candidate search, and build the model.

    Args:
        sample: Sample rows (sorted by key by the caller) holding the configured features.
        preprocess_config: Preprocessing configuration.
        selection_config: Candidate search configuration.
        segment_ids: Cluster -> segment id mapping; default cluster ``i`` -> ``i + 1``. For a
            refit, pass the mapping from :mod:`custseg.clustering.matching` via
            :meth:`FittedSegmentation.with_segment_ids` instead.
        progress: Optional logging callback, called per candidate.
    """
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    preprocessor: Preprocessor = fit_preprocessor(sample, preprocess_config)
    x = preprocessor.transform(sample)
    say(
        f"preprocessing fitted on {len(sample)} rows in {time.perf_counter() - started:.2f}s: "
        f"{len(preprocessor.kept_columns)} columns kept, {len(preprocessor.dropped)} dropped, "
        f"{x.shape[1]} output dimensions"
    )
    selection = select_segmentation(x, selection_config, progress=progress)
    model = selection.model
    segmentation = FittedSegmentation(
        preprocessor=preprocessor,
        cluster_model=model,
        segment_ids=dict(segment_ids)
        if segment_ids is not None
        else default_segment_ids(model.n_clusters),
        metadata={
            "selected": selection.selected.to_dict(),
            "elbow_k": selection.elbow_k,
            "note": selection.note,
            "n_sample_rows": len(sample),
        },
    )
    return SegmentationFit(segmentation, selection, (int(x.shape[0]), int(x.shape[1])))


def minimum_fit_rows(config: SelectionConfig) -> int:
    """Fewest sample rows the candidate search accepts for ``config``.

    :data:`MIN_SEARCH_ROWS`, and at least two rows per cluster of the smallest k that can be
    selected (the pinned k, else the smallest of ``k_values``).
    """
    smallest_k = config.pinned_n_clusters or min(config.k_values, default=2)
    return max(MIN_SEARCH_ROWS, 2 * int(smallest_k))


def fit_single_segment(
    sample: pd.DataFrame,
    preprocess_config: PreprocessConfig,
    reason: str,
    *,
    progress: Progress | None = None,
) -> SegmentationFit:
    """The documented trivial model: one segment holding every row.

    For when there is nothing to cluster: fewer sample rows than the search needs, or no
    feature survives preprocessing. The preprocessing is fitted as usual (it may keep no
    column at all); the single centroid is the mean of the preprocessed sample, so
    ``distance_to_centroid`` still says how typical a row is. Its one candidate record has
    algorithm ``single_segment``, one cluster, no metrics, ``is_eligible`` false with
    ``reason`` (no guard can pass with one segment), and is selected; ``reason`` is also the
    selection note.

    Args:
        sample: Sample rows (sorted by key), possibly none.
        preprocess_config: Preprocessing configuration.
        reason: Why there is nothing to cluster (one sentence, for the log and the tables).
        progress: Optional logging callback.
    """
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    preprocessor = fit_preprocessor(sample, preprocess_config, allow_no_columns=True)
    x = preprocessor.transform(sample)
    n_rows, n_columns = int(x.shape[0]), int(x.shape[1])
    centroid = x.mean(axis=0) if n_rows else np.zeros(n_columns)
    params = {"n_clusters": 1}
    model = ClusterModel(SINGLE_SEGMENT, params=dict(params), centroids=centroid[None, :])
    labels = np.zeros(n_rows, dtype=np.int64)
    note = f"single-segment fallback: {reason}"
    record = CandidateRecord(
        algorithm=SINGLE_SEGMENT,
        n_clusters=1,
        params=params,
        silhouette=None,
        davies_bouldin=None,
        calinski_harabasz=None,
        dunn_index=None,
        gap_statistic=None,
        inertia=None,
        stability=None,
        composite_score=None,
        is_eligible=False,
        ineligible_reason=note,
        is_selected=True,
        elapsed_seconds=time.perf_counter() - started,
        min_segment_share=1.0 if n_rows else None,
        max_segment_share=1.0 if n_rows else None,
    )
    selection = SelectionResult(
        records=[record], selected_index=0, model=model, labels=labels, elbow_k={}, note=note
    )
    say(f"{note}; every customer is in one segment ({n_rows} rows x {n_columns} columns)")
    segmentation = FittedSegmentation(
        preprocessor=preprocessor,
        cluster_model=model,
        segment_ids=default_segment_ids(1),
        metadata={
            "selected": record.to_dict(),
            "elbow_k": {},
            "note": note,
            "n_sample_rows": n_rows,
        },
    )
    return SegmentationFit(segmentation, selection, (n_rows, n_columns))


def records_frame(records: Sequence[CandidateRecord]) -> pd.DataFrame:
    """Candidate records as a DataFrame, with ``params`` serialised to a JSON string."""
    rows = []
    for record in records:
        row = record.to_dict()
        row["params"] = json.dumps(row["params"], sort_keys=True)
        rows.append(row)
    return pd.DataFrame(rows)
