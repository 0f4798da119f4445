"""End-to-end: the segment models on generated worlds with planted personas (issue #5).

One world of 3,000 customers (clean data) is built once (the segment models and everything
upstream of them); copies of its warehouse after that first build are then rebuilt four
ways: re-scored and refitted on the same data, refitted after 5% more customers arrived,
built at an earlier as-of date, and refitted after the feature list changed. A smaller world
is built three times up to the drift report, to show that drift above var `psi_warn` makes
the next build refit.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import World, build_world, generate, run_dbt

SEED = 5
CUSTOMERS = 3_000
GROWN_CUSTOMERS = 3_150  # 5% more; with a fixed chunk size the first 3,000 stay identical
CHUNK = ("--no-dirt", "--chunk-size", "3000")
EARLIER_AS_OF = date(2026, 6, 1)
# The default features (macro segment_features) with open_rate swapped for click_rate: the
# previous model's open_rate is no longer in int_segment_features.
SWAPPED_FEATURES = {
    "order_count": "log1p",
    "days_since_last_order": "log1p",
    "tenure_days": "log1p",
    "avg_order_value": "log1p",
    "discount_share_of_orders": "none",
    "return_rate": "none",
    "share_orders_app": "none",
    "share_orders_marketplace": "none",
    "web_session_count": "log1p",
    "abandoned_cart_count": "log1p",
    "ticket_count": "log1p",
    "click_rate": "none",
}
SEGMENT_MODELS = [
    "int_segment_feature_config",
    "int_segment_features",
    "int_segment_model_versions",
    "int_customer_segments_assigned",
    "rpt_segment_model_selection",
    "int_segment_centroids",
    "int_segment_preprocessing",
]
# Only the segment models (and what they read), with the tests that touch nothing else, so
# other marts built on top of them neither slow these tests down nor make them fail.
CAUTIOUS = ["--indirect-selection", "cautious"]
WITH_UPSTREAM = ["--select", *(f"+{name}" for name in SEGMENT_MODELS), *CAUTIOUS]
SEGMENTS_ONLY = ["--select", *SEGMENT_MODELS, *CAUTIOUS]
# Two runs 14 days apart (fewer than var refit_after_days), so only drift can refit.
DRIFT_RUNS = (date(2026, 9, 1), date(2026, 9, 15))
DRIFT_VARS = {"psi_warn": 0, "algorithms": ["kmeans"], "segment_k_max": 6}
UP_TO_DRIFT = ["--select", "+rpt_segment_drift", "--exclude-resource-type", "test", "unit_test"]


@dataclass(frozen=True)
class Snapshot:
    """The segment outputs of one build."""

    segments: pd.DataFrame
    versions: pd.DataFrame
    features: pd.DataFrame
    as_of_date: date
    test_status: dict[str, str]
    # tables named like dbt's intermediates (`<model>__dbt_tmp...`) left in the warehouse
    leftover_tables: list[str]


def take_snapshot(db_path: Path, work_dir: Path) -> Snapshot:
    with duckdb.connect(str(db_path), read_only=True) as con:
        segments = con.sql(
            "select customer_id, segment_id, model_version, algorithm "
            "from intermediate.int_customer_segments_assigned order by customer_id"
        ).df()
        versions = con.sql(
            "select model_version, trained_as_of_date, algorithm, n_clusters, refit_reasons, "
            "model_json from intermediate.int_segment_model_versions order by model_version"
        ).df()
        features = con.sql(
            "select * exclude (as_of_date) from intermediate.int_segment_features "
            "order by customer_id"
        ).df()
        as_of_date = con.sql("select as_of_date from intermediate.int_as_of_date").fetchall()[0][0]
        leftover_tables = [
            f"{schema}.{name}"
            for schema, name in con.sql(
                "select schema_name, table_name from duckdb_tables() "
                "where table_name like '%\\_\\_dbt\\_tmp%' escape '\\' order by 1, 2"
            ).fetchall()
        ]
    results = json.loads((work_dir / "target" / "run_results.json").read_text())
    status = {r["unique_id"].split(".")[2]: r["status"] for r in results["results"]}
    return Snapshot(segments, versions, features, as_of_date, status, leftover_tables)


@dataclass(frozen=True)
class SegmentWorld:
    world: World
    first: Snapshot
    pristine_db: Path


@pytest.fixture(scope="session")
def segment_world(tmp_path_factory: pytest.TempPathFactory) -> SegmentWorld:
    """3,000 clean customers, whole project built once; a copy of the warehouse is kept."""
    base = tmp_path_factory.mktemp("segment_world")
    world, pristine = build_world(base, CUSTOMERS, SEED, ["build", *WITH_UPSTREAM], *CHUNK)
    return SegmentWorld(world, take_snapshot(world.db_path, base), pristine)


def rebuild_copy(segment_world: SegmentWorld, base: Path, raw: Path, args: list[str]) -> Snapshot:
    db_path = base / "warehouse.duckdb"
    shutil.copyfile(segment_world.pristine_db, db_path)
    run_dbt(args, raw_dir=raw, db_path=db_path, work_dir=base)
    return take_snapshot(db_path, base)


@pytest.fixture(scope="session")
def rebuilt(segment_world: SegmentWorld, tmp_path_factory) -> tuple[Snapshot, Snapshot]:
    """Same data again: a plain build with --full-refresh (re-score), then `refit: true`."""
    base = tmp_path_factory.mktemp("rebuilt")
    raw = segment_world.world.raw_dir
    rescored = rebuild_copy(segment_world, base, raw, ["build", *SEGMENTS_ONLY, "--full-refresh"])
    db_path = base / "warehouse.duckdb"
    run_dbt(
        ["build", *SEGMENTS_ONLY, "--vars", "{refit: true}"],
        raw_dir=raw,
        db_path=db_path,
        work_dir=base,
    )
    return rescored, take_snapshot(db_path, base)


@pytest.fixture(scope="session")
def grown(segment_world: SegmentWorld, tmp_path_factory) -> Snapshot:
    """The same world with 5% more customers, refitted over the first build's model."""
    base = tmp_path_factory.mktemp("grown")
    raw = base / "raw"
    generate(raw, GROWN_CUSTOMERS, SEED, *CHUNK)
    return rebuild_copy(
        segment_world, base, raw, ["build", *WITH_UPSTREAM, "--vars", "{refit: true}"]
    )


