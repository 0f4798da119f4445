"""The dbt-duckdb plugin of this project: Python functions that the DuckDB build calls from SQL.

dbt runs only SQL in hooks and macros. Some steps of a DuckDB build need the operating system
(swapping a published file in by rename, decoding a Windows-1252 export, pausing at a named
phase in the kill tests), so ``profiles.yml`` loads this module as a dbt-duckdb plugin
(``plugins: [{module: custseg.duckdb_plugin}]``) and every connection dbt opens gets the
functions listed in :data:`FUNCTIONS` as DuckDB scalar functions.

Each function lives in the module of its domain concept; this module only registers them.
On Spark the same steps go through dispatched ``spark__`` macros instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from custseg import pause_points, raw_files


@dataclass(frozen=True)
class SqlFunction:
    """A Python callable exposed to SQL as ``name(parameters...) -> return_type``."""

    name: str
    function: Callable[..., Any]
    parameters: tuple[str, ...]
    return_type: str
    # A function with side effects must run once per call, never be folded or cached.
    side_effects: bool = True


FUNCTIONS: tuple[SqlFunction, ...] = (
    SqlFunction("segments_pause_point", pause_points.pause_at, ("VARCHAR",), "VARCHAR"),
    SqlFunction(
        "segments_inspect_raw_file",
        raw_files.inspect_raw_file,
        ("VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "BOOLEAN"),
        "VARCHAR",
    ),
)


def register_functions(connection: DuckDBPyConnection) -> None:
    """Register every function of :data:`FUNCTIONS` on ``connection``."""
    for sql_function in FUNCTIONS:
        connection.create_function(
            sql_function.name,
            sql_function.function,
            list(sql_function.parameters),
            sql_function.return_type,
            null_handling="special",
            side_effects=sql_function.side_effects,
        )


class Plugin(BasePlugin):
    """Registers :data:`FUNCTIONS` on the connection dbt-duckdb opens for a build."""

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register_functions(conn)
