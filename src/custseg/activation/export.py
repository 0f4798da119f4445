"""Write every activation export under ``EXPORT_DIR``: ``crm/``, ``email/`` and ``ads/``.

Layout (each folder has a ``manifest.json`` listing exactly its current files)::

    crm/customers.csv                                   every unsuppressed customer
    email/segment_<id>.csv                              one list per segment
    ads/google_customer_match__segment_<id>.csv         Google Customer Match, hashed
    ads/meta_custom_audience__segment_<id>.csv          Meta custom audience, hashed

Who is in which file is decided before, in SQL (``int_activation_audience``); this module
writes what the flags allow.

**Streaming.** Customers arrive as one DataFrame or as an iterator of batches, each batch
is read once. Rows are appended to one temporary file per destination and segment as they
are built; only per-segment row counters live in memory. When the input is exhausted, each
segment's count is compared with the destination's minimum audience: large enough, the
temporary file is fsynced and renamed into place; too small, it is deleted and the manifest
lists the segment under ``skipped`` with its count. This single pass needs no segment sizes
up front and no second read of the input (a re-iterable source or counts from SQL would
have been the alternatives). The CRM file is assembled from its per-segment parts, in
segment order, so a small segment can be dropped from it too. Memory is bounded by one
batch and one open file per destination and segment.

**Order of a run.** Write all temporary files; then, per destination: rename the kept
files into place, write the manifest (atomically), and remove CSVs of earlier runs that
are no longer current. A failure before the renames leaves the previous export untouched
and removes the temporary files. Run one export per ``EXPORT_DIR`` at a time.

Rows keep their input order within a file; sort the input by ``customer_id`` for
byte-identical reruns. Email addresses shared by several customers are not deduplicated
here (do it in SQL if a destination needs it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from custseg.activation.audience import (
    CRM_COLUMNS,
    EMAIL_COLUMNS,
    GOOGLE_COLUMNS,
    META_COLUMNS,
    SegmentKey,
    build_ads_exports,
    build_crm_export,
    build_email_lists,
    segment_key,
    split_by_segment,
)
from custseg.activation.files import (
    AtomicCsvWriter,
    ExportFile,
    format_date,
    format_timestamp,
    remove_part_folders,
    remove_stale_files,
    write_manifest,
)
from custseg.dbt_io import is_spark

DESTINATIONS: tuple[str, ...] = ("crm", "email", "ads")
SKIP_REASON = "below_min_audience"
CRM_FILE = "customers.csv"
AD_FILE_PREFIXES: dict[str, str] = {
    "google": "google_customer_match",
    "meta": "meta_custom_audience",
}
AD_COLUMNS: dict[str, tuple[str, ...]] = {"google": GOOGLE_COLUMNS, "meta": META_COLUMNS}

_SLUG_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def resolve_min_audience(min_audience: Mapping[str, int]) -> dict[str, int]:
    """Minimum audience per destination and ad platform (var ``activation_min_audience``).

    Keys ``crm``, ``email`` and ``ads`` are required; ``google`` and ``meta`` set one
    platform apart and otherwise take the ``ads`` value. Every minimum must be at least 1.
    """
    given = dict(min_audience)
    unknown = set(given) - {*DESTINATIONS, *AD_FILE_PREFIXES}
    if unknown:
        raise ValueError(f"unknown min_audience keys {sorted(unknown)}")
    missing = [destination for destination in DESTINATIONS if destination not in given]
    if missing:
        raise ValueError(
            f"min_audience needs a minimum for {missing} (var activation_min_audience)"
        )
    resolved = given
    for platform in AD_FILE_PREFIXES:
        resolved.setdefault(platform, resolved["ads"])
    for key, value in resolved.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"min_audience[{key!r}] must be an integer >= 1, got {value!r}")
    return resolved


def destination_settings(
    minimums: Mapping[str, int], control_share: float
) -> dict[str, dict[str, Any]]:
    """The manifest fields of each destination that come from the configuration."""
    return {
        "crm": {"min_audience": minimums["crm"], "control_share": control_share},
        "email": {"min_audience": minimums["email"], "control_share": control_share},
        "ads": {
            "min_audience": {platform: minimums[platform] for platform in AD_FILE_PREFIXES},
            "control_share": control_share,
        },
    }


def segment_slug(key: SegmentKey) -> str:
    """File-name-safe form of a segment id (``"At risk/2"`` -> ``"At-risk-2"``)."""
    return _SLUG_UNSAFE.sub("-", str(key)).strip("-") or "segment"


def crm_part_name(key: SegmentKey | None) -> str:
    """Name of the temporary CRM part of one segment (None: customers without a segment)."""
    return f"customers.part-{'unsegmented' if key is None else segment_slug(key)}.csv"


def email_file_name(key: SegmentKey) -> str:
    """File name of a segment's email list."""
    return f"segment_{segment_slug(key)}.csv"


