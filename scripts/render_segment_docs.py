"""Render the segment catalog into the dbt docs (run after `dbt build`).

Reads `dim_segments` and `rpt_segment_plots` from the DuckDB warehouse (read-only) and writes

* `models/marts/segments/_generated__segment_docs.md`: the docs block `segment_catalog`
  (git-ignored; `dim_segments`' description shows it when `SEGMENT_CATALOG_DOC=segment_catalog`);
* `<charts folder>/catalog.md`: the same Markdown, for reading outside the docs site.

With `--generate` it then runs `dbt docs generate` (extra arguments after `--` are passed on)
with `SEGMENT_CATALOG_DOC=segment_catalog` and checks that the manifest carries the catalog.
Tracked files are never changed. Usage:

    python scripts/render_segment_docs.py [--db segments.duckdb] [--generate [-- dbt args]]

The warehouse defaults to env `SEGMENTS_DB_PATH` (else `segments.duckdb`), the dbt target
folder to env `DBT_TARGET_PATH` (else `target`), both relative to the project folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from custseg import segment_docs
from custseg.formatting import currency_symbol

PROJECT_DIR = Path(__file__).resolve().parents[1]


def find_table(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """Quoted `schema.name` of a table or view, preferring schema `marts`; None if absent."""
    rows = con.execute(
        "select table_schema from information_schema.tables "
        "where table_catalog = current_database() and table_name = ? order by table_schema",
        [name],
    ).fetchall()
    schemas = [schema for (schema,) in rows]
    if not schemas:
        return None
    schema = "marts" if "marts" in schemas else schemas[0]
    return f'"{schema}"."{name}"'


def read_tables(db_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`dim_segments` and `rpt_segment_plots` (empty frames when not built)."""
    if not db_path.exists():
        return pd.DataFrame(), pd.DataFrame()
    with duckdb.connect(str(db_path), read_only=True) as con:
        frames = []
        for name in ("dim_segments", "rpt_segment_plots"):
            table = find_table(con, name)
            frames.append(con.sql(f"select * from {table}").df() if table else pd.DataFrame())
    return frames[0], frames[1]


def project_settings(project_dir: Path) -> tuple[list[str], str]:
    """The project's `asset-paths` and the symbol of var `reporting_currency`."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    asset_paths = [str(p) for p in project.get("asset-paths") or []]
    currency = (project.get("vars") or {}).get("reporting_currency") or "EUR"
    return asset_paths, currency_symbol(currency)


def render(project_dir: Path, db_path: Path) -> tuple[int, list[Path]]:
    """Write the generated docs block and `catalog.md`; return the segments and the files."""
    segments, plots = read_tables(db_path)
    asset_paths, currency = project_settings(project_dir)
    markdown = segment_docs.render_catalog(
        segments, plots, asset_paths=asset_paths, currency=currency
    )
    docs_file = project_dir / segment_docs.GENERATED_DOCS_FILE
    segment_docs.write_text(docs_file, segment_docs.docs_block(segment_docs.CATALOG_DOC, markdown))
    written = [docs_file]
    if not plots.empty:
        charts_dir = project_dir / Path(str(plots["file_path"].iloc[0])).parent
        catalog_file = charts_dir / "catalog.md"
        segment_docs.write_text(catalog_file, markdown)
        written.append(catalog_file)
    missing = [
        link
        for link in segment_docs.chart_links(plots, asset_paths)
        if not (project_dir / link).is_file()
    ]
    if missing:
        print(f"warning: charts listed in rpt_segment_plots are missing: {missing}")
    if not plots.empty and not segment_docs.chart_links(plots, asset_paths):
        print(f"warning: the charts are outside the asset-paths {asset_paths}; docs show none")
    return len(segments), written


def generate_docs(project_dir: Path, dbt_args: list[str]) -> None:
    """`dbt docs generate` with the catalog selected, then check the manifest."""
    env = os.environ | {segment_docs.CATALOG_DOC_ENV: segment_docs.CATALOG_DOC}
    dbt = Path(sys.executable).parent / "dbt"
    # full parse: partial parsing does not see the environment variable in a description
    command = [str(dbt) if dbt.exists() else "dbt", "docs", "generate", "--no-partial-parse"]
    command += dbt_args
    subprocess.run(command, cwd=project_dir, env=env, check=True)
    target = Path(os.environ.get("DBT_TARGET_PATH") or "target")
    manifest_path = target if target.is_absolute() else project_dir / target
    manifest = json.loads((manifest_path / "manifest.json").read_text(encoding="utf-8"))
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["name"] == "dim_segments"
    ]
    if not nodes or segment_docs.CATALOG_MARKER not in nodes[0]["description"]:
        raise SystemExit("dbt docs generate ran, but dim_segments does not show the catalog")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    parser.add_argument("--db", type=Path, default=None, help="DuckDB warehouse file")
    parser.add_argument(
        "--generate", action="store_true", help="then run dbt docs generate with the catalog"
    )
    parser.add_argument("dbt_args", nargs="*", help="extra dbt docs generate arguments")
    args = parser.parse_args(argv)
    project_dir = args.project_dir.resolve()
    db_path = args.db or Path(os.environ.get("SEGMENTS_DB_PATH") or "segments.duckdb")
    if not db_path.is_absolute():
        db_path = project_dir / db_path
    n_segments, written = render(project_dir, db_path)
    print(f"segment catalog: {n_segments} segments -> {', '.join(map(str, written))}")
    if args.generate:
        generate_docs(project_dir, args.dbt_args)
        print("dbt docs generated with the segment catalog")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
