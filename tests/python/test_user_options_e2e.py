"""End-to-end: every clustering option and the overrides set as a user sets them (issue 16).

Vars go through `dbt build --vars` and overrides through seed `segment_overrides`, never
through the Python API. One world of 3,000 clean customers with planted personas is built
once (everything up to `dim_segments`, `dim_customer_segments` and `rpt_clv_backtest`); each
test copies that warehouse and rebuilds only what its option changes:

- each algorithm (kmeans, gmm, agglomerative, dbscan, hdbscan) and PCA: the segment models,
  refitted because the var changed (the refit reason names the var), with an adjusted Rand
  index floor against the personas (measured values and floors: docs block
  `segment_settings`, README "Clustering options");
- the classic BG/NBD (var `clv_model: bgnbd`): its backtest `rpt_clv_backtest`;
- overrides (a rename, a merge, an owner and an action) that survive a refit on the same
  world with 5% more customers: the same `segment_id`s, each keeping >= 95% of its customers.

Slow (10 to 14 minutes on 2 cores shared with other work; one build of the world, seven
rebuilds of the segment models, two of the marts): marked `user_options` and run by
`make test-user-options`, not by `make test` (pyproject `addopts` deselects the mark).
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from conftest import World, build_world, copy_project, generate, run_dbt
from test_segments_e2e import CAUTIOUS, CHUNK, CUSTOMERS, GROWN_CUSTOMERS, SEED, SEGMENT_MODELS

pytestmark = pytest.mark.user_options

MARTS = ["dim_segments", "dim_customer_segments"]
MARTS_BUILD = ["build", "--select", *(f"+{name}" for name in MARTS)]
FIRST_BUILD = [*MARTS_BUILD, "+rpt_clv_backtest"]
# The segment models only: what an option of the candidate search or preprocessing changes.
SEGMENTS_ONLY = ["build", "--select", *SEGMENT_MODELS, *CAUTIOUS]
# The overrides seed and the models between it and the two segment marts.
OVERRIDES_ONLY = ["build", "--select", *(f"segment_overrides+,+{n}" for n in MARTS), *CAUTIOUS]
PLANTED_SEGMENTS = 7  # personas with a completed order (prospects are segment 0)
DEFAULT_ALGORITHMS = ["kmeans", "gmm"]


@dataclass(frozen=True)
class OptionCase:
    """Vars a user sets, what the refit must say, and the adjusted Rand index floor."""

    vars: dict
    algorithm: str
    reasons: tuple[str, ...]
    floor: float


def _changed(var: str, before: object, after: object) -> str:
    return f"var {var} changed from {before!r} (model version 1) to {after!r}"


PCA_REASON = "the configured features or preprocessing differ from model version 1's"
# Measured on this world (adjusted Rand index against the personas, noise its own label):
# kmeans 0.933, gmm 0.885, agglomerative 0.934, dbscan 0.520, hdbscan 0.582, PCA 0.930. gmm
# and agglomerative choose 5 and 6 segments by themselves here (0.72, 0.75): pinned to the
# seven planted ones they reach the floor. DBSCAN needs its small clusters allowed and PCA
# (4 components); with its defaults no candidate passes the guards and the build says so.
OPTION_CASES = {
    "kmeans": OptionCase(
        {"algorithms": ["kmeans"]},
        "kmeans",
        (_changed("algorithms", DEFAULT_ALGORITHMS, ["kmeans"]),),
        0.85,
    ),
    "gmm": OptionCase(
        {"segment_algorithm": "gmm", "segment_n_clusters": PLANTED_SEGMENTS},
        "gmm",
        (
            _changed("segment_algorithm", None, "gmm"),
            _changed("segment_n_clusters", None, PLANTED_SEGMENTS),
        ),
        0.8,
    ),
    "agglomerative": OptionCase(
        {"algorithms": ["agglomerative"], "segment_n_clusters": PLANTED_SEGMENTS},
        "agglomerative",
        (
            _changed("algorithms", DEFAULT_ALGORITHMS, ["agglomerative"]),
            _changed("segment_n_clusters", None, PLANTED_SEGMENTS),
        ),
        0.85,
    ),
    "dbscan": OptionCase(
        {
            "algorithms": ["dbscan"],
            "segment_min_share": 0.001,
            "segment_preprocessing": {"pca_components": 4},
        },
        "dbscan",
        (f"{PCA_REASON} (pca_components)", _changed("algorithms", DEFAULT_ALGORITHMS, ["dbscan"])),
        0.45,
    ),
    "hdbscan": OptionCase(
        {"algorithms": ["hdbscan"]},
        "hdbscan",
        (_changed("algorithms", DEFAULT_ALGORITHMS, ["hdbscan"]),),
        0.5,
    ),
    "pca": OptionCase(
        {"segment_preprocessing": {"pca_components": 0.9}},
        "kmeans",
        (f"{PCA_REASON} (pca_components)",),
        0.85,
    ),
}


@dataclass(frozen=True)
class OptionsWorld:
    world: World
    pristine_db: Path
    personas: pd.DataFrame


@pytest.fixture(scope="module")
def options_world(tmp_path_factory: pytest.TempPathFactory) -> OptionsWorld:
    """3,000 clean customers, built once with the default vars; a copy of the warehouse."""
    base = tmp_path_factory.mktemp("options_world")
    world, pristine = build_world(base, CUSTOMERS, SEED, [*FIRST_BUILD, *CAUTIOUS], *CHUNK)
    truth = world.truth_dir / "customers.csv"
    personas = pd.read_csv(truth, dtype=str)[["customer_id", "persona"]]
    return OptionsWorld(world, pristine, personas)


def rebuild(
    options_world: OptionsWorld,
    work_dir: Path,
    args: list[str],
    *,
    raw_dir: Path | None = None,
    project_dir: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """Rebuild a copy of the first build's warehouse with ``args``; a read-only connection."""
    db_path = work_dir / "warehouse.duckdb"
    if not db_path.exists():
        shutil.copyfile(options_world.pristine_db, db_path)
    extra = {} if project_dir is None else {"project_dir": project_dir}
    run_dbt(
        args,
        raw_dir=raw_dir or options_world.world.raw_dir,
        db_path=db_path,
        work_dir=work_dir,
        **extra,
    )
    return duckdb.connect(str(db_path), read_only=True)


