"""Atomic CSV and manifest files for the export folders.

Every file goes through the project's one atomic writer (:mod:`custseg.files`): a hidden
temporary file in its own folder (``.<name>.<random>.tmp``), flushed and fsynced, then moved
over the final name and the folder fsynced. A consumer therefore sees either the previous
complete file or the new complete one, never half a file.

CSV layout: UTF-8, comma-separated, one header line, ``\\n`` line ends, minimal quoting,
empty cells for missing values, booleans as ``true``/``false``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd

from custseg.files import TEMPORARY_FILE, publish, temporary_path, write_atomically

MANIFEST_NAME = "manifest.json"
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class ExportFile:
    """One written file as the manifest lists it.

    Attributes:
        path: File name relative to its destination folder.
        rows: Data rows (the header not counted).
        sha256: SHA-256 hex of the file's bytes.
        bytes: File size.
        meta: Extra manifest fields, such as ``segment_id`` or ``platform``.
    """

    path: str
    rows: int
    sha256: str
    bytes: int
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_manifest(self) -> dict[str, Any]:
        """The manifest entry: path, rows, sha256, bytes, then the extra fields."""
        return {
            "path": self.path,
            "rows": self.rows,
            "sha256": self.sha256,
            "bytes": self.bytes,
            **self.meta,
        }


def csv_line(values: Sequence[str]) -> bytes:
    """One CSV line (minimal quoting, ``\\n`` end) as UTF-8 bytes."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode("utf-8")


_QUOTE_TRIGGERS = (",", '"', "\n", "\r")
"""Characters for which the ``csv`` module (minimal quoting, ``\\n`` line ends) may quote."""


def _csv_field(value: str) -> str:
    """One field exactly as ``csv.writer`` writes it inside a row of several fields."""
    return csv_line([value]).decode("utf-8")[:-1]


def _quoted_field(field: str) -> str:
    """``field`` as ``csv`` writes it: quoted, quotes doubled, if it holds a trigger."""
    if "\n" in field or "\r" in field:
        return _csv_field(field)  # line breaks: leave the rule to the csv module
    if "," in field or '"' in field:
        return '"' + field.replace('"', '""') + '"'
    return field


def _quoted(fields: list[str]) -> list[str]:
    """``fields`` with the ``csv`` module's minimal quoting applied where needed."""
    joined = "\x00".join(fields)
    if not any(trigger in joined for trigger in _QUOTE_TRIGGERS):
        return fields
    quoted: dict[str, str] = {}
    return [
        quoted[field] if field in quoted else quoted.setdefault(field, _quoted_field(field))
        for field in fields
    ]


def _csv_fields(values: pd.Series) -> list[str] | None:
    """A column as the unquoted texts ``DataFrame.to_csv`` writes, or None if not covered.

    Follows pandas' ``get_values_for_csv`` with ``na_rep=""`` and minimal quoting: numpy
    floats and integers through ``astype(str)``, booleans as ``true``/``false``, pandas
    strings as they are, other object values through ``str``; missing gives ``""``.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        return list(values.to_numpy(dtype=object, na_value=""))
    if not isinstance(dtype, np.dtype):
        return None
    array = values.to_numpy()
    if dtype.kind == "b":
        return ["true" if value else "false" for value in array.tolist()]
    if dtype.kind in "iu":
        return array.astype(str).tolist()
    if dtype.kind == "f":
        texts = array.astype(str).astype(object)
        texts[pd.isna(array)] = ""
        return texts.tolist()
    if dtype.kind == "O":
        texts = array.copy()
        texts[pd.isna(array)] = ""
        return list(map(str, texts.tolist()))
    return None


def csv_texts(values: pd.Series) -> list[str]:
    """A column as the unquoted texts ``DataFrame.to_csv`` writes (``""`` when missing).

    The same texts as :func:`csv_body` writes: dtypes :func:`_csv_fields` does not cover go
    through pandas' CSV writer and are parsed back.
    """
    fields = _csv_fields(values)
    if fields is not None:
        return fields
    text = _csv_ready(values.to_frame()).to_csv(index=False, header=False, lineterminator="\n")
    return [row[0] if row else "" for row in csv.reader(io.StringIO(text))]


def csv_body(frame: pd.DataFrame) -> str:
    """The rows of ``frame`` as ``to_csv(index=False, header=False, lineterminator="\\n")``.

    Byte for byte the same text, built column-wise instead of through pandas' CSV writer
    (several times faster on wide string frames); dtypes not covered by
    :func:`_csv_fields`, and frames of fewer than two columns (where ``csv`` quotes an
    empty row), go through pandas itself.
    """
    if frame.empty:
        return ""
    columns: list[list[str]] = []
    if frame.shape[1] >= 2:
        for position in range(frame.shape[1]):
            fields = _csv_fields(frame.iloc[:, position])
            if fields is None:
                break
            columns.append(_quoted(fields))
    if len(columns) < max(frame.shape[1], 2):
        return _csv_ready(frame).to_csv(index=False, header=False, lineterminator="\n")
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Booleans as ``true``/``false``; everything else is written as pandas formats it."""
    bool_columns = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c].dtype)]
    if not bool_columns:
        return frame
    out = frame.copy()
    for column in bool_columns:
        out[column] = out[column].map({True: "true", False: "false"}).astype(object)
    return out


