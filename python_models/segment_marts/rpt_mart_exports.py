"""The public marts as Parquet files for BI tools; one row per file written.

Side effect (documented in docs block `mart_exports`): writes `<mart>.parquet` into the
staging folder of env `MART_EXPORT_DIR` (default: `marts/` beside the published warehouse;
`custseg.publication`), which the build's publication swaps in whole when no node failed;
`file_path` is the published path. The engine writes each file
(`custseg.engine_files.write_parquet_export`): DuckDB one file through the project's atomic
writer (`custseg.files.write_atomically`), Spark's executors a folder `<mart>.parquet/` of
part files; no mart row passes through the driver. Nothing is created in the warehouse (no
`external` views pointing at files). Restricted marts (personal data) are never exported.
Rows are written in key order, so the same data gives byte-identical files on DuckDB.
"""

import pandas as pd

from custseg import publication
from custseg.dbt_io import log_progress, to_engine
from custseg.engine_files import write_parquet_export

MODEL = "rpt_mart_exports"


def model(dbt, session):
    kind = dbt.config.get("published_exports")
    export_dir = publication.export_dir(kind)
    staging = publication.prepare_staging(kind)
    # literal refs, so dbt sees the dependencies; restricted marts are deliberately absent.
    # Each mart comes with its primary key, the row order of its file: the same data gives
    # a byte-identical file (and the same sha256).
    marts = {
        "dim_customers": (dbt.ref("dim_customers"), "customer_id"),
        "dim_customer_segments": (dbt.ref("dim_customer_segments"), "customer_id"),
        "dim_segments": (dbt.ref("dim_segments"), "segment_id"),
        "rpt_segment_feature_profiles": (
            dbt.ref("rpt_segment_feature_profiles"),
            "segment_id, feature",
        ),
        "rpt_rfm_vs_clusters": (dbt.ref("rpt_rfm_vs_clusters"), "rfm_segment, segment_id"),
        "rpt_segment_model_selection": (
            dbt.ref("rpt_segment_model_selection"),
            "model_version, candidate_index",
        ),
    }
    rows = []
    for mart_name, (relation, key) in marts.items():
        path = export_dir / f"{mart_name}.parquet"
        row_count, (size, digest) = write_parquet_export(relation, key, staging / path.name)
        log_progress(f"{MODEL}: {path} staged ({row_count:,} rows, {size:,} bytes)")
        rows.append(
            {
                "mart_name": mart_name,
                "file_name": path.name,
                "file_path": path.as_posix(),
                "row_count": row_count,
                "bytes": size,
                "sha256": digest,
            }
        )
    return to_engine(session, pd.DataFrame(rows))
