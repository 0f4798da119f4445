"""Bounded, reproducible samples of customers for charts, rules and silhouettes.

Two steps, each deterministic. SQL draws the customer sample once
(``int_segment_features_sampled``: smallest md5 of ``customer_id`` first, numbered by
``sample_rank``) and each model keeps the rows up to its own size (:func:`first_ranked`).
A chart or tree that needs fewer rows than it is given draws them with
:func:`subsample_indices`: a uniform draw without replacement from
``numpy.random.default_rng(random_state)``, sorted so the rows keep their order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def subsample_indices(n: int, max_rows: int, random_state: int) -> np.ndarray:
    """Sorted indices of at most ``max_rows`` of ``n`` rows (all of them if ``n <= max_rows``).

    Raises:
        ValueError: ``max_rows`` is below 2 (no chart or tree can use fewer rows).
    """
    if max_rows < 2:
        raise ValueError("max_rows must be >= 2")
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


def first_ranked(sample: pd.DataFrame, size: int, key: str = "customer_id") -> pd.DataFrame:
    """The rows of ``int_segment_features_sampled`` up to ``sample_rank`` ``size``.

    The rows come sorted by ``key``, so a model's row order (and with it every subsample
    drawn by :func:`subsample_indices`) does not depend on the order the engine returns.
    """
    chosen = sample[sample["sample_rank"] <= int(size)]
    return chosen.sort_values(key, kind="stable").reset_index(drop=True)
