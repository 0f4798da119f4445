"""The segment catalog of the dbt docs, rewritten on every build; one row.

Side effect (documented in docs block `segment_catalog_file`): writes the docs block
`segment_catalog`, which `dim_segments`' description shows, into env `SEGMENT_CATALOG_FILE`
(default `models/marts/segments/_generated__segment_docs.md`, relative to the folder dbt
runs in), and the same Markdown as `catalog.md` beside the charts of `rpt_segment_plots`.
So a plain `dbt docs generate` after `dbt build` shows the current catalog. Rendering is in
`custseg.segment_marts.catalog`.
"""

from pathlib import Path

from custseg.dbt_io import log_progress, read_relation, to_engine
from custseg.formatting import currency_symbol
from custseg.segment_marts import catalog as segment_catalog

MODEL = "rpt_segment_catalog"


def model(dbt, session):
    # each dbt.config.get stands alone: dbt only finds the keys of calls it can see in the AST
    docs_file = dbt.config.get("segment_catalog_file")
    currency = dbt.config.get("reporting_currency")
    segments = read_relation(dbt.ref("dim_segments"), order_by="segment_id", model=MODEL)
    plots = read_relation(dbt.ref("rpt_segment_plots"), order_by="plot_name", model=MODEL)
    asset_paths = segment_catalog.project_asset_paths(Path("dbt_project.yml"))
    catalog = segment_catalog.write_catalog(
        segments,
        plots,
        Path(docs_file),
        asset_paths=asset_paths,
        currency=currency_symbol(currency),
    )
    shown = int(catalog["chart_count"].iloc[0])
    if shown < len(plots):
        outside = len(plots) - shown
        log_progress(f"{MODEL}: {outside} charts are outside the asset-paths {asset_paths}")
    log_progress(f"{MODEL}: {len(segments)} segments, {shown} charts -> {docs_file}")
    return to_engine(session, catalog)