def with_vars(args: list[str], values: dict) -> list[str]:
    return [*args, "--vars", json.dumps(values)]


# --------------------------------------------------------------- algorithms and PCA by vars


@pytest.mark.parametrize("name", list(OPTION_CASES))
def test_option_set_by_var_refits_and_recovers_the_personas(
    options_world: OptionsWorld, tmp_path: Path, name: str
) -> None:
    case = OPTION_CASES[name]
    with rebuild(options_world, tmp_path, with_vars(SEGMENTS_ONLY, case.vars)) as con:
        versions = con.sql(
            "select model_version, algorithm, refit_reasons "
            "from intermediate.int_segment_model_versions order by model_version"
        ).df()
        segments = con.sql(
            "select customer_id, segment_id, model_version "
            "from intermediate.int_customer_segments_assigned"
        ).df()
    # the changed var alone refits (no `refit: true`), and the registry says why
    assert versions["model_version"].tolist() == [1, 2]
    latest = versions.iloc[-1]
    assert latest["refit_reasons"].split("; ") == list(case.reasons)
    assert latest["algorithm"] == case.algorithm
    assert (segments["model_version"] == 2).all()

    joined = segments.merge(options_world.personas, on="customer_id", how="left")
    assert joined["persona"].notna().all()
    ari = adjusted_rand_score(joined["persona"], joined["segment_id"])
    assert ari >= case.floor, f"{name}: adjusted Rand index {ari:.3f} < {case.floor}"


def test_classic_bgnbd_by_var_passes_its_backtest(
    options_world: OptionsWorld, tmp_path: Path
) -> None:
    """Var `clv_model: bgnbd` fits the classic BG/NBD; its holdout predictions hold up.

    Measured on this world: 11,310 predicted against 10,081 actual purchase days (+12%; the
    default MBG/NBD +12% too), and the top decile buys 75 times as often as the bottom one.
    """
    args = with_vars(["build", "--select", "rpt_clv_backtest"], {"clv_model": "bgnbd"})
    with rebuild(options_world, tmp_path, args) as con:
        backtest = con.sql("select * from marts.rpt_clv_backtest").df().set_index("backtest_group")
    assert set(backtest["clv_model"]) == {"bgnbd"}
    assert backtest["converged"].all()
    overall = backtest.loc["overall"]
    assert abs(overall["relative_error"]) <= 0.2, overall.to_dict()
    top, bottom = backtest.loc["decile_10"], backtest.loc["decile_01"]
    assert top["mean_actual_purchases"] >= 10 * bottom["mean_actual_purchases"]


# ----------------------------------------------------------------- overrides through a refit


@dataclass(frozen=True)
class Overrides:
    renamed: int
    merged_from: int
    merged_into: int
    owned: int


OWNER, ACTION, NAME = "crm-team", "Call within a week", "Our regulars"


def write_overrides(project: Path, overrides: Overrides) -> None:
    """Edit `seeds/segment_overrides.csv` as a user would (the shipped row for segment 0 kept)."""
    path = project / "seeds" / "segment_overrides.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    blank = dict.fromkeys(rows[0], "")
    rows += [
        blank | {"segment_id": overrides.renamed, "segment_name": NAME},
        blank
        | {"segment_id": overrides.merged_from, "merge_into_segment_id": overrides.merged_into},
        blank | {"segment_id": overrides.owned, "owner": OWNER, "recommended_action": ACTION},
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(blank))
        writer.writeheader()
        writer.writerows(rows)


