"""Segmentation charts as PNG files (matplotlib Agg canvas; pyplot and its global state unused).

:func:`render_segment_plots` draws the chart set of model ``rpt_segment_plots``
(:data:`PLOT_TITLES`) into one folder, each file written atomically (:mod:`custseg.files`).

Every function draws on its own :class:`~matplotlib.figure.Figure` with a fixed size and
:data:`DPI`, writes one PNG to ``path`` (creating missing parent folders) and returns the path.
Samples are bounded and drawn with a fixed random state, PNG metadata carries no software
version, and colours are fixed per segment (sorted segment ids on the ``tab10``/``tab20``
palettes; noise in grey), so the same input gives the same picture. Segments appear under their
names when ``names`` (segment id -> name) is given, else as ``Segment <id>``; noise (``-1``) is
``Outliers``.

Matrices for silhouette, embedding and dendrogram plots should be the preprocessed (model-space)
features the clustering used; profiles and sizes use raw values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from scipy.cluster.hierarchy import dendrogram, linkage
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from sklearn.metrics import silhouette_samples
from threadpoolctl import threadpool_limits

from custseg.files import write_atomically
from custseg.sampling import subsample_indices
from custseg.segment_ids import NO_PURCHASE, NOISE
from custseg.segment_marts.naming import NOISE_NAME

DPI = 110
NOISE_COLOR = "#9e9e9e"
_ALGORITHM_ORDER = ("kmeans", "gmm", "agglomerative", "dbscan", "hdbscan")
_ALGORITHM_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_DENSITY = {"dbscan", "hdbscan"}

Names = Mapping[int, str] | pd.Series | None
PathLike = str | Path


PLOT_COLUMNS: tuple[str, ...] = (
    "plot_name",
    "file_name",
    "title",
    "rows_used",
    "bytes",
    "sha256",
)
"""Columns of :func:`render_segment_plots` (model ``rpt_segment_plots``)."""

PLOT_TITLES: dict[str, str] = {
    "segment_sizes": "Customers and revenue per segment",
    "profile_heatmap": "What sets each segment apart (z-scores)",
    "k_selection": "Choosing the number of segments",
    "silhouette": "Silhouette per segment",
    "embedding_pca": "Segments on the first two principal components",
    "embedding_tsne": "Segments in a t-SNE map",
    "dendrogram": "Ward dendrogram",
    "migration_matrix": "Where customers moved since the previous run",
    "drift_over_time": "Segment shares and drift (PSI) over the runs",
}
"""Every plot the marts draw, in the order the docs show them (file ``<name>.png``)."""


# ---------------------------------------------------------------------------------------------
# The chart set of the docs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlotInputs:
    """Everything :func:`render_segment_plots` draws from.

    Attributes:
        segments: ``dim_segments`` (``segment_id``, ``segment_name``, ``customer_count``,
            ``total_revenue``).
        profiles: Long profiles (``segment_id``, ``feature``, ``z_score``).
        selection: Candidate table (``rpt_segment_model_selection``); may be empty.
        x_model: Preprocessed (model-space) features of a bounded sample of clustered
            customers; ``None`` skips the sample plots.
        labels: Segment id (after merges) per row of ``x_model``.
        include_dendrogram: Draw a dendrogram (agglomerative was among the candidates).
        n_clusters: The selected number of clusters (the dendrogram's cut).
        migrations: ``fct_segment_migrations`` (every run up to the as-of date); the
            migration matrix shows its latest run that has a previous run. ``None`` or no
            such run skips the chart.
        drift: ``rpt_segment_drift`` (one row per run and segment); the drift chart needs at
            least two runs. ``None`` skips the chart.
    """

    segments: pd.DataFrame
    profiles: pd.DataFrame
    selection: pd.DataFrame
    x_model: np.ndarray | None
    labels: np.ndarray | None
    include_dendrogram: bool = False
    n_clusters: int | None = None
    migrations: pd.DataFrame | None = None
    drift: pd.DataFrame | None = None


def render_segment_plots(
    out_dir: str | Path,
    inputs: PlotInputs,
    *,
    max_rows: int,
    random_state: int = 42,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Draw every plot of :data:`PLOT_TITLES` that the inputs allow into ``out_dir``.

    Each PNG is written atomically over ``<name>.png``; PNGs of this set that could not be
    drawn this time (for example the dendrogram when agglomerative is no longer a candidate)
    are removed, so the folder never shows a stale chart. Other files in the folder are left
    alone.

    Returns:
        One row per written plot with :data:`PLOT_COLUMNS`, in :data:`PLOT_TITLES` order.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for plot_name, (draw, rows_used) in _plot_jobs(inputs, max_rows, random_state).items():
        target = folder / f"{plot_name}.png"
        if draw is None:
            target.unlink(missing_ok=True)
            continue
        try:
            size, digest = write_atomically(draw, target)
        except ValueError as error:  # e.g. a single segment has no silhouette
            target.unlink(missing_ok=True)
            if log is not None:
                log(f"plot {plot_name} skipped: {error}")
            continue
        rows.append(
            {
                "plot_name": plot_name,
                "file_name": target.name,
                "title": PLOT_TITLES[plot_name],
                "rows_used": int(rows_used),
                "bytes": size,
                "sha256": digest,
            }
        )
    frame = pd.DataFrame(rows, columns=list(PLOT_COLUMNS))
    if not rows:
        return frame.astype(object)
    return frame.astype({"rows_used": np.int64, "bytes": np.int64})


def _plot_jobs(
    inputs: PlotInputs, max_rows: int, random_state: int
) -> dict[str, tuple[Callable[[Path], Any] | None, int]]:
    """Per plot of :data:`PLOT_TITLES`: how to draw it (None: not drawable) and its rows."""
    names = {
        int(s): str(n)
        for s, n in zip(inputs.segments["segment_id"], inputs.segments["segment_name"], strict=True)
    }
    clustered = inputs.profiles[inputs.profiles["segment_id"] != NO_PURCHASE]
    jobs: dict[str, tuple[Callable[[Path], Any] | None, int]] = dict.fromkeys(
        PLOT_TITLES, (None, 0)
    )
    jobs["segment_sizes"] = (
        lambda p: plot_segment_sizes(inputs.segments, p, names),
        int(inputs.segments["customer_count"].sum()),
    )
    if not clustered.empty:
        jobs["profile_heatmap"] = (
            lambda p: plot_profile_heatmap(clustered, names, p),
            int(clustered["segment_id"].nunique()),
        )
    if not inputs.selection.empty:
        jobs["k_selection"] = (
            lambda p: plot_k_selection(inputs.selection, p),
            len(inputs.selection),
        )
    latest_transitions = latest_run_transitions(inputs.migrations)
    if not latest_transitions.empty:
        jobs["migration_matrix"] = (
            lambda p: plot_migration_matrix(latest_transitions, names, p),
            int(latest_transitions["customer_count"].sum()),
        )
    if inputs.drift is not None and inputs.drift["as_of_date"].nunique() >= 2:
        jobs["drift_over_time"] = (
            lambda p: plot_drift_over_time(inputs.drift, names, p),
            len(inputs.drift),
        )
    if inputs.x_model is None or inputs.labels is None or not len(inputs.labels):
        return jobs
    x, y = inputs.x_model, np.asarray(inputs.labels, dtype=np.int64)
    sample_rows = min(len(y), max_rows)
    jobs["silhouette"] = (
        lambda p: plot_silhouette_per_cluster(
            x, y, names, p, max_rows=max_rows, random_state=random_state
        ),
        sample_rows,
    )
    for method in ("pca", "tsne"):
        jobs[f"embedding_{method}"] = (
            lambda p, m=method: plot_embedding_scatter(
                x, y, names, p, method=m, random_state=random_state, max_rows=max_rows
            ),
            sample_rows,
        )
    if inputs.include_dendrogram:
        jobs["dendrogram"] = (
            lambda p: plot_dendrogram(
                x, p, max_rows=max_rows, random_state=random_state, n_clusters=inputs.n_clusters
            ),
            sample_rows,
        )
    return jobs


# ---------------------------------------------------------------------------------------------
# Public plots
# ---------------------------------------------------------------------------------------------


def plot_k_selection(selection_df: pd.DataFrame, path: PathLike) -> Path:
    """Candidate metrics over the number of clusters, one line per algorithm.

    Four panels: inertia (elbow; knees marked with a triangle), silhouette, gap statistic (with
    its standard error) and composite score. Density candidates (DBSCAN, HDBSCAN) have no
    requested k and appear as points at the number of clusters they found. Ineligible
    candidates are drawn hollow; the selected candidate is circled in every panel where it has
    a value.

    Args:
        selection_df: The candidate table (:func:`custseg.clustering.records_frame`): at least
            ``algorithm`` and ``n_clusters``; optional ``silhouette``, ``inertia``,
            ``gap_statistic``, ``gap_std_error``, ``composite_score``, ``is_eligible``,
            ``is_selected``, ``is_elbow``, ``params``.
        path: PNG file to write.
    """
    missing = [c for c in ("algorithm", "n_clusters") if c not in selection_df.columns]
    if missing:
        raise KeyError(f"selection columns not found: {missing}")
    frame = selection_df.copy()
    frame["_k"] = [_requested_k(row) for _, row in frame.iterrows()]
    for column in ("is_eligible", "is_selected", "is_elbow"):
        default = column == "is_eligible"
        frame[column] = (
            frame[column].fillna(default).astype(bool) if column in frame.columns else default
        )
    algorithms = _ordered_algorithms(frame["algorithm"])
    colors = {a: _ALGORITHM_COLORS[i % len(_ALGORITHM_COLORS)] for i, a in enumerate(algorithms)}

    fig = _figure((12.0, 8.0))
    axes = fig.subplots(2, 2)
    panels = (
        (
            "inertia",
            "Inertia (within-cluster sum of squares)",
            "lower is tighter; ▼ marks the elbow",
        ),
        ("silhouette", "Silhouette", "higher is better"),
        ("gap_statistic", "Gap statistic", "higher is better"),
        ("composite_score", "Composite score", "eligible candidates only; higher is better"),
    )
    selected = frame[frame["is_selected"]]
    for ax, (metric, title, hint) in zip(axes.ravel(), panels, strict=True):
        ax.set_title(f"{title}\n({hint})", fontsize=10)
        ax.set_xlabel("number of clusters (k)")
        ax.grid(True, alpha=0.3)
        if metric not in frame.columns or frame[metric].notna().sum() == 0:
            _empty_note(ax, "not available")
            continue
        for algorithm in algorithms:
            rows = frame[(frame["algorithm"] == algorithm) & frame[metric].notna()]
            if rows.empty:
                continue
            rows = rows.sort_values(["_k", "n_clusters"], kind="mergesort")
            x = rows["_k"].to_numpy(dtype=float)
            y = rows[metric].to_numpy(dtype=float)
            color = colors[algorithm]
            if algorithm not in _DENSITY:
                ax.plot(x, y, color=color, linewidth=1.5, label=algorithm, zorder=2)
            else:
                ax.plot([], [], color=color, marker="s", linestyle="none", label=algorithm)
            eligible = rows["is_eligible"].to_numpy()
            marker = "s" if algorithm in _DENSITY else "o"
            ax.scatter(x[eligible], y[eligible], color=color, marker=marker, s=28, zorder=3)
            ax.scatter(
                x[~eligible],
                y[~eligible],
                facecolors="none",
                edgecolors=color,
                marker=marker,
                s=28,
                zorder=3,
            )
            if metric == "gap_statistic" and "gap_std_error" in rows.columns:
                err = rows["gap_std_error"].to_numpy(dtype=float)
                ok = np.isfinite(err)
                ax.errorbar(
                    x[ok], y[ok], yerr=err[ok], fmt="none", ecolor=color, alpha=0.5, zorder=1
                )
            if metric == "inertia":
                knees = rows["is_elbow"].to_numpy()
                ax.scatter(
                    x[knees], y[knees], marker="v", s=90, color=color, edgecolors="black", zorder=4
                )
        chosen = selected[selected[metric].notna()]
        for _, row in chosen.iterrows():
            ax.scatter(
                [row["_k"]],
                [row[metric]],
                s=260,
                facecolors="none",
                edgecolors="black",
                linewidths=2,
                zorder=5,
            )
            ax.annotate(
                f"selected: {row['algorithm']} k={int(row['n_clusters'])}",
                (row["_k"], row[metric]),
                textcoords="offset points",
                xytext=(12, -16),
                va="top",
                fontsize=8,
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
            )
        ax.margins(y=0.1)
        ks = sorted({int(k) for k in frame["_k"].dropna()})
        if ks and len(ks) <= 20:
            ax.set_xticks(ks)
    handles, labels = [], []
    for ax in axes.ravel():
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if handles:
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False)
    fig.suptitle("Choosing the number of segments (hollow = failed the guards)", fontsize=12)
    return _save(fig, path)


def plot_silhouette_per_cluster(
    x_sample: np.ndarray | pd.DataFrame,
    labels: Sequence[int] | np.ndarray | pd.Series,
    names: Names,
    path: PathLike,
    *,
    max_rows: int = 5_000,
    random_state: int = 42,
) -> Path:
    """Silhouette values of a bounded sample, one band per segment (noise left out).

    Args:
        x_sample: Preprocessed features, one row per customer.
        labels: Segment id per row.
        names: Segment id -> name.
        path: PNG file to write.
        max_rows: Silhouettes are computed on a uniform subsample of at most this many
            (non-noise) rows.
        random_state: Seed of the subsample.

    Raises:
        ValueError: Fewer than two segments among the non-noise rows.
    """
    x, y = _matrix_and_labels(x_sample, labels)
    keep = y != NOISE
    x, y = x[keep], y[keep]
    index = subsample_indices(len(y), max_rows, random_state)
    x, y = x[index], y[index]
    segment_ids = sorted(int(s) for s in np.unique(y))
    if len(segment_ids) < 2:
        raise ValueError("need at least two segments for silhouettes")
    with threadpool_limits(limits=1):
        values = silhouette_samples(x, y)
    colors = segment_colors(segment_ids)
    fig = _figure((10.0, 7.0))
    ax = fig.add_subplot()
    lower = 0
    ticks, tick_labels = [], []
    gap = max(5, len(y) // 100)
    for sid in segment_ids:
        band = np.sort(values[y == sid])
        upper = lower + len(band)
        ax.fill_betweenx(np.arange(lower, upper), 0, band, color=colors[sid], alpha=0.85)
        ticks.append((lower + upper) / 2)
        tick_labels.append(f"{segment_label(names, sid)}\nmean {band.mean():.2f}, n={len(band):,}")
        lower = upper + gap
    overall = float(values.mean())
    ax.axvline(overall, color="black", linestyle="--", linewidth=1)
    ax.text(overall, lower, f" overall mean {overall:.2f}", va="bottom", fontsize=9)
    ax.set_yticks(ticks)
    ax.set_yticklabels(tick_labels, fontsize=8)
    ax.set_ylim(-gap, lower + gap * 2)
    ax.set_xlim(min(-0.1, float(values.min()) - 0.05), 1.0)
    ax.set_xlabel("silhouette (how much closer to its own segment than to the nearest other)")
    ax.set_title(f"Silhouette per segment ({len(y):,} sampled customers)", fontsize=12)
    ax.grid(True, axis="x", alpha=0.3)
    return _save(fig, path)


def plot_embedding_scatter(
    x_sample: np.ndarray | pd.DataFrame,
    labels: Sequence[int] | np.ndarray | pd.Series,
    names: Names,
    path: PathLike,
    method: str = "pca",
    random_state: int = 42,
    *,
    max_rows: int,
    perplexity: float = 30.0,
) -> Path:
    """2-D PCA or t-SNE embedding of a bounded sample, coloured by segment.

    Args:
        x_sample: Preprocessed features, one row per customer.
        labels: Segment id per row (noise drawn in grey, underneath).
        names: Segment id -> name.
        path: PNG file to write.
        method: ``"pca"`` or ``"tsne"``.
        random_state: Seed of the subsample and of t-SNE.
        max_rows: Uniform subsample size bound.
        perplexity: t-SNE perplexity (capped below a third of the sample size).
    """
    if method not in ("pca", "tsne"):
        raise ValueError("method must be 'pca' or 'tsne'")
    x, y = _matrix_and_labels(x_sample, labels)
    index = subsample_indices(len(y), max_rows, random_state)
    x, y = x[index], y[index]
    if len(y) < 5:
        raise ValueError("need at least 5 rows")
    if method == "pca":
        pca = PCA(n_components=2, random_state=random_state)
        xy = pca.fit_transform(x)
        ratio = pca.explained_variance_ratio_
        axis_labels = (
            f"principal component 1 ({ratio[0]:.0%} of variance)",
            f"principal component 2 ({ratio[1]:.0%} of variance)",
        )
        title = "Segments on the first two principal components"
    else:
        tsne = TSNE(
            n_components=2,
            perplexity=min(perplexity, (len(y) - 1) / 3),
            init="pca",
            random_state=random_state,
        )
        with threadpool_limits(limits=1):  # deterministic, and much faster on small machines
            xy = tsne.fit_transform(x)
        axis_labels = ("t-SNE 1", "t-SNE 2")
        title = "Segments in a t-SNE map (distances between groups are not to scale)"
    segment_ids = sorted(int(s) for s in np.unique(y))
    colors = segment_colors(segment_ids)
    fig = _figure((10.0, 7.5))
    ax = fig.add_subplot()
    for sid in segment_ids:  # noise (-1) sorts first and so is drawn underneath
        mask = y == sid
        ax.scatter(
            xy[mask, 0],
            xy[mask, 1],
            s=8 if sid == NOISE else 12,
            color=colors[sid],
            alpha=0.5 if sid == NOISE else 0.75,
            linewidths=0,
            label=f"{segment_label(names, sid)} (n={int(mask.sum()):,})",
        )
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    ax.set_title(f"{title}\n{len(y):,} sampled customers", fontsize=12)
    ax.grid(True, alpha=0.3)
    fig.legend(loc="outside right upper", fontsize=8, markerscale=2, frameon=False)
    return _save(fig, path)


def plot_dendrogram(
    x_sample: np.ndarray | pd.DataFrame,
    path: PathLike,
    max_rows: int,
    *,
    random_state: int = 42,
    truncate_p: int = 30,
    n_clusters: int | None = None,
) -> Path:
    """Ward dendrogram of a bounded sample, truncated to the last ``truncate_p`` merges.

    Args:
        x_sample: Preprocessed features, one row per customer.
        path: PNG file to write.
        max_rows: Uniform subsample size bound (Ward needs O(n^2) memory).
        random_state: Seed of the subsample.
        truncate_p: Leaves shown (``lastp`` truncation); leaf labels give the customer counts.
        n_clusters: Optionally draw the cut that yields this many clusters.
    """
    x, _ = _matrix_and_labels(x_sample, None)
    index = subsample_indices(len(x), max_rows, random_state)
    x = x[index]
    if len(x) < 3:
        raise ValueError("need at least 3 rows")
    tree = linkage(x, method="ward")
    fig = _figure((12.0, 6.5))
    ax = fig.add_subplot()
    dendrogram(
        tree,
        truncate_mode="lastp",
        p=min(truncate_p, len(x)),
        show_leaf_counts=True,
        leaf_rotation=90,
        leaf_font_size=8,
        ax=ax,
        color_threshold=_cut_height(tree, n_clusters) if n_clusters else None,
        above_threshold_color="#555555",
    )
    if n_clusters:
        height = _cut_height(tree, n_clusters)
        ax.axhline(height, color="black", linestyle="--", linewidth=1)
        ax.text(ax.get_xlim()[1], height, f"cut: {n_clusters} clusters ", ha="right", va="bottom")
    ax.set_ylabel("Ward merge distance")
    ax.set_xlabel("customers (in parentheses: number of customers under a truncated branch)")
    ax.set_title(f"Ward dendrogram ({len(x):,} sampled customers, last merges)", fontsize=12)
    ax.grid(True, axis="y", alpha=0.3)
    return _save(fig, path)


def plot_profile_heatmap(
    profiles_long_df: pd.DataFrame,
    names: Names,
    path: PathLike,
    *,
    features: Sequence[str] | None = None,
    max_features: int = 20,
    clip: float = 3.0,
    include_noise: bool = False,
) -> Path:
    """Segment x feature z-score heatmap (diverging colours, values annotated).

    Args:
        profiles_long_df: Long profile frame (model ``int_segment_profiles_computed``).
        names: Segment id -> name (row labels).
        path: PNG file to write.
        features: Features to show, in this order; default: the ``max_features`` with the
            largest ``|z|`` in any segment (ties by name), in profile order.
        max_features: Bound of the default feature choice.
        clip: The colour scale spans ``[-clip, clip]``; annotations show the true value.
        include_noise: Whether the noise segment gets a row.
    """
    needed = ("segment_id", "feature", "z_score")
    missing = [c for c in needed if c not in profiles_long_df.columns]
    if missing:
        raise KeyError(f"profile columns not found: {missing}")
    profiles = profiles_long_df
    if not include_noise:
        profiles = profiles[profiles["segment_id"] != NOISE]
    order = list(dict.fromkeys(profiles["feature"]))
    if features is None:
        strength = profiles.groupby("feature")["z_score"].apply(lambda z: z.abs().max())
        ranked = sorted(
            (f for f in order if np.isfinite(strength.get(f, np.nan))),
            key=lambda f: (-round(float(strength[f]), 9), f),
        )
        chosen = set(ranked[:max_features])
        features = [f for f in order if f in chosen]
    features = list(features)
    if not features:
        raise ValueError("no features to plot")
    grid = profiles.pivot(index="segment_id", columns="feature", values="z_score")
    grid = grid.reindex(columns=features).sort_index()
    values = grid.to_numpy(dtype=float)
    n_rows, n_cols = values.shape
    fig = _figure((13.0, 7.0))
    ax = fig.add_subplot()
    image = ax.imshow(
        np.clip(values, -clip, clip),
        cmap="RdBu_r",
        vmin=-clip,
        vmax=clip,
        aspect="auto",
        interpolation="nearest",
    )
    font = 9 if n_rows * n_cols <= 150 else 7 if n_rows * n_cols <= 400 else 5
    for i in range(n_rows):
        for j in range(n_cols):
            value = values[i, j]
            text = "–" if not np.isfinite(value) else f"{value:+.1f}".replace("-0.0", "0.0")
            text = text.replace("+0.0", "0.0")
            dark = np.isfinite(value) and abs(value) > 0.6 * clip
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=font,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(n_cols))
    ax.set_xticklabels([f.replace("_", " ") for f in features], rotation=40, ha="right", fontsize=8)
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels([segment_label(names, int(s)) for s in grid.index], fontsize=9)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.85)
    colorbar.set_label("z-score: segment mean vs all customers, in standard deviations")
    ax.set_title("What sets each segment apart", fontsize=12)
    return _save(fig, path)


def plot_segment_sizes(
    segments_df: pd.DataFrame,
    path: PathLike,
    names: Names = None,
    *,
    count_col: str = "customer_count",
    revenue_col: str = "total_revenue",
) -> Path:
    """Customers and revenue per segment, side by side (horizontal bars with shares).

    Args:
        segments_df: One row per segment: ``segment_id``, ``count_col``, optionally
            ``revenue_col`` and ``segment_name`` (e.g.
            :func:`custseg.segment_marts.profiling.segment_sizes`).
        path: PNG file to write.
        names: Segment id -> name; default the ``segment_name`` column if present.
        count_col: Customer count column.
        revenue_col: Revenue column (panel left empty when absent or all null).
    """
    missing = [c for c in ("segment_id", count_col) if c not in segments_df.columns]
    if missing:
        raise KeyError(f"segment columns not found: {missing}")
    frame = segments_df.copy()
    frame["segment_id"] = frame["segment_id"].astype(np.int64)
    if names is None and "segment_name" in frame.columns:
        names = dict(zip(frame["segment_id"], frame["segment_name"], strict=True))
    noise_last = np.where(frame["segment_id"] == NOISE, 1, 0)
    frame = frame.assign(_noise=noise_last).sort_values(["_noise", "segment_id"], kind="mergesort")
    segment_ids = [int(s) for s in frame["segment_id"]]
    colors = segment_colors(segment_ids)
    bar_colors = [colors[s] for s in segment_ids]
    labels = [segment_label(names, s) for s in segment_ids]
    positions = np.arange(len(segment_ids))[::-1]  # first segment on top
    fig = _figure((12.0, 6.0))
    axes = fig.subplots(1, 2, sharey=True)
    panels = (
        (count_col, "Customers", lambda v: f"{v:,.0f}"),
        (revenue_col, "Revenue", _compact_number),
    )
    for ax, (column, title, fmt) in zip(axes, panels, strict=True):
        ax.set_title(title, fontsize=11)
        ax.grid(True, axis="x", alpha=0.3)
        if column not in frame.columns or frame[column].notna().sum() == 0:
            _empty_note(ax, "not available")
            continue
        values = frame[column].to_numpy(dtype=float)
        values = np.where(np.isfinite(values), values, 0.0)
        total = values.sum()
        ax.barh(positions, values, color=bar_colors)
        for y, value in zip(positions, values, strict=True):
            share = f" ({value / total:.0%})" if total > 0 else ""
            ax.text(value, y, f" {fmt(value)}{share}", va="center", fontsize=8)
        ax.set_xlim(0, max(values.max(), 1e-9) * 1.3)
        ax.xaxis.set_major_formatter(lambda v, _pos: _compact_number(v))
    axes[0].set_yticks(positions)
    axes[0].set_yticklabels(labels, fontsize=9)
    fig.suptitle("Segment sizes", fontsize=12)
    return _save(fig, path)


def latest_run_transitions(migrations: pd.DataFrame | None) -> pd.DataFrame:
    """The transitions of the latest run that has a previous run (empty when none has).

    Args:
        migrations: ``fct_segment_migrations`` rows (``run_number``, ``from_segment_id``,
            ``to_segment_id``, ``customer_count``, ...).
    """
    if migrations is None or migrations.empty:
        return pd.DataFrame(columns=["run_number", "from_segment_id", "to_segment_id"])
    compared = migrations[migrations["run_number"] >= 2]
    if compared.empty:
        return compared
    return compared[compared["run_number"] == compared["run_number"].max()]


def plot_migration_matrix(transitions: pd.DataFrame, names: Names, path: PathLike) -> Path:
    """Segment at the previous run (rows) x segment now (columns), customer counts.

    Rows add ``New`` (customers not in the previous run), columns ``Gone`` (customers of the
    previous run not in this one). Each cell shows the count; its colour is the share of its
    row (the transition probability), so a strong diagonal means stable segments.

    Args:
        transitions: One run's rows of ``fct_segment_migrations``: ``from_segment_id`` (null
            for entries), ``to_segment_id`` (null for exits), ``customer_count``; optional
            ``as_of_date`` and ``previous_as_of_date`` for the title.
        names: Segment id -> name.
        path: PNG file to write.
    """
    missing = [
        c for c in ("from_segment_id", "to_segment_id", "customer_count") if c not in transitions
    ]
    if missing:
        raise KeyError(f"migration columns not found: {missing}")
    if transitions.empty:
        raise ValueError("no transitions to plot")
    entered, gone = "New", "Gone"
    frame = pd.DataFrame(
        {
            "from": [_segment_key(v, entered) for v in transitions["from_segment_id"]],
            "to": [_segment_key(v, gone) for v in transitions["to_segment_id"]],
            "count": transitions["customer_count"].astype(np.int64).to_numpy(),
        }
    )
    grid = frame.pivot_table(index="from", columns="to", values="count", aggfunc="sum")
    rows = _ordered_keys(grid.index, entered)
    columns = _ordered_keys(grid.columns, gone)
    counts = grid.reindex(index=rows, columns=columns).fillna(0).to_numpy(dtype=np.int64)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)

    def label(key: int | str) -> str:
        return key if isinstance(key, str) else segment_label(names, key)

    fig = _figure((11.0, 8.0))
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    font = 9 if counts.size <= 100 else 7
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    f"{counts[i, j]:,}",
                    ha="center",
                    va="center",
                    fontsize=font,
                    color="white" if shares[i, j] > 0.6 else "black",
                )
    ax.set_xticks(range(len(columns)))
    ax.set_xticklabels([label(c) for c in columns], rotation=35, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([label(r) for r in rows], fontsize=8)
    ax.set_xlabel("segment now")
    ax.set_ylabel("segment at the previous run")
    colorbar = fig.colorbar(image, ax=ax, shrink=0.85)
    colorbar.set_label("share of the row's customers")
    title = "Where customers moved since the previous run"
    if "as_of_date" in transitions and "previous_as_of_date" in transitions:
        title += (
            f"\n{_date_label(transitions['previous_as_of_date'].iloc[0])} → "
            f"{_date_label(transitions['as_of_date'].iloc[0])}, "
            f"{int(counts.sum()):,} customers"
        )
    ax.set_title(title, fontsize=12)
    return _save(fig, path)


def plot_drift_over_time(drift: pd.DataFrame, names: Names, path: PathLike) -> Path:
    """Customer share per segment over the runs (top) and each run's PSI (bottom).

    Args:
        drift: ``rpt_segment_drift`` rows: ``as_of_date``, ``segment_id``, ``customer_share``,
            ``psi`` (null for the first run); optional ``segment_name`` (used for segments
            ``names`` does not know, such as segments of an older model version).
        names: Segment id -> name (the current names win).
        path: PNG file to write.
    """
    needed = ("as_of_date", "segment_id", "customer_share", "psi")
    missing = [c for c in needed if c not in drift.columns]
    if missing:
        raise KeyError(f"drift columns not found: {missing}")
    runs = sorted({_date_label(v) for v in drift["as_of_date"]})
    if len(runs) < 2:
        raise ValueError("need at least two runs")
    frame = drift.assign(
        _run=[_date_label(v) for v in drift["as_of_date"]],
        segment_id=drift["segment_id"].astype(np.int64),
    )
    labels = dict(names or {})
    if "segment_name" in frame.columns:
        for sid, name in zip(frame["segment_id"], frame["segment_name"], strict=True):
            if int(sid) not in labels and not _is_missing(name):
                labels[int(sid)] = str(name)
    shares = frame.pivot_table(
        index="_run", columns="segment_id", values="customer_share", aggfunc="sum"
    ).reindex(index=runs)
    psi = frame.groupby("_run")["psi"].max().reindex(runs)
    segment_ids = sorted(int(s) for s in shares.columns)
    colors = segment_colors(segment_ids)
    positions = np.arange(len(runs))

    fig = _figure((12.0, 8.0))
    share_ax, psi_ax = fig.subplots(2, 1, sharex=True, height_ratios=(2.2, 1.0))
    for sid in segment_ids:
        values = shares[sid].to_numpy(dtype=float)
        share_ax.plot(
            positions,
            values,
            marker="o",
            linewidth=1.6,
            color=colors[sid],
            label=segment_label(labels, sid),
        )
    share_ax.set_ylabel("share of customers")
    share_ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    share_ax.set_ylim(bottom=0)
    share_ax.grid(True, alpha=0.3)
    share_ax.set_title("Customer share per segment at each run", fontsize=11)
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)

    psi_values = psi.to_numpy(dtype=float)
    drawn = np.isfinite(psi_values)
    psi_ax.bar(positions[drawn], psi_values[drawn], color="#555555", width=0.5)
    for x, value in zip(positions[drawn], psi_values[drawn], strict=True):
        psi_ax.text(x, value, f"{value:.3f}", ha="center", va="bottom", fontsize=8)
    for x in positions[~drawn]:
        psi_ax.text(x, 0, "first run", ha="center", va="bottom", fontsize=8, color="grey")
    top = float(np.nanmax(psi_values)) if drawn.any() else 0.0
    psi_ax.set_ylim(0, max(top * 1.3, 0.01))
    psi_ax.set_ylabel("PSI vs previous run")
    psi_ax.grid(True, axis="y", alpha=0.3)
    psi_ax.set_xticks(positions)
    psi_ax.set_xticklabels(runs, rotation=30, ha="right", fontsize=8)
    psi_ax.set_xlabel("as-of date of the run")
    fig.suptitle("Segment shares and drift over the runs", fontsize=12)
    return _save(fig, path)


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def segment_colors(segment_ids: Sequence[int] | np.ndarray) -> dict[int, tuple[float, ...]]:
    """Fixed colour per segment: sorted non-noise ids on tab10 (tab20 above 10); noise grey."""
    ids = sorted({int(s) for s in segment_ids})
    regular = [s for s in ids if s != NOISE]
    palette = matplotlib.colormaps["tab10" if len(regular) <= 10 else "tab20"]
    colors = {s: tuple(palette(i % palette.N)) for i, s in enumerate(regular)}
    if NOISE in ids:
        colors[NOISE] = to_rgba(NOISE_COLOR)
    return colors


def segment_label(names: Names, segment_id: int) -> str:
    """The segment's name, ``Outliers`` for noise, else ``Segment <id>``."""
    if names is not None:
        name = dict(names).get(int(segment_id))
        if name is not None and not (isinstance(name, float) and math.isnan(name)):
            return str(name)
    return NOISE_NAME if segment_id == NOISE else f"Segment {segment_id}"


