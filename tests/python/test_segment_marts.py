"""Tests of the segment marts' Python: named segments, rules, the chart set, the catalog.

Pure functions on synthetic data; the end-to-end checks on a built warehouse are in
``test_segment_marts_e2e.py``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custseg.segment_marts import catalog as segment_catalog
from custseg.segment_marts.naming import (
    NAMED_COLUMNS,
    NO_PURCHASE_ACTION,
    NO_PURCHASE_NAME,
    NO_PURCHASE_RULE,
    name_mart_segments,
)
from custseg.segment_marts.overrides import resolve_merges
from custseg.segment_marts.plots import PLOT_COLUMNS, PLOT_TITLES, PlotInputs, render_segment_plots
from custseg.segment_marts.rules import RULE_COLUMNS, segment_rules
from marts_reference import reference_profiles, seed

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# (orders, order value, recency days, tenure days, discount share, tickets, app share)
_PLANTED = {
    1: (12, 90.0, 15, 600, 0.05, 0.3, 0.7),
    2: (2, 40.0, 200, 500, 0.10, 0.2, 0.1),
    3: (4, 35.0, 60, 400, 0.45, 0.2, 0.2),
}
FEATURES = [
    "order_count",
    "avg_order_value",
    "total_revenue",
    "days_since_last_order",
    "tenure_days",
    "discount_share_of_revenue",
    "ticket_count",
    "share_orders_app",
    "web_session_count",
]


def _customers(n_per: int = 120, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for sid, (orders, aov, recency, tenure, discount, tickets, app) in _PLANTED.items():
        order_count = rng.poisson(orders, n_per) + 1
        order_value = rng.gamma(4.0, aov / 4.0, n_per)
        frames.append(
            pd.DataFrame(
                {
                    "segment_id": sid,
                    "order_count": order_count,
                    "avg_order_value": order_value,
                    "total_revenue": order_count * order_value,
                    "days_since_last_order": rng.poisson(recency, n_per) + 1,
                    "tenure_days": rng.poisson(tenure, n_per) + 1,
                    "discount_share_of_revenue": np.clip(rng.normal(discount, 0.05, n_per), 0, 1),
                    "ticket_count": rng.poisson(tickets, n_per),
                    "share_orders_app": np.clip(rng.normal(app, 0.05, n_per), 0, 1),
                    "web_session_count": rng.poisson(10, n_per),
                }
            )
        )
    no_purchase = pd.DataFrame(
        {
            "segment_id": 0,
            "order_count": 0,
            "avg_order_value": np.nan,
            "total_revenue": 0.0,
            "days_since_last_order": np.nan,
            "tenure_days": np.nan,
            "discount_share_of_revenue": np.nan,
            "ticket_count": rng.poisson(0.1, 60),
            "share_orders_app": np.nan,
            "web_session_count": rng.poisson(3, 60),
        }
    )
    return pd.concat([*frames, no_purchase], ignore_index=True)


def _profiles(customers: pd.DataFrame) -> pd.DataFrame:
    """Profiles as the SQL model computes them: buyers are the reference population."""
    buyers = reference_profiles(customers[customers["segment_id"] != 0], "segment_id", FEATURES)
    everyone = reference_profiles(customers, "segment_id", FEATURES)
    reference = buyers.drop_duplicates("feature").set_index("feature")
    zero = everyone[everyone["segment_id"] == 0].copy()
    zero["overall_mean"] = zero["feature"].map(reference["overall_mean"])
    zero["overall_std"] = zero["feature"].map(reference["overall_std"])
    zero["z_score"] = (zero["segment_mean"] - zero["overall_mean"]) / zero["overall_std"]
    return pd.concat([zero, buyers], ignore_index=True)


def _named(
    profiles: pd.DataFrame,
    overrides: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``name_mart_segments`` with the shipped playbook; merges resolved from ``overrides``."""
    overrides = overrides if overrides is not None else seed("segment_overrides")
    return name_mart_segments(
        profiles,
        overrides=overrides,
        merges=resolve_merges(overrides),
        playbook=seed("segment_playbook"),
        rules=rules,
    ).segments


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return _customers()


@pytest.fixture(scope="module")
def profiles(customers: pd.DataFrame) -> pd.DataFrame:
    return _profiles(customers)


# ---------------------------------------------------------------------------------------------
# names, actions, rules
# ---------------------------------------------------------------------------------------------


