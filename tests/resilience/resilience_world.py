"""One small generated world for the kill and load suites, and what they read from it.

A :class:`World` is a raw folder plus every path a build writes (warehouse, target, logs,
exports, the published file), all under one temporary folder. Builds run in a new session
(``start_new_session=True``), so a test can SIGKILL the whole process group: dbt and any
child it started die at once, as with a power cut, the OOM killer or ``kill -9``.

The readers here are the ones a BI tool has: they open the published file read-only, or list
an export folder, and never touch the build's own warehouse. The exceptions are the keys of
the tables that cross builds (:data:`KEPT_TABLES`), read from the warehouse between builds.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

KEPT_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "registry": ("intermediate.int_segment_model_versions", ("model_version",)),
    "history": ("marts.fct_segment_history", ("customer_id", "as_of_date", "model_version")),
    "overrides": ("reference.segment_overrides", ("segment_id",)),
    "merges": ("intermediate.int_segment_merges_resolved", ("from_segment_id",)),
}
"""The rows a build must keep: name -> (relation in the warehouse, key columns)."""

ACTIVATION_DESTINATIONS = ("crm", "email", "ads")

PUBLISHED_FINGERPRINT_SQL = """
select
    (select invocation_id from meta.publication_log
     where status = 'published' order by recorded_at desc limit 1) as publication_id,
    (select count(*) from marts.dim_segments) as segment_count,
    (select sum(customer_count) from marts.dim_segments) as customer_total
