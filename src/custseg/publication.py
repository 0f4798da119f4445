"""The published warehouse: what BI tools and notebooks read, swapped in whole after a good build.

A build writes its own DuckDB file (``SEGMENTS_DB_PATH``), which DuckDB locks for the whole
build. Readers never open it: they open the **published file** (env ``SEGMENTS_PUBLISH_PATH``,
default :data:`DEFAULT_PUBLISH_PATH`) and the **export folders** beside it (env
``MART_EXPORT_DIR``, default ``<published folder>/marts``; env ``EXPORT_DIR``, default
``<published folder>/activation``).

**Publishing** (the on-run-end macro ``publish_build``, ``macros/publication/``) runs at the
end of ``dbt build`` / ``dbt run``:

- no node failed: the relations of schema ``marts`` are copied as tables into a new file
  beside the published one (:func:`new_database_path`, written with DuckDB 1.0 storage so
  DuckDB 1.x readers open it), with the publication log and the raw-file freshness in
  schema ``meta``; every export folder whose model ran is swapped in
  (:func:`publish_exports`); then the new file is renamed over the published one
  (:func:`publish_database`).
- a node failed: the published file is copied byte for byte (:func:`copy_published`), the
  failure is appended to its publication log, and the copy is renamed over it: the data
  does not change, the log says the last build failed. Staged exports are not swapped in.

A reader holding the published file keeps reading the version it opened (on Linux a file
renamed over another stays readable through the open handle); a new connection sees the
new one. The published file is never opened for writing, so no reader ever blocks a build.

**Export folders.** Models write their files into a staging folder beside the export folder
(:func:`staging_dir`: ``.<name>.staging``, emptied by :func:`prepare_staging` when the model
starts). Publishing renames it to ``.<name>.versions/<version>`` and points the export
folder, a symbolic link, at it by renaming a new link over the old one: a reader resolves
the link once and sees the previous complete set or the new one, never a mix. The previous
version is kept for readers still inside it; older versions, stale staging folders and
temporary links or files of killed builds are removed by the next publication.

**Pause points** (:mod:`custseg.pause_points`, for the kill tests; env
``SEGMENTS_PAUSE_AT``; the build holds until its pause file is deleted or it is killed):
``staging`` (post-hook of ``base_shop__orders``, only when ``cached_table`` rebuilds it),
``fit``
(``int_segment_model_versions`` after fitting, before its row is written), ``scoring``
(``int_customer_segments_assigned`` before its second batch: set var
``segment_batch_rows`` below the customer count), ``exports``
(``rpt_activation_exports`` after its files are in staging), ``publishing`` (after the new
published file is written and checkpointed, before any rename).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from custseg import build_lock
from custseg.files import fsync_directory, temporary_path

PUBLISH_PATH_ENV = "SEGMENTS_PUBLISH_PATH"
DEFAULT_PUBLISH_PATH = "published/segments.duckdb"
"""Relative to the folder dbt runs in; git-ignored."""

EXPORT_FOLDERS: dict[str, tuple[str, str]] = {
    "marts": ("MART_EXPORT_DIR", "marts"),
    "activation": ("EXPORT_DIR", "activation"),
}
"""Export kind -> (environment variable, default folder name beside the published file)."""

EXPORT_MODELS: dict[str, str] = {
    "rpt_mart_exports": "marts",
    "rpt_activation_exports": "activation",
}
"""The models that write each export kind: a kind is published when its model ran."""

KEEP_VERSIONS = 2
"""Export versions kept: the published one and the one before, for readers still in it."""

_VERSION_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def published_path() -> Path:
    """The published DuckDB file (env ``SEGMENTS_PUBLISH_PATH``)."""
    return Path(os.environ.get(PUBLISH_PATH_ENV) or DEFAULT_PUBLISH_PATH)


def export_dir(kind: str) -> Path:
    """The published export folder of ``kind`` (``marts`` or ``activation``), as readers see it."""
    if kind not in EXPORT_FOLDERS:
        raise ValueError(f"unknown export kind {kind!r}; known: {sorted(EXPORT_FOLDERS)}")
    variable, default_name = EXPORT_FOLDERS[kind]
    configured = os.environ.get(variable)
    return Path(configured) if configured else published_path().parent / default_name


def staging_dir(kind: str) -> Path:
    """Where the build writes the exports of ``kind`` before they are published."""
    public = export_dir(kind)
    return public.with_name(f".{public.name}.staging")


def versions_dir(kind: str) -> Path:
    """The folder of published versions of ``kind``; the export folder links to one of them."""
    public = export_dir(kind)
    return public.with_name(f".{public.name}.versions")


def prepare_staging(kind: str) -> Path:
    """An empty staging folder for ``kind`` (files of an earlier, unpublished build removed)."""
    staging = staging_dir(kind)
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def publish_exports(kind: str, version: str) -> str:
    """Swap the staged exports of ``kind`` in as ``version``; return the published folder.

    The staging folder becomes ``.<name>.versions/<version>`` (one rename) and the export
    folder, a symbolic link, is pointed at it by renaming a new link over it. A real folder
    left by an older release is moved into the versions first (the only moment its name is
    briefly absent). Older versions beyond :data:`KEEP_VERSIONS` are then removed.
    """
    public, staging, versions = export_dir(kind), staging_dir(kind), versions_dir(kind)
    if not staging.is_dir():
        raise FileNotFoundError(
            f"publication: no staged exports for {kind} at {staging}; the model that writes "
            f"them ({_model_of(kind)}) did not write into staging. Rerun `dbt build`."
        )
    versions.mkdir(parents=True, exist_ok=True)
    safe_version = _VERSION_UNSAFE.sub("-", version)
    if public.exists() and not public.is_symlink():
        os.replace(public, versions / f"0-before-{safe_version}")
    target = versions / safe_version
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    link = temporary_path(public)
    os.symlink(Path(versions.name) / safe_version, link)
    os.replace(link, public)
    fsync_directory(public.parent)
    remove_old_versions(kind)
    return str(public)


def remove_old_versions(kind: str) -> list[Path]:
    """Remove export versions no link points at, beyond :data:`KEEP_VERSIONS`, and temporary
    links left by a killed publication; return what was removed."""
    public, versions = export_dir(kind), versions_dir(kind)
    removed: list[Path] = []
    for leftover in public.parent.glob(f".{public.name}.*.tmp"):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink()
            removed.append(leftover)
    if not versions.is_dir():
        return removed
    current = public.resolve() if public.is_symlink() else None
    # version names start with the build's UTC start time: newest first by name
    ordered = sorted(versions.iterdir(), key=lambda path: path.name, reverse=True)
    kept = [path for path in ordered if path.resolve() == current]
    for path in ordered:
        if path.resolve() == current:
            continue
        if len(kept) < KEEP_VERSIONS:
            kept.append(path)
            continue
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        removed.append(path)
    return removed


def new_database_path() -> str:
    """A fresh temporary file name beside the published file, for the next version.

    First the build lock of the published file is taken (:mod:`custseg.build_lock`), so two
    warehouses configured with one ``SEGMENTS_PUBLISH_PATH`` never publish at once; then
    temporary files of killed publications are removed (none of them is in use).
    """
    published = published_path()
    published.parent.mkdir(parents=True, exist_ok=True)
    build_lock.acquire(published)
    remove_temporary_databases()
    return str(temporary_path(published))


def remove_temporary_databases() -> list[Path]:
    """Remove temporary published files (and their WAL) left by a killed publication."""
    published = published_path()
    leftovers = sorted(published.parent.glob(f".{published.name}.*.tmp*"))
    for leftover in leftovers:
        leftover.unlink()
    return leftovers


def copy_published(temporary: str) -> bool:
    """Copy the published file to ``temporary``; False when nothing is published yet.

    The published file is never written in place, so a byte copy is a consistent snapshot.
    """
    published = published_path()
    if not published.is_file():
        return False
    shutil.copyfile(published, temporary)
    return True


def publish_database(temporary: str) -> str:
    """Rename the complete (checkpointed, detached) ``temporary`` file over the published one."""
    published = published_path()
    os.replace(temporary, published)
    fsync_directory(published.parent)
    return str(published)


def _model_of(kind: str) -> str:
    return next(model for model, model_kind in EXPORT_MODELS.items() if model_kind == kind)
