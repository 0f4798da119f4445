"""Export files written by the engine; on Spark, folders of part files swapped into place.

On DuckDB every export is one file, written by :mod:`custseg.files`. On Spark the rows stay
on the executors, so each export "file" is a **folder of part files** that the executors
write in parallel (``df.write.csv(...)`` / ``df.write.parquet(...)``): ``<name>/part-*``,
one header line per CSV part. Readers take every ``part-*`` file in the folder (DuckDB:
``read_csv('<name>/part-*.csv')``, pandas per part, Spark ``spark.read.csv('<name>')``).

Only folder operations run on the driver: the engine writes into a hidden staging folder
beside the target (``.<name>.<32 hex>.staging``), Hadoop's checksum and marker files are
removed, and the staging folder is swapped with the target by two renames (the old folder
is moved aside, the new one into place, then the old one deleted). A reader therefore sees
the previous complete folder or the new one, never a mix of parts of two runs; between the
two renames the name is briefly absent. The export location must be a folder that the
driver and the executors share (a local path on one machine, a mounted path on a cluster).

The digest of a folder is streamed: SHA-256 over its part files' bytes concatenated in
name order, plus each part's own size and SHA-256.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from custseg.dbt_io import count_rows, is_spark
from custseg.files import CHUNK, FileDigest, fsync_directory, write_atomically

PART_PREFIX = "part-"
_ENGINE_LEFTOVERS = ("_SUCCESS", "_committed_", "_started_")


def staging_path(target: str | os.PathLike[str]) -> Path:
    """A fresh hidden folder name beside ``target``: ``.<name>.<32 hex>.staging``."""
    path = Path(target)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.staging")


def part_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The ``part-*`` files of a folder written by the engine, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.name.startswith(PART_PREFIX))


def tidy_engine_folder(folder: str | os.PathLike[str]) -> None:
    """Remove Hadoop's ``.crc`` checksums and commit markers: keep only the part files."""
    for entry in Path(folder).iterdir():
        leftover = entry.name.endswith(".crc") or entry.name.startswith(_ENGINE_LEFTOVERS)
        if entry.is_file() and leftover:
            entry.unlink()


def partition_folders(written: str | os.PathLike[str], column: str) -> dict[str, Path]:
    """``{value: folder}`` of a ``partitionBy(column)`` write (``<column>=<value>`` folders).

    Spark escapes special characters of a partition value as ``%XX``; they are unescaped.
    """
    prefix = f"{column}="
    return {
        unquote(entry.name[len(prefix) :]): entry
        for entry in sorted(Path(written).iterdir())
        if entry.is_dir() and entry.name.startswith(prefix)
    }


def folder_digest(folder: str | os.PathLike[str]) -> tuple[FileDigest, list[dict[str, Any]]]:
    """Size and SHA-256 of the part files concatenated in name order, and each part's own.

    Returns:
        The folder's digest and ``[{"path", "bytes", "sha256"}]`` of its parts, read in
        1 MiB chunks (nothing is held in memory).
    """
    total, total_bytes = hashlib.sha256(), 0
    parts: list[dict[str, Any]] = []
    for part in part_files(folder):
        digest, size = hashlib.sha256(), 0
        with open(part, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                total.update(chunk)
                size += len(chunk)
        total_bytes += size
        parts.append({"path": part.name, "bytes": size, "sha256": digest.hexdigest()})
    return FileDigest(total_bytes, total.hexdigest()), parts


def replace_folder(staging: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Swap a complete staging folder with ``target`` (created when it does not exist)."""
    source, destination = Path(staging), Path(target)
    old = destination.with_name(f".{destination.name}.{uuid.uuid4().hex}.old")
    if destination.exists():
        os.replace(destination, old)
    os.replace(source, destination)
    fsync_directory(destination.parent)
    if old.exists():
        shutil.rmtree(old)


@contextmanager
def staged_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A staging folder name beside ``target`` (not created: engines refuse to write into an
    existing folder), swapped into place when the block succeeds.

    On an error the staging folder is removed and ``target`` is left as it was.
    """
    staging = staging_path(target)
    staging.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield staging
        replace_folder(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def write_folder(write: Callable[[str], object], target: str | os.PathLike[str]) -> FileDigest:
    """Let the engine write ``target`` as a folder of part files; swap it in; digest it.

    ``write`` receives the (absolute) path of a folder that does not exist yet, e.g.
    ``frame.orderBy(key).write.parquet``.
    """
    with staged_folder(target) as staging:
        write(str(staging.resolve()))
        tidy_engine_folder(staging)
    digest, _ = folder_digest(target)
    return digest


def write_parquet_export(
    relation: Any, order_by: str, path: str | os.PathLike[str]
) -> tuple[int, FileDigest]:
    """Write a relation as a Parquet export in ``order_by`` order; its rows and digest.

    DuckDB writes one file through :func:`custseg.files.write_atomically`; Spark's executors
    write ``path`` as a folder of part files (:func:`write_folder`). Rows are counted by the
    engine (:func:`custseg.dbt_io.count_rows`); none reaches the driver.
    """
    if is_spark(relation):
        keys = [key.strip() for key in order_by.split(",")]
        digest = write_folder(relation.orderBy(*keys).write.parquet, path)
    else:
        digest = write_atomically(relation.order(order_by).write_parquet, path)
    return count_rows(relation), digest