def ad_file_name(platform: str, key: SegmentKey) -> str:
    """File name of a segment's customer-match file for ``platform``."""
    return f"{AD_FILE_PREFIXES[platform]}__segment_{segment_slug(key)}.csv"


def register_segments(
    segments: dict[SegmentKey, object], pairs: Iterable[tuple[object, object]]
) -> None:
    """Add the ``(segment_id, segment_name)`` pairs not seen yet to ``segments`` (in place).

    Ids become :func:`~custseg.activation.audience.segment_key` keys (missing ids are
    ignored); the first name seen for an id is kept.

    Raises:
        ValueError: Two segment ids would share one file name.
    """
    slugs = {segment_slug(known): known for known in segments}
    for raw_key, name in pairs:
        key = segment_key(raw_key)
        if key is None or key in segments:
            continue
        slug = segment_slug(key)
        if slugs.setdefault(slug, key) != key:
            raise ValueError(f"segment ids {slugs[slug]!r} and {key!r} share file name {slug}")
        segments[key] = name


def ordered_segments(keys: Iterable[SegmentKey]) -> list[SegmentKey]:
    """Segment keys sorted: integers numerically, then strings."""
    return sorted(keys, key=lambda k: (1, 0, k) if isinstance(k, str) else (0, k, ""))


