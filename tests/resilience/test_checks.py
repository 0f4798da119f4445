"""The checks of the kill suite fail on what they guard against (no build needed).

A kill test that passes proves something only if its checks would have failed on a mix of
export versions, a lost or duplicated row, or a history that kept a killed run's rows.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from resilience_world import ACTIVATION_DESTINATIONS, activation_mismatches, file_digest
from test_kill_safety import Scenario, assert_kept_rows

AS_OF = date(2026, 11, 2)


def write_destination(folder: Path, files: dict[str, str], as_of: str = "2026-11-02") -> None:
    folder.mkdir(parents=True)
    entries = []
    for name, text in files.items():
        (folder / name).write_text(text)
        size, digest = file_digest(folder / name)
        entries.append({"path": name, "rows": 1, "sha256": digest, "bytes": size})
    manifest = {"model_version": "1", "as_of_date": as_of, "files": entries}
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def activation(tmp_path: Path) -> Path:
    for destination in ACTIVATION_DESTINATIONS:
        write_destination(tmp_path / destination, {f"{destination}.csv": "id\n1\n"})
    return tmp_path


def test_a_whole_activation_set_matches(activation: Path) -> None:
    assert activation_mismatches(activation) == []


def test_a_file_from_another_version_is_a_mismatch(activation: Path) -> None:
    (activation / "crm" / "crm.csv").write_text("id\n2\n")
    assert activation_mismatches(activation) != []


def test_a_leftover_temporary_file_is_a_mismatch(activation: Path) -> None:
    (activation / "email" / ".email.csv.1234.tmp").write_text("id\n")
    assert activation_mismatches(activation) != []


def test_destinations_of_two_runs_are_a_mismatch(activation: Path) -> None:
    (activation / "ads" / "manifest.json").unlink()
    (activation / "ads" / "ads.csv").unlink()
    (activation / "ads").rmdir()
    write_destination(activation / "ads", {"ads.csv": "id\n1\n"}, as_of="2026-11-01")
    assert activation_mismatches(activation) != []


def kept(history_runs: list[tuple[date, int]], versions: list[int]) -> dict[str, list[dict]]:
    return {
        "registry": [{"model_version": v, "trained_as_of_date": AS_OF} for v in versions],
        "history": [
            {"customer_id": customer, "as_of_date": as_of, "model_version": version}
            for as_of, version in history_runs
            for customer in ("c1", "c2")
        ],
        "overrides": [{"segment_id": 0}],
        "merges": [],
    }


OLD_RUN = (date(2026, 11, 1), 1)
SCENARIO = Scenario("exports", 1)


def test_the_rerun_of_a_killed_build_is_accepted() -> None:
    before = kept([OLD_RUN], [1])
    assert_kept_rows(before, kept([OLD_RUN, (AS_OF, 1)], [1]), SCENARIO, 1)


@pytest.mark.parametrize(
    "after",
    [
        kept([(AS_OF, 1)], [1]),  # an earlier run lost
        kept([OLD_RUN, OLD_RUN, (AS_OF, 1)], [1]),  # an earlier run duplicated
        kept([OLD_RUN, (AS_OF, 1), (AS_OF, 2)], [1, 2]),  # a killed attempt's run kept
        kept([OLD_RUN, (AS_OF, 1)], []),  # a registry row lost
        kept([OLD_RUN, (AS_OF, 1)], [1, 1]),  # a registry row duplicated
        kept([OLD_RUN], [1]),  # the run not recorded
    ],
    ids=["lost", "duplicated", "killed-run-kept", "registry-lost", "registry-dup", "not-recorded"],
)
def test_lost_duplicated_or_extra_rows_are_caught(after: dict[str, list[dict]]) -> None:
    with pytest.raises(AssertionError):
        assert_kept_rows(kept([OLD_RUN], [1]), after, SCENARIO, 1)
