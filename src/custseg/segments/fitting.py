"""One refit: the candidate search (or the single-segment fallback) and its registry row.

:func:`fit_model` fits on the deterministic sample; :func:`fit_new_version` adds stable
segment ids against the previous version and returns the new row of
``int_segment_model_versions``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pandas as pd

from custseg.clustering import (
    NoEligibleCandidateError,
    NoUsableFeatureError,
    PreprocessConfig,
    SegmentationFit,
    fit_segmentation,
    fit_single_segment,
)
from custseg.clustering.preprocess import describe_dropped
from custseg.segments import registry
from custseg.segments.refit import RefitDecision
from custseg.segments.settings import SelectionSettings
from custseg.segments.stable_ids import (
    MATCHING_NONE,
    assign_stable_ids,
    missing_previous_features,
    next_segment_id,
    previous_segmentation,
    segment_id_matching,
)


def fit_model(
    sample: pd.DataFrame,
    *,
    preprocess: PreprocessConfig,
    selection: SelectionSettings,
    n_customers: int,
    progress: Callable[[str], None] | None = None,
) -> SegmentationFit:
    """The candidate search on the sample, or the single-segment fallback when it cannot run.

    The fallback (docs block `segment_refit_policy`) is fitted when the sample has fewer
    customers than :meth:`SelectionSettings.minimum_customers`, or when preprocessing drops
    every feature; the log line and the model's selection note say which.

    Raises:
        RuntimeError: No candidate passed the guards (and nothing was pinned); the message
            lists every candidate's reasons and how to get past them.
    """
    say = progress or (lambda _message: None)
    minimum = selection.minimum_customers()
    if len(sample) < minimum:
        reason = (
            f"the fit sample has {len(sample):,} customers ({n_customers:,} clustered), fewer "
            f"than the minimum {minimum:,} (var segment_min_customers = "
            f"{selection.min_customers}; at least 10 and 2 x the smallest k)"
        )
        return fit_single_segment(sample, preprocess, reason, progress=say)
    try:
        return fit_segmentation(sample, preprocess, selection.selection_config(), progress=say)
    except NoUsableFeatureError as error:
        reason = (
            f"no feature survived preprocessing on the {len(sample):,} customers of the fit "
            f"sample ({describe_dropped(error.dropped)})"
        )
        return fit_single_segment(sample, preprocess, reason, progress=say)
    except NoEligibleCandidateError as error:
        raise RuntimeError(
            f"{error}. Pin var segment_algorithm / segment_n_clusters or relax vars "
            "segment_min_share / segment_max_share."
        ) from error


def fit_new_version(
    sample: pd.DataFrame,
    *,
    preprocess: PreprocessConfig,
    selection: SelectionSettings,
    decision: RefitDecision,
    stored_frame: pd.DataFrame | None,
    as_of_date: date,
    n_customers: int,
    trained_at: datetime,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Fit a model version on the sample and return its row for the model-versions table.

    Runs :func:`fit_model` (candidate search or single-segment fallback), gives the model
    stable segment ids against ``decision.previous_version`` (ids never used before for new
    segments), and records the whole fit. ``sample`` must be sorted by key; for stable ids
    after a change of the feature list it should also hold the previous model's features
    (:func:`missing_previous_features`; the fit ignores extra columns).

    Raises:
        RuntimeError: No candidate passed the guards (and nothing was pinned).
    """
    say = progress or (lambda _message: None)
    stored = [] if stored_frame is None else registry.stored_versions(stored_frame)
    started = time.perf_counter()
    fit = fit_model(
        sample, preprocess=preprocess, selection=selection, n_customers=n_customers, progress=say
    )
    previous = previous_segmentation(stored_frame, decision)
    matching = segment_id_matching(previous, sample)
    if matching == MATCHING_NONE:
        say(
            f"cannot score the fit sample with model version {decision.previous_version}: its "
            f"features {missing_previous_features(previous, sample.columns)} are not "
            "available, so no segment id is kept"
        )
    segmentation, mapping = assign_stable_ids(
        fit.segmentation, previous, sample, first_new_id=next_segment_id(stored)
    )
    fit_seconds = time.perf_counter() - started
    model_version = max((v.model_version for v in stored), default=0) + 1
    say(
        f"version {model_version}: {segmentation.cluster_model.algorithm} with "
        f"{segmentation.cluster_model.n_clusters} segments in {fit_seconds:.1f}s; segment ids "
        f"matched by {matching}: kept {sorted(mapping.matched.values())}, new "
        f"{list(mapping.new_segment_ids)}, retired {list(mapping.retired_segment_ids)}"
    )
    return registry.build_version_row(
        model_version=model_version,
        trained_as_of_date=as_of_date,
        trained_at=trained_at,
        reasons=decision.reasons,
        fit=fit,
        segmentation=segmentation,
        mapping=mapping,
        previous_version=decision.previous_version,
        selection_settings=selection,
        n_customers=n_customers,
        sample_labels=fit.selection.labels,
        fit_seconds=fit_seconds,
        segment_id_matching=matching,
    )