def test_names_are_unique_deterministic_and_cover_segment_zero(profiles: pd.DataFrame) -> None:
    named = _named(profiles)
    assert list(named.columns) == list(NAMED_COLUMNS)
    assert list(named["segment_id"]) == [0, 1, 2, 3]
    assert named["segment_name"].is_unique
    assert named["segment_description"].str.len().min() > 20
    assert named["recommended_action"].notna().all()
    zero = named.set_index("segment_id").loc[0]
    assert zero["segment_name"] == NO_PURCHASE_NAME
    assert zero["recommended_action"] == NO_PURCHASE_ACTION
    assert zero["rule_text"] == NO_PURCHASE_RULE
    # order features are undefined without an order: not quoted for segment 0
    assert "order_count" not in zero["distinguishing_features"]
    assert "orders on average" not in zero["segment_description"]
    shuffled = profiles.sample(frac=1.0, random_state=1)
    again = _named(shuffled)
    pd.testing.assert_frame_equal(named, again)


def test_overrides_replace_values_by_segment_id(profiles: pd.DataFrame) -> None:
    overrides = pd.DataFrame(
        {
            "segment_id": [1, 0, 9],
            "segment_name": ["VIP", None, "Ghost"],
            "segment_description": [None, None, None],
            "owner": ["crm", "growth", None],
            "recommended_action": [None, "welcome email", None],
            "merge_into_segment_id": [None, None, None],
        }
    )
    named = _named(profiles, overrides).set_index("segment_id")
    assert named.loc[1, "segment_name"] == "VIP"
    assert named.loc[1, "auto_segment_name"] != "VIP"
    assert named.loc[1, "owner"] == "crm"
    assert bool(named.loc[1, "is_overridden"])
    assert named.loc[0, "recommended_action"] == "welcome email"
    assert named.loc[0, "segment_name"] == NO_PURCHASE_NAME
    assert not bool(named.loc[2, "is_overridden"])
    assert "Ghost" not in set(named["segment_name"])  # unknown segment ids are ignored


def test_overrides_that_duplicate_a_name_fail(profiles: pd.DataFrame) -> None:
    overrides = pd.DataFrame({"segment_id": [1], "segment_name": [NO_PURCHASE_NAME]})
    with pytest.raises(ValueError, match="not unique"):
        _named(profiles, overrides)


def test_merged_profiles_name_the_surviving_segment(customers: pd.DataFrame) -> None:
    overrides = pd.DataFrame({"segment_id": [3], "merge_into_segment_id": [2]})
    # SQL (int_customer_segments_merged) moves the customers; the profiles follow
    merged = customers.assign(segment_id=customers["segment_id"].replace({3: 2}))
    result = name_mart_segments(
        _profiles(merged),
        overrides=overrides,
        merges=resolve_merges(overrides),
        playbook=seed("segment_playbook"),
    )
    assert list(result.segments["segment_id"]) == [0, 1, 2]
    assert result.unknown_segment_ids == ()
    stale = pd.DataFrame({"segment_id": [3], "merge_into_segment_id": [8]})
    with pytest.raises(ValueError, match="merge target"):
        _named(_profiles(merged), stale)


def test_segment_rules_describe_planted_segments(customers: pd.DataFrame) -> None:
    buyers = customers[customers["segment_id"] != 0].reset_index(drop=True)
    rules = segment_rules(buyers, buyers["segment_id"], FEATURES, max_rows=200, random_state=0)
    assert list(rules.columns) == list(RULE_COLUMNS)
    assert list(rules["segment_id"]) == [1, 2, 3]
    assert (rules["rule_sample_rows"] == 200).all()
    assert rules["rule_text"].str.len().min() > 0
    assert (rules["rule_coverage"] > 0.7).all()
    assert segment_rules(buyers.iloc[:0], [], FEATURES, max_rows=200).empty


# ---------------------------------------------------------------------------------------------
# the chart set
# ---------------------------------------------------------------------------------------------


