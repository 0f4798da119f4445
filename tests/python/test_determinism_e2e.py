"""Two builds of the same raw data give the same warehouse, table by table and digit by digit.

The session fixture ``dirty_world`` (conftest) is built once; this test builds the same raw
folder again into a second warehouse and compares every table and view of the two with
EXCEPT ALL in both directions. Only run bookkeeping may differ, and it is named here:

- wall-clock columns: when a model version was trained and how long the fit and each
  candidate took (`trained_at`, `fit_seconds`, `elapsed_seconds`, also inside the JSON
  columns of `dim_segment_model_versions`);
- the size and SHA-256 of the Parquet export of `rpt_segment_model_selection`, which
  holds those timings;
- the build's own folder, in the file paths of the exports and charts (replaced by
  `<work>` before comparing);
- `staging.cached_table_fingerprints`, whose fingerprints include the warehouse's name.

The reports of written files (Parquet marts, activation files, charts) carry each file's
SHA-256, so the comparison also checks that the files are byte-identical.

Floating-point aggregates over many rows (segment profiles, PSI, averages) go through the
`exact_sum` / `exact_avg` macros, and Python models read small tables in key order; without
them two builds of the embedded sample differed in 7 tables (last digits, row order).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import World, run_dbt

# Wall-clock columns, per (schema, table): they record when and how fast, not what.
WALL_CLOCK_COLUMNS = {
    ("marts", "dim_segment_model_versions"): {"trained_at", "fit_seconds"},
    ("marts", "rpt_segment_model_selection"): {"elapsed_seconds"},
}
# Files whose content holds those wall-clock columns: their size and digest are masked.
WALL_CLOCK_FILES = {
    ("marts", "rpt_mart_exports"): (
        "mart_name = 'rpt_segment_model_selection'",
        {"bytes", "sha256"},
    ),
}
# Build bookkeeping of the cached_table materialization, keyed by the warehouse's name.
SKIPPED_TABLES = {("staging", "cached_table_fingerprints")}
# Candidate timings inside JSON text (model_json, candidates_json).
ELAPSED_IN_JSON = r'"elapsed_seconds": [-+.0-9eE]+'


def _relations(con: duckdb.DuckDBPyConnection, database: str) -> list[tuple[str, str]]:
    rows = con.sql(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "union all "
        "select schema_name, view_name from duckdb_views() "
        "where database_name = ? and not internal "
        "order by 1, 2",
        params=[database, database],
    ).fetchall()
    return [(schema, name) for schema, name in rows if (schema, name) not in SKIPPED_TABLES]


def _normalised(
    con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str, work_dir: Path
) -> str:
    """A select over one relation with the run bookkeeping removed or masked."""
    columns = con.sql(f'describe "{database}"."{schema}"."{table}"').fetchall()
    skipped = WALL_CLOCK_COLUMNS.get((schema, table), set())
    condition, masked = WALL_CLOCK_FILES.get((schema, table), ("false", set()))
    work = str(work_dir).replace("'", "''")
    expressions = []
    for name, column_type, *_ in columns:
        if name in skipped:
            continue
        quoted = f'"{name}"'
        if name in masked:
            quoted = f"case when {condition} then null else {quoted} end"
        if column_type == "VARCHAR":
            quoted = (
                f"regexp_replace(replace({quoted}, '{work}', '<work>'), "
                f"'{ELAPSED_IN_JSON}', '\"elapsed_seconds\": <t>', 'g')"
            )
        expressions.append(f'{quoted} as "{name}"')
    return f'select {", ".join(expressions)} from "{database}"."{schema}"."{table}"'


@pytest.fixture(scope="module")
def second_build(dirty_world: World, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The same raw folder as ``dirty_world``, built again from an empty warehouse."""
    base = tmp_path_factory.mktemp("determinism")
    world = World(
        raw_dir=dirty_world.raw_dir,
        truth_dir=dirty_world.truth_dir,
        db_path=base / "warehouse.duckdb",
        work_dir=base,
    )
    run_dbt(["build"], raw_dir=world.raw_dir, db_path=world.db_path, work_dir=base)
    return world


def test_two_builds_of_the_same_data_give_identical_tables(
    dirty_world: World, second_build: World
) -> None:
    con = duckdb.connect()
    con.execute(f"attach '{dirty_world.db_path}' as first_build (read_only)")
    con.execute(f"attach '{second_build.db_path}' as second_build (read_only)")
    first = _relations(con, "first_build")
    second = _relations(con, "second_build")
    assert first == second
    # the comparison covers the whole project, not a handful of tables
    assert len(first) > 60
    differing = {}
    for schema, table in first:
        left = _normalised(con, "first_build", schema, table, dirty_world.work_dir)
        right = _normalised(con, "second_build", schema, table, second_build.work_dir)
        only_first = con.sql(f"select count(*) from ({left} except all {right})").fetchall()
        only_second = con.sql(f"select count(*) from ({right} except all {left})").fetchall()
        if only_first[0][0] or only_second[0][0]:
            differing[f"{schema}.{table}"] = (only_first[0][0], only_second[0][0])
    assert differing == {}, f"rows only in the first / second build: {differing}"
