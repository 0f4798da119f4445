"""The one seam between dbt Python models and the engine: reading relations and logging.

Python models read their inputs only through :func:`read_relation`, so moving to another
engine (Snowpark, PySpark, ...) means changing this module, not the models.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def read_relation(relation: Any) -> pd.DataFrame:
    """Return a relation from ``dbt.ref(...)`` / ``dbt.source(...)`` as a pandas DataFrame.

    On dbt-duckdb the relation is a ``DuckDBPyRelation``, read with ``.df()``.
    """
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
