"""Two builds of the same raw data give the same warehouse, table by table and digit by digit.

The session fixture ``dirty_world`` (conftest) is built once; this test builds the same raw
folder again into a second warehouse and compares every table and view of the two with
EXCEPT ALL in both directions (`custseg.warehouse_diff`). Only run bookkeeping may differ,
and that module names it: wall-clock columns, the digest of the one export that holds
them, the build's own folder in file paths, and the cached_table fingerprints.

The reports of written files (Parquet marts, activation files, charts) carry each file's
SHA-256, so the comparison also checks that the files are byte-identical.

Floating-point aggregates over many rows (segment profiles, PSI, averages) go through the
`exact_sum` / `exact_avg` macros, and Python models read small tables in key order; without
them two builds of the embedded sample differed in 7 tables (last digits, row order).
"""

from __future__ import annotations

import pytest

from conftest import World, run_dbt
from custseg.warehouse_diff import compare_warehouses


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
    diff = compare_warehouses(
        str(dirty_world.db_path),
        str(second_build.db_path),
        left_work_dir=str(dirty_world.work_dir),
        right_work_dir=str(second_build.work_dir),
    )
    assert diff.only_left == [] and diff.only_right == []
    # the comparison covers the whole project, not a handful of tables
    assert len(diff.compared) > 60
    assert diff.column_mismatch == {}
    assert diff.differing == {}, f"rows only in the first / second build: {diff.differing}"
