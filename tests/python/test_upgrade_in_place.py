"""A warehouse built by the code before the renames of README "Changes" upgrades in place.

The project as it was at ``BEFORE_RENAMES`` (from this repository's history, with its own
Python package on PYTHONPATH) builds a small world twice: at a first as-of date, then a
month and a half later, which refits (`refit_after_days`) and keeps segment ids stable by
overlap. Today's project then builds the same data at the second as-of date into the SAME
warehouse file. The on-run-start hook `upgrade_renamed_relations` must carry the model
registry over to its new name, so the build re-scores with the stored model version 2
instead of fitting a new one, and every relation must hold exactly what the old build
left there: registry, segment history, segment ids, names (overrides), exports.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import duckdb
import pytest

from conftest import REPO, generate, run_dbt
from custseg.engine_diff import compare_frames
from custseg.warehouse_diff import compare_warehouses
from custseg.warehouse_renames import MOVED_RELATIONS, RENAMED_RELATIONS

# The last commit of main before the renames; its tables are what users have today.
BEFORE_RENAMES = "d07e9fe"
FIRST_AS_OF = "2026-09-01"
SECOND_AS_OF = "2026-10-15"
CUSTOMERS = 500
SEED = 23


def _checkout(commit: str, out: Path) -> Path:
    """The repository's tree at ``commit``, written into ``out`` (no .git needed there)."""
    found = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True
    )
    if found.returncode != 0:
        pytest.fail(
            f"commit {commit} is not in this clone's history; the upgrade test needs a full "
            "clone (git fetch --unshallow)"
        )
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(out, filter="data")
    return out


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("upgrade")
    raw = base / "raw"
    # One file per table (no dated drops): point-in-time versions of orders and tickets
    # (README "Point in time") need dates in file names, so on this layout the old and the
    # new code stage the same rows, and the comparison below stays exact.
    generate(raw, CUSTOMERS, SEED, "--layout", "flat")
    old_project = _checkout(BEFORE_RENAMES, base / "old_project")
    # the old models import the old package: it comes first on the path
    old_env = {"PYTHONPATH": str(old_project / "src")}
    db_path = base / "warehouse.duckdb"
    for as_of in (FIRST_AS_OF, SECOND_AS_OF):
        run_dbt(
            ["build", "--vars", f"{{as_of_date: '{as_of}'}}"],
            raw_dir=raw,
            db_path=db_path,
            work_dir=base / "old_work",
            project_dir=old_project,
            extra_env=old_env,
        )
    before = base / "before_upgrade.duckdb"
    shutil.copyfile(db_path, before)
    result = run_dbt(
        ["build", "--vars", f"{{as_of_date: '{SECOND_AS_OF}'}}"],
        raw_dir=raw,
        db_path=db_path,
        work_dir=base / "new_work",
    )
    return {"before": before, "after": db_path, "log": result.stdout, "base": base}


def test_the_old_build_refitted_once_with_stable_ids(upgraded) -> None:
    with duckdb.connect(str(upgraded["before"]), read_only=True) as con:
        versions = con.sql(
            "select model_version, segment_id_matching from marts.dim_segment_model_versions "
            "order by model_version"
        ).fetchall()
    # the fixture is what the test claims: two versions, the second matched to the first
    assert [version for version, _ in versions] == [1, 2]
    assert versions[1][1] == "previous_model_rescored"


def test_the_registry_is_carried_over_and_reused(upgraded) -> None:
    log = upgraded["log"]
    assert re.search(r"Upgrade: .*dim_segment_model_versions.* is copied", log)
    # the upgraded build re-scores with the old registry's version 2: nothing refits
    assert "re-scoring with stored model version 2" in log


def test_old_relations_are_gone(upgraded) -> None:
    with duckdb.connect(str(upgraded["after"]), read_only=True) as con:
        names = {row[0] for row in con.sql("select table_name from duckdb_tables()").fetchall()}
        names |= {row[0] for row in con.sql("select view_name from duckdb_views()").fetchall()}
    assert not set(RENAMED_RELATIONS) & names
    assert set(RENAMED_RELATIONS.values()) <= names
    with duckdb.connect(str(upgraded["after"]), read_only=True) as con:
        schemas = dict(
            con.sql(
                "select table_name, schema_name from duckdb_tables() "
                "where table_name in ? order by all",
                params=[list(MOVED_RELATIONS)],
            ).fetchall()
        )
    # moved relations (personal data) exist only in their new schema, no copy in `marts`
    assert schemas == {name: new for name, (_, new) in MOVED_RELATIONS.items()}


def test_every_relation_holds_what_the_old_build_left(upgraded) -> None:
    base = str(upgraded["base"])
    diff = compare_warehouses(
        str(upgraded["before"]),
        str(upgraded["after"]),
        renames=RENAMED_RELATIONS,
        # the two builds wrote their files into their own work folders
        ignored_columns=frozenset({"file_path"}),
        left_work_dir=base,
        right_work_dir=base,
    )
    # registry, segment history, assignments (segment ids), names and exports all compared
    for name in ("dim_segment_model_versions", "fct_segment_history", "fct_customer_segments"):
        assert name in diff.compared
    assert diff.only_left == []
    assert diff.column_mismatch == {}
    # Three relations may differ, each for a documented reason (README "Changes"):
    # - rpt_clv_backtest is fitted on histories counted in SQL and summed on the engine, and
    #   rpt_segment_drift sums its campaign costs beside the lift counts it now exposes: their
    #   floats equal the old ones within 1e-9 relative, not bit for bit;
    # - rpt_segment_plots draws two new charts (migration matrix, drift over time); the old
    #   charts' rows must be unchanged.
    # Every other relation is exact.
    assert set(diff.differing) <= {"rpt_clv_backtest", "rpt_segment_drift", "rpt_segment_plots"}
    for name in diff.differing:
        with (
            duckdb.connect(str(upgraded["before"]), read_only=True) as before,
            duckdb.connect(str(upgraded["after"]), read_only=True) as after,
        ):
            old, new = (con.table(f"marts.{name}").df() for con in (before, after))
        if name == "rpt_segment_plots":
            assert set(new["plot_name"]) - set(old["plot_name"]) == {
                "migration_matrix",
                "drift_over_time",
            }
            new = new[new["plot_name"].isin(old["plot_name"])].reset_index(drop=True)
        # columns added since (e.g. the lift counts) are new information, not a difference
        frames = compare_frames(name, old, new[old.columns], ignored_columns=["file_path"])
        assert frames.equal, frames.describe()


def test_the_upgrade_macro_and_the_python_list_agree() -> None:
    macro = (REPO / "macros" / "upgrade" / "upgrade_renamed_relations.sql").read_text()
    pairs = dict(re.findall(r"\('\w+', '(\w+)', '\w+', '(\w+)', (?:true|false)\)", macro))
    assert pairs == RENAMED_RELATIONS
    moves = re.findall(r"\('(\w+)', '(\w+)', '(\w+)'\)", macro)
    assert {name: (old, new) for old, name, new in moves} == MOVED_RELATIONS