def _figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: PathLike) -> Path:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, format="png", dpi=DPI, metadata={"Software": None})
    return target


def _matrix_and_labels(
    x_sample: np.ndarray | pd.DataFrame, labels: Sequence[int] | np.ndarray | pd.Series | None
) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x_sample, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("x_sample must be 2-dimensional")
    if not np.isfinite(x).all():
        raise ValueError("x_sample contains missing or non-finite values; preprocess first")
    if labels is None:
        return x, np.zeros(len(x), dtype=np.int64)
    y = np.asarray(labels).astype(np.int64)
    if y.shape != (len(x),):
        raise ValueError("labels must have one value per row of x_sample")
    return x, y


def _segment_key(value: Any, missing_label: str) -> int | str:
    """A segment id as int, or ``missing_label`` for a null (an entry or an exit)."""
    return missing_label if _is_missing(value) else int(value)


def _ordered_keys(keys: Sequence[int | str], label: str) -> list[int | str]:
    """Segment ids in order, noise last among them, then ``label`` (New/Gone) if present."""
    ids = sorted((k for k in keys if not isinstance(k, str)), key=lambda s: (s == NOISE, s))
    return [*ids, *([label] if label in set(keys) else [])]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _date_label(value: Any) -> str:
    """A run's as-of date as ``YYYY-MM-DD``."""
    return str(pd.Timestamp(value).date())