def _plot_inputs(profiles: pd.DataFrame, customers: pd.DataFrame, dendrogram: bool):
    buyers = customers[customers["segment_id"] != 0].reset_index(drop=True)
    x = buyers[["order_count", "avg_order_value", "days_since_last_order", "tenure_days"]]
    x = ((x - x.mean()) / x.std()).to_numpy()
    sizes = customers.groupby("segment_id").agg(
        customer_count=("order_count", "size"), total_revenue=("total_revenue", "sum")
    )
    segments = sizes.reset_index().assign(
        segment_name=lambda f: [f"Segment {s}" for s in f["segment_id"]]
    )
    selection = pd.DataFrame(
        {
            "algorithm": ["kmeans", "kmeans", "agglomerative"],
            "n_clusters": [2, 3, 3],
            "silhouette": [0.3, 0.4, 0.35],
            "inertia": [100.0, 60.0, None],
            "is_selected": [False, True, False],
        }
    )
    return PlotInputs(
        segments=segments,
        profiles=profiles,
        selection=selection,
        x_model=x,
        labels=buyers["segment_id"].to_numpy(),
        include_dendrogram=dendrogram,
        n_clusters=3,
        migrations=pd.DataFrame(
            {
                "run_number": [1, 1, 2, 2, 2],
                "from_segment_id": pd.array([None, None, 1, 1, 2], dtype="Int64"),
                "to_segment_id": pd.array([1, 2, 1, 2, None], dtype="Int64"),
                "customer_count": [50, 40, 45, 5, 40],
            }
        ),
        drift=pd.DataFrame(
            {
                "as_of_date": pd.to_datetime(["2026-09-01"] * 2 + ["2026-10-01"] * 2),
                "segment_id": [1, 2, 1, 2],
                "customer_share": [0.55, 0.45, 0.6, 0.4],
                "psi": [None, None, 0.01, 0.01],
            }
        ),
    )


