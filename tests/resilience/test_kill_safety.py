"""Kill-safety: a build SIGKILLed anywhere loses nothing, mixes nothing, and the next recovers.

On the shared world (``conftest.world``, one good build published), each scenario starts a
``dbt build`` that changes something (a later as-of date; a refit; touched raw files), kills
its whole process group with SIGKILL, checks what readers see at once, then runs the same
build again with no manual step in between and checks the recovery:

- at each named pause point (``custseg.pause_points``): ``staging``, ``fit``, ``scoring``,
  ``exports``, ``publishing`` (each reached for certain, then killed there);
- at seeded random times during a build (``random.Random(SEED)``, so a failure replays);
- between the renames of publishing: released from ``publishing`` and killed the moment the
  first export folder is swapped in.

Right after a kill: the published file opens read-only with one whole version: the last
good build's (the same log, segment count and customer total; always so at a pause point,
all of which come before the first rename), or, killed after its rename, the killed
build's; every export folder is one complete set (the previous one, or, killed after its
swap, the killed build's), and the activation manifests match their files (names, sizes,
sha256). After the rerun: it succeeded and is published; the model registry, the segment
history, the overrides and their merges lost no row and gained no duplicate, the history
gained exactly this run; the exports are this run's, whole, and no temporary file or
staging folder is left.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from resilience_world import (
    KEPT_TABLES,
    Build,
    PublishedState,
    World,
    activation_mismatches,
    folder_files,
)

FIRST_AS_OF = date(2026, 11, 1)
"""The as-of date of the first build (the generated world's default, seed 5)."""
SEED = 15
RANDOM_KILLS = 3
KILL_WINDOW = (0.1, 0.9)
"""Random kills fall in this share of a typical build's duration (the first build's)."""
EXPORT_KINDS = ("marts", "activation")


@dataclass(frozen=True)
class Scenario:
    """A build that changes something, killed at ``phase`` (None: at a random time)."""

    phase: str | None
    days_after_first: int
    extra_vars: str = ""
    touch_raw_orders: bool = False

    @property
    def as_of_date(self) -> date:
        return FIRST_AS_OF + timedelta(days=self.days_after_first)

    @property
    def build_vars(self) -> str:
        return "{as_of_date: '" + self.as_of_date.isoformat() + "'" + self.extra_vars + "}"

    @property
    def refits(self) -> bool:
        return "refit: true" in self.extra_vars


PHASE_SCENARIOS = [
    # base_shop__orders pauses only when cached_table rebuilds it: new modification times
    Scenario("staging", 1, touch_raw_orders=True),
    Scenario("fit", 2, ", refit: true"),
    # the scoring pause is between batches: three batches of 100 customers
    Scenario("scoring", 3, ", segment_batch_rows: 100"),
    Scenario("exports", 4),
    Scenario("publishing", 5),
]


@dataclass
class Before:
    """What a build started from: the published state, the export links, the kept rows."""

    published: PublishedState
    links: dict[str, str]
    kept: dict[str, list[dict]]

    @classmethod
    def read(cls, world: World) -> Before:
        return cls(
            published=world.published_state(),
            links={kind: os.readlink(world.export_dir(kind)) for kind in EXPORT_KINDS},
            kept=world.kept_rows(),
        )


@pytest.mark.parametrize("scenario", PHASE_SCENARIOS, ids=lambda scenario: scenario.phase)
def test_a_build_killed_at_a_pause_point_recovers(
    world: World, scenario: Scenario, tmp_path: Path
) -> None:
    before = Before.read(world)
    if scenario.touch_raw_orders:
        for path in (world.raw_dir / "shop_orders").iterdir():
            os.utime(path)
    pause_file = tmp_path / "paused"
    build = world.start_build(
        scenario.build_vars,
        SEGMENTS_PAUSE_AT=scenario.phase,
        SEGMENTS_PAUSE_FILE=str(pause_file),
    )
    try:
        build.wait_for_pause(pause_file, scenario.phase)
    finally:
        build.kill()
    # every pause point is before the first rename: readers see the last good build whole
    assert_previous_version_readable(world, before)
    recover(world, scenario, before, before.published.log)


def test_builds_killed_at_seeded_random_times_recover(world: World) -> None:
    assert world.first_build is not None
    typical_seconds = world.first_build.seconds
    chooser = random.Random(SEED)
    for number in range(RANDOM_KILLS):
        scenario = Scenario(None, len(PHASE_SCENARIOS) + 1 + number)
        before = Before.read(world)
        # one kill in each stratum of the build's time (after dbt's start-up, before its
        # end), so the kills spread over the build whatever the seed
        stratum = (KILL_WINDOW[1] - KILL_WINDOW[0]) / RANDOM_KILLS
        start = KILL_WINDOW[0] + number * stratum
        delay = chooser.uniform(start, start + stratum) * typical_seconds
        build = world.start_build(scenario.build_vars)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and build.process.poll() is None:
            time.sleep(0.1)
        finished = build.process.poll() is not None
        build.kill()
        output = re.sub(r"\x1b\[[0-9;]*m", "", build.tail(20000))  # no terminal colours
        running = [line.strip() for line in output.splitlines() if " START " in line]
        print(
            f"random kill {number + 1}: after {delay:.1f} s of a build that takes about "
            f"{typical_seconds:.0f} s; "
            + ("the build had already finished" if finished else f"last started: {running[-1:]}")
        )
        after_kill = assert_one_complete_version(world, before, scenario)
        recover(world, scenario, before, after_kill.log)


def test_a_build_killed_between_its_swaps_recovers(world: World, tmp_path: Path) -> None:
    """Held at ``publishing``, released, and killed the moment its first export folder is
    swapped in: before the other folder and the published file are (each a rename)."""
    scenario = Scenario(None, len(PHASE_SCENARIOS) + 1 + RANDOM_KILLS)
    before = Before.read(world)
    pause_file = tmp_path / "paused"
    build = world.start_build(
        scenario.build_vars, SEGMENTS_PAUSE_AT="publishing", SEGMENTS_PAUSE_FILE=str(pause_file)
    )
    try:
        build.wait_for_pause(pause_file, "publishing")
        pause_file.unlink()
        deadline = time.monotonic() + 60
        # a tight loop: the renames that follow take milliseconds
        while build.process.poll() is None and time.monotonic() < deadline:
            if any(os.readlink(world.export_dir(k)) != before.links[k] for k in EXPORT_KINDS):
                break
    finally:
        build.kill()
    after_kill = assert_one_complete_version(world, before, scenario)
    swapped = [k for k in EXPORT_KINDS if os.readlink(world.export_dir(k)) != before.links[k]]
    published = after_kill.publication_id != before.published.publication_id
    print(f"kill between swaps: swapped in {swapped}; published file renamed: {published}")
    assert swapped, "the build was killed before its first swap"
    recover(world, scenario, before, after_kill.log)


def assert_previous_version_readable(world: World, before: Before) -> None:
    """The published file and the export folders are exactly those of the last good build."""
    now = world.published_state()
    assert now == before.published
    for kind in EXPORT_KINDS:
        assert os.readlink(world.export_dir(kind)) == before.links[kind], kind
    assert folder_files(world.export_dir("marts"), "*") == before.published.mart_files
    assert activation_mismatches(world.export_dir("activation")) == []


def assert_one_complete_version(world: World, before: Before, scenario: Scenario) -> PublishedState:
    """After a kill at any time: the previous version, or the killed build's, each whole;
    return the published state."""
    now = world.published_state()
    if now.publication_id != before.published.publication_id:
        # killed after its rename: the killed build is published, with one more log row
        assert now.log[:-1] == before.published.log
        assert now.log[-1][0] == "published" and now.log[-1][2] == scenario.as_of_date
    else:
        assert now == before.published
    # each export folder is one complete set: the version it pointed at, or the killed
    # build's new one (then the set its rpt_mart_exports listed, in the warehouse)
    marts_files = folder_files(world.export_dir("marts"), "*")
    if os.readlink(world.export_dir("marts")) == before.links["marts"]:
        assert marts_files == before.published.mart_files
    else:
        assert marts_files == world.warehouse_mart_files()
    assert activation_mismatches(world.export_dir("activation")) == []
    return now


def recover(world: World, scenario: Scenario, before: Before, log_after_kill: list) -> Build:
    """Rerun the killed build as it was, with no manual step, and check what it left.

    ``log_after_kill`` is the publication log the kill left (one row more than ``before``'s
    when a random kill came after the killed build published).
    """
    build = world.build(scenario.build_vars)
    invocation_id = build.invocation_id()
    published = world.published_state()
    assert published.publication_id == invocation_id
    assert published.log[: len(log_after_kill)] == log_after_kill
    [(status, logged_id, as_of, model_version)] = published.log[len(log_after_kill) :]
    assert (status, logged_id, as_of) == ("published", invocation_id, scenario.as_of_date)
    assert_kept_rows(before.kept, world.kept_rows(), scenario, model_version)
    for kind in EXPORT_KINDS:
        # publication versions are named <build start>-<first 8 characters of the invocation>
        assert os.readlink(world.export_dir(kind)).endswith(invocation_id[:8]), kind
    assert folder_files(world.export_dir("marts"), "*") == published.mart_files
    assert activation_mismatches(world.export_dir("activation")) == []
    assert_no_leftovers(world)
    return build


def assert_kept_rows(
    before: dict[str, list[dict]], after: dict[str, list[dict]], scenario: Scenario, version: int
) -> None:
    """Nothing lost, nothing duplicated; the history gained exactly this run's rows."""
    for name, (relation, key) in KEPT_TABLES.items():
        keys = Counter(tuple(row[column] for column in key) for row in after[name])
        duplicates = [value for value, count in keys.items() if count > 1]
        assert duplicates == [], f"{relation}: duplicate keys {duplicates[:5]}"
    for name in ("overrides", "merges"):
        assert after[name] == before[name], KEPT_TABLES[name][0]

    old_versions = before["registry"]
    new_versions = [row for row in after["registry"] if row not in old_versions]
    assert [row for row in after["registry"] if row in old_versions] == old_versions
    # one build fits at most once; a requested refit fits exactly once, at its as-of date
    assert len(new_versions) <= 1
    if scenario.refits:
        assert len(new_versions) == 1
    assert all(row["trained_as_of_date"] == scenario.as_of_date for row in new_versions)

    def runs(rows: list[dict]) -> Counter:
        return Counter((row["as_of_date"], row["model_version"]) for row in rows)

    this_run = (scenario.as_of_date, version)
    assert scenario.as_of_date not in {as_of for as_of, _ in runs(before["history"])}
    gained = runs(after["history"]) - runs(before["history"])
    assert list(gained) == [this_run]
    assert runs(after["history"]) == runs(before["history"]) + gained
    kept_history = [row for row in after["history"] if row["as_of_date"] != scenario.as_of_date]
    assert kept_history == before["history"]


def assert_no_leftovers(world: World) -> None:
    """A good build removed what killed builds left: staging folders, temporary files."""
    published_folder = world.published.parent
    assert sorted(path.name for path in published_folder.glob(".*.tmp*")) == []
    exports = world.base / "exports"
    assert sorted(path.name for path in exports.glob(".*.tmp")) == []
    for kind in EXPORT_KINDS:
        assert not (exports / f".{kind}.staging").exists(), kind
        assert len(list((exports / f".{kind}.versions").iterdir())) <= 2, kind