def _requested_k(row: pd.Series) -> float:
    """Requested k of k algorithms (from ``params``), else the clusters found."""
    params = row.get("params")
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except ValueError:
            params = None
    if isinstance(params, Mapping):
        for key in ("n_clusters", "n_components"):
            if params.get(key) is not None:
                return float(params[key])
    return float(row["n_clusters"])


def _ordered_algorithms(values: pd.Series) -> list[str]:
    present = {str(v) for v in values.dropna()}
    known = [a for a in _ALGORITHM_ORDER if a in present]
    return known + sorted(present - set(known))


def _cut_height(tree: np.ndarray, n_clusters: int) -> float:
    """A height between the merges that leave ``n_clusters`` and ``n_clusters - 1`` clusters."""
    n_merges = len(tree)
    if not 2 <= n_clusters <= n_merges:
        raise ValueError(f"n_clusters must be in [2, {n_merges}]")
    below = tree[n_merges - n_clusters, 2]
    above = tree[n_merges - n_clusters + 1, 2]
    return float((below + above) / 2)


def _empty_note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")


def _compact_number(value: float) -> str:
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:.1f}B"
    if magnitude >= 1e6:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.0f}k"
    if magnitude >= 1e3:
        return f"{value / 1e3:.1f}k"
    return f"{value:,.0f}"