"""
"""What a dashboard shows, in one connection: the publication it reads (the last published
build named in the file's log), its segment count and its customer total."""


@dataclass
class World:
    """A generated raw folder and every path its builds write, under ``base``."""

    base: Path
    builds: int = field(default=0)
    first_build: Build | None = None

    @property
    def raw_dir(self) -> Path:
        return self.base / "raw"

    @property
    def warehouse(self) -> Path:
        return self.base / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        return self.base / "published" / "segments.duckdb"

    def export_dir(self, kind: str) -> Path:
        return self.base / "exports" / kind

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a build of this world: nothing is written outside ``base``."""
        return os.environ | {
            "RAW_DATA_DIR": str(self.raw_dir),
            "SEGMENTS_DB_PATH": str(self.warehouse),
            "SEGMENTS_PUBLISH_PATH": str(self.published),
            "MART_EXPORT_DIR": str(self.export_dir("marts")),
            "EXPORT_DIR": str(self.export_dir("activation")),
            "SEGMENT_PLOTS_DIR": str(self.base / "plots"),
            "SEGMENT_CATALOG_FILE": str(self.base / "segment_catalog.md"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "SEGMENTS_DBT_THREADS": "2",
            # a paused build that the test fails to kill goes on after this long
            "SEGMENTS_PAUSE_SECONDS": "600",
            **extra,
        }

    def start_build(self, build_vars: str | None = None, **extra_env: str) -> Build:
        """Start ``dbt build`` (with ``--vars build_vars``) in its own process group."""
        self.builds += 1
        target = self.base / "target" / str(self.builds)
        command = [str(BIN / "dbt"), "build", "--target-path", str(target)]
        command += ["--log-path", str(self.base / "logs")]
        if build_vars:
            command += ["--vars", build_vars]
        output = self.base / f"build-{self.builds}.out"
        # output to a file: a pipe nobody reads while the build runs would fill up and block it
        with open(output, "w") as output_file:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env(**extra_env),
                stdout=output_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Build(process=process, output=output, target=target, started=time.monotonic())

    def build(self, build_vars: str | None = None, *, expect_success: bool = True) -> Build:
        """Run ``dbt build`` to its end; fail the test when its outcome is not the expected one."""
        build = self.start_build(build_vars)
        build.process.wait()
        build.ended = time.monotonic()
        succeeded = build.process.returncode == 0
        assert succeeded == expect_success, (
            f"dbt build --vars {build_vars!r} ended with {build.process.returncode}:\n"
            + build.tail()
        )
        return build

    def kept_rows(self) -> dict[str, list[dict]]:
        """Every row of each table of :data:`KEPT_TABLES` in the warehouse, sorted by key."""
        kept = {}
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            for name, (relation, key) in KEPT_TABLES.items():
                result = connection.sql(f"select * from {relation} order by {', '.join(key)}")
                columns = result.columns
                kept[name] = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
        return kept

    def warehouse_mart_files(self) -> dict[str, tuple[int, str]]:
        """The mart files the last build that got that far staged (its ``rpt_mart_exports``)."""
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return mart_files_listed(connection)

    def published_state(self) -> PublishedState:
        """Open the published file read-only, as a BI tool does, and read what it shows."""
        with duckdb.connect(str(self.published), read_only=True) as connection:
            publication_id, segment_count, customer_total = connection.sql(
                PUBLISHED_FINGERPRINT_SQL
            ).fetchall()[0]
            log = connection.sql(
                "select status, invocation_id, as_of_date, model_version "
                "from meta.publication_log order by recorded_at"
            ).fetchall()
            return PublishedState(
                publication_id=publication_id,
                segment_count=segment_count,
                customer_total=customer_total,
                log=log,
                mart_files=mart_files_listed(connection),
            )


@dataclass
class Build:
    """A started ``dbt build``: its process (leader of its own group) and output file."""

    process: subprocess.Popen
    output: Path
    target: Path
    started: float
    ended: float | None = None

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def tail(self, characters: int = 5000) -> str:
        return self.output.read_text(errors="replace")[-characters:]

    def invocation_id(self) -> str:
        """The invocation id of a finished build (its ``run_results.json``)."""
        results = json.loads((self.target / "run_results.json").read_text())
        return results["metadata"]["invocation_id"]

    def kill(self) -> None:
        """SIGKILL the build's whole process group and reap it."""
        # the group outlives its leader while a child runs; it is gone when all have ended
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.ended = time.monotonic()

    def wait_for_pause(self, pause_file: Path, phase: str, timeout: float = 600) -> None:
        """Wait until the build holds at ``phase`` (its pause file names it and its pid)."""
        deadline = time.monotonic() + timeout
        while not pause_file.exists():
            assert self.process.poll() is None, (
                f"the build ended ({self.process.returncode}) before pause point {phase}:\n"
                + self.tail()
            )
            assert time.monotonic() < deadline, f"no pause at {phase} after {timeout} s"
            time.sleep(0.2)
        assert pause_file.read_text().split() == [phase, str(self.process.pid)]


@dataclass(frozen=True)
class PublishedState:
    """What a reader of the published file sees."""

    publication_id: str
    segment_count: int
    customer_total: int
    log: list[tuple]
    mart_files: dict[str, tuple[int, str]]

    @property
    def fingerprint(self) -> tuple[int, int]:
        return (self.segment_count, self.customer_total)


def mart_files_listed(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """``file name -> (bytes, sha256)`` of the mart files ``marts.rpt_mart_exports`` lists."""
    rows = connection.sql("select file_name, bytes, sha256 from marts.rpt_mart_exports").fetchall()
    return {name: (size, digest) for name, size, digest in rows}


def file_digest(path: Path) -> tuple[int, str]:
    """``(bytes, sha256)`` of a file."""
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def folder_files(folder: Path, pattern: str) -> dict[str, tuple[int, str]]:
    """``file name -> (bytes, sha256)`` of the files of ``folder`` matching ``pattern``."""
    return {path.name: file_digest(path) for path in sorted(folder.glob(pattern))}


def activation_mismatches(folder: Path) -> list[str]:
    """How the activation export folder differs from its manifests (empty: it matches).

    Each destination has a ``manifest.json`` listing exactly its other files, with their sizes
    and sha256 digests, and all destinations name one model version and as-of date.
    """
    problems: list[str] = []
    runs = set()
    for destination in ACTIVATION_DESTINATIONS:
        manifest_file = folder / destination / "manifest.json"
        if not manifest_file.is_file():
            problems.append(f"{manifest_file} is missing")
            continue
        manifest = json.loads(manifest_file.read_text())
        runs.add((manifest["model_version"], manifest["as_of_date"]))
        listed = {entry["path"]: (entry["bytes"], entry["sha256"]) for entry in manifest["files"]}
        # every file but the manifest: a leftover temporary file would be a mix too
        on_disk = folder_files(folder / destination, "*")
        on_disk.pop("manifest.json")
        if listed != on_disk:
            problems.append(f"{destination}: manifest {listed} but files {on_disk}")
    if len(runs) > 1:
        problems.append(f"destinations from different runs: {sorted(runs)}")
    return problems
