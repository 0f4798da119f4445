"""The one atomic file writer: every file the project writes for others goes through it.

Charts (``rpt_segment_plots``), Parquet copies of the marts (``rpt_mart_exports``), the
activation exports and their manifests, and the generated segment catalog are each written
to a hidden temporary file beside the target (``.<name>.<32 hex>.tmp``, so the rename stays
on one file system), flushed to disk, then moved over the final name with ``os.replace`` and
the folder is synced. A reader sees the previous complete file or the new one, never half a
file; the temporary file is removed when writing fails.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

TEMPORARY_FILE = re.compile(r"^\..+\.[0-9a-f]{32}\.tmp$")
"""Names of the temporary files :func:`temporary_path` gives (left over only after a crash)."""

CHUNK = 1 << 20
"""Bytes read at a time when hashing a file."""


class FileDigest(NamedTuple):
    """Size in bytes and SHA-256 (hex) of a written file."""

    bytes: int
    sha256: str


def temporary_path(path: str | os.PathLike[str]) -> Path:
    """A fresh temporary name beside ``path``: ``.<name>.<32 hex>.tmp``."""
    target = Path(path)
    return target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")


def publish(temporary: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Move a complete (already synced) temporary file over ``path`` and sync the folder."""
    target = Path(path)
    os.replace(temporary, target)
    fsync_directory(target.parent)


def write_atomically(write: Callable[[Path], object], path: str | os.PathLike[str]) -> FileDigest:
    """Call ``write(temporary_path)``, sync the result and rename it over ``path``.

    ``write`` writes the whole file to the path it is given (``DuckDBPyRelation.write_parquet``,
    ``Figure.savefig``, ``Path.write_bytes``, ...). Missing parent folders are created.

    Returns:
        Size and SHA-256 of the written file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(target)
    try:
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        publish(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return file_digest(target)


def write_bytes_if_changed(path: str | os.PathLike[str], data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly it; True when written."""
    target = Path(path)
    if target.is_file() and target.read_bytes() == data:
        return False
    write_atomically(lambda temporary: temporary.write_bytes(data), target)
    return True


def file_digest(path: str | os.PathLike[str]) -> FileDigest:
    """Size and SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileDigest(size, digest.hexdigest())


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
