"""Independent references for the segment-mart tests.

The package computes segment profiles only in SQL (``int_segment_profiles_computed``); the
tests check it, and feed the naming code, with this plain pandas computation written from the
definition (group means, overall mean and sample standard deviation, z-scores). The playbook
and overrides exist only as seeds: the tests read the shipped files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def seed(name: str) -> pd.DataFrame:
    """A shipped seed file as the warehouse holds it."""
    return pd.read_csv(SEEDS / f"{name}.csv")


def reference_profiles(
    customers: pd.DataFrame, segment_col: str, features: Sequence[str]
) -> pd.DataFrame:
    """Segment x feature profiles by definition; every row of ``customers`` is the reference.

    Columns ``segment_id, feature, customer_count, value_count, segment_mean, overall_mean,
    overall_std, z_score``: the z-score is 0 for a feature without spread and null for a
    segment without values of the feature.
    """
    rows = []
    for feature in features:
        values = pd.to_numeric(customers[feature], errors="coerce").astype(float)
        overall_mean = values.mean()
        overall_std = values.std(ddof=1)
        flat = not np.isfinite(overall_std) or overall_std <= 1e-12 * max(1, abs(overall_mean))
        for segment_id, group in values.groupby(customers[segment_col], sort=True):
            mean = group.mean()
            z = (mean - overall_mean) / overall_std if not flat else 0.0
            rows.append(
                {
                    "segment_id": int(segment_id),
                    "feature": feature,
                    "customer_count": len(group),
                    "value_count": int(group.notna().sum()),
                    "segment_mean": mean,
                    "overall_mean": overall_mean,
                    "overall_std": overall_std,
                    "z_score": np.nan if np.isnan(mean) else z,
                }
            )
    return pd.DataFrame(rows)
