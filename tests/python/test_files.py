"""Tests of the one atomic file writer (``custseg.files``)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from custseg.files import (
    TEMPORARY_FILE,
    file_digest,
    temporary_path,
    write_atomically,
    write_bytes_if_changed,
)


def test_write_atomically_replaces_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out" / "mart.parquet"
    size, digest = write_atomically(lambda p: p.write_bytes(b"one"), target)
    assert target.read_bytes() == b"one"
    assert (size, digest) == (3, hashlib.sha256(b"one").hexdigest())
    assert file_digest(target) == (size, digest)

    def failing(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(failing, target)
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["mart.parquet"]


def test_the_writer_sees_a_hidden_temporary_file_beside_the_target(tmp_path: Path) -> None:
    seen: list[Path] = []

    def write(path: Path) -> None:
        seen.append(path)
        path.write_text("x")

    write_atomically(write, tmp_path / "chart.png")
    assert seen[0].parent == tmp_path
    assert TEMPORARY_FILE.match(seen[0].name)
    assert TEMPORARY_FILE.match(temporary_path(tmp_path / "a.csv").name)
    assert not TEMPORARY_FILE.match("a.csv")


def test_write_bytes_if_changed_only_rewrites_on_change(tmp_path: Path) -> None:
    path = tmp_path / "a" / "catalog.md"
    assert write_bytes_if_changed(path, b"x\n")
    modified = path.stat().st_mtime_ns
    assert not write_bytes_if_changed(path, b"x\n")
    assert path.stat().st_mtime_ns == modified
    assert write_bytes_if_changed(path, b"y\n")
    assert path.read_bytes() == b"y\n"