class AtomicCsvWriter:
    """Stream rows into a temporary CSV beside ``path``; :meth:`commit` moves it into place.

    The writer counts rows and hashes bytes as it writes, so committing a large file costs
    no second read. Used as a context manager it removes the temporary file unless
    committed.

    Args:
        path: Final file path; its folder must exist.
        columns: Column order; every frame written is reordered to it.
        header: Write the header line (False for parts that are concatenated later).
    """

    def __init__(
        self, path: str | os.PathLike[str], columns: Sequence[str], *, header: bool = True
    ) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self.temp_path = temporary_path(self.path)
        fd = os.open(self.temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.rows = 0
        self.bytes = 0
        self._done = False
        if header:
            self._write(csv_line(self.columns))

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.bytes += len(data)

    def write_frame(self, frame: pd.DataFrame) -> None:
        """Append the rows of ``frame`` (its columns reordered to :attr:`columns`)."""
        if frame.empty:
            return
        self._write(csv_body(frame.loc[:, self.columns]).encode("utf-8"))
        self.rows += len(frame)

    def copy_from(self, part: AtomicCsvWriter) -> None:
        """Append the bytes another (header-less, unfinished) writer has written so far."""
        part._file.flush()
        with open(part.temp_path, "rb") as source:
            while chunk := source.read(_COPY_CHUNK):
                self._write(chunk)
        self.rows += part.rows

    def commit(self, **meta: Any) -> ExportFile:
        """Flush, fsync and atomically move the file to :attr:`path`; describe it."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        publish(self.temp_path, self.path)
        self._done = True
        return ExportFile(self.path.name, self.rows, self._hash.hexdigest(), self.bytes, meta)

    def discard(self) -> None:
        """Close and delete the temporary file (nothing happens after a commit)."""
        if self._done:
            return
        self._file.close()
        self.temp_path.unlink(missing_ok=True)
        self._done = True

    def __enter__(self) -> AtomicCsvWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()


def write_atomic_csv(frame: pd.DataFrame, path: str | os.PathLike[str], **meta: Any) -> ExportFile:
    """Write ``frame`` (header, no index) to ``path`` atomically; return its manifest entry."""
    with AtomicCsvWriter(path, [str(column) for column in frame.columns]) as writer:
        writer.write_frame(frame)
        return writer.commit(**meta)


def format_timestamp(moment: datetime | str) -> str:
    """ISO 8601 in UTC with a ``Z`` (a naive datetime is taken as UTC already)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat() + "Z"


def format_date(day: date | str) -> str:
    """``YYYY-MM-DD`` of a date, datetime or ISO date string."""
    if isinstance(day, datetime):
        return day.date().isoformat()
    if isinstance(day, date):
        return day.isoformat()
    return date.fromisoformat(str(day)).isoformat()


def write_manifest(
    directory: str | os.PathLike[str],
    files: Iterable[ExportFile | Mapping[str, Any]],
    model_version: str,
    as_of_date: date | str,
    generated_at: datetime | str,
    skipped: Iterable[Mapping[str, Any]] = (),
    **extra: Any,
) -> dict[str, Any]:
    """Write ``manifest.json`` in ``directory`` atomically; return what was written.

    Args:
        directory: The destination folder.
        files: Files of this run (entries sorted by path in the manifest).
        model_version: Version of the segmentation model that produced the export.
        as_of_date: The as-of date of the data.
        generated_at: When the export ran (injectable for reproducible manifests).
        skipped: Segments not exported, with their row counts and the reason.
        **extra: Further top-level fields (destination, thresholds).

    Returns:
        The manifest as a dict (JSON types only).
    """
    entries = [f.to_manifest() if isinstance(f, ExportFile) else dict(f) for f in files]
    entries.sort(key=lambda entry: entry["path"])
    manifest: dict[str, Any] = {
        **extra,
        "model_version": model_version,
        "as_of_date": format_date(as_of_date),
        "generated_at": format_timestamp(generated_at),
        "files": entries,
        "total_rows": sum(int(entry["rows"]) for entry in entries),
        "skipped": [dict(entry) for entry in skipped],
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    data = text.encode("utf-8")
    write_atomically(lambda temporary: temporary.write_bytes(data), Path(directory) / MANIFEST_NAME)
    return manifest


def remove_stale_files(directory: str | os.PathLike[str], keep: Iterable[str]) -> list[str]:
    """Delete CSVs of earlier runs and leftover temporary files; return the names removed.

    The destination folders belong to the exporter: every ``*.csv`` not in ``keep`` is
    stale (a segment no longer exported), and so is any ``.<name>.<hex>.tmp`` left by an
    interrupted run. Other files are left alone.
    """
    keep = set(keep)
    removed = []
    for entry in sorted(Path(directory).iterdir()):
        stale_csv = entry.suffix == ".csv" and entry.name not in keep
        if entry.is_file() and (stale_csv or TEMPORARY_FILE.match(entry.name)):
            entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def remove_part_folders(directory: str | os.PathLike[str]) -> list[str]:
    """Delete ``*.csv`` folders of part files (the Spark layout); return the names removed.

    An export folder written by Spark and then by DuckDB would otherwise keep a folder where
    a file of the same name must go.
    """
    removed = []
    for entry in sorted(Path(directory).iterdir()):
        if entry.is_dir() and entry.suffix == ".csv":
            shutil.rmtree(entry)
            removed.append(entry.name)
    return removed
