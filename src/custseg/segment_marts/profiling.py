"""Reading the segment profiles: the wide form the playbook evaluates, distinguishing features.

No I/O and no dbt imports. The profiles themselves (per segment and feature: customer count,
segment mean, overall mean and standard deviation, z-score) are computed in SQL, by model
``int_segment_profiles_computed``; this module only reads that long frame
(``segment_id, feature, segment_mean, overall_mean, z_score``, one row per segment and
feature). A segment whose values of a feature are all missing has a null mean and z-score.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

_RANK_DECIMALS = 9


def profiles_wide(profiles: pd.DataFrame) -> pd.DataFrame:
    """One row per segment with columns ``<feature>__mean`` and ``<feature>__z``.

    The index is the segment id. A row of this frame is the ``profile_row`` that
    :func:`custseg.segment_marts.playbook.recommend_action` evaluates a playbook on.
    """
    _check_profile_columns(profiles)
    ordered = _sorted_profiles(profiles)
    features = list(dict.fromkeys(profiles["feature"]))
    means = ordered.pivot(index="segment_id", columns="feature", values="segment_mean")
    zs = ordered.pivot(index="segment_id", columns="feature", values="z_score")
    columns: dict[str, pd.Series] = {}
    for feature in features:
        columns[f"{feature}__mean"] = means[feature]
        columns[f"{feature}__z"] = zs[feature]
    wide = pd.DataFrame(columns)
    wide.index = wide.index.astype(np.int64)
    wide.index.name = "segment_id"
    wide.columns.name = None
    return wide.sort_index()


def top_distinguishing_features(
    profiles: pd.DataFrame,
    n: int = 3,
    *,
    min_abs_z: float = 0.0,
    exclude: Iterable[str] = (),
) -> pd.DataFrame:
    """The ``n`` features per segment with the largest ``|z_score|``.

    Ties (after rounding ``|z|`` to 9 decimals, so float noise cannot reorder them) are broken
    by feature name. Features with a null z-score are skipped.

    Args:
        profiles: Long profile frame (:data:`PROFILE_COLUMNS`).
        n: Features per segment.
        min_abs_z: Only features with ``|z| >= min_abs_z``.
        exclude: Feature names to leave out.

    Returns:
        Frame ``segment_id, rank (1 = most distinguishing), feature, z_score, segment_mean,
        overall_mean`` ordered by segment id and rank.
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    _check_profile_columns(profiles)
    excluded = set(exclude)
    frame = profiles.loc[
        profiles["z_score"].notna() & ~profiles["feature"].isin(excluded),
        ["segment_id", "feature", "z_score", "segment_mean", "overall_mean"],
    ].copy()
    frame["_abs_z"] = frame["z_score"].abs().round(_RANK_DECIMALS)
    frame = frame[frame["_abs_z"] >= min_abs_z]
    frame = frame.sort_values(
        ["segment_id", "_abs_z", "feature"], ascending=[True, False, True], kind="mergesort"
    )
    frame["rank"] = frame.groupby("segment_id").cumcount() + 1
    frame = frame[frame["rank"] <= n]
    columns = ["segment_id", "rank", "feature", "z_score", "segment_mean", "overall_mean"]
    return frame.loc[:, columns].reset_index(drop=True).astype({"rank": np.int64})


def _check_profile_columns(profiles: pd.DataFrame) -> None:
    needed = ("segment_id", "feature", "segment_mean", "overall_mean", "z_score")
    missing = [c for c in needed if c not in profiles.columns]
    if missing:
        raise KeyError(f"profile columns not found: {missing}")


def _sorted_profiles(profiles: pd.DataFrame) -> pd.DataFrame:
    return profiles.sort_values(["segment_id", "feature"], kind="mergesort").reset_index(drop=True)
