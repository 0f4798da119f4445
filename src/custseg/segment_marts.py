"""Glue between the segment marts (``python_models/segment_marts``) and the pure logic.

No dbt import and no database access: the dbt Python models read their inputs through
:mod:`custseg.dbt_io` and call these functions. What lives here:

* **The no-purchase segment**: customers without a completed order are not clustered; they get
  the rule-based segment :data:`NO_PURCHASE_SEGMENT_ID` (``0``; cluster ids start at 1 and noise
  is ``-1``).
* **Merges**: :func:`resolve_merges` turns the ``merge_into_segment_id`` column of seed
  ``segment_overrides`` into a resolved ``from -> to`` table (chains followed, cycles rejected).
* **Names, actions and rules**: :func:`name_mart_segments` names every segment of the current
  model (:func:`custseg.naming.name_segments`), recommends an action from the playbook seed,
  applies the overrides seed and adds the distinguishing features and the decision-tree rules
  (:func:`segment_rules`).
* **Plots**: :func:`render_segment_plots` draws the charts of :mod:`custseg.plots` into one
  folder, each written to a temporary file and renamed, and describes them in one row each.
* **Exports**: :func:`write_atomically` writes a file through a temporary path and a rename and
  returns its size and SHA-256.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from custseg import naming, plots, profiling
from custseg.segment_ids import NOISE as NOISE_SEGMENT_ID

NO_PURCHASE_SEGMENT_ID = 0
"""Segment of every customer without a completed order before the as-of date (rule-based)."""
NO_PURCHASE_NAME = "No purchase yet"
NO_PURCHASE_DESCRIPTION = (
    "Customers known from the CRM, the shop or the web tracking who have not completed an "
    "order before the as-of date. They are not clustered; this segment is a rule "
    "(`has_ordered = false`)."
)
NO_PURCHASE_ACTION = "first-purchase welcome journey"
NO_PURCHASE_RULE = "has_ordered = false"
NO_PURCHASE_SKIPPED_FEATURES: frozenset[str] = frozenset(
    {
        "order_count",
        "total_revenue",
        "avg_order_value",
        "days_since_last_order",
        "tenure_days",
        "predicted_clv",
        "churn_probability",
        "product_category_count",
        "discount_share_of_revenue",
        "discount_share_of_orders",
        "share_orders_web",
        "share_orders_app",
        "share_orders_store",
        "share_orders_marketplace",
        "share_orders_other",
    }
)
"""Features that are zero or null by definition without a completed order: left out of the
no-purchase segment's description and distinguishing features."""

MERGE_COLUMNS: tuple[str, ...] = ("from_segment_id", "to_segment_id")
"""Columns of the resolved merge table (one row per merged-away segment)."""

NAMED_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "segment_name",
    "segment_description",
    "auto_segment_name",
    "value_tier",
    "behaviour",
    "recommended_action",
    "playbook_priority",
    "owner",
    "is_overridden",
    "distinguishing_features",
    "rule_text",
    "rule_coverage",
    "rule_precision",
    "rule_sample_rows",
)
"""Columns of :func:`name_mart_segments` (model ``int_segments_named``)."""

RULE_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "rule_text",
    "rule_coverage",
    "rule_precision",
    "rule_sample_rows",
)

PLOT_COLUMNS: tuple[str, ...] = (
    "plot_name",
    "file_name",
    "title",
    "rows_used",
    "bytes",
    "sha256",
)
"""Columns of :func:`render_segment_plots` (model ``rpt_segment_plots``)."""

PLOT_TITLES: dict[str, str] = {
    "segment_sizes": "Customers and revenue per segment",
    "profile_heatmap": "What sets each segment apart (z-scores)",
    "k_selection": "Choosing the number of segments",
    "silhouette": "Silhouette per segment",
    "embedding_pca": "Segments on the first two principal components",
    "embedding_tsne": "Segments in a t-SNE map",
    "dendrogram": "Ward dendrogram",
}
"""Every plot the marts draw, in the order the docs show them (file ``<name>.png``)."""

CURRENCY_SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


# ---------------------------------------------------------------------------------------------
# merges
# ---------------------------------------------------------------------------------------------


def resolve_merges(overrides: pd.DataFrame) -> pd.DataFrame:
    """The resolved merges of the overrides seed: ``from_segment_id -> to_segment_id``.

    Chains are followed (3 -> 5 and 5 -> 7 give 3 -> 7 and 5 -> 7). The no-purchase segment
    is a rule, not a cluster: it can neither be merged nor be a merge target.

    Raises:
        ValueError: A segment merges into itself, into two segments, in a cycle, or the
            no-purchase segment takes part in a merge.
    """
    if overrides.empty or "segment_id" not in overrides.columns:
        mapping: dict[int, int] = {}
    else:
        mapping = naming.merge_mapping(overrides)
    involved = set(mapping) | set(mapping.values())
    if NO_PURCHASE_SEGMENT_ID in involved:
        raise ValueError(
            f"segment {NO_PURCHASE_SEGMENT_ID} ({NO_PURCHASE_NAME}) is rule-based and cannot be "
            "merged or be a merge target; fix seed segment_overrides"
        )
    frame = pd.DataFrame(
        {
            "from_segment_id": np.array(sorted(mapping), dtype=np.int64),
            "to_segment_id": np.array([mapping[k] for k in sorted(mapping)], dtype=np.int64),
        }
    )
    return frame


