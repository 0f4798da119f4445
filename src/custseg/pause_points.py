"""Named points where a build can be held still, so that the kill tests can SIGKILL it there.

A test starts ``dbt build`` with env ``SEGMENTS_PAUSE_AT=<phase>`` and
``SEGMENTS_PAUSE_FILE=<path>``. When the build reaches that phase, :func:`pause_at` writes
``<phase> <pid>`` to the file and sleeps, so the test knows the build is exactly there and
kills it; or the test deletes the file and the build goes on at once. Without
``SEGMENTS_PAUSE_AT`` (every real build) it returns at once. SQL reaches it through the
DuckDB function ``segments_pause_point(phase)`` (``custseg.duckdb_plugin``), Python models
call it directly. The phases are listed in :mod:`custseg.publication`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

PAUSE_AT = "SEGMENTS_PAUSE_AT"
PAUSE_FILE = "SEGMENTS_PAUSE_FILE"
# A paused build that nobody kills goes on after this long, so a broken test cannot hang CI.
PAUSE_SECONDS = float(os.environ.get("SEGMENTS_PAUSE_SECONDS", "300"))
POLL_SECONDS = 0.2
"""How often a paused build checks whether its pause file was deleted (resume)."""


def pause_at(phase: str | None) -> str | None:
    """Hold the build at ``phase`` when env ``SEGMENTS_PAUSE_AT`` names it; return ``phase``."""
    if phase is None or os.environ.get(PAUSE_AT) != phase:
        return phase
    marker = os.environ.get(PAUSE_FILE)
    if marker:
        path = Path(marker)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(f"{phase} {os.getpid()}\n", encoding="utf-8")
        # The test polls for the file: rename, so it never reads a half-written one.
        temporary.replace(path)
    deadline = time.monotonic() + PAUSE_SECONDS
    while time.monotonic() < deadline and (not marker or Path(marker).exists()):
        time.sleep(POLL_SECONDS)
    return phase


def pausing_between_calls(phase: str, function: Callable[..., T]) -> Callable[..., T]:
    """``function``, holding at ``phase`` before each call after the first (between batches).

    Without ``SEGMENTS_PAUSE_AT`` it behaves exactly like ``function``.
    """
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> T:
        nonlocal calls
        if calls:
            pause_at(phase)
        calls += 1
        return function(*args, **kwargs)

    return wrapper
