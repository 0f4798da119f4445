"""The Spark build and the DuckDB build of one world give the same results (issue 14, item 4).

Staging and rejections, per-customer features, segments (a fresh fit on each engine, and
both engines scoring with the same stored model) and every export file. Values compare
through `custseg.engine_diff`: counts, keys, text and dates exactly, floating-point amounts
and rates within 1e-9 relative.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from custseg.engine_diff import compare_frames, manifest_without_layout

REPO = Path(__file__).resolve().parents[2]
# Every raw table's validation model: the staged rows have no reject reason.
BASE_TABLES = sorted(path.stem for path in REPO.glob("models/staging/*/base/base_*.sql"))
# Per-customer features and the CLV inputs, by key (None: compared as multisets of rows).
FEATURE_TABLES = {
    "int_customers_joined": ["customer_id"],
    "int_segment_features": ["customer_id"],
    "int_clv_inputs": ["customer_id"],
    "int_clv_purchase_histories_counted": None,
    "int_clv_repeat_spend_counted": None,
}
MIN_ADJUSTED_RAND_INDEX = 0.99


def assert_equal(name, left, right, key=None, ignored_columns=()):
    diff = compare_frames(name, left, right, key=key, ignored_columns=ignored_columns)
    assert diff.equal, diff.describe()


def test_same_staged_and_rejected_row_counts_per_table(engines):
    assert_equal(
        "rpt_ingestion_summary",
        engines.duckdb_table("marts", "rpt_ingestion_summary"),
        engines.spark_table("marts", "rpt_ingestion_summary"),
        key=["source_table"],
    )


@pytest.mark.parametrize("table", BASE_TABLES)
def test_same_rows_per_reject_reason(engines, table):
    def per_reason(frame: pd.DataFrame) -> pd.DataFrame:
        reasons = frame["reject_reason"].fillna("<valid>")
        return reasons.value_counts().rename_axis("reason").reset_index(name="rows")

    assert_equal(
        table,
        per_reason(engines.duckdb_table("staging", table)),
        per_reason(engines.spark_table("staging", table)),
        key=["reason"],
    )


def test_same_rejected_rows_with_file_and_row_number(engines):
    columns = ["source_table", "source_file", "source_row_number", "reason"]
    assert_equal(
        "rpt_rejected_rows",
        engines.duckdb_table("marts", "rpt_rejected_rows")[columns],
        engines.spark_table("marts", "rpt_rejected_rows")[columns],
        key=["source_table", "source_file", "source_row_number"],
    )


@pytest.mark.parametrize("table", FEATURE_TABLES)
def test_same_per_customer_features(engines, table):
    assert_equal(
        table,
        engines.duckdb_table("intermediate", table),
        engines.spark_table("intermediate", table),
        key=FEATURE_TABLES[table],
    )


def test_fresh_fits_agree_on_the_partition(engines):
    duckdb_segments = engines.duckdb_table("intermediate", "int_customer_segments_assigned")
    spark_segments = engines.spark_table("intermediate", "int_customer_segments_assigned")
    both = duckdb_segments.merge(spark_segments, on="customer_id", suffixes=("_duckdb", "_spark"))
    assert len(both) == len(duckdb_segments) == len(spark_segments)
    index = adjusted_rand_score(both["segment_id_duckdb"], both["segment_id_spark"])
    assert index >= MIN_ADJUSTED_RAND_INDEX, f"adjusted Rand index {index:.4f}"


def test_duckdb_rescored_with_the_copied_model(engines, duckdb_with_spark_model):
    spark_models = engines.spark_table("intermediate", "int_segment_model_versions")
    duckdb_models = duckdb_with_spark_model.table("intermediate", "int_segment_model_versions")
    # one version on each side, the same model: DuckDB re-scored instead of fitting its own
    assert len(spark_models) == len(duckdb_models) == 1
    assert duckdb_models["model_json"].iloc[0] == spark_models["model_json"].iloc[0]


def test_same_model_gives_every_customer_the_same_segment(engines, duckdb_with_spark_model):
    spark_segments = engines.spark_table("intermediate", "int_customer_segments_assigned")
    duckdb_segments = duckdb_with_spark_model.table(
        "intermediate", "int_customer_segments_assigned"
    )
    assert len(spark_segments) > 0
    assert_equal(
        "int_customer_segments_assigned", duckdb_segments, spark_segments, key=["customer_id"]
    )


def published_paths(root: Path) -> list[Path]:
    """Every file and folder under an export root as a reader sees it.

    The published export folders are links to hidden versions (``custseg.publication``):
    links are followed, hidden folders (the versions themselves, staging) skipped, so the
    paths are the same on both engines whatever their version names."""
    paths = []
    for folder, subfolders, files in os.walk(root, followlinks=True):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        paths += sorted(Path(folder) / name for name in [*subfolders, *files])
    return paths


def export_names(root: Path) -> dict[str, Path]:
    """Export name (relative path without suffix) -> the file, or the folder of part files,
    that holds its rows; files of neither kind (a manifest, Spark's _SUCCESS) left out."""
    return {
        str(path.relative_to(root).with_suffix("")): path
        for path in published_paths(root)
        if path.suffix in {".csv", ".parquet"} and path.parent.suffix not in {".csv", ".parquet"}
    }


def read_export(path: Path) -> pd.DataFrame:
    """The rows of one export, a single file or a folder of part files, parsed by DuckDB."""
    kind = path.suffix
    pattern = str(path / f"*{kind}") if path.is_dir() else str(path)
    with duckdb.connect() as con:
        if kind == ".parquet":
            return con.read_parquet(pattern, union_by_name=True).df()
        return con.read_csv(pattern, header=True, union_by_name=True).df()


def test_same_export_files(engines, duckdb_with_spark_model):
    expected = export_names(duckdb_with_spark_model.exports)
    actual = export_names(engines.spark_exports)
    assert expected, "the DuckDB build wrote no export"
    assert sorted(actual) == sorted(expected)
    differing = []
    for name, path in expected.items():
        diff = compare_frames(name, read_export(path), read_export(actual[name]))
        if not diff.equal:
            differing.append(diff.describe())
    assert not differing, "\n".join(differing)


def test_same_export_manifests(engines, duckdb_with_spark_model):
    expected = [
        path
        for path in published_paths(duckdb_with_spark_model.exports)
        if path.name == "manifest.json"
    ]
    assert expected, "the DuckDB build wrote no manifest"
    for path in expected:
        relative = path.relative_to(duckdb_with_spark_model.exports)
        spark_manifest = json.loads((engines.spark_exports / relative).read_text())
        duckdb_manifest = json.loads(path.read_text())
        assert manifest_without_layout(spark_manifest) == manifest_without_layout(
            duckdb_manifest
        ), relative