@pytest.fixture(scope="session")
def earlier(segment_world: SegmentWorld, tmp_path_factory) -> Snapshot:
    """The same world built at an as-of date before the first model's."""
    base = tmp_path_factory.mktemp("earlier")
    args = ["build", *WITH_UPSTREAM, "--vars", f"{{as_of_date: '{EARLIER_AS_OF}'}}"]
    return rebuild_copy(segment_world, base, segment_world.world.raw_dir, args)


@pytest.fixture(scope="session")
def refeatured(segment_world: SegmentWorld, tmp_path_factory) -> tuple[Snapshot, pd.DataFrame]:
    """The first build's warehouse rebuilt with another feature list (forces a refit)."""
    base = tmp_path_factory.mktemp("refeatured")
    args = ["build", *SEGMENTS_ONLY, "--vars", json.dumps({"segment_features": SWAPPED_FEATURES})]
    snapshot = rebuild_copy(segment_world, base, segment_world.world.raw_dir, args)
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as con:
        matching = con.sql(
            "select model_version, features_json, segment_id_matching, segment_ids_json "
            "from intermediate.int_segment_model_versions order by model_version"
        ).df()
    return snapshot, matching


@dataclass(frozen=True)
class DriftBuilds:
    """The registry after each of three builds, and what the last build read and wrote."""

    versions: list[pd.DataFrame]
    drift_before_last: pd.DataFrame
    signals_read_by_last: pd.DataFrame


