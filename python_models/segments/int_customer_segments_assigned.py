"""Every clustered customer's segment under the model version this build uses.

The version is the latest in `int_segment_model_versions` trained on or before the as-of
date. Customers are assigned batch by batch on the engine (`custseg.dbt_io.map_batches`:
Spark's executors, or DuckDB's stream through this process), in batches of var
`segment_batch_rows`, with the fitted model (nearest centroid, gmm posterior, or nearest core
point within eps); no customer row reaches the driver on Spark, and no global sort holds
every customer at once. A customer's assignment depends only on its own features and the
model, never on the batch it is read in, so the assignments are the same whatever the read
order. Pause point `scoring` (kill tests, `custseg.pause_points`) holds the build before
every batch after the first.
"""

from functools import partial

from custseg import project_vars
from custseg.dbt_io import count_rows, log_progress, map_batches, read_relation
from custseg.pause_points import pausing_between_calls
from custseg.segments import assign, registry

MODEL = "int_customer_segments_assigned"


def model(dbt, session):
    batch_rows = dbt.config.get("segment_batch_rows")
    batch_rows = project_vars.integer("segment_batch_rows", batch_rows, minimum=1)
    as_of_date = read_relation(dbt.ref("int_as_of_date"), model=MODEL)["as_of_date"].dt.date.iloc[0]
    versions = read_relation(dbt.ref("int_segment_model_versions"), model=MODEL)
    row = registry.active_version_row(versions, as_of_date)
    segmentation = registry.segmentation_from_row(row)
    features = dbt.ref("int_segment_features")
    log_progress(
        f"{MODEL}: assigning {count_rows(features):,} customers with model version "
        f"{row['model_version']} ({segmentation.cluster_model.algorithm}, "
        f"{segmentation.cluster_model.n_clusters} segments, trained at as-of date "
        f"{row['trained_as_of_date']:%Y-%m-%d}) in batches of {batch_rows:,}"
    )
    assign_batch = partial(
        assign.assign_batch,
        segmentation,
        model_version=int(row["model_version"]),
        as_of_date=as_of_date,
    )
    assign_batch = pausing_between_calls("scoring", assign_batch)
    return map_batches(features, assign_batch, assign.ASSIGNMENT_SCHEMA, batch_rows)
