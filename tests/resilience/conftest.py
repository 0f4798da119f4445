"""The one world both resilience suites share: generated once, built once (published).

``make test-resilience`` runs this folder (``pytest -n 0 tests/resilience``); ``make test``
does not collect it (pyproject's ``testpaths``). The kill suite runs first (file order) and
leaves a world whose last build succeeded, which the load suite then rebuilds.
"""

from __future__ import annotations

import subprocess

import pytest
from resilience_world import BIN, World

CUSTOMERS = 300
"""Small, so that each build takes well under a minute here; the kill points do not depend
on size (one batch boundary for the scoring pause is set through a var)."""
SEED = 5


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A generated world after one good build (published, exports swapped in)."""
    world = World(base=tmp_path_factory.mktemp("resilience"))
    subprocess.run(
        [str(BIN / "python"), "-m", "custseg.generate", "--customers", str(CUSTOMERS)]
        + ["--seed", str(SEED), "--out", str(world.raw_dir)],
        check=True,
        capture_output=True,
    )
    world.first_build = world.build()
    return world
