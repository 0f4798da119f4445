"""The one seam between dbt Python models and the engine: reading, mapping, writing, logging.

Python models touch their inputs only through this module, so the same model runs on
dbt-duckdb (``dbt.ref`` gives a ``DuckDBPyRelation``, ``session`` is the DuckDB connection)
and on Spark (``dbt.ref`` gives a ``pyspark.sql.DataFrame``, ``session`` is the
SparkSession). Moving to another engine means changing this module, not the models.

Two kinds of access, kept apart on purpose:

- **Driver reads** (:func:`read_relation`, :func:`read_sample`, :func:`read_sample_with`,
  :func:`read_table`, and the result of :func:`query`, SQL run on the engine over named
  relations) bring rows into the Python process as pandas. They are for bounded
  data: one-row settings, the model registry, per-segment tables and deterministic samples.
  Each one logs one line, the driver-row account::

      driver rows: <model> <- <relation>: <n> rows

  ``<relation>`` is the relation's table name (``query`` for a derived relation), or
  ``sample(<table>[,<joined table>])`` for a deterministic sample of at most the requested
  size. :func:`parse_driver_rows` reads these lines back; ``tests/spark/test_driver_rows.py``
  uses it on a Spark build's ``dbt.log`` to prove that no model pulls every customer.
- **Engine maps** (:func:`map_batches`) run a pandas function over every row where the data
  lives: on Spark with ``mapInPandas`` on the executors (the function and what it closes
  over, e.g. a fitted model, are shipped to them), on DuckDB by streaming Arrow batches
  through this process, one batch at a time. No row of a map is counted as a driver row:
  on Spark none reaches the driver.

:func:`to_engine` turns a model's pandas result into what the engine's writer takes best.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

DRIVER_ROWS_PREFIX = "driver rows:"
SAMPLE_ORDER = "md5(cast({key} as string)), {key}"
"""The deterministic sample order: smallest md5 of the key first, ties by the key.

The rule of macro ``customer_sample_order`` (``int_segment_features_sampled``), for the
clustering fit's sample, which the registry draws before any SQL sample exists.
``cast(... as string)`` is valid SQL on DuckDB (an alias of varchar) and on Spark, so the
same customers are sampled on both engines."""

_QUOTED_NAME = re.compile(r'^select \* from (?:"[^"]*"\.)*"([^"]+)"$', re.IGNORECASE)
_DRIVER_ROWS_LINE = re.compile(
    rf"{DRIVER_ROWS_PREFIX} (?P<model>\S+) <- (?P<relation>\S+): (?P<rows>\d+) rows"
)
_SAMPLE = re.compile(r"^sample\((?P<tables>[^)]*)\)$")


@dataclass(frozen=True)
class DriverRows:
    """One driver-row account line: ``rows`` rows of ``relation`` read by ``model``."""

    model: str
    relation: str
    rows: int

    @property
    def is_sample(self) -> bool:
        """True for a deterministic sample (bounded by its requested size)."""
        return _SAMPLE.match(self.relation) is not None

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables read: the relation, or the sampled table and the one joined to it."""
        match = _SAMPLE.match(self.relation)
        return tuple(match.group("tables").split(",")) if match else (self.relation,)


def parse_driver_rows(log_text: str) -> list[DriverRows]:
    """Every driver-row account line in a log (e.g. dbt's ``logs/dbt.log``), in order."""
    return [
        DriverRows(match.group("model"), match.group("relation"), int(match.group("rows")))
        for match in _DRIVER_ROWS_LINE.finditer(log_text)
    ]


def is_spark(obj: Any) -> bool:
    """True for pyspark objects (a DataFrame or a SparkSession), False for DuckDB's."""
    return type(obj).__module__.startswith("pyspark.")


def relation_name(relation: Any) -> str:
    """The table name of a relation from ``dbt.ref``/``dbt.source``, else ``query``.

    DuckDB: dbt-duckdb's relations are ``select * from "db"."schema"."table"``. Spark:
    ``spark.table(name)`` is a ``SubqueryAlias`` of the table in the analyzed plan (read
    through the JVM, so a Spark Connect session, which has none, logs ``query``).
    """
    if is_spark(relation):
        java_frame = getattr(relation, "_jdf", None)  # absent on Spark Connect
        plan = None if java_frame is None else java_frame.queryExecution().analyzed()
        if plan is not None and plan.nodeName() == "SubqueryAlias":
            return str(plan.alias())
        return "query"
    match = _QUOTED_NAME.match(relation.sql_query().strip())
    return match.group(1) if match else "query"


