"""Every plot writes a valid, non-trivial PNG (no pixel comparisons with stored images); the
same input draws the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from custseg.segment_marts.plots import (
    latest_run_transitions,
    plot_dendrogram,
    plot_drift_over_time,
    plot_embedding_scatter,
    plot_k_selection,
    plot_migration_matrix,
    plot_profile_heatmap,
    plot_segment_sizes,
    plot_silhouette_per_cluster,
    segment_colors,
    segment_label,
)
from marts_reference import reference_profiles

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = {
    1: "Top-value loyalists, app-first",
    2: "Low-value lapsing buyers",
    3: "Low-value bargain hunters",
    4: "Mid-value browsers",
}


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    x, y = make_blobs(800, n_features=5, centers=4, cluster_std=1.2, random_state=3)
    labels = y + 1
    labels[::40] = -1  # some noise
    return x, labels


def _assert_png(path: Path) -> None:
    assert path.exists()
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 10_000
    image = mpimg.imread(path)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 300
    pixels = image.reshape(-1, image.shape[2])
    assert pixels.std(axis=0).max() > 0.05  # not one flat colour
    assert len(np.unique(pixels[::7], axis=0)) > 20  # text, lines and fills


def _selection() -> pd.DataFrame:
    rows = []
    for algorithm in ("kmeans", "gmm"):
        for k in range(2, 9):
            key = "n_clusters" if algorithm == "kmeans" else "n_components"
            rows.append(
                {
                    "algorithm": algorithm,
                    "n_clusters": k,
                    "params": json.dumps({key: k}),
                    "silhouette": 0.5 - abs(k - 4) * 0.05 + (0.01 if algorithm == "gmm" else 0),
                    "inertia": 1000.0 / k,
                    "gap_statistic": 1.0 + np.log(min(k, 4)),
                    "gap_std_error": 0.05,
                    "composite_score": None if k == 2 else 0.8 - abs(k - 4) * 0.1,
                    "is_eligible": k != 2,
                    "is_selected": algorithm == "kmeans" and k == 4,
                    "is_elbow": k == 4,
                }
            )
    rows.append(
        {
            "algorithm": "hdbscan",
            "n_clusters": 5,
            "params": json.dumps({"min_cluster_share": 0.02}),
            "silhouette": 0.42,
            "inertia": None,
            "gap_statistic": None,
            "gap_std_error": None,
            "composite_score": 0.55,
            "is_eligible": True,
            "is_selected": False,
            "is_elbow": False,
        }
    )
    return pd.DataFrame(rows)


def test_plot_k_selection(tmp_path: Path) -> None:
    path = plot_k_selection(_selection(), tmp_path / "k.png")
    assert path == tmp_path / "k.png"
    _assert_png(path)
    # only the required columns: empty panels say "not available" instead of failing
    minimal = _selection()[["algorithm", "n_clusters", "silhouette"]]
    _assert_png(plot_k_selection(minimal, tmp_path / "nested" / "k_min.png"))


def test_plot_silhouette_per_cluster(tmp_path: Path, sample: tuple) -> None:
    x, labels = sample
    _assert_png(plot_silhouette_per_cluster(x, labels, NAMES, tmp_path / "sil.png", max_rows=500))
    with pytest.raises(ValueError, match="two segments"):
        plot_silhouette_per_cluster(x, np.ones(len(x)), NAMES, tmp_path / "bad.png")


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_plot_embedding_scatter(tmp_path: Path, sample: tuple, method: str) -> None:
    x, labels = sample
    first = plot_embedding_scatter(
        x, labels, NAMES, tmp_path / f"{method}.png", method=method, max_rows=300
    )
    _assert_png(first)
    again = plot_embedding_scatter(
        x, labels, NAMES, tmp_path / f"{method}_again.png", method=method, max_rows=300
    )
    assert first.read_bytes() == again.read_bytes()  # same input, same file


def test_plot_embedding_scatter_rejects_unknown_method(tmp_path: Path, sample: tuple) -> None:
    x, labels = sample
    with pytest.raises(ValueError, match="method"):
        plot_embedding_scatter(x, labels, NAMES, tmp_path / "x.png", method="umap", max_rows=len(x))


def test_plot_dendrogram(tmp_path: Path, sample: tuple) -> None:
    x, _ = sample
    _assert_png(plot_dendrogram(x, tmp_path / "dendro.png", max_rows=400))
    _assert_png(plot_dendrogram(x, tmp_path / "dendro_cut.png", max_rows=400, n_clusters=4))


def test_plot_profile_heatmap(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    segment = rng.choice([-1, 1, 2, 3, 4], 1_000)
    frame = pd.DataFrame(
        {f"feature_{i}": rng.normal(segment * (i % 3), 1.0) for i in range(25)}
    ).assign(segment_id=segment)
    frame.loc[frame["segment_id"] == 2, "feature_0"] = np.nan  # a missing cell
    profiles = reference_profiles(frame, "segment_id", [f"feature_{i}" for i in range(25)])
    _assert_png(plot_profile_heatmap(profiles, NAMES, tmp_path / "heat.png"))
    _assert_png(
        plot_profile_heatmap(
            profiles, None, tmp_path / "heat_some.png", features=["feature_1", "feature_2"]
        )
    )


def test_plot_segment_sizes(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "segment_id": [1, 1, 2, 3, 4, -1, 4, 4],
            "total_revenue": [900.0, 1200.0, 40.0, 60.0, 300.0, 5.0, 250.0, None],
        }
    )
    sizes = frame.groupby("segment_id", as_index=False).agg(
        customer_count=("total_revenue", "size"), total_revenue=("total_revenue", "sum")
    )
    _assert_png(plot_segment_sizes(sizes, tmp_path / "sizes.png", NAMES))
    named = sizes.assign(segment_name=sizes["segment_id"].map(NAMES))
    _assert_png(plot_segment_sizes(named.drop(columns="total_revenue"), tmp_path / "s2.png"))


def test_colours_and_labels_are_fixed_per_segment() -> None:
    colors = segment_colors([3, 1, -1, 2])
    assert colors == segment_colors([-1, 1, 2, 3])
    assert colors[-1] != colors[1]
    assert segment_label(NAMES, 1) == NAMES[1]
    assert segment_label(None, -1) == "Outliers"
    assert segment_label({}, 7) == "Segment 7"


def _migrations() -> pd.DataFrame:
    """Two runs of fct_segment_migrations: the first only entries, the second every kind."""
    first = [(None, 1, 40), (None, 2, 30), (None, 3, 20)]
    second = [(1, 1, 35), (1, 2, 5), (2, 2, 25), (2, None, 5), (3, 3, 12), (3, 4, 8), (None, 4, 9)]
    rows = [
        {"run_number": run, "from_segment_id": f, "to_segment_id": t, "customer_count": n}
        | {"as_of_date": pd.Timestamp(date), "previous_as_of_date": previous}
        for run, date, previous, transitions in (
            (1, "2026-09-01", pd.NaT, first),
            (2, "2026-10-01", pd.Timestamp("2026-09-01"), second),
        )
        for f, t, n in transitions
    ]
    return pd.DataFrame(rows).astype({"from_segment_id": "Int64", "to_segment_id": "Int64"})


def _drift() -> pd.DataFrame:
    shares = {
        1: (0.45, 0.40, 0.38),
        2: (0.33, 0.30, 0.31),
        3: (0.22, 0.20, 0.12),
        4: (0, 0.1, 0.19),
    }
    psi = (None, 0.05, 0.08)
    dates = ("2026-09-01", "2026-10-01", "2026-11-01")
    return pd.DataFrame(
        {
            "as_of_date": pd.Timestamp(date),
            "segment_id": sid,
            "segment_name": f"Old name {sid}",
            "customer_share": values[run],
            "psi": psi[run],
        }
        for sid, values in shares.items()
        for run, date in enumerate(dates)
    )


def test_latest_run_transitions_takes_the_last_compared_run() -> None:
    latest = latest_run_transitions(_migrations())
    assert set(latest["run_number"]) == {2}
    assert latest["customer_count"].sum() == 99
    first_only = _migrations().query("run_number == 1")
    assert latest_run_transitions(first_only).empty  # entries alone compare nothing
    assert latest_run_transitions(None).empty


def test_plot_migration_matrix_is_deterministic(tmp_path: Path) -> None:
    latest = latest_run_transitions(_migrations())
    first = plot_migration_matrix(latest, NAMES, tmp_path / "migrations.png")
    _assert_png(first)
    again = plot_migration_matrix(latest, NAMES, tmp_path / "again.png")
    assert first.read_bytes() == again.read_bytes()
    with pytest.raises(ValueError, match="no transitions"):
        plot_migration_matrix(latest.iloc[:0], NAMES, tmp_path / "empty.png")


def test_plot_drift_over_time_is_deterministic(tmp_path: Path) -> None:
    first = plot_drift_over_time(_drift(), NAMES, tmp_path / "drift.png")
    _assert_png(first)
    assert (
        first.read_bytes() == plot_drift_over_time(_drift(), NAMES, tmp_path / "b.png").read_bytes()
    )
    changed = _drift().assign(psi=lambda f: f["psi"].fillna(0.0) * 2)
    assert (
        plot_drift_over_time(changed, NAMES, tmp_path / "c.png").read_bytes() != first.read_bytes()
    )
    one_run = _drift().query("as_of_date == '2026-09-01'")
    with pytest.raises(ValueError, match="two runs"):
        plot_drift_over_time(one_run, NAMES, tmp_path / "one.png")
