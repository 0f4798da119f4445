"""The `sparksession` adapter: dbt-spark's adapter with the `session` submission method."""

from __future__ import annotations

import logging
import os
import re
import sys
from dataclasses import dataclass
from typing import Any

from dbt.adapters.base import available
from dbt.adapters.base.impl import PythonJobHelper
from dbt.adapters.spark import SparkConnectionManager, SparkCredentials
from dbt.adapters.spark.impl import SparkAdapter

ADAPTER_TYPE = "sparksession"
# pyspark logs every failed statement as a JSON error with a Java stack trace before dbt
# reports it; dbt's own error message is enough.
logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
PATH_PARAMETERS = ("spark.sql.warehouse.dir",)
DERBY_URL = "spark.hadoop.javax.jdo.option.ConnectionURL"


def session_defaults(parameters: dict[str, str]) -> dict[str, str]:
    """The profile's session parameters with the paths and the Python that a cluster needs.

    Executors run in their workers' folders, so a relative warehouse folder would land there:
    it is made absolute against the folder dbt runs in (and so is the Derby metastore's). Python
    workers run `spark.pyspark.python`, by default the interpreter running dbt (the venv's,
    with pandas, pyarrow and custseg) instead of the system `python3`.
    """
    resolved = {str(name): str(value) for name, value in parameters.items()}
    for name in PATH_PARAMETERS:
        if name in resolved and "://" not in resolved[name]:
            resolved[name] = os.path.abspath(resolved[name])
    url = resolved.get(DERBY_URL, "")
    match = re.search(r"databaseName=([^;]+)", url)
    if match and not os.path.isabs(match.group(1)):
        url = url.replace(match.group(0), f"databaseName={os.path.abspath(match.group(1))}")
        resolved[DERBY_URL] = url
    if match:
        # Derby writes its log beside the metastore (the profile's derby.stream.error.file);
        # without the folder it prints its boot banner to the console instead.
        os.makedirs(os.path.dirname(os.path.abspath(match.group(1))), exist_ok=True)
    resolved.setdefault("spark.pyspark.python", os.environ.get("PYSPARK_PYTHON", sys.executable))
    return resolved


@dataclass
class SparkSessionCredentials(SparkCredentials):
    def __post_init__(self) -> None:
        super().__post_init__()
        self.server_side_parameters = session_defaults(self.server_side_parameters or {})
        # pyspark's driver picks the executors' Python from the environment variable only
        # (`SparkContext.pythonExec`), not from `spark.pyspark.python`: without it, workers
        # run the first `python3` on the PATH, which lacks custseg and pyarrow.
        os.environ.setdefault("PYSPARK_PYTHON", self.server_side_parameters["spark.pyspark.python"])

    @property
    def type(self) -> str:
        return ADAPTER_TYPE


def spark_session(credentials: Any) -> Any:
    """The process's SparkSession, started with the profile's parameters on first use.

    Spark's own log goes down to errors: dbt-spark's cursor asks the builder for the session
    on every statement, and each ask would log a warning that the session exists.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for name, value in (credentials.server_side_parameters or {}).items():
        builder = builder.config(name, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(os.environ.get("SEGMENTS_SPARK_LOG_LEVEL", "ERROR"))
    return session


class SparkSessionConnectionManager(SparkConnectionManager):
    TYPE = ADAPTER_TYPE

    @classmethod
    def open(cls, connection: Any) -> Any:
        connection = super().open(connection)
        spark_session(connection.credentials)
        return connection


class SessionPythonJobHelper(PythonJobHelper):
    """Runs a compiled Python model in this process's SparkSession.

    dbt's compiled code defines `model(dbt, session)`, then calls it with a global `spark` and
    writes the returned DataFrame as the model's table. The session is the one the `session`
    connection method opened with the profile's `server_side_parameters` (master URL, warehouse
    folder, metastore), so the model's Spark jobs run on the same cluster as the SQL models.
    """

    def __init__(self, parsed_model: dict, credential: Any) -> None:
        self.parsed_model = parsed_model
        self.credential = credential

    def submit(self, compiled_code: str) -> Any:
        spark = spark_session(self.credential)
        name = self.parsed_model.get("unique_id", "python model")
        exec(compile(compiled_code, f"<{name}>", "exec"), {"spark": spark})  # noqa: S102
        return None


class SparkSessionAdapter(SparkAdapter):
    ConnectionManager = SparkSessionConnectionManager

    @property
    def python_submission_helpers(self) -> dict[str, type[PythonJobHelper]]:
        return {**super().python_submission_helpers, "session": SessionPythonJobHelper}

    @property
    def default_python_submission_method(self) -> str:
        return "session"

    @available
    def inspect_raw_file(
        self,
        path: str,
        file_format: str,
        encoding: str | None,
        delimiter: str | None,
        cache_dir: str,
    ) -> str:
        """The verdict on one raw file (`custseg.raw_files.inspect_raw_file`), for Jinja.

        DuckDB calls the same function through SQL (`custseg.duckdb_plugin`); here dbt's own
        process inspects the file, which assumes the raw folder is on the driver's file system
        (as the listing's paths are). Spark's reader marks ragged records itself.
        """
        from custseg.raw_files import inspect_raw_file

        return inspect_raw_file(path, file_format, encoding, delimiter, cache_dir, False)

    @available
    def list_files(self, folder: str) -> list[list[str]]:
        """Every file under `folder` as [absolute path, relative path]
        (`custseg.raw_files.list_files`), for Jinja: Spark's `binaryFile` listing leaves out
        0-byte files."""
        from custseg.raw_files import list_files

        return list_files(folder)

    def generate_python_submission_response(self, submission_result: Any) -> Any:
        from dbt.adapters.contracts.connection import AdapterResponse

        return AdapterResponse(_message="OK")
