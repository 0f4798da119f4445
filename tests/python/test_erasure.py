"""The rows `python -m custseg.erasure` prints match what the build compares (macro
`erased_rows_masked`: DuckDB's `sha256` of the trimmed customer id)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from custseg.erasure import customer_id_digest, erasure_rows, main


def test_the_digest_is_the_builds_sha256_of_the_trimmed_id() -> None:
    (expected,) = duckdb.sql("select sha256(trim(' 00000042 '))").fetchall()[0]
    assert customer_id_digest(" 00000042 ") == expected
    assert customer_id_digest("00000042") != customer_id_digest("00000043")


def test_rows_hold_the_digest_and_date_never_the_id(capsys) -> None:
    main(["00000042", "00000107", "--requested-at", "2026-12-01"])
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{customer_id_digest('00000042')},2026-12-01",
        f"{customer_id_digest('00000107')},2026-12-01",
    ]
    assert not any("00000042" in line or "00000107" in line for line in lines)


def test_a_blank_id_is_refused() -> None:
    with pytest.raises(ValueError, match="blank"):
        erasure_rows(["00000042", " "], dt.date(2026, 12, 1))
