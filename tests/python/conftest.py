"""Shared fixtures: generate raw exports into temporary folders and run dbt against them.

Every dbt invocation gets its own warehouse file, target and log folder, so tests never touch
the developer's `segments.duckdb` and can share one built world per session.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import yaml

from custseg.clustering.model import ALGORITHMS
from custseg.clustering.selection import SelectionConfig
from custseg.segment_marts import catalog as segment_catalog

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PROJECT_ITEMS = (
    "dbt_project.yml",
    "profiles.yml",
    "pyproject.toml",
    ".dbtignore",
    ".sqlfluff",
    ".sqlfluffignore",
    "models",
    "python_models",
    "macros",
    "seeds",
    "tests",
    "analyses",
    "src",
    "scripts",
)
"""What a copy of the project needs to build, document and lint itself."""
PLACEHOLDER_CATALOG = segment_catalog.docs_file_text(segment_catalog.render_catalog(pd.DataFrame()))
"""The docs file of the segment catalog as committed: the catalog of no segments."""


def copy_project(destination: Path) -> Path:
    """Copy the project as a fresh clone has it (no build outputs) to ``destination``.

    Charts and catalogs a local build left behind are not copied, and the docs file of the
    segment catalog is the committed placeholder.
    """
    ignore = shutil.ignore_patterns("__pycache__", ".*_cache", "*.png", "catalog.md")
    destination.mkdir(parents=True)
    for item in PROJECT_ITEMS:
        source = REPO / item
        if source.is_dir():
            shutil.copytree(source, destination / item, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, destination / item)
    (destination / "docs" / "assets").mkdir(parents=True)
    (destination / segment_catalog.GENERATED_DOCS_FILE).write_text(PLACEHOLDER_CATALOG)
    return destination


@dataclass(frozen=True)
class World:
    """A generated raw folder, its truth folder, and the warehouse built from it."""

    raw_dir: Path
    truth_dir: Path
    db_path: Path
    work_dir: Path

    @property
    def dirt(self) -> dict:
        return json.loads((self.truth_dir / "dirt.json").read_text())

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.sql(sql).fetchall()


def generate(out: Path, customers: int, seed: int, *extra: str) -> Path:
    """Run the sample-data generator CLI; return the truth folder."""
    truth = out.parent / f"{out.name}_truth"
    subprocess.run(
        [
            str(BIN / "python"),
            "-m",
            "custseg.generate",
            "--customers",
            str(customers),
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--truth-dir",
            str(truth),
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return truth


def dbt_env(raw_dir: Path, db_path: Path, work_dir: Path) -> dict[str, str]:
    """The environment of a dbt run on `raw_dir` into `db_path` that writes only under
    `work_dir` (target, logs, charts, the catalog's docs file, exports)."""
    return os.environ | {
        "RAW_DATA_DIR": str(raw_dir),
        "SEGMENTS_DB_PATH": str(db_path),
        "DBT_TARGET_PATH": str(work_dir / "target"),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "SEGMENT_PLOTS_DIR": str(work_dir / "plots"),
        "SEGMENT_CATALOG_FILE": str(work_dir / "segment_catalog.md"),
        "MART_EXPORT_DIR": str(work_dir / "exports" / "marts"),
        "EXPORT_DIR": str(work_dir / "exports" / "activation"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # The profile's default is one dbt thread (safe at a million customers). The tests
        # use two so that models also run at the same time (for example two cached_table
        # models writing their fingerprints).
        "SEGMENTS_DBT_THREADS": os.environ.get("SEGMENTS_DBT_THREADS", "2"),
    }


def run_dbt(
    args: list[str],
    *,
    raw_dir: Path,
    db_path: Path,
    work_dir: Path,
    check: bool = True,
    project_dir: Path = REPO,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run dbt in `project_dir` (the repository root) against `raw_dir`, writing only under
    `work_dir`; `extra_env` adds or overrides environment variables."""
    result = subprocess.run(
        [str(BIN / "dbt"), *args],
        cwd=project_dir,
        env=dbt_env(raw_dir, db_path, work_dir) | (extra_env or {}),
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({result.returncode}):\n{result.stdout[-6000:]}"
        )
    return result


def build_world(
    base: Path, customers: int, seed: int, build_args: list[str], *generate_args: str
) -> tuple[World, Path]:
    """Generate ``base/raw``, run ``dbt <build_args>`` on it once, and keep a copy of that
    warehouse (``base/after_first_build.duckdb``) for tests that rebuild from it."""
    raw = base / "raw"
    truth = generate(raw, customers, seed, *generate_args)
    world = World(raw_dir=raw, truth_dir=truth, db_path=base / "warehouse.duckdb", work_dir=base)
    run_dbt(build_args, raw_dir=raw, db_path=world.db_path, work_dir=base)
    pristine = base / "after_first_build.duckdb"
    shutil.copyfile(world.db_path, pristine)
    return world, pristine


@pytest.fixture(scope="session")
def dirty_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """600 generated customers with injected dirt (mixed layout: folders, parquet), built once."""
    base = tmp_path_factory.mktemp("dirty_world")
    raw = base / "raw"
    truth = generate(raw, 600, 7)
    world = World(raw_dir=raw, truth_dir=truth, db_path=base / "warehouse.duckdb", work_dir=base)
    run_dbt(["build"], raw_dir=raw, db_path=world.db_path, work_dir=base)
    return world


def project_vars() -> dict:
    """The vars of `dbt_project.yml`, the one place their defaults live."""
    return yaml.safe_load((REPO / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def selection_config(**overrides: Any) -> SelectionConfig:
    """A candidate-search config with the project's defaults (`dbt_project.yml`) for the
    fields a var sets, every algorithm unless ``algorithms`` is given, and ``overrides``."""
    defaults = project_vars()
    fields = {
        "algorithms": ALGORITHMS,
        "k_values": tuple(range(defaults["segment_k_min"], defaults["segment_k_max"] + 1)),
        "min_segment_share": defaults["segment_min_share"],
        "max_segment_share": defaults["segment_max_share"],
        "agglomerative_sample_size": defaults["segment_ward_sample_size"],
    }
    return SelectionConfig(**(fields | overrides))


BAD_FILES_ORDERS_HEADER = (
    "order_id,customer_id,ordered_at,status,currency,order_total,discount_total,sales_channel"
)


def drop_bad_order_files(raw: Path) -> None:
    """Drop held-out bad files into ``raw/shop_orders/`` of a generated world: one with
    ragged records (records 2 and 4; record 3 spans two lines), a 0-byte file, a ZIP saved
    as .csv and a file that is not valid UTF-8. The engine tests build them too."""
    folder = raw / "shop_orders"
    # A table may be a file and a folder at once (list_raw_files reads both).
    folder.mkdir(exist_ok=True)
    good = "{id},00000001,2026-01-05T10:00:00Z,completed,EUR,10.00,0,web"
    records = [
        good.format(id="R1"),  # record 1
        good.format(id="R2") + ",surplus",  # record 2: too many fields
        '"R3",00000001,2026-01-05T10:00:00Z,completed,EUR,10.00,0,"we\nb"',  # 3: two lines
        "R4,00000001,2026-01-05T10:00:00Z",  # record 4: too few fields
        good.format(id="R5"),  # record 5
        good.format(id="R6"),  # record 6
    ]
    (folder / "2099-ragged.csv").write_text(
        BAD_FILES_ORDERS_HEADER + "\n" + "\n".join(records) + "\n"
    )
    (folder / "2099-zero-bytes.csv").write_bytes(b"")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    (folder / "2099-workbook.csv").write_bytes(archive.getvalue())
    (folder / "2099-not-utf8.csv").write_bytes(
        (
            BAD_FILES_ORDERS_HEADER + "\nR9,00000001,2026-01-05T10:00:00Z,completed,EUR,1,0,w"
        ).encode()
        + b"\xff\xfe\n"
    )