def merge_dict(merges: pd.DataFrame) -> dict[int, int]:
    """The resolved merge table as a ``{from: to}`` mapping."""
    return {
        int(a): int(b)
        for a, b in zip(merges["from_segment_id"], merges["to_segment_id"], strict=True)
    }


# ---------------------------------------------------------------------------------------------
# names, actions, rules
# ---------------------------------------------------------------------------------------------


def currency_symbol(code: str | None) -> str:
    """``€`` for EUR, ``$`` for USD, ...; other codes as ``"CHF "``."""
    if not code:
        return ""
    return CURRENCY_SYMBOLS.get(str(code).upper(), f"{str(code).upper()} ")


def segment_rules(
    features: pd.DataFrame,
    labels: Sequence[int] | np.ndarray | pd.Series,
    feature_names: Sequence[str],
    *,
    max_rows: int = 20_000,
    max_depth: int = 2,
    random_state: int = 42,
) -> pd.DataFrame:
    """Readable rules per segment from a shallow one-vs-rest decision tree on a sample.

    Wraps :func:`custseg.profiling.describe_segments` (raw feature values, at most
    ``max_rows`` rows). Segments absent from the sample, and noise, get no row.

    Returns:
        Frame with :data:`RULE_COLUMNS`; ``rule_text`` is empty when the tree found no region
        where the segment is the majority.
    """
    label_array = np.asarray(labels, dtype=np.int64)
    present = sorted(int(s) for s in np.unique(label_array) if s != NOISE_SEGMENT_ID)
    if len(label_array) == 0 or not present:
        return _empty(RULE_COLUMNS)
    described = profiling.describe_segments(
        features,
        label_array,
        list(feature_names),
        segment_ids=present,
        max_depth=max_depth,
        max_rows=max_rows,
        random_state=random_state,
    )
    return pd.DataFrame(
        {
            "segment_id": described["segment_id"].astype(np.int64),
            "rule_text": described["rule_text"].astype(object),
            "rule_coverage": described["coverage"].astype(np.float64),
            "rule_precision": described["precision"].astype(np.float64),
            "rule_sample_rows": described["sample_rows"].astype(np.int64),
        }
    )


def format_distinguishing_features(top: pd.DataFrame) -> dict[int, str]:
    """Segment id -> ``"order_count (z +1.84); return_rate (z -0.52)"`` by rank."""
    texts: dict[int, str] = {}
    ordered = top.sort_values(["segment_id", "rank"], kind="mergesort")
    for sid, group in ordered.groupby("segment_id", sort=True):
        texts[int(sid)] = "; ".join(
            f"{feature} (z {z:+.2f})"
            for feature, z in zip(group["feature"], group["z_score"], strict=True)
        )
    return texts


