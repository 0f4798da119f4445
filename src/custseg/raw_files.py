"""What a raw export file is before the build reads it: readable, or quarantined with a reason.

The build reads every raw file with the engine's CSV or Parquet reader. Some files that shops
and analysts drop into the raw folder cannot be read that way, and one such file must not stop
the build nor be read as garbage. :func:`inspect_raw_file` looks at one file and returns its
verdict (see :class:`RawFileVerdict`):

- a 0-byte file, a binary file (a ZIP or XLSX saved as ``.csv``: magic ``PK\\x03\\x04``; any
  other file with NUL bytes in its first block) or a file that is not valid in its declared
  encoding is quarantined, with its reason;
- a Windows-1252 file (DuckDB has no reader for it) is decoded here into a UTF-8 copy in the
  cache folder, which DuckDB reads instead (same lines, so row numbers stay true);
- the delimiter, when not declared, is detected from the header line, so that both engines
  split a file the same way (Spark's reader does not detect it);
- optionally (DuckDB), the records with more or fewer fields than the header are listed with
  their record number, so the build can reject them and keep every other row's true number.

The verdict is cached in the cache folder under the file's fingerprint (path, size,
modification time and the declared format), so a file is inspected once, not on every build:
checking a whole file's encoding reads it, which at 5 GB of exports costs seconds per file.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

# Bytes read at once; the first block is also what the binary check looks at.
BLOCK_SIZE = 1 << 20
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
UTF8_BOM = codecs.BOM_UTF8
# Delimiters detected in a header line, in the order that breaks a tie.
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
# Declared encoding -> Python codec. Latin-1 and Windows-1252 cannot be told apart from the
# bytes (0x80-0x9F is the euro sign and friends in 1252, control characters in Latin-1), so
# they are declared, never guessed.
ENCODINGS = {"utf-8": "utf-8-sig", "latin-1": "latin-1", "windows-1252": "cp1252"}
# Encodings DuckDB reads itself; the others are decoded into a UTF-8 copy.
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "latin-1": "latin-1"}
# DuckDB's rejects `error_type` -> the reject reason of a ragged record.
# Part of every cache key: bump it when a verdict's fields or rules change, so that verdicts
# cached by an older version are not reused.
VERDICT_VERSION = "2"
RAGGED_REASONS = {"TOO MANY COLUMNS": "too_many_fields", "MISSING COLUMNS": "too_few_fields"}


@dataclass(frozen=True)
class RawFileVerdict:
    """How the build reads one raw file.

    ``quarantine_reason`` is null for a readable file, else ``empty_file``, ``binary_file`` or
    ``undecodable_file`` (``detail`` says where). ``read_path`` is the file the engine reads
    (the UTF-8 copy for a Windows-1252 file) with ``read_encoding`` (DuckDB's name) and
    ``delimiter``; ``encoding`` is the original file's (a UTF-8 byte-order mark makes it
    ``utf-8`` whatever was declared: the mark is proof). ``ragged_records`` lists
    ``[record_number, reason]`` of the records with a wrong number of fields (record 1 is
    the first after the header), when asked for. ``crlf`` says the file has CRLF line ends
    (in its first block), so a line break inside a quoted field may be CRLF too.
    """

    quarantine_reason: str | None = None
    detail: str | None = None
    read_path: str | None = None
    read_encoding: str = "utf-8"
    encoding: str = "utf-8"
    delimiter: str | None = None
    crlf: bool = False
    ragged_records: list[list] = field(default_factory=list)


def fingerprint(path: Path, *parts: str) -> str:
    """A key for one version of ``path`` read with ``parts`` (format options)."""
    stat = path.stat()
    text = "|".join([str(path.resolve()), str(stat.st_size), str(stat.st_mtime_ns), *parts])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@contextmanager
def open_raw(path: Path) -> Iterator[BinaryIO]:
    """The bytes of a raw file, decompressed when it is gzipped (``.gz``)."""
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as stream:
            yield stream
    else:
        with path.open("rb") as stream:
            yield stream


def binary_reason(first_block: bytes) -> str | None:
    """``binary_file`` with what it looks like, when the first block is not text."""
    if first_block.startswith(ZIP_MAGIC):
        return "a ZIP archive (an .xlsx workbook is one): save the sheet as CSV"
    nul = first_block.find(b"\x00")
    if nul >= 0:
        return f"a NUL byte at byte {nul}: not a text file"
    return None


def detect_delimiter(header: bytes) -> str | None:
    """The candidate delimiter that occurs most often in the header line (null: none does)."""
    line = header.split(b"\n", 1)[0].decode("latin-1")
    counts = {candidate: line.count(candidate) for candidate in DELIMITER_CANDIDATES}
    best = max(DELIMITER_CANDIDATES, key=lambda candidate: counts[candidate])
    return best if counts[best] > 0 else None


def decode_stream(stream: BinaryIO, encoding: str, sink: BinaryIO | None) -> str | None:
    """Decode ``stream`` block by block; write it as UTF-8 to ``sink`` when given.

    Returns null when every byte decodes, else where the first bad byte is.
    """
    decoder = codecs.getincrementaldecoder(ENCODINGS[encoding])(errors="strict")
    offset = 0
    line = 1
    while True:
        block = stream.read(BLOCK_SIZE)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as error:
            bad = offset + error.start
            line += block[: error.start].count(b"\n")
            return f"byte {bad} (line {line}) is not valid {encoding}: declare the file's encoding"
        if sink is not None and text:
            sink.write(text.encode("utf-8"))
        if not block:
            return None
        offset += len(block)
        line += block.count(b"\n")


def ragged_records(read_path: str, delimiter: str | None, encoding: str) -> list[list]:
    """``[record_number, reason]`` of the records whose field count differs from the header.

    DuckDB's CSV reader stores such lines (``store_rejects``); its ``line`` counts records
    with the header as 1, so a record spanning lines (a quoted line break) counts once.
    """
    import duckdb

    options = ["header = true", "all_varchar = true", "store_rejects = true"]
    if delimiter is not None:
        options.append("delim = ?")
    options.append("encoding = ?")
    parameters = [read_path] + ([delimiter] if delimiter is not None else []) + [encoding]
    with duckdb.connect() as connection:
        connection.execute(
            f"select count(*) from read_csv(?, {', '.join(options)})", parameters
        ).fetchall()
        rows = connection.execute(
            # One error per missing column: keep one row per record.
            "select distinct on (line) line - 1, error_type from reject_errors"
            " order by line, column_idx"
        ).fetchall()
    return [
        [int(record), RAGGED_REASONS.get(error_type, "malformed_record")]
        for record, error_type in rows
    ]


def inspect_uncached(
    path: Path, file_format: str, encoding: str, delimiter: str | None, cache_dir: Path, key: str
) -> RawFileVerdict:
    """The verdict on ``path`` (see :func:`inspect_raw_file`), without the cache."""
    if path.stat().st_size == 0:
        return RawFileVerdict("empty_file", "the file has 0 bytes: export it again")
    if file_format == "parquet":
        with path.open("rb") as stream:
            magic = stream.read(4)
        if magic != PARQUET_MAGIC:
            return RawFileVerdict("binary_file", "not a Parquet file (no PAR1 magic)")
        return RawFileVerdict(read_path=str(path))
    try:
        with open_raw(path) as stream:
            first_block = stream.read(BLOCK_SIZE)
    except (OSError, EOFError) as error:
        return RawFileVerdict("undecodable_file", f"cannot decompress: {error}")
    if not first_block:
        return RawFileVerdict("empty_file", "the file is empty after decompression")
    reason = binary_reason(first_block)
    if reason is not None:
        return RawFileVerdict("binary_file", reason)
    if first_block.startswith(UTF8_BOM):
        encoding = "utf-8"
    if delimiter is None:
        delimiter = detect_delimiter(first_block.removeprefix(UTF8_BOM))
    read_path = str(path)
    copy = None
    if encoding not in DUCKDB_ENCODINGS:
        copy = cache_dir / f"{key}.csv"
        read_path = str(copy)
    temporary = cache_dir / f".{key}.{os.getpid()}.tmp"
    try:
        with open_raw(path) as stream:
            if copy is None:
                error = decode_stream(stream, encoding, None)
            else:
                with temporary.open("wb") as sink:
                    error = decode_stream(stream, encoding, sink)
    except (OSError, EOFError) as failure:
        error = f"cannot decompress: {failure}"
    if error is not None:
        temporary.unlink(missing_ok=True)
        return RawFileVerdict("undecodable_file", error)
    if copy is not None:
        temporary.replace(copy)
    return RawFileVerdict(
        read_path=read_path,
        read_encoding=DUCKDB_ENCODINGS.get(encoding, "utf-8"),
        encoding=encoding,
        delimiter=delimiter,
        crlf=b"\r\n" in first_block,
    )


def inspect_raw_file(
    path: str,
    file_format: str,
    encoding: str | None,
    delimiter: str | None,
    cache_dir: str,
    list_ragged: bool,
) -> str:
    """The verdict on one raw file as JSON (a :class:`RawFileVerdict`), cached.

    ``file_format`` is ``csv`` or ``parquet``; ``encoding`` the declared one (``utf-8``,
    ``latin-1``, ``windows-1252``; null is UTF-8); ``delimiter`` the declared one (null:
    detected); ``cache_dir`` where verdicts and UTF-8 copies are kept; ``list_ragged`` also
    lists the ragged records (DuckDB, whose reader would otherwise skip them silently).
    """
    encoding = (encoding or "utf-8").lower()
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}: use one of {sorted(ENCODINGS)}")
    raw_path = Path(path)
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    key = fingerprint(
        raw_path, VERDICT_VERSION, file_format, encoding, delimiter or "", str(list_ragged)
    )
    cached = cache / f"{key}.json"
    if cached.exists():
        return cached.read_text(encoding="utf-8")
    verdict = inspect_uncached(raw_path, file_format, encoding, delimiter, cache, key)
    if list_ragged and verdict.quarantine_reason is None and file_format == "csv":
        records = ragged_records(verdict.read_path, verdict.delimiter, verdict.read_encoding)
        verdict = RawFileVerdict(**{**asdict(verdict), "ragged_records": records})
    text = json.dumps(asdict(verdict), sort_keys=True)
    temporary = cache / f".{key}.{os.getpid()}.json.tmp"
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(cached)
    return text


def list_files(folder: str) -> list[list[str]]:
    """Every file under ``folder`` (recursively) as ``[absolute path, path relative to it]``,
    sorted.

    Spark's own listing (the ``binaryFile`` source) leaves out 0-byte files, which the build
    must see to quarantine them; the raw folder is read where dbt runs (see the adapter).
    """
    root = Path(folder).resolve()
    if not root.is_dir():
        return []
    return sorted(
        [str(path), path.relative_to(root).as_posix()] for path in root.rglob("*") if path.is_file()
    )
