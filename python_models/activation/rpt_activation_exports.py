"""The activation exports: CRM fields, email lists and ad-platform files; one row per file.

Side effect (documented in docs block `activation_exports`): writes `crm/`, `email/` and
`ads/`, each with a `manifest.json`, into the staging folder of env `EXPORT_DIR` (default:
`activation/` beside the published warehouse; `custseg.publication`), emptied first. The
build's publication swaps the whole set into `EXPORT_DIR` when no node failed, so readers
see the previous complete set or the new one; `file_path` is the published path. Nothing
is written to the warehouse except this report. Pause point `exports` (kill tests) holds the
build once the files are staged.

On DuckDB, customers stream from `int_activation_audience` in batches (var
`activation_batch_rows`), sorted by `customer_id`, through `custseg.activation.export_all`.
On Spark the executors build and write the rows (`custseg.activation.engine_export`): each
file is a folder of part files, each destination folder is staged and swapped in whole,
and only the per-file counts reach the driver. Who goes where (consent,
suppression, the control group) is decided in that SQL model; the export applies the flags,
platform hashing and the minimum audiences (var `activation_min_audience`), and records var
`control_group_share` in the manifests. `generated_at` (manifests and the CRM
`updated_at`) is the as-of date at midnight UTC unless var `activation_generated_at` is
set, so a rerun on the same data writes byte-identical files.
"""

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from custseg import project_vars, publication
from custseg.activation import export_all
from custseg.activation.files import MANIFEST_NAME
from custseg.dbt_io import is_spark, iter_batches, log_progress, read_relation, to_engine
from custseg.pause_points import pause_at

MODEL = "rpt_activation_exports"
REPORT_COLUMNS = {
    "export_file_key": "string",
    "destination": "string",
    "file_name": "string",
    "file_path": "string",
    "file_kind": "string",
    "platform": "string",
    "segment_id": "Int64",
    "segment_name": "string",
    "status": "string",
    "skip_reason": "string",
    "row_count": "Int64",
    "bytes": "Int64",
    "sha256": "string",
    "min_audience": "Int64",
    "model_version": "Int64",
    "as_of_date": "object",
    "generated_at": "string",
}


def generated_at_for(as_of_date: date, configured: str | None) -> datetime | str:
    """The configured timestamp, else midnight UTC of the as-of date (deterministic)."""
    if configured:
        return str(configured)
    return datetime(as_of_date.year, as_of_date.month, as_of_date.day, tzinfo=UTC)


def _minimum(manifest: dict[str, Any], platform: str | None) -> int | None:
    value = manifest.get("min_audience")
    if isinstance(value, dict):
        value = value.get(platform)
    return None if value is None else int(value)


def report_rows(
    manifests: dict[str, dict[str, Any]],
    export_dir: Path,
    model_version: int,
    written_dir: Path | None = None,
) -> pd.DataFrame:
    """One row per written file, per skipped segment file and per manifest.

    ``file_path`` is under ``export_dir`` (where readers find the file once published); the
    manifests are read from ``written_dir`` (the staging folder), ``export_dir`` by default.
    """
    rows: list[dict[str, Any]] = []
    for destination, manifest in manifests.items():
        common = {
            "destination": destination,
            "model_version": model_version,
            "as_of_date": manifest["as_of_date"],
            "generated_at": manifest["generated_at"],
        }
        for entry in manifest["files"]:
            platform = entry.get("platform")
            rows.append(
                {
                    **common,
                    "export_file_key": f"{destination}/{entry['path']}",
                    "file_name": entry["path"],
                    "file_path": (export_dir / destination / entry["path"]).as_posix(),
                    "file_kind": "data",
                    "platform": platform,
                    "segment_id": entry.get("segment_id"),
                    "segment_name": entry.get("segment_name"),
                    "status": "written",
                    "row_count": entry["rows"],
                    "bytes": entry["bytes"],
                    "sha256": entry["sha256"],
                    "min_audience": _minimum(manifest, platform),
                }
            )
        for entry in manifest["skipped"]:
            platform = entry.get("platform")
            rows.append(
                {
                    **common,
                    "export_file_key": (
                        f"{destination}/skipped/{platform or destination}/"
                        f"segment_{entry['segment_id']}"
                    ),
                    "file_kind": "skipped_segment",
                    "platform": platform,
                    "segment_id": entry["segment_id"],
                    "segment_name": entry.get("segment_name"),
                    "status": "skipped",
                    "skip_reason": entry["reason"],
                    "row_count": entry["rows"],
                    "min_audience": entry["min_audience"],
                }
            )
        manifest_path = export_dir / destination / MANIFEST_NAME
        data = ((written_dir or export_dir) / destination / MANIFEST_NAME).read_bytes()
        rows.append(
            {
                **common,
                "export_file_key": f"{destination}/{MANIFEST_NAME}",
                "file_name": MANIFEST_NAME,
                "file_path": manifest_path.as_posix(),
                "file_kind": "manifest",
                "status": "written",
                "row_count": len(manifest["files"]),
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
        )
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame = frame.astype(REPORT_COLUMNS)
    frame["as_of_date"] = [date.fromisoformat(str(value)) for value in frame["as_of_date"]]
    return frame.sort_values("export_file_key", ignore_index=True)


def model(dbt, session):
    # each dbt.config.get stands alone: dbt only finds the keys of calls it can see in the AST
    kind = dbt.config.get("published_exports")
    configured_rows = dbt.config.get("activation_batch_rows")
    configured_share = dbt.config.get("control_group_share")
    configured_min_audience = dbt.config.get("activation_min_audience")
    configured_generated_at = dbt.config.get("activation_generated_at")
    export_dir = publication.export_dir(kind)
    batch_rows = project_vars.integer("activation_batch_rows", configured_rows, minimum=1)
    control_share = project_vars.number("control_group_share", configured_share, low=0.0, high=1.0)
    min_audience = project_vars.required("activation_min_audience", configured_min_audience)
    as_of = read_relation(dbt.ref("int_as_of_date"), model=MODEL)["as_of_date"]
    as_of_date = pd.to_datetime(as_of).dt.date.iloc[0]
    segments = read_relation(dbt.ref("dim_segments"), model=MODEL)
    model_version = int(segments["model_version"].max())
    generated_at = generated_at_for(as_of_date, project_vars.optional(configured_generated_at))
    log_progress(
        f"{MODEL}: exporting model version {model_version}, as-of date {as_of_date}, into "
        f"{export_dir} (control share {control_share}, batches of {batch_rows:,})"
    )
    audience = dbt.ref("int_activation_audience")
    # DuckDB streams sorted batches through the driver; Spark's executors write the files
    customers = (
        audience
        if is_spark(audience)
        else iter_batches(audience, batch_rows, order_by="customer_id")
    )
    staging = publication.prepare_staging(kind)
    manifests = export_all(
        customers,
        staging,
        str(model_version),
        as_of_date,
        min_audience=min_audience,
        control_share=control_share,
        generated_at=generated_at,
    )
    for destination, manifest in manifests.items():
        log_progress(
            f"{MODEL}: {destination}/: {len(manifest['files'])} files, "
            f"{manifest['total_rows']:,} rows, {len(manifest['skipped'])} skipped"
        )
    pause_at("exports")
    return to_engine(session, report_rows(manifests, export_dir, model_version, staging))