@pytest.fixture(scope="session")
def drift_builds(tmp_path_factory: pytest.TempPathFactory) -> DriftBuilds:
    """1,500 customers built up to the drift report: at the first run, the second, the second.

    With var `psi_warn` 0 any change of the segment shares between the two runs is drift.
    """
    base = tmp_path_factory.mktemp("drift")
    raw = base / "raw"
    generate(raw, 1_500, SEED, *CHUNK)
    db_path = base / "warehouse.duckdb"
    versions, drift = [], pd.DataFrame()
    for as_of_date in (DRIFT_RUNS[0], DRIFT_RUNS[1], DRIFT_RUNS[1]):
        with_date = json.dumps(DRIFT_VARS | {"as_of_date": as_of_date.isoformat()})
        run_dbt(
            ["build", *UP_TO_DRIFT, "--vars", with_date],
            raw_dir=raw,
            db_path=db_path,
            work_dir=base,
        )
        with duckdb.connect(str(db_path), read_only=True) as con:
            signals = con.sql("select * from intermediate.int_segment_refit_signals").df()
            versions.append(
                con.sql(
                    "select model_version, trained_as_of_date, refit_reasons "
                    "from intermediate.int_segment_model_versions order by model_version"
                ).df()
            )
            if len(versions) == 2:
                drift = con.sql(
                    "select distinct as_of_date, model_version, psi, is_refit_recommended "
                    "from marts.rpt_segment_drift order by as_of_date"
                ).df()
    return DriftBuilds(versions, drift, signals)


def test_drift_above_psi_warn_makes_the_next_build_refit(drift_builds: DriftBuilds) -> None:
    first, second, third = drift_builds.versions
    # the first build fits; the second re-scores (model 14 days old, no drift report yet)
    assert first["model_version"].tolist() == second["model_version"].tolist() == [1]
    # the second build's drift report: the shares moved under the same model version
    latest = drift_builds.drift_before_last.iloc[-1]
    assert latest["as_of_date"].date() == DRIFT_RUNS[1] and latest["model_version"] == 1
    assert latest["psi"] > 0 and bool(latest["is_refit_recommended"])
    # the third build read that verdict as state from the previous build, and refitted
    signals = drift_builds.signals_read_by_last
    assert signals.to_dict("records") == [{"model_version": 1, "is_refit_recommended": True}]
    assert third["model_version"].tolist() == [1, 2]
    assert third["refit_reasons"].iloc[1] == "the previous build's drift report recommends a refit"
    assert third["trained_as_of_date"].iloc[1].date() == DRIFT_RUNS[1]


def test_selected_model_recovers_planted_personas(segment_world: SegmentWorld) -> None:
    truth = pd.read_csv(segment_world.world.truth_dir / "customers.csv", dtype=str)
    joined = segment_world.first.segments.merge(truth, on="customer_id", how="left")
    assert joined["persona"].notna().all()
    assert "prospect" not in set(joined["persona"])  # no completed order, not clustered
    ari = adjusted_rand_score(joined["persona"], joined["segment_id"])
    assert ari >= 0.8, f"adjusted Rand index {ari:.3f} against the planted personas"


def test_first_build_fits_one_version_and_scores_everyone(segment_world: SegmentWorld) -> None:
    first = segment_world.first
    assert first.versions["model_version"].tolist() == [1]
    assert first.versions["refit_reasons"].tolist() == ["no model exists yet"]
    assert len(first.segments) == len(first.features)
    assert (first.segments["model_version"] == 1).all()


def test_sql_scoring_agrees_with_python(segment_world: SegmentWorld) -> None:
    """The singular test ran against a nearest-centroid model, so it really compared."""
    first = segment_world.first
    assert first.versions["algorithm"].iloc[0] in ("kmeans", "agglomerative")
    assert first.test_status["assert_sql_scoring_agrees_with_python"] == "pass"


def test_rescore_keeps_one_version_and_the_assignments(
    segment_world: SegmentWorld, rebuilt: tuple[Snapshot, Snapshot]
) -> None:
    rescored, _ = rebuilt
    assert rescored.versions["model_version"].tolist() == [1]  # --full-refresh kept it too
    pd.testing.assert_frame_equal(rescored.segments, segment_world.first.segments)


def test_incremental_builds_leave_no_intermediate_tables(
    segment_world: SegmentWorld, rebuilt: tuple[Snapshot, Snapshot]
) -> None:
    """dbt-duckdb leaves `main.<model>__dbt_tmp<ts>` after an incremental Python model; the
    on-run-end hook `drop_leftover_temp_tables` removes them (two per build without it)."""
    rescored, refitted = rebuilt
    assert segment_world.first.leftover_tables == []
    assert rescored.leftover_tables == []
    assert refitted.leftover_tables == []


