"""The segment model registry (``int_segment_model_versions``): one row per fitted version.

:data:`VERSION_SCHEMA` is the table; :func:`build_version_row` writes a fresh fit as a row
(the whole deployable model as the engine's JSON, the segment id mapping, every candidate),
and :func:`stored_versions`, :func:`segmentation_from_row` and :func:`active_version_row`
read rows back for the refit policy, for scoring and for the tables unpacked from them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from custseg.clustering import FittedSegmentation, SegmentationFit, SegmentMapping
from custseg.segments.refit import StoredVersion, active_version
from custseg.segments.settings import SelectionSettings

VERSION_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("trained_as_of_date", pa.date32()),
        ("trained_at", pa.timestamp("us", tz="UTC")),
        ("refit_reasons", pa.string()),
        ("algorithm", pa.string()),
        ("n_clusters", pa.int64()),
        ("params_json", pa.string()),
        ("features_json", pa.string()),
        ("preprocess_config_json", pa.string()),
        ("preprocessing_json", pa.string()),
        ("selection_settings_json", pa.string()),
        ("model_json", pa.string()),
        ("segment_ids_json", pa.string()),
        ("matched_segment_ids_json", pa.string()),
        ("new_segment_ids_json", pa.string()),
        ("retired_segment_ids_json", pa.string()),
        ("previous_model_version", pa.int64()),
        ("segment_sizes_json", pa.string()),
        ("candidates_json", pa.string()),
        ("composite_score", pa.float64()),
        ("selection_note", pa.string()),
        ("n_customers", pa.int64()),
        ("n_sample_rows", pa.int64()),
        ("fit_seconds", pa.float64()),
        ("segment_id_matching", pa.string()),
    ]
)


def _clean(value: Any) -> Any:
    """Plain JSON types: numpy scalars to Python, non-finite floats to ``None``."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value) if math.isfinite(float(value)) else None
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_clean(value), sort_keys=True)


def build_version_row(
    *,
    model_version: int,
    trained_as_of_date: date,
    trained_at: datetime,
    reasons: Sequence[str],
    fit: SegmentationFit,
    segmentation: FittedSegmentation,
    mapping: SegmentMapping,
    previous_version: int | None,
    selection_settings: SelectionSettings,
    n_customers: int,
    sample_labels: np.ndarray,
    fit_seconds: float,
    segment_id_matching: str | None = None,
) -> dict[str, Any]:
    """One row of the model-versions table for a fresh fit (columns of :data:`VERSION_SCHEMA`).

    ``segmentation`` is ``fit.segmentation`` with its stable segment ids; ``sample_labels``
    are its cluster labels of the fit sample (for the segment sizes); ``segment_id_matching``
    how its ids were matched (``stable_ids.MATCHING_*``).
    """
    preprocessor = segmentation.preprocessor
    cluster_model = segmentation.cluster_model
    selected = fit.selection.selected
    segment_of = segmentation.segment_ids_for(np.asarray(sample_labels))
    ids, counts = np.unique(segment_of, return_counts=True)
    return {
        "model_version": int(model_version),
        "trained_as_of_date": trained_as_of_date,
        "trained_at": trained_at,
        "refit_reasons": "; ".join(reasons),
        "algorithm": cluster_model.algorithm,
        "n_clusters": int(cluster_model.n_clusters),
        "params_json": _dumps(cluster_model.params),
        "features_json": _dumps(list(preprocessor.config.features)),
        "preprocess_config_json": _dumps(preprocessor.config.to_dict()),
        "preprocessing_json": _dumps(preprocessor.to_dict()),
        "selection_settings_json": _dumps(selection_settings.to_dict()),
        "model_json": _dumps(segmentation.to_dict()),
        "segment_ids_json": _dumps(
            [[int(k), int(v)] for k, v in sorted(segmentation.segment_ids.items())]
        ),
        "matched_segment_ids_json": _dumps(
            [[int(k), int(v)] for k, v in sorted(mapping.matched.items())]
        ),
        "new_segment_ids_json": _dumps(list(mapping.new_segment_ids)),
        "retired_segment_ids_json": _dumps(list(mapping.retired_segment_ids)),
        "previous_model_version": previous_version,
        "segment_sizes_json": _dumps([[int(i), int(c)] for i, c in zip(ids, counts, strict=True)]),
        "candidates_json": _dumps([record.to_dict() for record in fit.selection.records]),
        "composite_score": selected.composite_score,
        "selection_note": fit.selection.note,
        "n_customers": int(n_customers),
        "n_sample_rows": int(fit.sample_matrix_shape[0]),
        "fit_seconds": float(fit_seconds),
        "segment_id_matching": segment_id_matching,
    }


def versions_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """The model-versions rows as an Arrow table with :data:`VERSION_SCHEMA` (also when empty)."""
    return pa.Table.from_pylist([dict(row) for row in rows], schema=VERSION_SCHEMA)


def to_date(value: Any) -> date:
    """A stored date (pandas or numpy timestamp, date or ISO text) as a ``date``."""
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    return date.fromisoformat(str(value)[:10])


def stored_version_from_row(row: Mapping[str, Any]) -> StoredVersion:
    """The refit policy's view of one stored row."""
    segment_ids = [int(v) for _, v in json.loads(row["segment_ids_json"])]
    n_sample_rows = row.get("n_sample_rows")
    n_sample_rows = None if n_sample_rows is None or pd.isna(n_sample_rows) else n_sample_rows
    return StoredVersion(
        model_version=int(row["model_version"]),
        trained_as_of_date=to_date(row["trained_as_of_date"]),
        preprocess_config=json.loads(row["preprocess_config_json"]),
        selection_settings=json.loads(row["selection_settings_json"]),
        segment_ids=tuple(segment_ids),
        retired_segment_ids=tuple(int(v) for v in json.loads(row["retired_segment_ids_json"])),
        algorithm=None if row.get("algorithm") is None else str(row["algorithm"]),
        n_sample_rows=None if n_sample_rows is None else int(n_sample_rows),
    )


def stored_versions(frame: pd.DataFrame) -> list[StoredVersion]:
    """Every row of the model-versions table, ordered by version."""
    rows = frame.sort_values("model_version").to_dict("records")
    return [stored_version_from_row(row) for row in rows]


def segmentation_from_row(row: Mapping[str, Any]) -> FittedSegmentation:
    """The deployable model stored in a row (inverse of ``model_json``)."""
    return FittedSegmentation.from_dict(json.loads(row["model_json"]))


def active_version_row(frame: pd.DataFrame, as_of_date: date) -> dict[str, Any]:
    """The row of the version a build with ``as_of_date`` uses.

    Raises:
        LookupError: No stored version was trained on or before the as-of date.
    """
    chosen = active_version(stored_versions(frame), as_of_date)
    if chosen is None:
        raise LookupError(f"no segment model was trained on or before {as_of_date}")
    row = frame.loc[frame["model_version"] == chosen.model_version].iloc[0]
    return row.to_dict()
