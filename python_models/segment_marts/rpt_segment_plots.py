"""Segment charts as PNG files, redrawn on every build; one row per chart written.

Side effect (documented in docs block `segment_plots`): writes `<name>.png` into env
`SEGMENT_PLOTS_DIR` (its default is in this model's YAML config; git-ignored, inside the
docs `asset-paths`, relative to the folder dbt runs in), each written atomically, and
removes charts of this set that could not be drawn this time. Charts on customer samples
use the first var `segment_plot_sample_size` customers of `int_segment_features_sampled`, in
the model's preprocessed space. The migration matrix and the drift over time are drawn from
the history marts `fct_segment_migrations` and `rpt_segment_drift` (a few rows per run and
segment), once the history has two runs. Drawing and the chart set are in
`custseg.segment_marts.plots`.
"""

from pathlib import Path

from custseg import project_vars
from custseg.dbt_io import log_progress, read_relation, to_engine
from custseg.sampling import first_ranked
from custseg.segment_marts.plots import PlotInputs, render_segment_plots
from custseg.segments import registry

MODEL = "rpt_segment_plots"


def model(dbt, session):
    # each dbt.config.get stands alone: dbt only finds the keys of calls it can see in the AST
    configured_size = dbt.config.get("segment_plot_sample_size")
    configured_dir = dbt.config.get("segment_plots_dir")
    sample_size = project_vars.integer("segment_plot_sample_size", configured_size, minimum=2)
    plots_dir = Path(project_vars.required("segment_plots_dir", configured_dir))
    as_of_date = read_relation(dbt.ref("int_as_of_date"), model=MODEL)["as_of_date"].dt.date.iloc[0]
    segments = read_relation(dbt.ref("dim_segments"), order_by="segment_id", model=MODEL)
    # ordered: the heatmap lists the features in the order it reads them
    profiles = read_relation(
        dbt.ref("rpt_segment_feature_profiles"),
        order_by="feature_position, segment_id",
        model=MODEL,
    )
    selection = read_relation(
        dbt.ref("rpt_segment_model_selection"),
        order_by="model_version, candidate_index",
        model=MODEL,
    )
    version = registry.active_version_row(
        read_relation(dbt.ref("int_segment_model_versions"), model=MODEL), as_of_date
    )
    segmentation = registry.segmentation_from_row(version)
    sample = first_ranked(
        read_relation(dbt.ref("int_segment_features_sampled"), model=MODEL), sample_size
    )
    # the history marts: a few rows per run and segment, never per customer
    migrations = read_relation(
        dbt.ref("fct_segment_migrations"),
        order_by="run_number, migration_id",
        model=MODEL,
    )
    drift = read_relation(
        dbt.ref("rpt_segment_drift"), order_by="run_number, segment_id", model=MODEL
    )
    algorithms = set(selection["algorithm"]) if "algorithm" in selection.columns else set()
    inputs = PlotInputs(
        segments=segments,
        profiles=profiles,
        selection=selection,
        x_model=segmentation.preprocessor.transform(sample) if len(sample) else None,
        labels=sample["segment_id"].to_numpy(),
        include_dendrogram="agglomerative" in algorithms,
        n_clusters=int(version["n_clusters"]),
        migrations=migrations,
        drift=drift,
    )
    log_progress(f"{MODEL}: drawing charts from {len(sample):,} sampled customers into {plots_dir}")
    charts = render_segment_plots(
        plots_dir,
        inputs,
        max_rows=sample_size,
        log=lambda message: log_progress(f"{MODEL}: {message}"),
    )
    charts.insert(2, "file_path", [(plots_dir / name).as_posix() for name in charts["file_name"]])
    charts["model_version"] = int(version["model_version"])
    charts["as_of_date"] = as_of_date
    log_progress(f"{MODEL}: wrote {len(charts)} charts")
    return to_engine(session, charts)