def _profile_dicts(
    profiles: pd.DataFrame, segment_id: int
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    rows = profiles[profiles["segment_id"] == segment_id]
    z = {str(f): float(v) for f, v in zip(rows["feature"], rows["z_score"], strict=True)}
    means = {str(f): float(v) for f, v in zip(rows["feature"], rows["segment_mean"], strict=True)}
    overall = {str(f): float(v) for f, v in zip(rows["feature"], rows["overall_mean"], strict=True)}
    return z, means, overall


def name_mart_segments(
    profiles: pd.DataFrame,
    *,
    overrides: pd.DataFrame | None = None,
    playbook: pd.DataFrame | None = None,
    rules: pd.DataFrame | None = None,
    currency: str = "€",
    top_features: int = 3,
) -> pd.DataFrame:
    """Names, descriptions, actions, owners and rules of every segment of the current model.

    Args:
        profiles: Long profiles of the segments after merges (``int_segment_profiles_computed``:
            ``segment_id, feature, customer_count, segment_mean, overall_mean, z_score``),
            including the no-purchase segment ``0`` when it has customers.
        overrides: Seed ``segment_overrides``; blank cells keep the automatic value. Merge rows
            must already be applied to ``profiles`` (their segments are absent).
        playbook: Seed ``segment_playbook`` (default :func:`custseg.naming.default_playbook`).
        rules: Output of :func:`segment_rules` (segments without a rule get nulls).
        currency: Currency symbol of money amounts in descriptions.
        top_features: Distinguishing features listed per segment.

    Returns:
        One row per segment with :data:`NAMED_COLUMNS`, ordered by segment id. Names are
        unique (:func:`custseg.naming.apply_overrides` raises otherwise).
    """
    needed = ("segment_id", "feature", "customer_count", "segment_mean", "overall_mean", "z_score")
    missing = [c for c in needed if c not in profiles.columns]
    if missing:
        raise KeyError(f"profile columns not found: {missing}")
    profiles = profiles.loc[:, list(needed)].copy()
    profiles["segment_id"] = profiles["segment_id"].astype(np.int64)
    sizes = {
        int(k): int(v) for k, v in profiles.groupby("segment_id")["customer_count"].max().items()
    }
    clustered = profiles[profiles["segment_id"] != NO_PURCHASE_SEGMENT_ID]
    records: list[pd.DataFrame] = []
    if not clustered.empty:
        auto = naming.name_segments(clustered, segment_sizes=sizes, currency_symbol=currency)
        actions = naming.recommend_actions(clustered, playbook)
        records.append(auto.merge(actions, on="segment_id", how="left", validate="one_to_one"))
    if NO_PURCHASE_SEGMENT_ID in sizes:
        records.append(_no_purchase_row(profiles, sizes, currency))
    if not records:
        return _empty(NAMED_COLUMNS)
    auto_all = pd.concat(records, ignore_index=True)
    auto_all["auto_segment_name"] = auto_all["segment_name"]
    auto_all["owner"] = None
    overrides = overrides if overrides is not None else pd.DataFrame({"segment_id": []})
    result = naming.apply_overrides(auto_all, overrides)
    segments = result.segments
    top = profiling.top_distinguishing_features(
        profiles[
            (profiles["segment_id"] != NO_PURCHASE_SEGMENT_ID)
            | ~profiles["feature"].isin(NO_PURCHASE_SKIPPED_FEATURES)
        ],
        n=top_features,
    )
    feature_text = format_distinguishing_features(top)
    segments["distinguishing_features"] = [feature_text.get(int(s)) for s in segments["segment_id"]]
    rules = rules if rules is not None else _empty(RULE_COLUMNS)
    segments = segments.merge(
        rules.loc[:, list(RULE_COLUMNS)], on="segment_id", how="left", validate="one_to_one"
    )
    no_purchase = segments["segment_id"] == NO_PURCHASE_SEGMENT_ID
    segments.loc[no_purchase, "rule_text"] = NO_PURCHASE_RULE
    segments.loc[no_purchase, "rule_coverage"] = 1.0
    segments.loc[no_purchase, "rule_precision"] = 1.0
    out = segments.loc[:, list(NAMED_COLUMNS)].sort_values("segment_id", kind="mergesort")
    out = out.reset_index(drop=True)
    return out.astype(
        {
            "segment_id": np.int64,
            "playbook_priority": "Int64",
            "is_overridden": bool,
            "rule_coverage": np.float64,
            "rule_precision": np.float64,
            "rule_sample_rows": "Int64",
        }
    )


def _no_purchase_row(
    profiles: pd.DataFrame, sizes: Mapping[int, int], currency: str
) -> pd.DataFrame:
    z, means, overall = _profile_dicts(
        profiles[~profiles["feature"].isin(NO_PURCHASE_SKIPPED_FEATURES)], NO_PURCHASE_SEGMENT_ID
    )
    total = sum(sizes.values())
    share = sizes[NO_PURCHASE_SEGMENT_ID] / total if total else None
    details = naming.describe_segment(
        z, means, overall, share=share, currency_symbol=currency, n_features=3
    ).replace("Compared with the average customer", "Compared with the average buyer")
    return pd.DataFrame(
        {
            "segment_id": [NO_PURCHASE_SEGMENT_ID],
            "segment_name": [NO_PURCHASE_NAME],
            "segment_description": [f"{NO_PURCHASE_DESCRIPTION} {details}".strip()],
            "value_tier": [None],
            "behaviour": [None],
            "qualifiers": [""],
            "recommended_action": [NO_PURCHASE_ACTION],
            "playbook_priority": [None],
        }
    )


# ---------------------------------------------------------------------------------------------
# plots
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlotInputs:
    """Everything :func:`render_segment_plots` draws from.

    Attributes:
        segments: ``dim_segments`` (``segment_id``, ``segment_name``, ``customer_count``,
            ``total_revenue``).
        profiles: Long profiles (``segment_id``, ``feature``, ``z_score``).
        selection: Candidate table (``rpt_segment_model_selection``); may be empty.
        x_model: Preprocessed (model-space) features of a bounded sample of clustered
            customers; ``None`` skips the sample plots.
        labels: Segment id (after merges) per row of ``x_model``.
        include_dendrogram: Draw a dendrogram (agglomerative was among the candidates).
        n_clusters: The selected number of clusters (the dendrogram's cut).
    """

    segments: pd.DataFrame
    profiles: pd.DataFrame
    selection: pd.DataFrame
    x_model: np.ndarray | None
    labels: np.ndarray | None
    include_dendrogram: bool = False
    n_clusters: int | None = None


def render_segment_plots(
    out_dir: str | os.PathLike[str],
    inputs: PlotInputs,
    *,
    max_rows: int = 2_000,
    random_state: int = 42,
    log: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Draw every plot of :data:`PLOT_TITLES` that the inputs allow into ``out_dir``.

    Each PNG is drawn to a temporary file in ``out_dir`` and renamed over ``<name>.png``; PNGs
    of this set that could not be drawn this time (for example the dendrogram when
    agglomerative is no longer a candidate) are removed, so the folder never shows a stale
    chart. Other files in the folder are left alone.

    Returns:
        One row per written plot with :data:`PLOT_COLUMNS`, in :data:`PLOT_TITLES` order.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    names = {
        int(s): str(n)
        for s, n in zip(inputs.segments["segment_id"], inputs.segments["segment_name"], strict=True)
    }
    sample_rows = 0 if inputs.labels is None else min(len(inputs.labels), max_rows)
    clustered_profiles = inputs.profiles[inputs.profiles["segment_id"] != NO_PURCHASE_SEGMENT_ID]
    jobs: dict[str, tuple[Callable[[Path], Any], int] | None] = {
        "segment_sizes": (
            lambda p: plots.plot_segment_sizes(inputs.segments, p, names),
            int(inputs.segments["customer_count"].sum()),
        ),
        "profile_heatmap": (
            (
                lambda p: plots.plot_profile_heatmap(clustered_profiles, names, p),
                int(clustered_profiles["segment_id"].nunique()),
            )
            if not clustered_profiles.empty
            else None
        ),
        "k_selection": (
            (lambda p: plots.plot_k_selection(inputs.selection, p), len(inputs.selection))
            if not inputs.selection.empty
            else None
        ),
    }
    if inputs.x_model is not None and inputs.labels is not None and len(inputs.labels):
        x, y = inputs.x_model, np.asarray(inputs.labels, dtype=np.int64)
        jobs["silhouette"] = (
            lambda p: plots.plot_silhouette_per_cluster(
                x, y, names, p, max_rows=max_rows, random_state=random_state
            ),
            sample_rows,
        )
        for method in ("pca", "tsne"):
            jobs[f"embedding_{method}"] = (
                lambda p, m=method: plots.plot_embedding_scatter(
                    x, y, names, p, method=m, random_state=random_state, max_rows=max_rows
                ),
                sample_rows,
            )
        if inputs.include_dendrogram:
            jobs["dendrogram"] = (
                lambda p: plots.plot_dendrogram(
                    x, p, max_rows=max_rows, random_state=random_state, n_clusters=inputs.n_clusters
                ),
                sample_rows,
            )
    rows = []
    for plot_name in PLOT_TITLES:
        target = folder / f"{plot_name}.png"
        job = jobs.get(plot_name)
        if job is None:
            target.unlink(missing_ok=True)
            continue
        draw, rows_used = job
        temporary = folder / f".{plot_name}.tmp.png"
        try:
            draw(temporary)
        except ValueError as error:  # e.g. a single segment has no silhouette
            temporary.unlink(missing_ok=True)
            target.unlink(missing_ok=True)
            if log is not None:
                log(f"plot {plot_name} skipped: {error}")
            continue
        os.replace(temporary, target)
        size, digest = file_digest(target)
        rows.append(
            {
                "plot_name": plot_name,
                "file_name": target.name,
                "title": PLOT_TITLES[plot_name],
                "rows_used": int(rows_used),
                "bytes": size,
                "sha256": digest,
            }
        )
    if not rows:
        return _empty(PLOT_COLUMNS)
    return pd.DataFrame(rows, columns=list(PLOT_COLUMNS)).astype(
        {"rows_used": np.int64, "bytes": np.int64}
    )


# ---------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------


def file_digest(path: str | os.PathLike[str]) -> tuple[int, str]:
    """``(size in bytes, SHA-256 hex)`` of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def write_atomically(
    write: Callable[[str], object], path: str | os.PathLike[str]
) -> tuple[int, str]:
    """Call ``write(temporary_path)``, then rename the result over ``path``.

    The temporary file is ``<path>.tmp`` beside the target, so the rename stays on one file
    system and a reader sees the previous complete file or the new one, never half a file. The
    temporary file is removed when ``write`` fails.

    Returns:
        ``(size in bytes, SHA-256 hex)`` of the written file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f"{target.name}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        write(str(temporary))
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return file_digest(target)


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
