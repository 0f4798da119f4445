"""The published warehouse (``custseg.publication``, ``macros/publication/``) and the build lock.

Unit tests of the export swap and the lock, then one small generated world built three
times, each build checked by the next test:

1. a good build publishes the marts, its log row and the export folders;
2. a build with a broken model (a var out of range), run while a reader holds the published
   file open, fails without publishing although its exports were written: the published
   data and exports stay, the log gains the failure;
3. a good build held at the ``publishing`` pause point, with a reader holding the file:
   a second build started meanwhile stops at once naming the first; the held reader keeps
   the old version, a new connection after the build sees the new one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from conftest import BIN, REPO, dbt_env, generate, run_dbt
from custseg import build_lock, pause_points, publication

BREAKING_VARS = "{drift_silhouette_sample_size: 1}"
"""Breaks one late model (fct_segment_run_silhouettes needs at least 2); the exports still run."""


# ---------------------------------------------------------------------------------------
# Export folders


@pytest.fixture
def export_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SEGMENTS_PUBLISH_PATH", str(tmp_path / "pub" / "segments.duckdb"))
    monkeypatch.delenv("MART_EXPORT_DIR", raising=False)
    monkeypatch.delenv("EXPORT_DIR", raising=False)
    return tmp_path / "pub"


def stage(kind: str, files: dict[str, str]) -> None:
    staging = publication.prepare_staging(kind)
    for name, text in files.items():
        (staging / name).write_text(text)


def test_export_folders_default_beside_the_published_file(export_env: Path) -> None:
    assert publication.export_dir("marts") == export_env / "marts"
    assert publication.export_dir("activation") == export_env / "activation"
    assert publication.staging_dir("marts") == export_env / ".marts.staging"
    with pytest.raises(ValueError, match="unknown export kind"):
        publication.export_dir("crm")


def test_publish_exports_swaps_whole_sets_and_keeps_two_versions(export_env: Path) -> None:
    public = export_env / "marts"
    public.mkdir(parents=True)
    (public / "legacy.parquet").write_text("a folder of an older release")
    for number in range(1, 4):
        stage("marts", {f"v{number}.txt": str(number), "manifest.json": str(number)})
        publication.publish_exports("marts", f"2026010{number}T000000Z-run{number}")
        assert public.is_symlink()
        assert sorted(path.name for path in public.iterdir()) == ["manifest.json", f"v{number}.txt"]
    versions = sorted(path.name for path in publication.versions_dir("marts").iterdir())
    # the published version and the one before it (a reader may still be inside it)
    assert versions == ["20260102T000000Z-run2", "20260103T000000Z-run3"]
    assert not publication.staging_dir("marts").exists()


def test_prepare_staging_drops_an_unpublished_build(export_env: Path) -> None:
    stage("activation", {"stale.csv": "from a build that failed"})
    assert list(publication.prepare_staging("activation").iterdir()) == []


def test_publish_exports_without_staging_names_the_model(export_env: Path) -> None:
    with pytest.raises(FileNotFoundError, match="rpt_activation_exports"):
        publication.publish_exports("activation", "v1")


def test_killed_publication_leftovers_are_removed(export_env: Path) -> None:
    stage("marts", {"a.txt": "1"})
    publication.publish_exports("marts", "v1")
    leftover_link = export_env / ".marts.0123.tmp"
    os.symlink(".marts.versions/v1", leftover_link)
    leftover_file = export_env / ".segments.duckdb.0123.tmp"
    leftover_file.write_text("half a database")
    publication.remove_old_versions("marts")
    publication.new_database_path()
    assert not leftover_link.is_symlink()
    assert not leftover_file.exists()


# ---------------------------------------------------------------------------------------
# Pause points


def test_scoring_pauses_between_batches_and_resumes_when_the_file_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "paused"
    monkeypatch.setenv("SEGMENTS_PAUSE_AT", "scoring")
    monkeypatch.setenv("SEGMENTS_PAUSE_FILE", str(marker))
    monkeypatch.setattr(pause_points, "PAUSE_SECONDS", 60.0)
    score = pause_points.pausing_between_calls("scoring", lambda batch: batch * 2)
    assert score(1) == 2 and not marker.exists()  # the first batch never waits
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(score, 2)
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == f"scoring {os.getpid()}\n"
        assert not second.done()
        marker.unlink()
        assert second.result(timeout=10) == 4


# ---------------------------------------------------------------------------------------
# Build lock

HOLD_LOCK = (
    "import sys, time; from custseg import build_lock; "
    "build_lock.acquire(sys.argv[1]); print('held', flush=True); time.sleep(60)"
)


def test_second_holder_is_refused_naming_the_first_and_a_kill_frees_it(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = subprocess.run(
            [sys.executable, "-c", HOLD_LOCK.replace("time.sleep(60)", "pass"), str(database)],
            capture_output=True,
            text=True,
        )
        assert refused.returncode != 0
        assert f"pid {holder.pid}, started " in refused.stderr
        assert "BuildRunningError: Another build is running" in refused.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # the kernel released the killed holder's lock: this process takes it (and keeps it)
    assert build_lock.acquire(database) == build_lock.lock_path(database).resolve()
    assert build_lock.acquire(database) == build_lock.lock_path(database).resolve()


# ---------------------------------------------------------------------------------------
# Builds


@dataclass
class Published:
    raw_dir: Path
    db_path: Path
    work_dir: Path

    @property
    def path(self) -> Path:
        return self.work_dir / "published" / "segments.duckdb"

    def export(self, kind: str) -> Path:
        return self.work_dir / "exports" / kind

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)

    def log(self, connection: duckdb.DuckDBPyConnection | None = None) -> list[tuple]:
        sql = (
            "select status, invocation_id, failed_nodes, as_of_date, model_version "
            "from meta.publication_log order by recorded_at"
        )
        if connection is not None:
            return connection.sql(sql).fetchall()
        with self.connect() as fresh:
            return fresh.sql(sql).fetchall()

    def dbt(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run_dbt(
            list(args), raw_dir=self.raw_dir, db_path=self.db_path, work_dir=self.work_dir, **kwargs
        )


def segment_fingerprint(connection: duckdb.DuckDBPyConnection) -> tuple:
    """What a dashboard shows: segment count and customer total of the published marts."""
    return connection.sql(
        "select count(*), sum(customer_count), max(model_version) from marts.dim_segments"
    ).fetchall()[0]


def manifest_matches_files(folder: Path) -> None:
    for destination in ("crm", "email", "ads"):
        manifest = json.loads((folder / destination / "manifest.json").read_text())
        listed = {entry["path"] for entry in manifest["files"]}
        on_disk = {path.name for path in (folder / destination).glob("*.csv")}
        assert listed == on_disk, destination


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Published:
    base = tmp_path_factory.mktemp("publication")
    raw = base / "raw"
    generate(raw, 600, 5)
    return Published(raw_dir=raw, db_path=base / "warehouse.duckdb", work_dir=base)


@pytest.fixture(scope="module")
def first_build(world: Published) -> Published:
    world.dbt("build")
    return world


def test_a_good_build_publishes_marts_log_freshness_and_exports(first_build: Published) -> None:
    world = first_build
    with world.connect() as connection:
        tables = {
            (schema, table)
            for schema, table in connection.sql(
                "select schema_name, table_name from duckdb_tables()"
            ).fetchall()
        }
        assert ("marts", "dim_segments") in tables and ("meta", "publication_log") in tables
        assert {schema for schema, _ in tables} == {"marts", "meta"}
        assert connection.sql(
            "select count(*) from duckdb_views() where not internal"
        ).fetchall() == [(0,)]
        [(status, _, failed, as_of, version)] = world.log(connection)
        assert (status, failed, version) == ("published", None, 1) and as_of is not None
        freshness = dict(
            connection.sql("select raw_table, newest_file from meta.raw_file_freshness").fetchall()
        )
        assert {"shop_orders", "crm_customers", "web_events"} <= set(freshness)
        # the published file keeps DuckDB 1.0 storage, which DuckDB 1.x readers open
        tags = connection.sql(
            "select tags from duckdb_databases() where database_name = current_database()"
        ).fetchall()[0][0]
        assert tags["storage_version"].startswith("v1.0.0")
        paths = connection.sql("select file_path from marts.rpt_mart_exports").fetchall()
    assert all(Path(path).is_file() for (path,) in paths)
    assert all(Path(path).parent == world.export("marts") for (path,) in paths)
    for kind in ("marts", "activation"):
        assert world.export(kind).is_symlink()
        assert not publication_staging(world, kind).exists()
    manifest_matches_files(world.export("activation"))


def publication_staging(world: Published, kind: str) -> Path:
    return world.export(kind).with_name(f".{kind}.staging")


@pytest.fixture(scope="module")
def failed_build(first_build: Published) -> dict:
    world = first_build
    reader = world.connect()
    before = segment_fingerprint(reader)
    exports = {kind: os.readlink(world.export(kind)) for kind in ("marts", "activation")}
    result = world.dbt("build", "--vars", BREAKING_VARS, check=False)
    state = {
        "result": result,
        "before": before,
        "exports": exports,
        "reader_after": segment_fingerprint(reader),
    }
    reader.close()
    return state


def test_a_failed_build_publishes_nothing_and_records_the_failure(
    first_build: Published, failed_build: dict
) -> None:
    world = first_build
    result = failed_build["result"]
    # the build failed on the broken model, not on the reader holding the file
    assert result.returncode == 1, result.stdout[-3000:]
    assert "drift_silhouette_sample_size" in result.stdout
    assert "Could not set lock" not in result.stdout
    assert "OK created python table model marts.rpt_activation_exports" in result.stdout
    assert failed_build["reader_after"] == failed_build["before"]
    with world.connect() as connection:
        assert segment_fingerprint(connection) == failed_build["before"]
        log = world.log(connection)
    assert [row[0] for row in log] == ["published", "failed"]
    assert log[-1][2] == "model.customer_segments.fct_segment_run_silhouettes"
    for kind, target in failed_build["exports"].items():
        assert os.readlink(world.export(kind)) == target
    # the failed build's exports were written (above) but stayed in staging, unpublished
    assert publication_staging(world, "activation").is_dir()
    manifest_matches_files(world.export("activation"))


def wait_for(path: Path, process: subprocess.Popen, log: Path, timeout: float = 900) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            output = log.read_text()
            raise AssertionError(f"build ended before its pause point:\n{output[-4000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no pause file {path} after {timeout} s")
        time.sleep(0.5)
    return path.read_text()


def test_a_build_held_while_publishing_blocks_a_second_and_swaps_for_new_readers(
    first_build: Published, failed_build: dict
) -> None:
    world = first_build
    pause_file = world.work_dir / "paused"
    env = dbt_env(world.raw_dir, world.db_path, world.work_dir) | {
        "SEGMENTS_PAUSE_AT": "publishing",
        "SEGMENTS_PAUSE_FILE": str(pause_file),
    }
    reader = world.connect()
    old = segment_fingerprint(reader)
    old_exports = os.readlink(world.export("marts"))
    log = world.work_dir / "held_build.out"
    # output to a file: a pipe nobody reads while the build runs would fill up and block it
    with open(log, "w") as output_file:
        build = subprocess.Popen(
            [str(BIN / "dbt"), "build"],
            cwd=REPO,
            env=env,
            stdout=output_file,
            stderr=subprocess.STDOUT,
        )
    try:
        phase, pid = wait_for(pause_file, build, log).split()
        assert phase == "publishing" and int(pid) == build.pid
        started = time.monotonic()
        second = world.dbt("build", check=False)
        assert second.returncode != 0
        assert time.monotonic() - started < 120
        assert f"Another build is running on {world.db_path} (pid {build.pid}, started " in (
            second.stdout
        )
        # held at publishing: the new version is written, nothing is swapped in yet
        assert os.readlink(world.export("marts")) == old_exports
        pause_file.unlink()
        build.wait(timeout=600)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    assert build.returncode == 0, log.read_text()[-4000:]
    # the reader that held the file during the build still reads its version, no error
    assert segment_fingerprint(reader) == old
    assert [row[0] for row in world.log(reader)] == ["published", "failed"]
    reader.close()
    log = world.log()
    assert [row[0] for row in log] == ["published", "failed", "published"]
    assert os.readlink(world.export("marts")) != old_exports
    assert not publication_staging(world, "marts").exists()
    manifest_matches_files(world.export("activation"))
