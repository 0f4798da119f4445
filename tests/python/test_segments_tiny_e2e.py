"""End-to-end: a toy world of 3 customers builds, with the single-segment fallback.

Users point the project at toy files first. With fewer clustered customers than var
`segment_min_customers` the segment model is the documented single-segment fallback: the
whole `dbt build` passes and every customer gets a segment. Pointed at a real world
afterwards, the next build refits a real model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import World, generate, run_dbt

# The segment models, what they read, and their tests (as in test_segments_e2e.py).
SEGMENT_MODELS = [
    "int_segment_features",
    "int_segment_model_versions",
    "int_customer_segments_assigned",
    "rpt_segment_model_selection",
]
WITH_UPSTREAM = [
    "--select",
    *(f"+{name}" for name in SEGMENT_MODELS),
    "--indirect-selection",
    "cautious",
]


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """3 generated customers, the whole project built (run_dbt fails the test on an error)."""
    base = tmp_path_factory.mktemp("tiny_world")
    raw = base / "raw"
    truth = generate(raw, 3, 1)
    world = World(raw_dir=raw, truth_dir=truth, db_path=base / "warehouse.duckdb", work_dir=base)
    run_dbt(["build"], raw_dir=raw, db_path=world.db_path, work_dir=base)
    return world


def test_the_whole_build_passes(tiny_world: World) -> None:
    results = json.loads((tiny_world.work_dir / "target" / "run_results.json").read_text())
    statuses = {r["status"] for r in results["results"]}
    assert statuses <= {"success", "pass", "warn", "no-op"}, statuses
    log = (tiny_world.work_dir / "logs" / "dbt.log").read_text()
    assert "int_segment_model_versions: single-segment fallback: the fit sample has" in log


def test_every_customer_gets_a_segment(tiny_world: World) -> None:
    clustered = tiny_world.query("select count(*) from intermediate.int_segment_features")[0][0]
    assert clustered >= 1
    assigned = tiny_world.query(
        "select segment_id, algorithm, model_version, count(*) "
        "from intermediate.int_customer_segments_assigned group by all"
    )
    assert assigned == [(1, "single_segment", 1, clustered)]
    customers = tiny_world.query("select count(*) from marts.dim_customers")[0][0]
    in_marts = tiny_world.query(
        "select count(*), count(segment_id), count(distinct customer_id) "
        "from marts.dim_customer_segments"
    )[0]
    assert in_marts == (customers, customers, customers)


def test_the_fallback_is_explained(tiny_world: World) -> None:
    ((algorithm, n_clusters, note, sample_rows),) = tiny_world.query(
        "select algorithm, n_clusters, selection_note, n_sample_rows "
        "from intermediate.int_segment_model_versions"
    )
    assert (algorithm, n_clusters) == ("single_segment", 1)
    assert note.startswith(f"single-segment fallback: the fit sample has {sample_rows} customers")
    assert "var segment_min_customers" in note
    rows = tiny_world.query(
        "select algorithm, n_clusters, is_selected, is_eligible, ineligible_reason, "
        "silhouette, stability, composite_score from marts.rpt_segment_model_selection"
    )
    assert rows == [("single_segment", 1, True, False, note, None, None, None)]


def test_real_data_after_the_toy_files_refits(tiny_world: World, tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(raw, 600, 7)
    db_path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(tiny_world.db_path, db_path)
    run_dbt(["build", *WITH_UPSTREAM], raw_dir=raw, db_path=db_path, work_dir=tmp_path)
    grown = World(raw_dir=raw, truth_dir=raw, db_path=db_path, work_dir=tmp_path)
    versions = grown.query(
        "select model_version, algorithm, refit_reasons "
        "from intermediate.int_segment_model_versions order by model_version"
    )
    assert [v[1] for v in versions][0] == "single_segment"
    assert len(versions) == 2 and versions[1][1] != "single_segment"
    assert "is the single-segment fallback fitted on" in versions[1][2]
    segments = grown.query(
        "select count(distinct segment_id) from intermediate.int_customer_segments_assigned"
    )
    assert segments[0][0] >= 2
