"""The `sparksession` adapter plugin: profile defaults and the in-session submission method."""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip("pyspark", reason="Spark extras: make spark-install")

from dbt.adapters.sparksession import Plugin  # noqa: E402
from dbt.adapters.sparksession.impl import (  # noqa: E402
    DERBY_URL,
    SessionPythonJobHelper,
    SparkSessionAdapter,
    SparkSessionCredentials,
    session_defaults,
)


def test_plugin_extends_the_spark_adapter():
    assert Plugin.adapter is SparkSessionAdapter
    assert Plugin.dependencies == ["spark"]
    assert SparkSessionAdapter.type() == "sparksession"


def test_session_defaults_make_paths_absolute_and_pick_this_python(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PYSPARK_PYTHON", raising=False)
    resolved = session_defaults(
        {
            "spark.sql.warehouse.dir": "target/spark/warehouse",
            DERBY_URL: "jdbc:derby:;databaseName=target/spark/metastore_db;create=true",
            "spark.master": "local[1]",
        }
    )
    assert resolved["spark.sql.warehouse.dir"] == str(tmp_path / "target/spark/warehouse")
    assert resolved[DERBY_URL] == (
        f"jdbc:derby:;databaseName={tmp_path}/target/spark/metastore_db;create=true"
    )
    assert resolved["spark.pyspark.python"] == sys.executable
    assert resolved["spark.master"] == "local[1]"


def test_session_defaults_keep_urls_and_an_explicit_python():
    resolved = session_defaults(
        {"spark.sql.warehouse.dir": "s3a://bucket/warehouse", "spark.pyspark.python": "/py"}
    )
    assert resolved["spark.sql.warehouse.dir"] == "s3a://bucket/warehouse"
    assert resolved["spark.pyspark.python"] == "/py"


def test_the_session_method_runs_compiled_code_in_the_live_session(tmp_path, monkeypatch):
    """dbt's compiled Python model needs only a global `spark` bound to the session."""
    monkeypatch.chdir(tmp_path)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    credentials = SparkSessionCredentials(
        method="session",
        host="local[1]",
        schema="test_schema",
        server_side_parameters={
            "spark.master": "local[1]",
            "spark.ui.enabled": "false",
            "spark.sql.warehouse.dir": "warehouse",
        },
    )
    # the properties read no adapter state: an instance without a live connection will do
    adapter = object.__new__(SparkSessionAdapter)
    assert adapter.python_submission_helpers["session"] is SessionPythonJobHelper
    assert "all_purpose_cluster" in adapter.python_submission_helpers
    assert adapter.default_python_submission_method == "session"
    compiled = (
        "def model(dbt, session):\n"
        "    return session.range(4)\n"
        "df = model(None, spark)\n"
        "df.createOrReplaceTempView('submitted_model_output')\n"
    )
    SessionPythonJobHelper({"unique_id": "model.test.m"}, credentials).submit(compiled)

    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    assert session.table("submitted_model_output").count() == 4
    session.stop()
