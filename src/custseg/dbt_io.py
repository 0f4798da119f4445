"""The one seam between dbt Python models and the engine: reading relations and logging.

Python models read their inputs only through :func:`read_relation`, so moving to another
engine (Snowpark, PySpark, ...) means changing this module, not the models.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd


def read_relation(relation: Any, order_by: str | None = None) -> pd.DataFrame:
    """Return a relation from ``dbt.ref(...)`` / ``dbt.source(...)`` as a pandas DataFrame.

    On dbt-duckdb the relation is a ``DuckDBPyRelation``, read with ``.df()``. Without
    ``order_by`` the rows come in whatever order the engine produces them, which can change
    between two builds of the same data (parallel joins and aggregates); pass the table's key
    (SQL, e.g. ``"feature_position, segment_id"``) wherever the row order reaches an output.
    """
    if order_by is not None:
        relation = relation.order(order_by)
    return relation.df()


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


def read_sample(relation: Any, size: int, key: str = "customer_id") -> pd.DataFrame:
    """A deterministic sample of at most ``size`` rows, sorted by ``key``.

    The rows with the smallest ``md5(key)`` are taken: the same rows for the same data on
    every run and on every engine with an md5 function, and a customer stays in the sample as
    long as it is not pushed out by new customers with smaller hashes. Not random.
    """
    ordered = relation.order(f"md5(cast({key} as varchar)), {key}").limit(int(size))
    return ordered.df().sort_values(key, kind="stable").reset_index(drop=True)


def read_sample_with(
    relation: Any,
    extra: Any,
    columns: Sequence[str],
    size: int,
    key: str = "customer_id",
) -> pd.DataFrame:
    """:func:`read_sample` of ``relation`` with ``columns`` of ``extra`` joined on ``key``.

    The extra columns are read as doubles (e.g. a previous model's features that are no
    longer in ``int_segment_features``, from ``int_customers_joined``); only customers present in
    both relations are sampled. Without ``columns`` this is :func:`read_sample`.
    """
    if columns:
        casts = "".join(f", cast({name} as double) as {name}" for name in columns)
        relation = relation.join(extra.project(f"{key}{casts}"), key)
    return read_sample(relation, size, key)


def count_rows(relation: Any) -> int:
    """Number of rows of a relation, counted by the engine (no rows are fetched)."""
    return int(relation.aggregate("count(*)").fetchall()[0][0])


def iter_batches(
    relation: Any, batch_rows: int, order_by: str | None = None
) -> Iterator[pd.DataFrame]:
    """Read a relation as pandas DataFrames of at most ``batch_rows`` rows.

    Only one batch is held in Python at a time (DuckDB streams an Arrow record-batch reader).
    With ``order_by`` the engine first sorts every row, and the sorted result grows with the
    relation. Without it the relation is scanned and streamed as stored: on DuckDB, with
    ``preserve_insertion_order`` (the profile sets it), a table streams in the order it was
    written, so a table written with an ``order by`` is read in that order without sorting.
    """
    reader = relation
    if order_by is not None:
        reader = reader.order(order_by)
    for batch in reader.to_arrow_reader(int(batch_rows)):
        yield batch.to_pandas()


def read_table(session: Any, name: str) -> pd.DataFrame:
    """Read a whole (small) table by its quoted name, e.g. ``dbt.this`` of an incremental model."""
    return session.sql(f"select * from {name}").df()
