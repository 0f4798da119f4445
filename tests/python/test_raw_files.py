"""custseg.raw_files: the verdict on one raw file before the build reads it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from custseg.raw_files import detect_delimiter, inspect_raw_file


def verdict(path: Path, encoding: str | None = None, *, ragged: bool = False) -> dict:
    cache = path.parent / "cache"
    return json.loads(inspect_raw_file(str(path), "csv", encoding, None, str(cache), ragged))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty_file"),
        (b"PK\x03\x04\x14\x00rest of a workbook", "binary_file"),
        (b"a,b\n1,\x002\n", "binary_file"),
        (b"a,b\n\xff,1\n", "undecodable_file"),
    ],
)
def test_bad_files_are_quarantined(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    assert verdict(path)["quarantine_reason"] == reason


def test_a_bad_byte_far_into_the_file_is_found_with_its_line(tmp_path: Path) -> None:
    """The whole file is checked, block by block, not only its first block."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 400_000 + b"3,\xe4\n")
    result = verdict(path)
    assert result["quarantine_reason"] == "undecodable_file"
    assert "(line 400002)" in result["detail"]


def test_windows_1252_gets_a_utf8_copy_with_the_same_lines(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("a;b\r\nMüller €;1,5\r\n".encode("cp1252"))
    result = verdict(path, "windows-1252")
    assert result["quarantine_reason"] is None
    assert result["delimiter"] == ";"
    assert Path(result["read_path"]).read_bytes() == "a;b\r\nMüller €;1,5\r\n".encode()


def test_bytes_undefined_in_windows_1252_are_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a;b\r\nM\x81ller;1\r\n")
    assert verdict(path, "windows-1252")["quarantine_reason"] == "undecodable_file"


def test_a_byte_order_mark_means_utf8_whatever_is_declared(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbfa;b\r\n\xc3\xbc;1\r\n")
    result = verdict(path, "windows-1252")
    assert (result["encoding"], result["read_path"]) == ("utf-8", str(path))


def test_latin1_is_read_by_the_engine(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("a,b\nMüller,1\n".encode("latin-1"))
    result = verdict(path, "latin-1")
    assert (result["read_encoding"], result["read_path"]) == ("latin-1", str(path))


def test_gzip_is_checked_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"a,b\n\xff,1\n"))
    assert verdict(path)["quarantine_reason"] == "undecodable_file"
    path.write_bytes(b"not gzip at all")
    assert verdict(path)["quarantine_reason"] == "undecodable_file"


def test_ragged_records_are_listed_once_with_their_record_number(tmp_path: Path) -> None:
    """Record 3 spans two lines (a quoted line break) and counts once."""
    path = tmp_path / "t.csv"
    path.write_text('a,b,c\n1,2,3\n4,5\n"x\ny",7,8\n9,10,11,12\n13,14,15\n')
    assert verdict(path, ragged=True)["ragged_records"] == [
        [2, "too_few_fields"],
        [4, "too_many_fields"],
    ]


def test_the_verdict_is_cached_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n")
    assert verdict(path)["quarantine_reason"] is None
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    assert verdict(path)["quarantine_reason"] is None
    assert len(list((tmp_path / "cache").glob("*.json"))) == 1
    path.write_bytes(b"")
    assert verdict(path)["quarantine_reason"] == "empty_file"


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [(b"a,b,c", ","), (b"a;b;c\r\n1,5;2;3", ";"), (b"a\tb", "\t"), (b"a|b", "|"), (b"a", None)],
)
def test_delimiter_is_detected_from_the_header(header: bytes, delimiter: str | None) -> None:
    assert detect_delimiter(header) == delimiter
