"""Tests of the segment-mart glue: merges, names, rules, plots, atomic files, the catalog.

Pure functions on synthetic data; the end-to-end checks on a built warehouse are in
``test_segment_marts_e2e.py``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custseg import segment_docs, segment_marts
from custseg.naming import default_playbook
from custseg.profiling import segment_feature_profiles

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
    buyers = segment_feature_profiles(
        customers[customers["segment_id"] != 0], "segment_id", FEATURES
    )
    everyone = segment_feature_profiles(customers, "segment_id", FEATURES)
    reference = buyers.drop_duplicates("feature").set_index("feature")
    zero = everyone[everyone["segment_id"] == 0].copy()
    zero["overall_mean"] = zero["feature"].map(reference["overall_mean"])
    zero["overall_std"] = zero["feature"].map(reference["overall_std"])
    zero["z_score"] = (zero["segment_mean"] - zero["overall_mean"]) / zero["overall_std"]
    return pd.concat([zero, buyers], ignore_index=True)


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return _customers()


@pytest.fixture(scope="module")
def profiles(customers: pd.DataFrame) -> pd.DataFrame:
    return _profiles(customers)


# ---------------------------------------------------------------------------------------------
# merges
# ---------------------------------------------------------------------------------------------


def test_resolve_merges_follows_chains() -> None:
    seed = pd.DataFrame({"segment_id": [3, 5, 1], "merge_into_segment_id": [5, 7, None]})
    merges = segment_marts.resolve_merges(seed)
    assert list(merges.columns) == list(segment_marts.MERGE_COLUMNS)
    assert segment_marts.merge_dict(merges) == {3: 7, 5: 7}


def test_resolve_merges_of_the_shipped_seed_is_empty() -> None:
    seed = pd.read_csv(Path(__file__).resolve().parents[2] / "seeds" / "segment_overrides.csv")
    assert list(seed.columns) == [
        "segment_id",
        "segment_name",
        "segment_description",
        "owner",
        "recommended_action",
        "merge_into_segment_id",
    ]
    assert len(seed) <= 1
    assert segment_marts.resolve_merges(seed).empty
    assert segment_marts.resolve_merges(pd.DataFrame()).empty


@pytest.mark.parametrize(
    ("segment_ids", "targets", "message"),
    [
        ([3, 5], [5, 3], "cycle"),
        ([3], [3], "itself"),
        ([0], [2], "rule-based"),
        ([2], [0], "rule-based"),
    ],
)
def test_resolve_merges_rejects_bad_seeds(segment_ids, targets, message) -> None:
    seed = pd.DataFrame({"segment_id": segment_ids, "merge_into_segment_id": targets})
    with pytest.raises(ValueError, match=message):
        segment_marts.resolve_merges(seed)


# ---------------------------------------------------------------------------------------------
# names, actions, rules
# ---------------------------------------------------------------------------------------------


def test_names_are_unique_deterministic_and_cover_segment_zero(profiles: pd.DataFrame) -> None:
    named = segment_marts.name_mart_segments(profiles, playbook=default_playbook())
    assert list(named.columns) == list(segment_marts.NAMED_COLUMNS)
    assert list(named["segment_id"]) == [0, 1, 2, 3]
    assert named["segment_name"].is_unique
    assert named["segment_description"].str.len().min() > 20
    assert named["recommended_action"].notna().all()
    zero = named.set_index("segment_id").loc[0]
    assert zero["segment_name"] == segment_marts.NO_PURCHASE_NAME
    assert zero["recommended_action"] == segment_marts.NO_PURCHASE_ACTION
    assert zero["rule_text"] == segment_marts.NO_PURCHASE_RULE
    # order features are undefined without an order: not quoted for segment 0
    assert "order_count" not in zero["distinguishing_features"]
    assert "orders on average" not in zero["segment_description"]
    shuffled = profiles.sample(frac=1.0, random_state=1)
    again = segment_marts.name_mart_segments(shuffled, playbook=default_playbook())
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
    named = segment_marts.name_mart_segments(profiles, overrides=overrides).set_index("segment_id")
    assert named.loc[1, "segment_name"] == "VIP"
    assert named.loc[1, "auto_segment_name"] != "VIP"
    assert named.loc[1, "owner"] == "crm"
    assert bool(named.loc[1, "is_overridden"])
    assert named.loc[0, "recommended_action"] == "welcome email"
    assert named.loc[0, "segment_name"] == segment_marts.NO_PURCHASE_NAME
    assert not bool(named.loc[2, "is_overridden"])
    assert "Ghost" not in set(named["segment_name"])  # unknown segment ids are ignored


def test_overrides_that_duplicate_a_name_fail(profiles: pd.DataFrame) -> None:
    overrides = pd.DataFrame({"segment_id": [1], "segment_name": [segment_marts.NO_PURCHASE_NAME]})
    with pytest.raises(ValueError, match="not unique"):
        segment_marts.name_mart_segments(profiles, overrides=overrides)


def test_merged_profiles_name_the_surviving_segment(customers: pd.DataFrame) -> None:
    seed = pd.DataFrame({"segment_id": [3], "merge_into_segment_id": [2]})
    merges = segment_marts.merge_dict(segment_marts.resolve_merges(seed))
    merged = customers.assign(
        segment_id=[merges.get(int(s), int(s)) for s in customers["segment_id"]]
    )
    named = segment_marts.name_mart_segments(_profiles(merged), overrides=seed)
    assert list(named["segment_id"]) == [0, 1, 2]
    bad = pd.DataFrame({"segment_id": [3], "merge_into_segment_id": [8]})
    with pytest.raises(ValueError, match="merge target"):
        segment_marts.name_mart_segments(_profiles(merged), overrides=bad)


def test_segment_rules_describe_planted_segments(customers: pd.DataFrame) -> None:
    buyers = customers[customers["segment_id"] != 0].reset_index(drop=True)
    rules = segment_marts.segment_rules(
        buyers, buyers["segment_id"], FEATURES, max_rows=200, random_state=0
    )
    assert list(rules.columns) == list(segment_marts.RULE_COLUMNS)
    assert list(rules["segment_id"]) == [1, 2, 3]
    assert (rules["rule_sample_rows"] == 200).all()
    assert rules["rule_text"].str.len().min() > 0
    assert (rules["rule_coverage"] > 0.7).all()
    assert segment_marts.segment_rules(buyers.iloc[:0], [], FEATURES).empty


def test_currency_symbol() -> None:
    assert segment_marts.currency_symbol("eur") == "€"
    assert segment_marts.currency_symbol("CHF") == "CHF "
    assert segment_marts.currency_symbol(None) == ""


# ---------------------------------------------------------------------------------------------
# plots and files
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
    return segment_marts.PlotInputs(
        segments=segments,
        profiles=profiles,
        selection=selection,
        x_model=x,
        labels=buyers["segment_id"].to_numpy(),
        include_dendrogram=dendrogram,
        n_clusters=3,
    )


def test_render_segment_plots_writes_every_chart_and_removes_stale_ones(
    tmp_path: Path, profiles: pd.DataFrame, customers: pd.DataFrame
) -> None:
    (tmp_path / "notes.txt").write_text("kept")
    charts = segment_marts.render_segment_plots(
        tmp_path, _plot_inputs(profiles, customers, True), max_rows=150
    )
    assert list(charts.columns) == list(segment_marts.PLOT_COLUMNS)
    assert list(charts["plot_name"]) == list(segment_marts.PLOT_TITLES)
    for row in charts.itertuples(index=False):
        data = (tmp_path / row.file_name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert hashlib.sha256(data).hexdigest() == row.sha256
        assert row.bytes == len(data)
    assert charts.set_index("plot_name").loc["silhouette", "rows_used"] == 150
    again = segment_marts.render_segment_plots(
        tmp_path, _plot_inputs(profiles, customers, False), max_rows=150
    )
    assert "dendrogram" not in set(again["plot_name"])
    assert not (tmp_path / "dendrogram.png").exists()
    assert (tmp_path / "notes.txt").exists()
    assert not list(tmp_path.glob(".*.tmp*"))
    # same inputs, same pictures
    first = charts.set_index("plot_name")["sha256"]
    second = again.set_index("plot_name")["sha256"]
    assert first["embedding_pca"] == second["embedding_pca"]


def test_write_atomically_replaces_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out" / "mart.parquet"
    size, digest = segment_marts.write_atomically(lambda p: Path(p).write_bytes(b"one"), target)
    assert target.read_bytes() == b"one"
    assert (size, digest) == (3, hashlib.sha256(b"one").hexdigest())

    def failing(path: str) -> None:
        Path(path).write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        segment_marts.write_atomically(failing, target)
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["mart.parquet"]


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
    named = segment_marts.name_mart_segments(profiles)
    named.loc[named["segment_id"] == 1, "segment_name"] = "A | {{ b }} <c>"
    plots = pd.DataFrame(
        {
            "plot_name": ["segment_sizes", "k_selection"],
            "file_path": ["docs/assets/segments/segment_sizes.png", "/tmp/elsewhere/k.png"],
            "title": ["Customers and revenue per segment", "Choosing k"],
        }
    )
    markdown = segment_docs.render_catalog(_segments_frame(named), plots)
    assert markdown.startswith(segment_docs.CATALOG_MARKER)
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
    block = segment_docs.docs_block(segment_docs.CATALOG_DOC, markdown)
    assert block.startswith("{% docs segment_catalog %}\n")
    assert block.endswith("{% enddocs %}\n")


def test_render_catalog_without_segments() -> None:
    markdown = segment_docs.render_catalog(pd.DataFrame())
    assert "No segments were built yet" in markdown


def test_write_catalog_writes_the_docs_block_and_the_markdown_beside_the_charts(
    profiles: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # like dbt: paths relative to the folder it runs in
    segments = _segments_frame(segment_marts.name_mart_segments(profiles))
    plots = pd.DataFrame(
        {
            "plot_name": ["segment_sizes", "k_selection"],
            "file_path": ["docs/assets/segments/segment_sizes.png", "/tmp/elsewhere/k.png"],
            "title": ["Customers and revenue per segment", "Choosing k"],
        }
    )
    docs_file = Path("models/_generated__segment_docs.md")
    row = segment_docs.write_catalog(
        segments, plots, docs_file, asset_paths=["docs/assets"], currency="€"
    )
    markdown = segment_docs.render_catalog(
        segments, plots, asset_paths=["docs/assets"], currency="€"
    )
    text = (tmp_path / docs_file).read_text(encoding="utf-8")
    assert text == segment_docs.docs_file_text(markdown)
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
    assert segment_docs.project_asset_paths(project) == ["docs/assets", "more"]
    project.write_text("name: x\n", encoding="utf-8")
    assert segment_docs.project_asset_paths(project) == []


def test_docs_block_rejects_jinja_and_bad_names() -> None:
    with pytest.raises(ValueError):
        segment_docs.docs_block("segment_catalog", "{{ oops }}")
    with pytest.raises(ValueError):
        segment_docs.docs_block("bad name", "text")


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
    assert segment_docs.docs_link(path, ["docs/assets"]) == expected


def test_formats() -> None:
    assert segment_docs.format_pct(0.1234) == "12%"
    assert segment_docs.format_pct(0.004) == "0.4%"
    assert segment_docs.format_pct(None) == "–"
    assert segment_docs.format_money(1_234_567, "€") == "€1.2M"
    assert segment_docs.format_money(12.5, "€") == "€12.50"
    assert segment_docs.code_span("a {b} `c`") == "`a &#123;b&#125; 'c'`"


def test_write_text_only_rewrites_on_change(tmp_path: Path) -> None:
    path = tmp_path / "a" / "catalog.md"
    assert segment_docs.write_text(path, "x\n")
    assert not segment_docs.write_text(path, "x\n")
    assert segment_docs.write_text(path, "y\n")
    assert path.read_text() == "y\n"


def test_noise_is_named_outliers_and_gets_no_rule(customers: pd.DataFrame) -> None:
    with_noise = customers.copy()
    with_noise.loc[with_noise.index[:15], "segment_id"] = -1
    buyers = with_noise[with_noise["segment_id"] != 0].reset_index(drop=True)
    rules = segment_marts.segment_rules(buyers, buyers["segment_id"], FEATURES, max_rows=300)
    named = segment_marts.name_mart_segments(_profiles(with_noise), rules=rules)
    by_id = named.set_index("segment_id")
    assert list(named["segment_id"]) == [-1, 0, 1, 2, 3]
    assert by_id.loc[-1, "segment_name"] == "Outliers"
    assert pd.isna(by_id.loc[-1, "rule_text"])
    assert named["segment_name"].is_unique
