"""Compare two DuckDB warehouses table by table, with the run bookkeeping masked.

Used by the determinism test (two builds of the same data), by the upgrade test (a
warehouse built before the renames of README "Changes", upgraded in place) and by
`scripts/compare_warehouses.py` (any two builds, for example before and after a change).
Two relations are equal when EXCEPT ALL is empty in both directions after masking:

- wall-clock columns: when a model version was trained and how long the fit and each
  candidate took (also inside the JSON columns of the model registry);
- the size and SHA-256 of the Parquet export of `rpt_segment_model_selection`, which holds
  those timings;
- each build's own folder in file paths (replaced by `<work>`);
- `staging.cached_table_fingerprints`, whose fingerprints include the warehouse's name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

# Wall-clock columns, by relation name: they record when and how fast, not what.
WALL_CLOCK_COLUMNS = {
    "int_segment_model_versions": {"trained_at", "fit_seconds"},
    "rpt_segment_model_selection": {"elapsed_seconds"},
}
# Files whose content holds those wall-clock columns: their size and digest are masked.
WALL_CLOCK_FILES = {
    "rpt_mart_exports": ("mart_name = 'rpt_segment_model_selection'", {"bytes", "sha256"}),
}
# Build bookkeeping of the cached_table materialization, keyed by the warehouse's name.
SKIPPED_RELATIONS = {"cached_table_fingerprints"}
# Candidate timings inside JSON text (model_json, candidates_json).
ELAPSED_IN_JSON = r'"elapsed_seconds": [-+.0-9eE]+'


@dataclass
class WarehouseDiff:
    """What differs between two warehouses (relations matched by name)."""

    compared: list[str] = field(default_factory=list)
    only_left: list[str] = field(default_factory=list)
    only_right: list[str] = field(default_factory=list)
    # relation -> (rows only left, rows only right), on the left side's columns
    differing: dict[str, tuple[int, int]] = field(default_factory=dict)
    # relation -> columns of the left side missing on the right (a difference)
    column_mismatch: dict[str, list[str]] = field(default_factory=dict)
    # relation -> columns only on the right (added; reported, not a difference)
    added_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def preserved(self) -> bool:
        """Every relation of the left warehouse is on the right with the same rows (the right
        side may add relations and columns)."""
        return not (self.only_left or self.differing or self.column_mismatch)


def relations(con: duckdb.DuckDBPyConnection, database: str) -> dict[str, str]:
    """Relation name -> schema of every table and view of an attached database."""
    rows = con.sql(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "union all "
        "select schema_name, view_name from duckdb_views() "
        "where database_name = ? and not internal "
        "order by 1, 2",
        params=[database, database],
    ).fetchall()
    return {name: schema for schema, name in rows if name not in SKIPPED_RELATIONS}


def normalised_select(
    con: duckdb.DuckDBPyConnection,
    database: str,
    schema: str,
    name: str,
    work_dir: str | None,
    columns: list[str] | None = None,
    masked_as: str | None = None,
) -> str:
    """A select over one relation with the run bookkeeping removed or masked.

    ``masked_as`` names the relation whose masks apply (its new name, for a renamed one).
    """
    described = con.sql(f'describe "{database}"."{schema}"."{name}"').fetchall()
    skipped = WALL_CLOCK_COLUMNS.get(masked_as or name, set())
    condition, masked = WALL_CLOCK_FILES.get(masked_as or name, ("false", set()))
    work = (work_dir or "").replace("'", "''")
    types = {column: column_type for column, column_type, *_ in described}
    expressions = []
    for column in columns if columns is not None else list(types):
        if column in skipped:
            continue
        quoted = f'"{column}"'
        if column in masked:
            quoted = f"case when {condition} then null else {quoted} end"
        if types[column] == "VARCHAR":
            if work:
                quoted = f"replace({quoted}, '{work}', '<work>')"
            quoted = (
                f"regexp_replace({quoted}, '{ELAPSED_IN_JSON}', '\"elapsed_seconds\": <t>', 'g')"
            )
        expressions.append(f'{quoted} as "{column}"')
    return f'select {", ".join(expressions)} from "{database}"."{schema}"."{name}"'


def compare_warehouses(
    left_path: str,
    right_path: str,
    *,
    left_work_dir: str | None = None,
    right_work_dir: str | None = None,
    renames: Mapping[str, str] | None = None,
    ignored_columns: frozenset[str] = frozenset(),
) -> WarehouseDiff:
    """Compare every relation of two warehouse files (opened read-only).

    ``renames`` maps a relation name of the left warehouse to its name in the right one
    (old name -> new name); schemas may differ. Relations are compared on the columns of the
    left side: a column missing on the right is a mismatch, a column only on the right is
    reported in ``added_columns``. ``ignored_columns`` are
    left out everywhere (for example ``file_path`` when two builds wrote to other folders).
    """
    renames = dict(renames or {})
    con = duckdb.connect()
    con.execute(f"attach '{left_path}' as left_wh (read_only)")
    con.execute(f"attach '{right_path}' as right_wh (read_only)")
    left = relations(con, "left_wh")
    right = relations(con, "right_wh")
    diff = WarehouseDiff()
    matched = {name: renames.get(name, name) for name in left}
    diff.only_left = sorted(name for name, other in matched.items() if other not in right)
    diff.only_right = sorted(set(right) - set(matched.values()))
    for name, other in sorted(matched.items()):
        if other not in right:
            continue
        left_columns = [
            row[0] for row in con.sql(f'describe "left_wh"."{left[name]}"."{name}"').fetchall()
        ]
        right_columns = [
            row[0] for row in con.sql(f'describe "right_wh"."{right[other]}"."{other}"').fetchall()
        ]
        added = sorted(set(right_columns) - set(left_columns))
        if added:
            diff.added_columns[name] = added
        missing = sorted(set(left_columns) - set(right_columns))
        if missing:
            diff.column_mismatch[name] = missing
            continue
        kept = [column for column in left_columns if column not in ignored_columns]
        one = normalised_select(con, "left_wh", left[name], name, left_work_dir, kept, other)
        two = normalised_select(con, "right_wh", right[other], other, right_work_dir, kept)
        only_one = con.sql(f"select count(*) from ({one} except all {two})").fetchall()[0][0]
        only_two = con.sql(f"select count(*) from ({two} except all {one})").fetchall()[0][0]
        diff.compared.append(name)
        if only_one or only_two:
            diff.differing[name] = (only_one, only_two)
    con.close()
    return diff
