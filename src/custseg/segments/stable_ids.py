"""Stable segment ids: a refit's clusters keep the previous model's ids where segments persist.

The previous model and the refit both assign the fit sample; clusters are matched by
assignment overlap (:func:`assign_stable_ids`), new segments get ids never used before
(:func:`next_segment_id`) and ids nobody kept are retired. After a change of the feature
list the previous model still scores the sample with its own features, which the caller
reads for the sample's customers (:func:`missing_previous_features`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from custseg.clustering import FittedSegmentation, SegmentMapping, match_by_overlap
from custseg.segments.refit import RefitDecision, StoredVersion
from custseg.segments.registry import segmentation_from_row


def next_segment_id(versions: Iterable[StoredVersion]) -> int:
    """First id for a new segment: one more than any id ever used, so ids are never reused."""
    used = [i for v in versions for i in (*v.segment_ids, *v.retired_segment_ids)]
    return max(used, default=0) + 1


# How a version's segment ids were matched to the previous version's (column
# `segment_id_matching` of the model-versions table).
MATCHING_FIRST_VERSION = "first_version"
MATCHING_RESCORED = "previous_model_rescored"
MATCHING_NONE = "none"


def previous_segmentation(
    stored_frame: pd.DataFrame | None, decision: RefitDecision
) -> FittedSegmentation | None:
    """The stored model a refit matches its segment ids against (``decision.previous_version``)."""
    if decision.previous_version is None or stored_frame is None:
        return None
    rows = stored_frame.loc[stored_frame["model_version"] == decision.previous_version]
    return segmentation_from_row(rows.iloc[0].to_dict())


def missing_previous_features(
    previous: FittedSegmentation | None, columns: Iterable[str]
) -> list[str]:
    """The previous model's input features that ``columns`` lack, in its configured order.

    After the feature list changed, the caller reads these for the fit sample's customers
    (they are columns of ``int_customers_joined``) so the previous model can still score them.
    """
    if previous is None:
        return []
    present = set(columns)
    return [f for f in previous.preprocessor.config.features if f not in present]


def segment_id_matching(previous: FittedSegmentation | None, common: pd.DataFrame) -> str:
    """How :func:`assign_stable_ids` matches ids for these inputs (see ``MATCHING_*``)."""
    if previous is None:
        return MATCHING_FIRST_VERSION
    if missing_previous_features(previous, common.columns):
        return MATCHING_NONE
    return MATCHING_RESCORED


def assign_stable_ids(
    new: FittedSegmentation,
    previous: FittedSegmentation | None,
    common: pd.DataFrame,
    *,
    first_new_id: int,
    min_jaccard: float = 0.3,
) -> tuple[FittedSegmentation, SegmentMapping]:
    """Give a refit's clusters the previous model's segment ids where the segments persist.

    Both models assign the same customers (``common``, the fit sample); new clusters are
    matched to previous segments with the Hungarian algorithm on the Jaccard overlap
    (:func:`~custseg.clustering.match_by_overlap`). A persisting segment keeps its id, a new
    group gets a fresh id from ``first_new_id`` on, and a previous id nobody kept is retired.

    Overlap needs no common feature space, so it also works after the feature list or the
    preprocessing changed: the previous model applies its own stored preprocessing to its
    own features. ``common`` must then hold the previous model's features as well as the
    new one's (extra columns are ignored; see :func:`missing_previous_features`). Only when
    some previous feature is missing from ``common`` is nothing matched: every cluster gets
    a fresh id (:func:`segment_id_matching` says ``none``).
    """
    n_new = new.cluster_model.n_clusters
    basis = segment_id_matching(previous, common)
    if previous is None:
        new_labels = old_ids = np.empty(0, dtype=np.int64)
        previous_ids: list[int] = []
    else:
        previous_ids = sorted(set(previous.segment_ids.values()))
        if basis == MATCHING_RESCORED:
            new_labels = new.assign(common).labels
            old_ids = previous.segment_ids_for(previous.assign(common).labels)
        else:
            new_labels = old_ids = np.empty(0, dtype=np.int64)
    mapping = match_by_overlap(
        new_labels,
        old_ids,
        min_jaccard=min_jaccard,
        previous_segment_ids=previous_ids,
        n_new_clusters=n_new,
        next_segment_id=first_new_id,
    )
    return new.with_segment_ids(mapping.mapping), mapping