def log_progress(message: str) -> None:
    """Log a progress message to the console and to ``logs/dbt.log`` with a timestamp.

    Falls back to ``print`` when dbt's event system is not importable (plain Python use).
    """
    try:
        from dbt_common.events.functions import fire_event
        from dbt_common.events.types import Note
    except ImportError:  # pragma: no cover - dbt is always installed beside the models
        print(message)
        return
    fire_event(Note(msg=message))


def driver_rows_line(model: str, relation: str, rows: int) -> str:
    """The driver-row account line (see the module docstring)."""
    return f"{DRIVER_ROWS_PREFIX} {model} <- {relation}: {rows} rows"


def _ordered(relation: Any, order_by: str) -> Any:
    """``relation`` sorted by a SQL ``order by`` list (e.g. ``"segment_id, feature"``)."""
    if is_spark(relation):
        from pyspark.sql import functions as F  # noqa: N812 - pyspark's convention

        return relation.orderBy(*(F.expr(part) for part in _split_order(order_by)))
    return relation.order(order_by)


def _split_order(order_by: str) -> list[str]:
    """The items of an ``order by`` list, split at commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in order_by:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """An Arrow table from Spark as pandas with the dtypes DuckDB's ``.df()`` gives.

    Decimals become float64, dates datetime64[us], integer columns with nulls nullable
    integers: the models are written against DuckDB's conversion.
    """
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_decimal(kind):
            kind = pa.float64()
        elif pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    table = table.cast(pa.schema(fields))
    frame = table.to_pandas(date_as_object=False)
    for field in table.schema:
        column = frame[field.name]
        if pa.types.is_date(field.type):
            frame[field.name] = column.astype("datetime64[us]")
        elif pa.types.is_integer(field.type) and column.isna().any():
            frame[field.name] = column.astype(f"Int{field.type.bit_width}")
    return frame


def _fetch(relation: Any, model: str | None, source: str) -> pd.DataFrame:
    """Every row of ``relation`` as pandas, accounted as driver rows of ``model``."""
    frame = arrow_to_pandas(relation.toArrow()) if is_spark(relation) else relation.df()
    log_progress(driver_rows_line(model or "unnamed model", source, len(frame)))
    return frame


def read_relation(
    relation: Any, order_by: str | None = None, *, model: str | None = None
) -> pd.DataFrame:
    """Return a (bounded) relation from ``dbt.ref(...)`` / ``dbt.source(...)`` as pandas.

    Without ``order_by`` the rows come in whatever order the engine produces them, which can
    change between two builds of the same data (parallel joins and aggregates); pass the
    table's key (SQL, e.g. ``"feature_position, segment_id"``) wherever the row order reaches
    an output. ``model`` names the reading model in the driver-row account.
    """
    source = relation_name(relation)
    if order_by is not None:
        relation = _ordered(relation, order_by)
    return _fetch(relation, model, source)


def read_sample(
    relation: Any, size: int, key: str = "customer_id", *, model: str | None = None
) -> pd.DataFrame:
    """A deterministic sample of at most ``size`` rows, sorted by ``key``.

    The rows first in :data:`SAMPLE_ORDER` are taken: the same rows for the same data on
    every run and on both engines, and a customer stays in the sample as long as it is not
    pushed out by new customers with smaller hashes. Not random.
    """
    source = relation_name(relation)
    ordered = _ordered(relation, SAMPLE_ORDER.format(key=key)).limit(int(size))
    frame = _fetch(ordered, model, f"sample({source})")
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def read_sample_with(
    relation: Any,
    extra: Any,
    columns: Sequence[str],
    size: int,
    key: str = "customer_id",
    *,
    model: str | None = None,
) -> pd.DataFrame:
    """:func:`read_sample` of ``relation`` with ``columns`` of ``extra`` joined on ``key``.

    The extra columns are read as doubles (e.g. a previous model's features that are no
    longer in ``int_segment_features``, from ``int_customers_joined``); only customers present in
    both relations are sampled. Without ``columns`` this is :func:`read_sample`.
    """
    if not columns:
        return read_sample(relation, size, key, model=model)
    casts = [f"cast({name} as double) as {name}" for name in columns]
    if is_spark(relation):
        joined = relation.join(extra.selectExpr(key, *casts), key)
    else:
        joined = relation.join(extra.project(", ".join([key, *casts])), key)
    source = f"sample({relation_name(relation)},{relation_name(extra)})"
    ordered = _ordered(joined, SAMPLE_ORDER.format(key=key)).limit(int(size))
    frame = _fetch(ordered, model, source)
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def query(
    session: Any, sql: str, inputs: dict[str, Any], *, model: str | None = None
) -> pd.DataFrame:
    """Run ``sql`` on the engine over named ``inputs`` and read its (bounded) result.

    ``inputs`` maps the names ``sql`` reads to relations (from ``dbt.ref``) or small pandas
    frames (e.g. per-history predictions): the set operations over customers stay on the
    engine, and only the result comes to the driver (accounted as ``query``). The names are
    temporary and dropped afterwards; prefix them with the model's name, since a Spark
    session is shared by the models that run at the same time.
    """
    for name, value in inputs.items():
        if is_spark(session):
            value = to_engine(session, value) if isinstance(value, pd.DataFrame) else value
            value.createOrReplaceTempView(name)
        else:
            session.register(name, value)
    try:
        return _fetch(session.sql(sql), model, "query")
    finally:
        for name in inputs:
            if is_spark(session):
                session.catalog.dropTempView(name)
            else:
                session.unregister(name)


def count_rows(relation: Any) -> int:
    """Number of rows of a relation, counted by the engine (no rows are fetched)."""
    if is_spark(relation):
        return int(relation.count())
    return int(relation.aggregate("count(*)").fetchall()[0][0])


def iter_batches(
    relation: Any, batch_rows: int, order_by: str | None = None
) -> Iterator[pd.DataFrame]:
    """Read a DuckDB relation as pandas DataFrames of at most ``batch_rows`` rows.

    Only one batch is held in Python at a time (DuckDB streams an Arrow record-batch reader).
    With ``order_by`` the engine first sorts every row, and the sorted result grows with the
    relation. Without it the relation is scanned and streamed as stored: on DuckDB, with
    ``preserve_insertion_order`` (the profile sets it), a table streams in the order it was
    written, so a table written with an ``order by`` is read in that order without sorting.
    On Spark, stream the rows through :func:`map_batches` instead: this would pull them all
    through the driver.
    """
    if is_spark(relation):
        raise TypeError("iter_batches streams through the driver: use map_batches on Spark")
    reader = relation
    if order_by is not None:
        reader = reader.order(order_by)
    for batch in reader.to_arrow_reader(int(batch_rows)):
        yield batch.to_pandas()


def map_batches(
    relation: Any,
    function: Callable[[pd.DataFrame], pa.RecordBatch | pd.DataFrame],
    schema: pa.Schema,
    batch_rows: int,
) -> Any:
    """Apply ``function`` to every batch of ``relation``, on the engine; the result relation.

    ``function`` maps a pandas batch of at most ``batch_rows`` rows to the output rows of
    those rows only (a pandas frame or an Arrow record batch with ``schema``), so the result
    does not depend on how the rows are split into batches. On Spark it runs on the
    executors (``mapInPandas``, batches of ``spark.sql.execution.arrow.maxRecordsPerBatch``
    set to ``batch_rows``); on DuckDB it streams through this process, one batch at a time,
    and the result is an Arrow record-batch reader that dbt-duckdb writes batch by batch.
    Empty batches are skipped.
    """

    def outputs(batches: Iterator[pd.DataFrame]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.empty:
                continue
            result = function(batch)
            if isinstance(result, pd.DataFrame):
                result = pa.RecordBatch.from_pandas(result, schema=schema, preserve_index=False)
            yield result

    if is_spark(relation):
        from pyspark.sql.pandas.types import from_arrow_schema

        relation.sparkSession.conf.set(
            "spark.sql.execution.arrow.maxRecordsPerBatch", str(int(batch_rows))
        )

        def spark_outputs(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
            for result in outputs(batches):
                yield result.to_pandas()

        return relation.mapInPandas(spark_outputs, from_arrow_schema(schema))
    return pa.RecordBatchReader.from_batches(schema, outputs(iter_batches(relation, batch_rows)))


def read_table(session: Any, name: Any, *, model: str | None = None) -> pd.DataFrame:
    """Read a whole (small) table by its quoted name, e.g. ``dbt.this`` of an incremental model."""
    relation = (
        session.table(str(name)) if is_spark(session) else session.sql(f"select * from {name}")
    )
    return read_relation(relation, model=model)


def to_engine(session: Any, frame: pd.DataFrame | pa.Table) -> Any:
    """A model's result (pandas or Arrow) in the form its engine writes best.

    DuckDB takes the frame as it is. On Spark the frame becomes a Spark DataFrame through
    Arrow, with the column types of the Arrow table (for pandas, those Arrow infers: dates
    stay dates, nullable integers stay integers): dbt-spark's own conversion of pandas goes
    through ``pyspark.pandas``, which does not support pandas 3.
    """
    if not is_spark(session):
        return frame
    table = (
        frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    )
    fields = [
        pa.field(field.name, pa.string() if pa.types.is_large_string(field.type) else field.type)
        for field in table.schema
    ]
    return session.createDataFrame(table.cast(pa.schema(fields)))
