"""The exports written by Spark's executors against the DuckDB path's files, on small frames.

A local SparkSession (``local[1]``) exports an audience given as a Spark DataFrame with
:func:`custseg.activation.export_all` (written by the engine, see
:mod:`custseg.activation.engine_export`) and writes a Parquet folder with
:func:`custseg.engine_files.write_folder`; the same audience as a pandas frame goes through
the DuckDB path. The two exports
must list the same files, rows and skipped segments, and every file must hold the same rows
once parsed (row order and part files aside). Run by `make spark-test` (``pytest tests/spark``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from custseg.activation import export_all
from custseg.activation.engine_export import FILE_LAYOUT, export_rows
from custseg.dbt_io import is_spark
from custseg.engine_files import part_files, write_folder

pyspark = pytest.importorskip("pyspark")

AS_OF = date(2024, 6, 30)
GENERATED_AT = datetime(2024, 7, 1, 6, 0, tzinfo=UTC)
SEGMENTS = {0: "No purchase yet", 1: 'Loyal, "web-first"', 2: "Tiny", 3: "Mid value"}


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warehouse = tmp_path_factory.mktemp("warehouse")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("test_exports_engine")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield session
    session.stop()


def make_audience(n: int = 240, seed: int = 5) -> pd.DataFrame:
    """An activation audience with the awkward cases: quotes, commas, spaces, no segment."""
    rng = np.random.default_rng(seed)
    segment_ids = rng.choice([0, 1, 3], size=n).astype(float)
    segment_ids[:5] = 2  # a segment below the ads minimum
    segment_ids[5:9] = np.nan  # customers without a segment: CRM only
    names = [None if np.isnan(s) else SEGMENTS[int(s)] for s in segment_ids]
    email_eligible = rng.random(n) < 0.7
    email_eligible[:5] = True  # segment 2 has a short email list
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "segment_id": segment_ids,
            "segment_name": names,
            "rfm_segment": rng.choice(["champions", "at risk", None], size=n),
            "churn_probability": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
            "predicted_clv": (rng.random(n) * 500).round(2),
            "recommended_action": rng.choice(["win back, now", "  keep  ", 'say "hi"'], size=n),
            "is_control_group": rng.random(n) < 0.1,
            "email": [f" User{i}@Example.com " if i % 7 else "not an email" for i in range(n)],
            "first_name": [f" Anna{i} " if i % 5 else "Zoë, Jr" for i in range(n)],
            "last_name": ["Müller"] * n,
            "phone": [f"0151 {2000000 + i}" if i % 3 else None for i in range(n)],
            "country_code": rng.choice(["DE", "FR", None], size=n),
            "postal_code": [f"{10000 + i}" for i in range(n)],
            "is_email_eligible": email_eligible,
            "is_ads_eligible": rng.random(n) < 0.6,
        }
    )


def parsed_rows(path: Path) -> list[tuple[str, ...]]:
    """The rows of a CSV file, or of every part of a folder, header checked, sorted."""
    files = part_files(path) if path.is_dir() else [path]
    header, rows = None, []
    for file in files:
        with open(file, encoding="utf-8", newline="") as handle:
            records = list(csv.reader(handle))
        assert header in (None, records[0])
        header = records[0]
        rows += [tuple(record) for record in records[1:]]
    return [tuple(header or ())] + sorted(rows)


def run_both(spark, tmp_path: Path, audience: pd.DataFrame, min_audience: dict) -> tuple:
    options = {"min_audience": min_audience, "control_share": 0.1, "generated_at": GENERATED_AT}
    duck = export_all(audience, tmp_path / "duckdb", "7", AS_OF, **options)
    frame = spark.createDataFrame(audience).repartition(3)
    assert is_spark(frame)
    engine = export_all(frame, tmp_path / "spark", "7", AS_OF, **options)
    return duck, engine


def comparable(manifest: dict) -> dict:
    """A manifest without what depends on the layout (bytes, hashes, parts)."""
    layout_free = {"bytes", "sha256", "parts"}
    files = [{k: v for k, v in f.items() if k not in layout_free} for f in manifest["files"]]
    rest = {k: v for k, v in manifest.items() if k not in {"files", "file_layout"}}
    return {**rest, "files": files}


def test_engine_export_has_the_duckdb_files_rows_and_skips(spark, tmp_path: Path) -> None:
    audience = make_audience()
    limits = {"crm": 1, "email": 1, "ads": 10, "meta": 6}
    duck, engine = run_both(spark, tmp_path, audience, limits)
    assert {name: comparable(m) for name, m in engine.items()} == {
        name: comparable(m) for name, m in duck.items()
    }
    assert any(entry["segment_id"] == 2 for entry in duck["ads"]["skipped"])
    for destination, manifest in engine.items():
        folder = tmp_path / "spark" / destination
        on_disk = json.loads((folder / "manifest.json").read_text())
        assert on_disk == manifest and manifest["file_layout"] == FILE_LAYOUT
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            [entry["path"] for entry in manifest["files"]] + ["manifest.json"]
        )
        for entry in manifest["files"]:
            written = folder / entry["path"]
            expected = parsed_rows(tmp_path / "duckdb" / destination / entry["path"])
            assert parsed_rows(written) == expected
            assert len(expected) - 1 == entry["rows"]
            data = b"".join(part.read_bytes() for part in part_files(written))
            assert (len(data), hashlib.sha256(data).hexdigest()) == (
                entry["bytes"],
                entry["sha256"],
            )
            assert [part["path"] for part in entry["parts"]] == [
                p.name for p in part_files(written)
            ]


def test_rerun_replaces_the_folders_whole(spark, tmp_path: Path) -> None:
    audience = make_audience()
    run_both(spark, tmp_path, audience, {"crm": 1, "email": 1, "ads": 1})
    before = {p.name for p in (tmp_path / "spark" / "email").iterdir()}
    assert "segment_2.csv" in before
    _, engine = run_both(spark, tmp_path, audience, {"crm": 1, "email": 10, "ads": 1})
    after = {p.name for p in (tmp_path / "spark" / "email").iterdir()}
    assert after == before - {"segment_2.csv"}
    assert [entry["segment_id"] for entry in engine["email"]["skipped"]] == [2]
    crm_rows = parsed_rows(tmp_path / "spark" / "crm" / "customers.csv")
    assert len(crm_rows) - 1 == len(audience)
    leftovers = [p.name for p in (tmp_path / "spark").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_export_rows_texts_match_the_duckdb_files(tmp_path: Path) -> None:
    audience = make_audience(60)
    rows = export_rows(audience, "2024-07-01T06:00:00Z")
    crm = rows.loc[rows["destination"] == "crm"]
    assert len(crm) == len(audience)
    export_all(
        audience,
        tmp_path,
        "7",
        AS_OF,
        min_audience={"crm": 1, "email": 1, "ads": 1},
        control_share=0.1,
        generated_at=GENERATED_AT,
    )
    expected = parsed_rows(tmp_path / "crm" / "customers.csv")[1:]
    fields = crm.filter(like="field_").fillna("")
    assert sorted(tuple(row) for row in fields.itertuples(index=False)) == expected


def test_write_folder_swaps_a_parquet_folder_in(spark, tmp_path: Path) -> None:
    target = tmp_path / "marts" / "dim_segments.parquet"
    frame = spark.createDataFrame(pd.DataFrame({"segment_id": [2, 1, 3], "n": [5, 6, 7]}))
    first = write_folder(frame.orderBy("segment_id").write.parquet, target)
    write_folder(frame.filter("segment_id > 1").orderBy("segment_id").write.parquet, target)
    names = sorted(p.name for p in target.iterdir())
    assert names and all(name.startswith("part-") for name in names)
    read = duckdb.sql(f"select * from read_parquet('{target}/part-*.parquet')").df()
    assert sorted(read["segment_id"]) == [2, 3]
    assert first.bytes > 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["dim_segments.parquet"]
