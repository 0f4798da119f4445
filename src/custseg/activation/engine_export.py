"""The activation exports written by a distributed engine (Spark), never through the driver.

The same folders, file names, rows and manifests as :func:`custseg.activation.export_all`,
with one difference of layout: each export file is a **folder of part files** written by
the executors (``email/segment_1.csv/part-00000-<uuid>.c000.csv``, each part with the
header line), see :mod:`custseg.engine_files`. Compared as parsed rows, the two engines'
exports are the same; row order, part files and file names of the parts aside.

How it runs:

1. :func:`export_rows` turns one batch of the audience into the rows of every export file,
   with the same builders as the DuckDB path (:mod:`custseg.activation.audience`), each
   value already the text the DuckDB path writes. It runs on the executors
   (``mapInPandas``); the result is one long frame of texts, cached on the executors.
2. The engine counts the rows per file and per segment; only those counts (one row per
   file, a few dozen) reach the driver, which applies the minimum audiences.
3. Per destination and column set the engine writes the kept files in one job
   (``partitionBy`` the file name) into a staging folder; the driver renames the
   partition folders to the file names, digests the parts (streamed), writes the manifest
   and swaps the staging folder with the destination folder. The destination folder is
   replaced whole, so no file of an earlier run survives.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from custseg.activation.audience import (
    CRM_COLUMNS,
    EMAIL_COLUMNS,
    SegmentKey,
    build_ads_exports,
    build_crm_export,
    build_email_lists,
)
from custseg.activation.export import (
    AD_COLUMNS,
    CRM_FILE,
    DESTINATIONS,
    ad_file_name,
    email_file_name,
    ordered_segments,
    register_segments,
    segment_slug,
    skip_entry,
)
from custseg.activation.files import (
    ExportFile,
    csv_line,
    csv_texts,
    write_manifest,
)
from custseg.engine_files import (
    folder_digest,
    partition_folders,
    replace_folder,
    staging_path,
    tidy_engine_folder,
)

FIELDS: tuple[str, ...] = tuple(f"field_{position}" for position in range(len(CRM_COLUMNS)))
"""Text columns of the export rows; a file uses the first as many as it has columns."""
ROW_COLUMNS: tuple[str, ...] = ("destination", "platform", "export_file", "segment_slug", *FIELDS)
"""Columns of :func:`export_rows` (all strings)."""
FILE_LAYOUT = (
    "Written by Spark: each file is a folder of part files (<path>/part-*), each part a "
    "complete CSV with the header line; rows counts the data rows of all parts, bytes and "
    "sha256 cover the parts concatenated in name order, parts lists each part."
)
"""The manifests' ``file_layout`` field on Spark (the DuckDB manifests have none)."""
CSV_OPTIONS: dict[str, str] = {
    "header": "true",
    "quote": '"',
    "escape": '"',
    "lineSep": "\n",
    "encoding": "UTF-8",
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
}
"""Spark's CSV writer set to the DuckDB files' dialect (quotes doubled, spaces kept)."""
PARTITION_COLUMN = "export_file"


def _texts(
    frame: pd.DataFrame,
    columns: Iterable[str],
    *,
    destination: str,
    platform: str | None,
    export_file: str,
    segment_slugs: list[str | None],
) -> pd.DataFrame:
    """``frame``'s ``columns`` as the CSV texts, in :data:`ROW_COLUMNS` (missing: None)."""
    rows = len(frame)
    out: dict[str, list[str | None]] = {
        "destination": [destination] * rows,
        "platform": [platform] * rows,
        "export_file": [export_file] * rows,
        "segment_slug": segment_slugs,
    }
    names = list(columns)
    for position, field in enumerate(FIELDS):
        texts = csv_texts(frame[names[position]]) if position < len(names) else [""] * rows
        out[field] = [text or None for text in texts]
    return pd.DataFrame(out, columns=list(ROW_COLUMNS), dtype=object)


