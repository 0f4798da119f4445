"""End-to-end: linting leaves the artefacts of a build valid, and the docs show the catalog.

CI never runs `make build`, so this test does what a developer does, in a copy of the project
on a tiny generated world: `dbt build`, a plain `dbt docs generate`, then the lint commands
exactly as `make lint` runs them (`scripts/lint.sh`, the one definition). Then `target/`
must be as the build and the docs left it (the lint step once rewrote
`target/manifest.json` and `semantic_manifest.json` for its `lint` target, and `mf query`
failed on `lint.marts.dim_customers`), `mf query` must answer from it, and `dim_segments`'
description must carry the catalog of the segments this build made, which the build wrote
into the docs file (model `rpt_segment_catalog`) without any environment variable.

The lint step checks one SQL file instead of all: sqlfluff's dbt templater compiles the whole
project either way (that is what could write to `target/`), and the full list takes minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, PLACEHOLDER_CATALOG, REPO, copy_project, dbt_env, generate
from custseg.segment_marts import catalog as segment_catalog

CUSTOMERS = 300
SEED = 3
LINTED_SQL = "models/marts/segments/dim_segments.sql"
METRIC = "revenue"  # defined in models/marts/metrics/_metrics__metrics.yml
# Variables that would send the copy's outputs elsewhere: unset, the copy writes its own
# target/ (where `mf` reads), chart folder, catalog docs file and lint DuckDB file.
PROJECT_OUTPUTS = (
    "DBT_TARGET_PATH",
    "DBT_ENGINE_TARGET_PATH",
    "SEGMENT_PLOTS_DIR",
    "SEGMENT_CATALOG_FILE",
    "SEGMENTS_LINT_DB_PATH",
    "SEGMENTS_TARGET",
)


def run(args: list[str], project: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
        )
    return result


def fingerprint(target: Path) -> dict[str, tuple[int, str]]:
    """Modification time and SHA-256 of every file directly in `target/`."""
    return {
        path.name: (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
        for path in sorted(target.iterdir())
        if path.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The copy built and documented, its `target/` fingerprinted, then linted."""
    base = tmp_path_factory.mktemp("artefacts")
    raw = base / "raw"
    generate(raw, CUSTOMERS, SEED)
    project = copy_project(base / "project")
    env = dbt_env(raw, base / "warehouse.duckdb", base)
    for key in PROJECT_OUTPUTS:
        env.pop(key, None)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    run([str(BIN / "dbt"), "build"], project, env)
    run([str(BIN / "dbt"), "docs", "generate"], project, env)
    target = project / "target"
    before = fingerprint(target)
    lint = run([str(project / "scripts" / "lint.sh"), LINTED_SQL], project, env)
    with duckdb.connect(env["SEGMENTS_DB_PATH"], read_only=True) as con:
        names = [n for (n,) in con.sql("select segment_name from marts.dim_segments").fetchall()]
    return {
        "project": project,
        "env": env,
        "before": before,
        "after": fingerprint(target),
        "lint": lint,
        "segment_names": names,
    }


def test_lint_leaves_the_build_artefacts_alone(built: dict) -> None:
    before, after = built["before"], built["after"]
    assert {"manifest.json", "semantic_manifest.json", "catalog.json", "index.html"} <= set(before)
    assert after == before
    lint_target = built["project"] / "target" / "lint"
    assert (lint_target / "manifest.json").is_file()  # dbt parse and dbt-score used it
    assert "Project score" in built["lint"].stdout


def test_mf_query_answers_after_lint(built: dict) -> None:
    args = [str(BIN / "mf"), "query", "--metrics", METRIC, "--group-by", "metric_time__month"]
    result = run(args, built["project"], built["env"])
    output = result.stdout + result.stderr
    assert "ERROR" not in output, output[-3000:]
    header = re.search(rf"metric_time__month\s+{METRIC}", output)
    assert header, output[-3000:]
    rows = re.findall(r"^\d{4}-\d{2}-01T00:00:00\s+\S+", output[header.end() :], re.MULTILINE)
    assert rows, output[-3000:]


def test_docs_show_the_catalog_the_build_wrote(built: dict) -> None:
    project = built["project"]
    docs_file = project / segment_catalog.GENERATED_DOCS_FILE
    assert docs_file.read_text() != PLACEHOLDER_CATALOG
    manifest = json.loads((project / "target" / "manifest.json").read_text())
    description = manifest["nodes"]["model.customer_segments.dim_segments"]["description"]
    assert segment_catalog.CATALOG_MARKER in description
    assert "No segments were built yet" not in description
    assert built["segment_names"]
    for name in built["segment_names"]:
        assert segment_catalog.escape_markdown(name) in description, name


def test_the_committed_catalog_file_is_the_placeholder() -> None:
    """A fresh clone parses: the docs file holds the catalog of no segments, not a build's."""
    committed = subprocess.run(
        ["git", "show", f"HEAD:{segment_catalog.GENERATED_DOCS_FILE}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if committed.returncode != 0:
        pytest.skip(f"not a git checkout with the file committed: {committed.stderr.strip()}")
    assert committed.stdout == PLACEHOLDER_CATALOG
