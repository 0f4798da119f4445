"""Every clustered customer's segment under the model version this build uses.

The version is the latest in `int_segment_model_versions` trained on or before the as-of
date. Customers stream from `int_segment_features` as stored, in batches of var
`segment_batch_rows` (no `order by`: a global sort would hold every customer at once), and
are assigned with the engine (nearest centroid, gmm posterior, or nearest core point within
eps); the result streams into the table batch by batch. A customer's assignment depends only
on its own features and the model, never on the batch it is read in, so the assignments are
the same whatever the read order.
"""

from custseg import project_vars
from custseg.dbt_io import count_rows, iter_batches, log_progress, read_relation
from custseg.segments import assign, registry

MODEL = "int_customer_segments_assigned"


def model(dbt, session):
    batch_rows = dbt.config.get("segment_batch_rows")
    batch_rows = project_vars.integer("segment_batch_rows", batch_rows, minimum=1)
    as_of_date = read_relation(dbt.ref("int_as_of_date"))["as_of_date"].dt.date.iloc[0]
    versions = read_relation(dbt.ref("int_segment_model_versions"))
    row = registry.active_version_row(versions, as_of_date)
    segmentation = registry.segmentation_from_row(row)
    features = dbt.ref("int_segment_features")
    total = count_rows(features)
    log_progress(
        f"{MODEL}: assigning {total:,} customers with model version {row['model_version']} "
        f"({segmentation.cluster_model.algorithm}, {segmentation.cluster_model.n_clusters} "
        f"segments, trained at as-of date {row['trained_as_of_date']:%Y-%m-%d}) "
        f"in batches of {batch_rows:,}"
    )

    def report(stats):
        log_progress(f"{MODEL}: assigned {stats.rows:,} of {total:,} customers")

    return assign.assignment_reader(
        segmentation,
        iter_batches(features, batch_rows),
        model_version=int(row["model_version"]),
        as_of_date=as_of_date,
        progress=report,
    )
