"""Tables unpacked from the model registry's JSON: candidates, centroids and preprocessing.

``rpt_segment_model_selection`` shows the candidates of a version's fit
(:func:`candidates_table`); ``int_segment_centroids`` and ``int_segment_preprocessing``
(:func:`centroids_table`, :func:`preprocessing_table`) give the portable SQL scoring macro
``score_nearest_centroid`` what it needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from custseg.clustering.model import CENTROID_ALGORITHMS
from custseg.clustering.preprocess import indicator_name
from custseg.segments.registry import segmentation_from_row, to_date

CANDIDATE_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("trained_as_of_date", pa.date32()),
        ("candidate_index", pa.int64()),
        ("algorithm", pa.string()),
        ("n_clusters", pa.int64()),
        ("params", pa.string()),
        ("silhouette", pa.float64()),
        ("davies_bouldin", pa.float64()),
        ("calinski_harabasz", pa.float64()),
        ("dunn_index", pa.float64()),
        ("gap_statistic", pa.float64()),
        ("gap_std_error", pa.float64()),
        ("inertia", pa.float64()),
        ("stability", pa.float64()),
        ("is_elbow", pa.bool_()),
        ("composite_score", pa.float64()),
        ("is_eligible", pa.bool_()),
        ("ineligible_reason", pa.string()),
        ("is_selected", pa.bool_()),
        ("min_segment_share", pa.float64()),
        ("max_segment_share", pa.float64()),
        ("noise_share", pa.float64()),
        ("elapsed_seconds", pa.float64()),
    ]
)


def candidates_table(row: Mapping[str, Any]) -> pa.Table:
    """One row per candidate (algorithm x k or density parameters) of a version's fit."""
    records = json.loads(row["candidates_json"])
    rows = []
    for index, record in enumerate(records):
        rows.append(
            {
                **{name: record.get(name) for name in CANDIDATE_SCHEMA.names},
                "model_version": int(row["model_version"]),
                "trained_as_of_date": to_date(row["trained_as_of_date"]),
                "candidate_index": index + 1,
                "params": json.dumps(record.get("params", {}), sort_keys=True),
            }
        )
    return pa.Table.from_pylist(rows, schema=CANDIDATE_SCHEMA)


CENTROID_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("algorithm", pa.string()),
        ("is_nearest_centroid_model", pa.bool_()),
        ("segment_id", pa.int64()),
        ("cluster_label", pa.int64()),
        ("column_name", pa.string()),
        ("column_position", pa.int64()),
        ("centroid_value", pa.float64()),
    ]
)


def centroids_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """One row per model version x segment x preprocessed column: the centroid coordinate.

    Coordinates are in the preprocessed space (after log1p, clipping, imputation and
    scaling). Versions fitted with PCA are left out: their centroids live in the PCA space,
    which the SQL scoring macro does not compute.
    """
    out: list[dict[str, Any]] = []
    for row in rows:
        segmentation = segmentation_from_row(row)
        if segmentation.preprocessor.pca_components is not None:
            continue
        model = segmentation.cluster_model
        columns = segmentation.preprocessor.kept_columns
        for label in range(model.n_clusters):
            for position, column in enumerate(columns):
                out.append(
                    {
                        "model_version": int(row["model_version"]),
                        "algorithm": model.algorithm,
                        "is_nearest_centroid_model": model.algorithm in CENTROID_ALGORITHMS,
                        "segment_id": int(segmentation.segment_ids[label]),
                        "cluster_label": label,
                        "column_name": column,
                        "column_position": position + 1,
                        "centroid_value": float(model.centroids[label, position]),
                    }
                )
    return pa.Table.from_pylist(out, schema=CENTROID_SCHEMA)


PREPROCESSING_SCHEMA = pa.schema(
    [
        ("model_version", pa.int64()),
        ("column_name", pa.string()),
        ("column_kind", pa.string()),
        ("feature_name", pa.string()),
        ("feature_position", pa.int64()),
        ("is_log1p", pa.bool_()),
        ("clip_lower", pa.float64()),
        ("clip_upper", pa.float64()),
        ("impute_value", pa.float64()),
        ("is_kept", pa.bool_()),
        ("column_position", pa.int64()),
        ("scale_center", pa.float64()),
        ("scale_scale", pa.float64()),
        ("drop_reason", pa.string()),
        ("has_pca", pa.bool_()),
    ]
)


def preprocessing_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """One row per model version x column before selection: how a raw value is preprocessed.

    ``column_kind`` is ``feature`` (a configured feature: log1p, clip, impute) or
    ``null_indicator`` (``is_missing__<feature>``: 1 when the feature was null, else 0).
    Kept columns carry their position and the scaler's center and scale.
    """
    out: list[dict[str, Any]] = []
    for row in rows:
        preprocessor = segmentation_from_row(row).preprocessor
        config = preprocessor.config
        kept = {name: i for i, name in enumerate(preprocessor.kept_columns)}
        dropped = {d.column: d.reason for d in preprocessor.dropped}
        log1p = set(config.log1p_features)
        base = [(f, "feature", f) for f in config.features]
        base += [(indicator_name(f), "null_indicator", f) for f in preprocessor.indicator_features]
        for column, kind, feature in base:
            position = kept.get(column)
            is_feature = kind == "feature"
            out.append(
                {
                    "model_version": int(row["model_version"]),
                    "column_name": column,
                    "column_kind": kind,
                    "feature_name": feature,
                    "feature_position": config.features.index(feature) + 1,
                    "is_log1p": feature in log1p,
                    "clip_lower": preprocessor.clip_lower[feature] if is_feature else None,
                    "clip_upper": preprocessor.clip_upper[feature] if is_feature else None,
                    "impute_value": preprocessor.medians[feature] if is_feature else None,
                    "is_kept": position is not None,
                    "column_position": None if position is None else position + 1,
                    "scale_center": None
                    if position is None
                    else preprocessor.scale_center[position],
                    "scale_scale": None if position is None else preprocessor.scale_scale[position],
                    "drop_reason": dropped.get(column),
                    "has_pca": preprocessor.pca_components is not None,
                }
            )
    return pa.Table.from_pylist(out, schema=PREPROCESSING_SCHEMA)
