"""The options of `scripts/backfill.py` (no dbt run): the shipped build and its dates."""

from __future__ import annotations

import importlib.util
from datetime import date

import pytest

from conftest import REPO


def _load_backfill():
    spec = importlib.util.spec_from_file_location("backfill", REPO / "scripts" / "backfill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


backfill = _load_backfill()


def test_shipped_sets_months_end_rule_and_charts_once() -> None:
    args, extra = backfill.parse_args(["--shipped", "--", "--threads", "2"])
    assert args.months == backfill.SHIPPED_MONTHS
    assert args.end_before_data_end and args.charts_on_last_build_only
    assert extra == ["--threads", "2"]
    assert backfill.parse_args(["--shipped", "--months", "5"])[0].months == 5
    plain, _ = backfill.parse_args([])
    assert (plain.months, plain.end_before_data_end, plain.charts_on_last_build_only) == (
        6,
        False,
        False,
    )


def test_shipped_refuses_an_explicit_end_date() -> None:
    with pytest.raises(SystemExit):
        backfill.parse_args(["--shipped", "--end-date", "2026-10-01"])


def test_build_args_leave_out_the_charts_except_when_drawn() -> None:
    assert backfill.build_args(["--threads", "2"], draw_charts=True) == ["--threads", "2"]
    assert backfill.build_args([], draw_charts=False) == ["--exclude", backfill.CHARTS]
    own = backfill.build_args(["--exclude", "rpt_mart_exports"], draw_charts=False)
    assert own == ["--exclude", "rpt_mart_exports", "--exclude", backfill.CHARTS]


def test_months_back_ends_at_the_end_date() -> None:
    assert backfill.months_back(date(2026, 10, 20), 3) == [
        date(2026, 8, 20),
        date(2026, 9, 20),
        date(2026, 10, 20),
    ]
