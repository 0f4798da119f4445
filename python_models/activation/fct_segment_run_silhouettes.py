"""Silhouette of every segment in every run, on a bounded sample; kept across builds.

One row per run (as-of date and model version) and behavioural segment: the mean silhouette
of the segment's sampled customers in the preprocessed space of the run's model, after the
merges of seed `segment_overrides`. The sample is deterministic and bounded (var
`drift_silhouette_sample_size`, default 2,000 customers with the smallest md5 of
`customer_id`), so the cost stays O(sample^2) whatever the number of customers. Noise and
customers who objected to profiling are left out. Incremental with `full_refresh: false`
and unique key (as_of_date, model_version): a rebuild of the same run replaces its rows,
`--full-refresh` keeps earlier runs. `rpt_segment_drift` reads it.
"""

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_samples

from custseg import segment_marts
from custseg.dbt_io import log_progress, read_relation, read_sample
from custseg.naming import remap_segment_ids
from custseg.segments import registry

MODEL = "fct_segment_run_silhouettes"
DEFAULT_SAMPLE_SIZE = 2_000
NOISE_SEGMENT_ID = -1
COLUMNS = {
    "as_of_date": "object",
    "model_version": "int64",
    "segment_id": "int64",
    "sampled_customer_count": "int64",
    "silhouette": "float64",
    "model_silhouette": "float64",
    "sample_size": "int64",
}


def silhouette_by_segment(x: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """Mean silhouette per label and over all rows (``model_silhouette``).

    Needs at least two labels and more rows than labels; otherwise the silhouettes are null.
    """
    labels = np.asarray(labels, dtype=np.int64)
    unique = np.unique(labels)
    values = np.full(len(labels), np.nan)
    if 2 <= len(unique) < len(labels):
        values = silhouette_samples(x, labels)
    frame = pd.DataFrame({"segment_id": labels, "silhouette": values})
    out = frame.groupby("segment_id", as_index=False).agg(
        sampled_customer_count=("silhouette", "size"), silhouette=("silhouette", "mean")
    )
    out["model_silhouette"] = float(np.mean(values)) if len(values) else np.nan
    return out


def model(dbt, session):
    configured_size = dbt.config.get("drift_silhouette_sample_size")
    sample_size = int(configured_size or DEFAULT_SAMPLE_SIZE)
    as_of_date = read_relation(dbt.ref("int_as_of_date"))["as_of_date"].dt.date.iloc[0]
    version = registry.active_version_row(
        read_relation(dbt.ref("dim_segment_model_versions")), as_of_date
    )
    segmentation = registry.segmentation_from_row(version)
    merges = segment_marts.merge_dict(read_relation(dbt.ref("int_segment_merges_resolved")))
    objections = read_relation(dbt.ref("int_profiling_objections"))["customer_id"]

    # the same customers in both samples: both hold exactly the clustered customers
    features = read_sample(dbt.ref("int_segment_features"), sample_size)
    labels = read_sample(dbt.ref("fct_customer_segments"), sample_size)
    sample = features.merge(labels[["customer_id", "segment_id"]], on="customer_id")
    sample["segment_id"] = remap_segment_ids(sample["segment_id"], merges)
    keep = (sample["segment_id"] != NOISE_SEGMENT_ID) & ~sample["customer_id"].isin(set(objections))
    sample = sample.loc[keep].reset_index(drop=True)

    x = segmentation.preprocessor.transform(sample) if len(sample) else np.empty((0, 0))
    out = silhouette_by_segment(x, sample["segment_id"].to_numpy())
    out["as_of_date"] = as_of_date  # a datetime.date, stored as DATE
    out["model_version"] = int(version["model_version"])
    out["sample_size"] = len(sample)
    log_progress(
        f"{MODEL}: silhouette {out['model_silhouette'].max():.3f} on {len(sample):,} sampled "
        f"customers, model version {version['model_version']}, as-of date {as_of_date}"
    )
    return out.loc[:, list(COLUMNS)].astype(COLUMNS)
