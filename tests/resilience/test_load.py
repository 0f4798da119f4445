"""Load: eight BI readers in a loop on the published file through three builds, one failing.

Each reader (``published_reader.py``, its own process) opens the published file read-only,
reads the publication it names, the segment count and the customer total in one connection,
and closes it, again and again, while three builds run one after the other: a good build at
an earlier as-of date, a build that fails on purpose (a var out of range breaks one late
model after the exports were staged), and a good build at a third as-of date.

Every reader sees zero errors (no lock conflict, no half-written file), and each observation
is exactly one publication: the segment count and customer total that publication has,
never a mix; a reader never goes back to an older publication.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from resilience_world import PublishedState, World

READERS = 8
BUILDS = (
    ("good, earlier as-of date", "{as_of_date: '2026-09-01'}", True),
    # fct_segment_run_silhouettes needs at least 2 customers in its sample
    ("failing on purpose", "{as_of_date: '2026-11-20', drift_silhouette_sample_size: 1}", False),
    ("good, another as-of date", "{as_of_date: '2026-10-01'}", True),
)
"""Each good build publishes other segment counts or customer totals (fewer customers had
signed up by an earlier as-of date), so that a reader mixing two publications is seen."""
READER_SCRIPT = Path(__file__).with_name("published_reader.py")


def test_readers_see_whole_publications_through_good_and_failed_builds(
    world: World, tmp_path: Path
) -> None:
    states: list[PublishedState] = [world.published_state()]
    stop = tmp_path / "stop"
    outputs = [tmp_path / f"reader-{number}.jsonl" for number in range(READERS)]
    readers = [
        subprocess.Popen(
            [sys.executable, str(READER_SCRIPT), str(world.published), str(out), str(stop)]
        )
        for out in outputs
    ]
    try:
        for description, build_vars, succeeds in BUILDS:
            build = world.build(build_vars, expect_success=succeeds)
            states.append(world.published_state())
            print(f"load: build {description} took {build.seconds:.0f} s")
        # let every reader open the last publication at least once
        time.sleep(2)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=60)

    # the failed build changed nothing readers see but its log row
    assert states[2].publication_id == states[1].publication_id
    assert states[2].fingerprint == states[1].fingerprint
    assert states[2].log[-1][0] == "failed"
    order = list(dict.fromkeys(state.publication_id for state in states))
    expected = {state.publication_id: state.fingerprint for state in states}
    assert len(order) == 3, "the two good builds each published a new version"
    assert len(set(expected.values())) == 3, f"publications not told apart: {expected}"

    seen: Counter = Counter()
    for out in outputs:
        observations = [json.loads(line) for line in out.read_text().splitlines()]
        errors = [observation["error"] for observation in observations if "error" in observation]
        assert errors == [], f"{out.name}: {len(errors)} errors, first {errors[0]}"
        for observation in observations:
            publication_id = observation["publication_id"]
            assert publication_id in expected, observation
            fingerprint = (observation["segment_count"], observation["customer_total"])
            assert fingerprint == expected[publication_id], observation
            seen[publication_id] += 1
        positions = [order.index(observation["publication_id"]) for observation in observations]
        assert positions == sorted(positions), f"{out.name} went back to an older publication"
        assert positions[0] == 0 and positions[-1] == len(order) - 1, out.name
    print(
        f"load: {sum(seen.values())} observations by {READERS} readers, 0 errors; per "
        "publication (segments, customers): "
        + ", ".join(f"{expected[key]}: {seen[key]}" for key in order)
    )