@dataclass(frozen=True)
class OverrideBuild:
    segments: pd.DataFrame  # dim_segments
    customers: pd.DataFrame  # dim_customer_segments
    versions: list[int]
    merges: list[tuple[int, int]]


def read_override_build(con: duckdb.DuckDBPyConnection) -> OverrideBuild:
    segments = con.sql(
        "select segment_id, segment_name, owner, recommended_action, is_overridden "
        "from marts.dim_segments"
    ).df()
    customers = con.sql(
        "select customer_id, segment_id, model_segment_id, model_version, is_merged "
        "from marts.dim_customer_segments"
    ).df()
    versions = [
        row[0]
        for row in con.sql(
            "select model_version from intermediate.int_segment_model_versions order by 1"
        ).fetchall()
    ]
    merges = con.sql(
        "select from_segment_id, to_segment_id from intermediate.int_segment_merges_resolved"
    ).fetchall()
    return OverrideBuild(segments.set_index("segment_id"), customers, versions, merges)


@pytest.fixture(scope="module")
def overridden(
    options_world: OptionsWorld, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Overrides, OverrideBuild, OverrideBuild]:
    """Overrides written into a copy of the project after the first build, then the same world
    with 5% more customers refitted over them: the builds with the overrides, before and after.
    """
    base = tmp_path_factory.mktemp("overridden")
    with duckdb.connect(str(options_world.pristine_db), read_only=True) as con:
        by_size = [
            row[0]
            for row in con.sql(
                "select segment_id from marts.dim_segments where segment_id > 0 "
                "order by customer_count desc, segment_id"
            ).fetchall()
        ]
    # rename the largest, merge the smallest into the next smallest, own the second largest
    overrides = Overrides(by_size[0], by_size[-1], by_size[-2], by_size[1])
    project = copy_project(base / "project")
    write_overrides(project, overrides)
    with rebuild(options_world, base, OVERRIDES_ONLY, project_dir=project) as con:
        before = read_override_build(con)

    grown_raw = base / "grown_raw"
    generate(grown_raw, GROWN_CUSTOMERS, SEED, *CHUNK)
    refit = with_vars([*MARTS_BUILD, *CAUTIOUS], {"refit": True})
    with rebuild(options_world, base, refit, raw_dir=grown_raw, project_dir=project) as con:
        after = read_override_build(con)
    return overrides, before, after


def test_overrides_apply(overridden) -> None:
    overrides, before, _ = overridden
    assert before.versions == [1]
    check_overrides(overrides, before)


def test_overrides_survive_a_refit_after_five_percent_more_customers(overridden) -> None:
    """Issue 16: every override stays on its segment_id, which keeps >= 95% of its customers.

    Measured on this world: the renamed segment 1 and the owned segment 2 keep 100% of their
    customers, segment 6 with segment 7 merged into it 99.8%.
    """
    overrides, before, after = overridden
    assert after.versions == [1, 2]
    assert (after.customers["model_version"] == 2).all()
    new_customers = ~after.customers["customer_id"].isin(before.customers["customer_id"])
    assert 0.03 <= new_customers.mean() <= 0.07
    check_overrides(overrides, after)

    both = before.customers.merge(after.customers, on="customer_id", suffixes=("", "_after"))
    assert len(both) == len(before.customers)
    for segment_id in (overrides.renamed, overrides.merged_into, overrides.owned):
        members = both[both["segment_id"] == segment_id]
        kept = (members["segment_id_after"] == segment_id).mean()
        assert kept >= 0.95, f"segment {segment_id} kept only {kept:.1%} of its customers"


def check_overrides(overrides: Overrides, build: OverrideBuild) -> None:
    """Each override is on its segment_id in the marts, and the merge had customers to move."""
    segments = build.segments
    assert segments.loc[overrides.renamed, "segment_name"] == NAME
    owned = segments.loc[overrides.owned]
    assert (owned["owner"], owned["recommended_action"]) == (OWNER, ACTION)
    assert segments.loc[[overrides.renamed, overrides.owned], "is_overridden"].all()
    assert build.merges == [(overrides.merged_from, overrides.merged_into)]
    assert overrides.merged_from not in segments.index
    assert overrides.merged_from not in set(build.customers["segment_id"])
    moved = build.customers[build.customers["model_segment_id"] == overrides.merged_from]
    assert len(moved) > 0  # the model still has the merged-away segment: the merge did work
    assert (moved["segment_id"] == overrides.merged_into).all() and moved["is_merged"].all()
