"""The build `make build` ships: the embedded sample at several monthly as-of dates, then the
docs (issue 16, items 1 and 6).

One build per session, in a copy of the project (so the working tree is never touched): the
same command as `make build` (`scripts/backfill.py --shipped`, then `dbt docs generate`) on
`data/sample`, with the charts written into the copy's `docs/assets/segments/` as a fresh
clone has them. Then:

* every history, migration, drift and response column the feature audit of issue 16 found
  empty has values in the warehouse, and the last as-of date leaves one response window of
  data after it;
* the docs show the migration matrix and the drift over time;
* the charts committed for the README (`docs/assets/readme/`, `make readme-charts`) are byte
  for byte the ones this build draws (the charts are reproducible PNGs: fixed size, DPI,
  colours, no software version in the metadata), and the README shows each of them.
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, REPO, copy_project, dbt_env, project_vars
from custseg.segment_marts import catalog as segment_catalog

README_CHARTS = REPO / "docs" / "assets" / "readme"
PLOTS_DIR = "docs/assets/segments"


@dataclass(frozen=True)
class ShippedBuild:
    project: Path
    db_path: Path
    target: Path
    output: str

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.sql(sql).fetchall()


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> ShippedBuild:
    base = tmp_path_factory.mktemp("shipped_build")
    project = copy_project(base / "project")
    build = ShippedBuild(project, base / "segments.duckdb", base / "target", "")
    env = dbt_env(REPO / "data" / "sample", build.db_path, base) | {
        # as in a clone: charts inside the docs asset-paths, the catalog in its docs file
        "SEGMENT_PLOTS_DIR": PLOTS_DIR,
        "SEGMENT_CATALOG_FILE": str(segment_catalog.GENERATED_DOCS_FILE),
        "DBT_TARGET_PATH": str(build.target),
    }
    outputs = []
    for command in (["python", "scripts/backfill.py", "--shipped"], ["dbt", "docs", "generate"]):
        result = subprocess.run(
            [str(BIN / command[0]), *command[1:]],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
        )
        outputs.append(result.stdout)
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return ShippedBuild(project, build.db_path, build.target, "\n".join(outputs))


def test_history_has_several_runs_with_migrations(shipped: ShippedBuild) -> None:
    runs = shipped.query(
        "select count(distinct as_of_date), count(distinct model_version) "
        "from marts.fct_segment_history"
    )[0]
    assert runs[0] >= 3, runs
    assert runs[1] >= 2, "no refit between the runs: the centroid shift has nothing to compare"
    kinds = dict(
        shipped.query(
            "select migration_type, count(*) from marts.fct_segment_migrations group by 1"
        )
    )
    assert {"stayed", "moved", "entered"} <= set(kinds), kinds
    changed = shipped.query(
        "select count(previous_segment_id) from marts.dim_customer_segment_changes"
    )[0][0]
    assert changed > 0


@pytest.mark.parametrize(
    "column",
    [
        "psi",
        "centroid_shift",
        "run_changed_customer_share",
        "campaign_response_rate",
        "roas",
        "attributed_revenue",
        "purchase_rate_lift",
    ],
)
def test_drift_column_has_values(shipped: ShippedBuild, column: str) -> None:
    # is_stale itself is never null; whether a segment is stale depends on the data (none of
    # the sample's segments loses every active customer within three months)
    filled = shipped.query(f"select count({column}) from marts.rpt_segment_drift")[0][0]
    assert filled > 0, f"rpt_segment_drift.{column} is null in every row"


def test_every_run_but_the_last_has_a_response_window_inside_the_data(
    shipped: ShippedBuild,
) -> None:
    latest_order, latest_event = shipped.query(
        "select (select max(ordered_date) from staging.stg_shop__orders), "
        "(select cast(max(event_at) as date) from staging.stg_marketing__events)"
    )[0]
    data_end = min(latest_order, latest_event) + timedelta(days=1)
    windows = shipped.query(
        "select distinct as_of_date, response_window_end_date, is_latest_run, "
        "campaign_response_rate is not null from marts.rpt_segment_drift "
        "where segment_id >= 1 order by 1"
    )
    last_as_of = max(row[0] for row in windows)
    assert last_as_of == data_end - timedelta(days=project_vars()["attribution_window_days"])
    for as_of_date, window_end, is_latest, has_response in windows:
        assert window_end <= data_end
        assert has_response == (not is_latest), (as_of_date, window_end)


def test_docs_show_the_migration_matrix_and_the_drift_over_time(shipped: ShippedBuild) -> None:
    catalog = (shipped.project / segment_catalog.GENERATED_DOCS_FILE).read_text()
    for chart in ("migration_matrix", "drift_over_time"):
        link = f"{PLOTS_DIR}/{chart}.png"
        assert f"]({link})" in catalog, f"the segment catalog does not show {chart}"
        served = shipped.target / link
        assert served.read_bytes() == (shipped.project / link).read_bytes()
    manifest = (shipped.target / "manifest.json").read_text()
    assert f"{PLOTS_DIR}/migration_matrix.png" in manifest


def test_readme_charts_are_the_ones_the_sample_build_draws(shipped: ShippedBuild) -> None:
    committed = sorted(README_CHARTS.glob("*.png"))
    assert 2 <= len(committed) <= 3, committed
    drawn = dict(shipped.query("select plot_name, sha256 from marts.rpt_segment_plots"))
    readme = (REPO / "README.md").read_text()
    stale = []
    for chart in committed:
        assert chart.stem in drawn, f"{chart.name} is not a chart of rpt_segment_plots"
        assert f"](docs/assets/readme/{chart.name})" in readme, f"README does not show {chart}"
        if hashlib.sha256(chart.read_bytes()).hexdigest() != drawn[chart.stem]:
            stale.append(chart.name)
    assert not stale, f"{stale} differ from the sample build's charts: run `make readme-charts`"