def export_rows(customers: pd.DataFrame, updated_at: str) -> pd.DataFrame:
    """The rows of every export file of one batch of the audience, as texts.

    Args:
        customers: One batch of ``int_activation_audience`` (columns as for
            :func:`custseg.activation.export_all`).
        updated_at: The CRM ``updated_at`` text (the export's ``generated_at``).

    Returns:
        Columns :data:`ROW_COLUMNS`: the destination (``crm``/``email``/``ads``), the ad
        platform, the file name, the segment's slug (None for CRM rows without a segment)
        and the file's columns in order as the texts the DuckDB path writes; an empty text
        is None (Spark writes it as an empty cell).
    """
    crm = build_crm_export(customers, updated_at=updated_at)
    parts = [
        _texts(
            crm,
            CRM_COLUMNS,
            destination="crm",
            platform=None,
            export_file=CRM_FILE,
            segment_slugs=[None if key is None else segment_slug(key) for key in crm["segment_id"]],
        )
    ]
    for key, frame in build_email_lists(customers).items():
        parts.append(
            _texts(
                frame,
                EMAIL_COLUMNS,
                destination="email",
                platform=None,
                export_file=email_file_name(key),
                segment_slugs=[segment_slug(key)] * len(frame),
            )
        )
    for platform, files in build_ads_exports(customers).items():
        for key, frame in files.items():
            parts.append(
                _texts(
                    frame,
                    AD_COLUMNS[platform],
                    destination="ads",
                    platform=platform,
                    export_file=ad_file_name(platform, key),
                    segment_slugs=[segment_slug(key)] * len(frame),
                )
            )
    return pd.concat(parts, ignore_index=True)


def _row_schema() -> Any:
    from pyspark.sql.types import StringType, StructField, StructType

    return StructType([StructField(name, StringType(), True) for name in ROW_COLUMNS])


class _Plan:
    """The driver's decisions from the engine's counts: kept files and skipped segments."""

    def __init__(
        self,
        counts: Mapping[tuple[str, str | None, str, str | None], int],
        segments: Mapping[SegmentKey, object],
        minimums: Mapping[str, int],
    ) -> None:
        self.counts = counts
        self.segments = segments
        self.minimums = minimums

    def _name(self, key: SegmentKey) -> str | None:
        name = self.segments[key]
        return None if pd.isna(name) else str(name)

    def segment_files(
        self, destination: str, platform: str | None
    ) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        """``{file name: manifest fields}`` kept, and the skipped entries, of one column set."""
        minimum = self.minimums[platform or destination]
        extra = {} if platform is None else {"platform": platform}
        kept: dict[str, dict[str, Any]] = {}
        skipped: list[dict[str, Any]] = []
        for key in ordered_segments(self.segments):
            name = ad_file_name(platform, key) if platform else email_file_name(key)
            rows = self.counts.get((destination, platform, name, segment_slug(key)), 0)
            if rows >= minimum:
                kept[name] = {
                    "rows": rows,
                    "segment_id": key,
                    "segment_name": self._name(key),
                    **extra,
                }
            else:
                skipped.append({**skip_entry(key, self.segments[key], rows, minimum), **extra})
        return kept, skipped

    def crm_file(self) -> tuple[dict[str, dict[str, Any]], list[str | None], list[dict[str, Any]]]:
        """The CRM file, the segment slugs it keeps (None: no segment) and the skipped ones."""
        minimum = self.minimums["crm"]
        slugs: list[str | None] = [None]
        rows = self.counts.get(("crm", None, CRM_FILE, None), 0)
        skipped: list[dict[str, Any]] = []
        for key in ordered_segments(self.segments):
            count = self.counts.get(("crm", None, CRM_FILE, segment_slug(key)), 0)
            if count >= minimum:
                slugs.append(segment_slug(key))
                rows += count
            else:
                skipped.append(skip_entry(key, self.segments[key], count, minimum))
        return {CRM_FILE: {"rows": rows}}, slugs, skipped


