"""Silhouette of every segment in every run, on a bounded sample; kept across builds.

One row per run (as-of date and model version) and behavioural segment: the mean silhouette
of the segment's sampled customers in the preprocessed space of the run's model, after the
merges of seed `segment_overrides`. The sample is the first var
`drift_silhouette_sample_size` customers of `int_segment_features_sampled` (deterministic,
clustered customers only, so customers who objected to profiling are never in it), so the
cost stays O(sample^2) whatever the number of customers. Noise is left out. Incremental with
`full_refresh: false` and unique key (as_of_date, model_version): a rebuild of the same run
replaces its rows, `--full-refresh` keeps earlier runs. `rpt_segment_drift` reads it.

Each build returns the whole table (the stored rows of the other runs, one per run and
segment, and this run's rows), so replacing the run works with either strategy of the YAML
config: DuckDB deletes and inserts by the unique key; Spark's Parquet tables cannot delete
rows, so there the table is overwritten with the result.
"""

import numpy as np
import pandas as pd
from sklearn.metrics import silhouette_samples

from custseg import project_vars
from custseg.dbt_io import log_progress, read_relation, read_table, to_engine
from custseg.sampling import first_ranked
from custseg.segment_ids import NOISE
from custseg.segments import registry

MODEL = "fct_segment_run_silhouettes"
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


def with_stored_runs(stored: pd.DataFrame | None, current: pd.DataFrame) -> pd.DataFrame:
    """``current`` plus the ``stored`` rows of every other run, sorted by run and segment."""
    frames = [current]
    if stored is not None and len(stored):
        stored = stored.loc[:, list(COLUMNS)].copy()
        stored["as_of_date"] = pd.to_datetime(stored["as_of_date"]).dt.date
        runs = current.loc[:, ["as_of_date", "model_version"]].drop_duplicates()
        key = ["as_of_date", "model_version"]
        other = stored.merge(runs, on=key, how="left", indicator=True)["_merge"] == "left_only"
        frames.insert(0, stored.loc[other.to_numpy()].astype(COLUMNS))
    combined = pd.concat(frames, ignore_index=True)
    return combined.sort_values(["as_of_date", "model_version", "segment_id"], ignore_index=True)


def model(dbt, session):
    configured_size = dbt.config.get("drift_silhouette_sample_size")
    sample_size = project_vars.integer("drift_silhouette_sample_size", configured_size, minimum=2)
    as_of_date = read_relation(dbt.ref("int_as_of_date"), model=MODEL)["as_of_date"].dt.date.iloc[0]
    version = registry.active_version_row(
        read_relation(dbt.ref("int_segment_model_versions"), model=MODEL), as_of_date
    )
    segmentation = registry.segmentation_from_row(version)
    sample = first_ranked(
        read_relation(dbt.ref("int_segment_features_sampled"), model=MODEL), sample_size
    )
    sample = sample.loc[sample["segment_id"] != NOISE].reset_index(drop=True)

    x = segmentation.preprocessor.transform(sample) if len(sample) else np.empty((0, 0))
    out = silhouette_by_segment(x, sample["segment_id"].to_numpy())
    out["as_of_date"] = as_of_date  # a datetime.date, stored as DATE
    out["model_version"] = int(version["model_version"])
    out["sample_size"] = len(sample)
    log_progress(
        f"{MODEL}: silhouette {out['model_silhouette'].max():.3f} on {len(sample):,} sampled "
        f"customers, model version {version['model_version']}, as-of date {as_of_date}"
    )
    stored = read_table(session, dbt.this, model=MODEL) if dbt.is_incremental else None
    return to_engine(session, with_stored_runs(stored, out.loc[:, list(COLUMNS)].astype(COLUMNS)))
