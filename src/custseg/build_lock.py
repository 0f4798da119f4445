"""One build at a time: an exclusive lock beside the build's DuckDB file, held for the process.

Two builds of one warehouse would race for its file and its export folders. The dbt-duckdb
plugin (:mod:`custseg.duckdb_plugin`) calls :func:`acquire` before dbt-duckdb opens the
database file, so only commands that open the warehouse (build, run, test, seed, show,
docs generate, compile with introspection) take it; ``dbt ls`` and ``dbt parse`` never do,
and sqlfluff's ``lint`` target has its own file and no plugin.

The lock is ``fcntl.flock`` on ``<database>.lock``, which holds the holder's pid and start
time. The kernel releases it when the process ends, a SIGKILL included, so a killed build
never leaves a stale lock; the file itself stays and is simply locked again.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

_held: dict[Path, IO[str]] = {}
"""Lock files this process holds, kept open (closing one would release its lock)."""


class BuildRunningError(RuntimeError):
    """Another process holds the build lock of this warehouse."""


def lock_path(database: str | os.PathLike[str]) -> Path:
    """The lock file of a warehouse file: ``<database>.lock`` beside it."""
    path = Path(database)
    return path.with_name(f"{path.name}.lock")


def acquire(database: str | os.PathLike[str]) -> Path:
    """Take the build lock of ``database`` for the rest of this process; return its path.

    Taking it again in the same process is a no-op.

    Raises:
        BuildRunningError: Another process holds it; the message names that process's
            pid and start time.
    """
    path = lock_path(database).resolve()
    if path in _held:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown pid, unknown start time"
        handle.close()
        raise BuildRunningError(
            f"Another build is running on {database} ({holder}; lock file {path}). "
            "Wait for it to finish, or stop that process; a killed build frees the lock "
            "by itself."
        ) from None
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}, started {started}\n")
    handle.flush()
    _held[path] = handle
    return path