def test_render_segment_plots_writes_every_chart_and_removes_stale_ones(
    tmp_path: Path, profiles: pd.DataFrame, customers: pd.DataFrame
) -> None:
    (tmp_path / "notes.txt").write_text("kept")
    charts = render_segment_plots(tmp_path, _plot_inputs(profiles, customers, True), max_rows=150)
    assert list(charts.columns) == list(PLOT_COLUMNS)
    assert list(charts["plot_name"]) == list(PLOT_TITLES)
    for row in charts.itertuples(index=False):
        data = (tmp_path / row.file_name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert hashlib.sha256(data).hexdigest() == row.sha256
        assert row.bytes == len(data)
    assert charts.set_index("plot_name").loc["silhouette", "rows_used"] == 150
    again = render_segment_plots(tmp_path, _plot_inputs(profiles, customers, False), max_rows=150)
    assert "dendrogram" not in set(again["plot_name"])
    assert not (tmp_path / "dendrogram.png").exists()
    assert (tmp_path / "notes.txt").exists()
    assert not list(tmp_path.glob(".*.tmp*"))
    # same inputs, same pictures
    first = charts.set_index("plot_name")["sha256"]
    second = again.set_index("plot_name")["sha256"]
    assert first["embedding_pca"] == second["embedding_pca"]


# ---------------------------------------------------------------------------------------------
# the docs catalog
# ---------------------------------------------------------------------------------------------


def _segments_frame(named: pd.DataFrame) -> pd.DataFrame:
    frame = named.copy()
    frame["model_version"] = 2
    frame["as_of_date"] = pd.Timestamp("2026-11-01")
    frame["customer_count"] = [60, 120, 120, 120]
    frame["customer_share"] = frame["customer_count"] / frame["customer_count"].sum()
    frame["revenue_share"] = [0.0, 0.6, 0.1, 0.3]
    frame["avg_order_value"] = [None, 90.0, 40.0, 35.5]
    frame["churn_rate"] = [None, 0.01, 0.8, 0.2]
    frame["is_stale"] = [False, False, True, False]
    frame["stale_reason"] = [None, None, "no customer ordered within the last 180 days", None]
    return frame


def test_render_catalog_lists_every_segment_with_rules_and_charts(profiles: pd.DataFrame) -> None:
    named = _named(profiles)
    named.loc[named["segment_id"] == 1, "segment_name"] = "A | {{ b }} <c>"
    plots = pd.DataFrame(
        {
            "plot_name": ["segment_sizes", "k_selection"],
            "file_path": ["docs/assets/segments/segment_sizes.png", "/tmp/elsewhere/k.png"],
            "title": ["Customers and revenue per segment", "Choosing k"],
        }
    )
    markdown = segment_catalog.render_catalog(_segments_frame(named), plots)
    assert markdown.startswith(segment_catalog.CATALOG_MARKER)
    for name in named["segment_name"].iloc[[0, 2, 3]]:
        assert f"### {name}" in markdown
    assert "A &#124; &#123;&#123; b &#125;&#125; &#60;c&#62;" in markdown
    assert "{{" not in markdown
    assert "> **Stale:** no customer ordered within the last 180 days." in markdown
    assert "`has_ordered = false`" in markdown
    assert (
        "![Customers and revenue per segment](docs/assets/segments/segment_sizes.png)" in markdown
    )
    assert "elsewhere" not in markdown  # outside the asset paths: not linked
    block = segment_catalog.docs_block(segment_catalog.CATALOG_DOC, markdown)
    assert block.startswith("{% docs segment_catalog %}\n")
    assert block.endswith("{% enddocs %}\n")


def test_render_catalog_without_segments() -> None:
    markdown = segment_catalog.render_catalog(pd.DataFrame())
    assert "No segments were built yet" in markdown


def test_write_catalog_writes_the_docs_block_and_the_markdown_beside_the_charts(
    profiles: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # like dbt: paths relative to the folder it runs in
    segments = _segments_frame(_named(profiles))
    plots = pd.DataFrame(
        {
            "plot_name": ["segment_sizes", "k_selection"],
            "file_path": ["docs/assets/segments/segment_sizes.png", "/tmp/elsewhere/k.png"],
            "title": ["Customers and revenue per segment", "Choosing k"],
        }
    )
    docs_file = Path("models/_generated__segment_docs.md")
    row = segment_catalog.write_catalog(
        segments, plots, docs_file, asset_paths=["docs/assets"], currency="€"
    )
    markdown = segment_catalog.render_catalog(
        segments, plots, asset_paths=["docs/assets"], currency="€"
    )
    text = (tmp_path / docs_file).read_text(encoding="utf-8")
    assert text == segment_catalog.docs_file_text(markdown)
    assert text.startswith("<!--") and "{% docs segment_catalog %}\n## Current segments" in text
    catalog = tmp_path / "docs" / "assets" / "segments" / "catalog.md"
    assert catalog.read_text(encoding="utf-8") == markdown
    assert row.to_dict("records") == [
        {
            "file_path": "models/_generated__segment_docs.md",
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "segment_count": len(segments),
            "chart_count": 1,  # the other chart is outside the asset paths
            "catalog_markdown": markdown,
        }
    ]


def test_project_asset_paths(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project.yml"
    project.write_text("name: x\nasset-paths: [docs/assets, more]\n", encoding="utf-8")
    assert segment_catalog.project_asset_paths(project) == ["docs/assets", "more"]
    project.write_text("name: x\n", encoding="utf-8")
    assert segment_catalog.project_asset_paths(project) == []


def test_docs_block_rejects_jinja_and_bad_names() -> None:
    with pytest.raises(ValueError):
        segment_catalog.docs_block("segment_catalog", "{{ oops }}")
    with pytest.raises(ValueError):
        segment_catalog.docs_block("bad name", "text")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("docs/assets/segments/a.png", "docs/assets/segments/a.png"),
        ("docs/assets", None),
        ("docs/other/a.png", None),
        ("/abs/docs/assets/a.png", None),
        ("docs/assets/../x.png", None),
    ],
)
def test_docs_link(path: str, expected: str | None) -> None:
    assert segment_catalog.docs_link(path, ["docs/assets"]) == expected


def test_write_text_only_rewrites_on_change(tmp_path: Path) -> None:
    path = tmp_path / "a" / "catalog.md"
    assert segment_catalog.write_text(path, "x\n")
    assert not segment_catalog.write_text(path, "x\n")
    assert segment_catalog.write_text(path, "y\n")
    assert path.read_text() == "y\n"


def test_noise_is_named_outliers_and_gets_no_rule(customers: pd.DataFrame) -> None:
    with_noise = customers.copy()
    with_noise.loc[with_noise.index[:15], "segment_id"] = -1
    buyers = with_noise[with_noise["segment_id"] != 0].reset_index(drop=True)
    rules = segment_rules(buyers, buyers["segment_id"], FEATURES, max_rows=300)
    named = _named(_profiles(with_noise), rules=rules)
    by_id = named.set_index("segment_id")
    assert list(named["segment_id"]) == [-1, 0, 1, 2, 3]
    assert by_id.loc[-1, "segment_name"] == "Outliers"
    assert pd.isna(by_id.loc[-1, "rule_text"])
    assert named["segment_name"].is_unique
