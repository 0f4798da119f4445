"""Every clustered customer's segment under a stored model version, streamed in batches.

:func:`assignment_reader` turns batches of ``int_segment_features`` into an Arrow stream of
:data:`ASSIGNMENT_SCHEMA` rows (``int_customer_segments_assigned``), one batch in memory at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from custseg.clustering import NOISE_LABEL, FittedSegmentation
from custseg.segment_ids import NOISE
from custseg.segments.settings import KEY_COLUMN

ASSIGNMENT_SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("segment_id", pa.int64()),
        ("segment_name", pa.string()),
        ("model_version", pa.int64()),
        ("algorithm", pa.string()),
        ("cluster_label", pa.int64()),
        ("distance_to_centroid", pa.float64()),
        ("membership_probability", pa.float64()),
        ("is_outlier", pa.bool_()),
        ("was_clipped", pa.bool_()),
        ("as_of_date", pa.date32()),
    ]
)


def segment_name(segment_id: int) -> str:
    """Placeholder name until the segment marts name segments: ``Segment <id>`` or noise."""
    return "Unassigned (noise)" if segment_id == NOISE else f"Segment {segment_id}"


def assign_batch(
    segmentation: FittedSegmentation,
    batch: pd.DataFrame,
    *,
    model_version: int,
    as_of_date: date,
) -> pa.RecordBatch:
    """Assign one batch of customers (rows of ``int_segment_features``).

    ``distance_to_centroid`` is the Euclidean distance in the preprocessed space to the
    assigned segment's centroid (the gmm component mean, the mean of a density cluster's core
    points); null for noise. ``membership_probability`` is gmm's posterior probability of the
    assigned component, null for other algorithms.
    """
    x, was_clipped = segmentation.preprocessor.transform_with_flags(batch)
    model = segmentation.cluster_model
    result = model.assign(x)
    labels = result.labels
    clustered = labels != NOISE_LABEL
    distance = np.full(len(labels), np.nan)
    if clustered.any():
        difference = x[clustered] - model.centroids[labels[clustered]]
        distance[clustered] = np.sqrt(np.sum(np.square(difference), axis=1))
    probability = (
        result.distance_or_probability if model.algorithm == "gmm" else np.full(len(labels), np.nan)
    )
    segment_ids = segmentation.segment_ids_for(labels)
    names = {int(s): segment_name(int(s)) for s in np.unique(segment_ids)}
    columns = {
        "customer_id": pa.array(batch[KEY_COLUMN].astype(str).to_numpy(), pa.string()),
        "segment_id": pa.array(segment_ids, pa.int64()),
        "segment_name": pa.array([names[int(s)] for s in segment_ids], pa.string()),
        "model_version": pa.array(np.full(len(labels), model_version), pa.int64()),
        "algorithm": pa.array([model.algorithm] * len(labels), pa.string()),
        "cluster_label": pa.array(labels, pa.int64()),
        "distance_to_centroid": pa.array(distance, pa.float64(), from_pandas=True),
        "membership_probability": pa.array(probability, pa.float64(), from_pandas=True),
        "is_outlier": pa.array(result.is_outlier, pa.bool_()),
        "was_clipped": pa.array(was_clipped, pa.bool_()),
        "as_of_date": pa.array([as_of_date] * len(labels), pa.date32()),
    }
    return pa.RecordBatch.from_arrays(list(columns.values()), schema=ASSIGNMENT_SCHEMA)


@dataclass
class AssignmentStats:
    """Running totals of an assignment stream (filled while the stream is consumed)."""

    rows: int = 0
    batches: int = 0
    segment_counts: dict[int, int] = field(default_factory=dict)


def assignment_reader(
    segmentation: FittedSegmentation,
    batches: Iterable[pd.DataFrame],
    *,
    model_version: int,
    as_of_date: date,
    progress: Callable[[AssignmentStats], None] | None = None,
    stats: AssignmentStats | None = None,
) -> pa.RecordBatchReader:
    """A stream of assigned batches: one batch in memory at a time, whatever the row count."""
    stats = stats if stats is not None else AssignmentStats()

    def generate() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.empty:
                continue
            assigned = assign_batch(
                segmentation, batch, model_version=model_version, as_of_date=as_of_date
            )
            stats.rows += assigned.num_rows
            stats.batches += 1
            ids, counts = np.unique(
                assigned.column("segment_id").to_numpy(zero_copy_only=False), return_counts=True
            )
            for segment, count in zip(ids.tolist(), counts.tolist(), strict=True):
                stats.segment_counts[segment] = stats.segment_counts.get(segment, 0) + count
            if progress is not None:
                progress(stats)
            yield assigned
            # Drop this batch's frames before the next read, so two batches never coexist.
            del batch, assigned

    return pa.RecordBatchReader.from_batches(ASSIGNMENT_SCHEMA, generate())
