"""The reserved segment ids are defined once per language, and the two definitions agree."""

from __future__ import annotations

import re

from conftest import REPO
from custseg import segment_ids

MACRO = REPO / "macros" / "segments" / "special_segment_ids.sql"


def _macro_ids() -> dict[str, int]:
    text = MACRO.read_text()
    return {name: int(value) for name, value in re.findall(r"'(\w+)': (-?\d+)", text)}


def test_sql_macro_and_python_module_define_the_same_ids() -> None:
    assert _macro_ids() == {
        "no_purchase": segment_ids.NO_PURCHASE,
        "noise": segment_ids.NOISE,
        "profiling_objection": segment_ids.PROFILING_OBJECTION,
        "first_cluster": segment_ids.FIRST_CLUSTER,
    }


def test_reserved_ids_are_distinct_and_below_the_first_cluster() -> None:
    reserved = [segment_ids.NO_PURCHASE, segment_ids.NOISE, segment_ids.PROFILING_OBJECTION]
    assert len(set(reserved)) == 3
    assert max(reserved) < segment_ids.FIRST_CLUSTER