def test_refit_on_the_same_data_gives_identical_assignments(
    segment_world: SegmentWorld, rebuilt: tuple[Snapshot, Snapshot]
) -> None:
    _, refitted = rebuilt
    versions = refitted.versions
    assert versions["model_version"].tolist() == [1, 2]
    assert versions["refit_reasons"].iloc[1] == "var refit is true"
    first_model, second_model = (json.loads(m) for m in versions["model_json"])
    assert second_model["cluster_model"] == first_model["cluster_model"]
    assert second_model["segment_ids"] == first_model["segment_ids"]
    expected = segment_world.first.segments.assign(model_version=2)
    pd.testing.assert_frame_equal(refitted.segments, expected)


def test_refit_after_five_percent_new_customers_keeps_segment_ids(
    segment_world: SegmentWorld, grown: Snapshot
) -> None:
    first = segment_world.first
    assert grown.as_of_date == first.as_of_date
    existing = grown.features[grown.features["customer_id"].isin(first.features["customer_id"])]
    # the premise: existing customers look exactly as before
    pd.testing.assert_frame_equal(existing.reset_index(drop=True), first.features)
    new_share = 1 - len(existing) / len(grown.features)
    assert 0.03 <= new_share <= 0.07

    assert grown.versions["model_version"].tolist() == [1, 2]
    assert (grown.segments["model_version"] == 2).all()
    both = first.segments.merge(grown.segments, on="customer_id", suffixes=("_before", "_after"))
    assert len(both) == len(first.segments)
    kept = (both["segment_id_before"] == both["segment_id_after"]).mean()
    assert kept >= 0.95, f"only {kept:.1%} of existing customers kept their segment_id"


def test_earlier_as_of_date_does_not_use_a_later_model(
    segment_world: SegmentWorld, earlier: Snapshot
) -> None:
    assert earlier.as_of_date == EARLIER_AS_OF
    versions = earlier.versions.set_index("model_version")
    assert versions.loc[1, "trained_as_of_date"].date() == segment_world.first.as_of_date
    assert versions.loc[2, "trained_as_of_date"].date() == EARLIER_AS_OF
    assert "trained after the as-of date" in versions.loc[2, "refit_reasons"]
    assert (earlier.segments["model_version"] == 2).all()
    point_in_time_test = "assert_int_customer_segments_assigned_model_not_trained_after_as_of_date"
    assert earlier.test_status[point_in_time_test] == "pass"


def test_refit_after_a_feature_change_keeps_segment_ids(
    segment_world: SegmentWorld, refeatured: tuple[Snapshot, pd.DataFrame]
) -> None:
    """Issue #5: a changed feature list refits, and persisting segments keep their ids.

    The previous model re-scores the fit sample with its own features (open_rate read from
    dim_customers) and the clusters are matched by overlap. Measured on this world: 7
    segments before and after, all 7 ids kept, 99.3% of customers keep their segment_id.
    """
    first = segment_world.first
    snapshot, matching = refeatured
    assert snapshot.versions["model_version"].tolist() == [1, 2]
    assert "(features)" in snapshot.versions["refit_reasons"].iloc[1]
    assert json.loads(matching["features_json"].iloc[1]) == list(SWAPPED_FEATURES)
    assert matching["segment_id_matching"].iloc[1] == "previous_model_rescored"
    assert (snapshot.segments["model_version"] == 2).all()

    both = first.segments.merge(snapshot.segments, on="customer_id", suffixes=("_v1", "_v2"))
    assert len(both) == len(first.segments) == len(snapshot.segments)
    kept = (both["segment_id_v1"] == both["segment_id_v2"]).mean()
    assert kept >= 0.95, f"only {kept:.1%} of customers kept their segment_id"
    # the personas persist, so the new version's ids are the previous ones (none new)
    previous_ids = {v for _, v in json.loads(matching["segment_ids_json"].iloc[0])}
    new_ids = {v for _, v in json.loads(matching["segment_ids_json"].iloc[1])}
    assert new_ids <= previous_ids
    assert set(snapshot.segments["segment_id"]) <= previous_ids