class _SegmentFiles:
    """One temporary CSV per segment in one folder, opened on the segment's first row."""

    def __init__(
        self,
        directory: Path,
        columns: Iterable[str],
        file_name: Callable[[SegmentKey | None], str],
        *,
        header: bool = True,
    ) -> None:
        self.directory = directory
        self.columns = list(columns)
        self.file_name = file_name
        self.header = header
        self.writers: dict[SegmentKey | None, AtomicCsvWriter] = {}

    def write(self, key: SegmentKey | None, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        writer = self.writers.get(key)
        if writer is None:
            path = self.directory / self.file_name(key)
            writer = AtomicCsvWriter(path, self.columns, header=self.header)
            self.writers[key] = writer
        writer.write_frame(frame)

    def count(self, key: SegmentKey | None) -> int:
        writer = self.writers.get(key)
        return 0 if writer is None else writer.rows

    def discard(self, key: SegmentKey | None) -> None:
        writer = self.writers.pop(key, None)
        if writer is not None:
            writer.discard()

    def discard_all(self) -> None:
        for key in list(self.writers):
            self.discard(key)


def skip_entry(key: SegmentKey, name: object, rows: int, minimum: int) -> dict[str, Any]:
    """The manifest entry of a segment left out for having fewer rows than ``minimum``."""
    return {
        "segment_id": key,
        "segment_name": None if pd.isna(name) else str(name),
        "rows": rows,
        "min_audience": minimum,
        "reason": SKIP_REASON,
    }


def _finish_segment_files(
    files: _SegmentFiles,
    segments: Mapping[SegmentKey, object],
    minimum: int,
    **meta: Any,
) -> tuple[list[ExportFile], list[dict[str, Any]]]:
    """Commit the segments at or above ``minimum``; discard and report the others."""
    kept: list[ExportFile] = []
    skipped: list[dict[str, Any]] = []
    for key in ordered_segments(segments):
        rows = files.count(key)
        if rows >= minimum:
            name = segments[key]
            writer = files.writers.pop(key)
            kept.append(
                writer.commit(
                    segment_id=key,
                    segment_name=None if pd.isna(name) else str(name),
                    **meta,
                )
            )
        else:
            files.discard(key)
            skipped.append({**skip_entry(key, segments[key], rows, minimum), **meta})
    return kept, skipped


def _finish_crm(
    parts: _SegmentFiles, segments: Mapping[SegmentKey, object], directory: Path, minimum: int
) -> tuple[list[ExportFile], list[dict[str, Any]]]:
    """Concatenate the kept segments' parts (unsegmented customers last) into one file."""
    skipped: list[dict[str, Any]] = []
    with AtomicCsvWriter(directory / CRM_FILE, CRM_COLUMNS) as out:
        for key in [*ordered_segments(segments), None]:
            rows = parts.count(key)
            if key is not None and rows < minimum:
                skipped.append(skip_entry(key, segments[key], rows, minimum))
            elif rows:
                out.copy_from(parts.writers[key])
            parts.discard(key)
        return [out.commit()], skipped


def _publish(
    directory: Path,
    destination: str,
    files: list[ExportFile],
    skipped: list[dict[str, Any]],
    *,
    model_version: str,
    as_of_date: str,
    generated_at: str,
    **extra: Any,
) -> dict[str, Any]:
    """Write the manifest of committed files, then remove files no longer current."""
    manifest = write_manifest(
        directory,
        files,
        model_version,
        as_of_date,
        generated_at,
        skipped,
        destination=destination,
        **extra,
    )
    remove_stale_files(directory, {file.path for file in files})
    return manifest


def export_all(
    customers_df_or_batches: pd.DataFrame | Iterable[pd.DataFrame],
    export_dir: str | os.PathLike[str],
    model_version: str,
    as_of_date: date | str,
    *,
    min_audience: Mapping[str, int],
    control_share: float,
    generated_at: datetime | str | None = None,
) -> dict[str, dict[str, Any]]:
    """Write the CRM, email and ads exports with their manifests; return the manifests.

    Args:
        customers_df_or_batches: The activation audience (see
            :mod:`custseg.activation.audience` for the columns, flags included), one
            DataFrame or an iterable of batches; each customer in exactly one batch. A
            Spark DataFrame is exported by the engine instead
            (:mod:`custseg.activation.engine_export`: each file a folder of part files).
        export_dir: Root folder (env ``EXPORT_DIR`` in the dbt project).
        model_version: Version of the segmentation model (manifest).
        as_of_date: As-of date of the data (manifest).
        min_audience: Minimum rows per segment and destination (see
            :func:`resolve_min_audience`).
        control_share: Share of each segment held out as the control group (var
            ``control_group_share``), recorded in the manifests; the group itself is the
            ``is_control_group`` flag of the customers.
        generated_at: Timestamp for the manifests and the CRM ``updated_at``; now (UTC)
            when None. Inject it for reproducible output.

    Returns:
        ``{"crm": manifest, "email": manifest, "ads": manifest}``.
    """
    root = os.fspath(export_dir)
    if not root:
        raise ValueError("export_dir must be a folder, got an empty path")
    if not isinstance(model_version, str) or not model_version:
        raise ValueError("model_version must be a non-empty string")
    minimums = resolve_min_audience(min_audience)
    stamp = format_timestamp(generated_at if generated_at is not None else datetime.now(UTC))
    as_of = format_date(as_of_date)
    published = {"model_version": model_version, "as_of_date": as_of, "generated_at": stamp}
    settings = destination_settings(minimums, control_share)
    if is_spark(customers_df_or_batches):
        from custseg.activation.engine_export import export_on_engine

        return export_on_engine(
            customers_df_or_batches, Path(root), minimums, settings=settings, published=published
        )

    folders = {destination: Path(root) / destination for destination in DESTINATIONS}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
        remove_part_folders(folder)

    segments: dict[SegmentKey, object] = {}

    def register(frame: pd.DataFrame) -> None:
        pairs = frame.loc[:, ["segment_id", "segment_name"]].drop_duplicates("segment_id")
        register_segments(segments, zip(pairs["segment_id"], pairs["segment_name"], strict=True))

    crm_parts = _SegmentFiles(folders["crm"], CRM_COLUMNS, crm_part_name, header=False)
    email_files = _SegmentFiles(folders["email"], EMAIL_COLUMNS, email_file_name)
    ad_files = {
        platform: _SegmentFiles(
            folders["ads"], columns, lambda key, platform=platform: ad_file_name(platform, key)
        )
        for platform, columns in AD_COLUMNS.items()
    }
    all_files = [crm_parts, email_files, *ad_files.values()]
    batches = (
        [customers_df_or_batches]
        if isinstance(customers_df_or_batches, pd.DataFrame)
        else customers_df_or_batches
    )
    try:
        for customers in batches:
            register(customers)
            crm = build_crm_export(customers, updated_at=stamp)
            crm_parts.write(None, crm.loc[crm["segment_id"].isna().to_numpy(dtype=bool)])
            for key, part in split_by_segment(crm).items():
                crm_parts.write(key, part)
            for key, part in build_email_lists(customers).items():
                email_files.write(key, part)
            ads = build_ads_exports(customers)
            for platform, parts in ads.items():
                for key, part in parts.items():
                    ad_files[platform].write(key, part)

        manifests: dict[str, dict[str, Any]] = {}
        files, skipped = _finish_crm(crm_parts, segments, folders["crm"], minimums["crm"])
        manifests["crm"] = _publish(
            folders["crm"], "crm", files, skipped, **settings["crm"], **published
        )
        files, skipped = _finish_segment_files(email_files, segments, minimums["email"])
        manifests["email"] = _publish(
            folders["email"], "email", files, skipped, **settings["email"], **published
        )
        files, skipped = [], []
        for platform, platform_files in ad_files.items():
            kept, dropped = _finish_segment_files(
                platform_files, segments, minimums[platform], platform=platform
            )
            files += kept
            skipped += dropped
        manifests["ads"] = _publish(
            folders["ads"], "ads", files, skipped, **settings["ads"], **published
        )
    finally:
        for segment_files in all_files:
            segment_files.discard_all()
    return manifests