def _write_files(
    rows: Any,
    kept: Mapping[str, Mapping[str, Any]],
    columns: Iterable[str],
    folder: Path,
    source: tuple[str, str | None],
    *,
    segment_slugs: list[str | None] | None = None,
) -> list[ExportFile]:
    """Let the engine write the ``kept`` files of one column set into ``folder``.

    ``source`` is the (destination, platform) of the rows; ``segment_slugs``, for the CRM,
    the segments whose rows the file keeps.
    """
    from pyspark.sql import functions as sf

    destination, platform = source
    if not kept:
        return []
    names = list(columns)
    selected = rows.filter(
        (sf.col("destination") == destination)
        & sf.col("platform").eqNullSafe(sf.lit(platform))
        & sf.col(PARTITION_COLUMN).isin(list(kept))
    )
    if segment_slugs is not None:
        known = [slug for slug in segment_slugs if slug is not None]
        slug = sf.col("segment_slug")
        selected = selected.filter(slug.isNull() | slug.isin(known))
    texts = selected.select(
        sf.col(PARTITION_COLUMN),
        *(sf.col(field).alias(name) for field, name in zip(FIELDS, names, strict=False)),
    )
    written = folder / f".{destination}-{platform or destination}.written"
    texts.orderBy(PARTITION_COLUMN, *(sf.col(name) for name in names)).write.partitionBy(
        PARTITION_COLUMN
    ).options(**CSV_OPTIONS).csv(str(written.resolve()))
    parts = partition_folders(written, PARTITION_COLUMN)
    files = []
    for name, fields in kept.items():
        target = folder / name
        if name in parts:
            tidy_engine_folder(parts[name])
            os.replace(parts[name], target)
        else:  # a kept file without rows (the CRM of an empty audience): the header only
            target.mkdir()
            (target / "part-00000.csv").write_bytes(csv_line(names))
        digest, part_list = folder_digest(target)
        rows_count = fields["rows"]
        meta = {key: value for key, value in fields.items() if key != "rows"}
        files.append(
            ExportFile(name, rows_count, digest.sha256, digest.bytes, {**meta, "parts": part_list})
        )
    shutil.rmtree(written)
    return files


def export_on_engine(
    audience: Any,
    root: Path,
    minimums: Mapping[str, int],
    *,
    settings: Mapping[str, Mapping[str, Any]],
    published: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """Write the CRM, email and ads exports of a Spark DataFrame; return the manifests.

    Called by :func:`custseg.activation.export_all` with its arguments checked: the export
    folder, the resolved minimum audiences, each destination's configured manifest fields
    and the published ``model_version``, ``as_of_date`` and ``generated_at`` texts. No
    customer row reaches the driver.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    stamp = published["generated_at"]
    segments: dict[SegmentKey, object] = {}
    names = audience.groupBy("segment_id").agg(sf.min("segment_name").alias("segment_name"))
    register_segments(segments, (tuple(row) for row in names.orderBy("segment_id").collect()))

    def rows_of(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            yield export_rows(batch, stamp)

    root.mkdir(parents=True, exist_ok=True)
    staged = {destination: staging_path(root / destination) for destination in DESTINATIONS}
    rows = audience.mapInPandas(rows_of, _row_schema()).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        grouped = rows.groupBy("destination", "platform", PARTITION_COLUMN, "segment_slug")
        counts = {
            (row[0], row[1], row[2], row[3]): int(row[4]) for row in grouped.count().collect()
        }
        plan = _Plan(counts, segments, minimums)
        for folder in staged.values():
            folder.mkdir()
        manifests: dict[str, dict[str, Any]] = {}
        kept, slugs, skipped = plan.crm_file()
        files = _write_files(
            rows, kept, CRM_COLUMNS, staged["crm"], ("crm", None), segment_slugs=slugs
        )
        manifests["crm"] = _manifest(staged["crm"], "crm", files, skipped, settings, published)
        kept, skipped = plan.segment_files("email", None)
        files = _write_files(rows, kept, EMAIL_COLUMNS, staged["email"], ("email", None))
        manifests["email"] = _manifest(
            staged["email"], "email", files, skipped, settings, published
        )
        files, skipped = [], []
        for platform, columns in AD_COLUMNS.items():
            kept, dropped = plan.segment_files("ads", platform)
            files += _write_files(rows, kept, columns, staged["ads"], ("ads", platform))
            skipped += dropped
        manifests["ads"] = _manifest(staged["ads"], "ads", files, skipped, settings, published)
        for destination, folder in staged.items():
            replace_folder(folder, root / destination)
    finally:
        rows.unpersist()
        for folder in staged.values():
            if folder.exists():
                shutil.rmtree(folder)
    return manifests


def _manifest(
    folder: Path,
    destination: str,
    files: list[ExportFile],
    skipped: list[dict[str, Any]],
    settings: Mapping[str, Mapping[str, Any]],
    published: Mapping[str, str],
) -> dict[str, Any]:
    """Write a destination's manifest (with :data:`FILE_LAYOUT`) into its staging folder."""
    return write_manifest(
        folder,
        files,
        published["model_version"],
        published["as_of_date"],
        published["generated_at"],
        skipped,
        destination=destination,
        **settings[destination],
        file_layout=FILE_LAYOUT,
    )
