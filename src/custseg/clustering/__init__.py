"""Pure-Python clustering engine: preprocessing, candidate search, fitted model, stable ids.

No I/O and no dbt imports; the dbt Python model calls these functions. Typical use::

    fit = fit_segmentation(sample_df, PreprocessConfig(features=...), SelectionConfig(...))
    model = fit.segmentation                       # FittedSegmentation
    stored = model.to_dict()                       # JSON-able, for the model-versions table
    for batch in batches:                          # e.g. 100,000 rows each
        frame = model.assign_frame(batch, key_column="customer_id")

    # refit with stable segment ids
    new = fit_segmentation(new_sample_df, ...).segmentation
    previous = FittedSegmentation.from_dict(stored)
    common = new_sample_df                         # customers scored by both models
    mapping = match_by_overlap(
        new.assign(common).labels,
        previous.segment_ids_for(previous.assign(common).labels),
        previous_segment_ids=list(previous.segment_ids.values()),
        n_new_clusters=new.cluster_model.n_clusters,
    )
    new = new.with_segment_ids(mapping.mapping)
"""

from custseg.clustering.matching import (
    SegmentMapping,
    cluster_means,
    match_by_centroids,
    match_by_overlap,
)
from custseg.clustering.model import (
    NOISE_LABEL,
    SINGLE_SEGMENT,
    Assignment,
    ClusterModel,
    FittedSegmentation,
)
from custseg.clustering.preprocess import (
    NoUsableFeatureError,
    PreprocessConfig,
    Preprocessor,
    fit_preprocessor,
)
from custseg.clustering.selection import (
    CandidateRecord,
    NoEligibleCandidateError,
    SegmentationFit,
    SelectionConfig,
    SelectionResult,
    composite_scores,
    fit_segmentation,
    fit_single_segment,
    minimum_fit_rows,
    records_frame,
    select_segmentation,
)

__all__ = [
    "NOISE_LABEL",
    "SINGLE_SEGMENT",
    "Assignment",
    "CandidateRecord",
    "ClusterModel",
    "FittedSegmentation",
    "NoEligibleCandidateError",
    "NoUsableFeatureError",
    "PreprocessConfig",
    "Preprocessor",
    "SegmentMapping",
    "SegmentationFit",
    "SelectionConfig",
    "SelectionResult",
    "cluster_means",
    "composite_scores",
    "fit_preprocessor",
    "fit_segmentation",
    "fit_single_segment",
    "match_by_centroids",
    "match_by_overlap",
    "minimum_fit_rows",
    "records_frame",
    "select_segmentation",
]
