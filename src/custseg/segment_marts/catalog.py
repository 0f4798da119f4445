"""The segment catalog of the dbt docs: Markdown rendered from ``dim_segments``.

No dbt import and no database access: the Python model ``rpt_segment_catalog`` reads the
tables and calls :func:`write_catalog`. How the catalog reaches the docs with a plain
``dbt build`` then ``dbt docs generate``, and why it takes a tracked file:

* ``dim_segments``' description ends with ``{{ doc('segment_catalog') }}``. dbt resolves a
  ``doc()`` by name when it parses the project and fails on a name no file defines; the
  description cannot test whether a file exists, and two files of one project may not define
  the same name. So the block has exactly one home, :data:`GENERATED_DOCS_FILE`, which is
  tracked: a fresh clone holds a placeholder (the catalog of no segments) and parses.
* Every build rewrites that file (``rpt_segment_catalog``, after ``dim_segments`` and
  ``rpt_segment_plots``) with the catalog of the segments it built, so the next parse (``dbt
  docs generate``, ``dbt docs serve``) shows the current catalog, charts served from the docs
  ``asset-paths``. The file changes after a build like a lock file would; do not commit a
  rendered catalog (``git checkout`` the file to get the placeholder back).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import yaml

from custseg.files import write_bytes_if_changed
from custseg.formatting import format_money, format_number, format_share

CATALOG_DOC = "segment_catalog"
"""Name of the docs block ``dim_segments``' description shows."""
GENERATED_DOCS_FILE = PurePosixPath("models/marts/segments/_generated__segment_docs.md")
"""The docs file of the catalog, relative to the project root: tracked with the placeholder,
rewritten by every build (the default of env ``SEGMENT_CATALOG_FILE``)."""
FILE_NOTE = (
    "<!-- The segment catalog of the dbt docs (docs block `segment_catalog`), rewritten by every\n"
    "`dbt build` (model `rpt_segment_catalog`). The tracked version is the placeholder a fresh\n"
    "clone parses with: do not commit a rendered catalog. See\n"
    "src/custseg/segment_marts/catalog.py. -->\n"
)
"""Text before the docs block; dbt reads only the block."""
CATALOG_MARKER = "## Current segments"
"""First line of the rendered catalog; tests and the script look for it."""

_UNSAFE = re.compile(r"[{}<>|\\]")


def escape_markdown(value: Any) -> str:
    """Free text made safe for a Markdown table cell inside a Jinja docs block.

    Braces (Jinja), angle brackets (HTML), pipes (tables) and backslashes are replaced by HTML
    entities; line breaks become spaces. Other Markdown (backticks for code) is kept.
    """
    if _missing(value):
        return ""
    text = " ".join(str(value).split())
    return _UNSAFE.sub(lambda m: f"&#{ord(m.group(0))};", text)


def code_span(value: Any) -> str:
    """Text as inline code: backticks inside are dropped, braces escaped for Jinja."""
    if _missing(value):
        return ""
    text = " ".join(str(value).split()).replace("`", "'")
    text = text.replace("{", "&#123;").replace("}", "&#125;")
    return f"`{text}`"


def docs_link(file_path: str, asset_paths: Sequence[str]) -> str | None:
    """The docs-site link of a chart file, or ``None`` when it is outside every asset path.

    ``dbt docs generate`` copies each asset path (e.g. ``docs/assets``) to the same relative
    path under the target folder, beside ``index.html``; so a file inside an asset path is
    linked by its path relative to the project root.
    """
    path = PurePosixPath(str(file_path).replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        return None
    for asset in asset_paths:
        root = PurePosixPath(str(asset).replace("\\", "/").rstrip("/"))
        if path.parts[: len(root.parts)] == root.parts and len(path.parts) > len(root.parts):
            return path.as_posix()
    return None


def render_catalog(
    segments: pd.DataFrame,
    plots: pd.DataFrame | None = None,
    *,
    asset_paths: Sequence[str] = ("docs/assets",),
    currency: str = "€",
) -> str:
    """The segment catalog as Markdown: a summary table, one section per segment, the charts.

    Args:
        segments: ``dim_segments`` (one row per segment).
        plots: ``rpt_segment_plots`` (``plot_name``, ``file_path``, ``title``); charts outside
            the asset paths are left out.
        asset_paths: The project's ``asset-paths``.
        currency: Currency symbol of money amounts.

    Returns:
        Markdown starting with :data:`CATALOG_MARKER`; segments in segment id order.
    """
    if segments.empty:
        return f"{CATALOG_MARKER}\n\n*No segments were built yet: run `dbt build` first.*\n"
    frame = segments.sort_values("segment_id", kind="mergesort").reset_index(drop=True)
    first = frame.iloc[0]
    lines = [
        CATALOG_MARKER,
        "",
        (
            f"Segment model version {_int_text(first.get('model_version'))}, as-of date "
            f"{_date_text(first.get('as_of_date'))}: {len(frame)} segments, "
            f"{format_number(frame['customer_count'].sum())} customers. Rendered from "
            "`dim_segments` by the build (model `rpt_segment_catalog`); the figures "
            "are defined in the column descriptions below."
        ),
        "",
        "| Segment | Customers | Share | Revenue share | Avg order value | Churn rate | "
        "Recommended action |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in frame.itertuples(index=False):
        lines.append(
            f"| **{escape_markdown(row.segment_name)}** ({_int_text(row.segment_id)}) "
            f"| {format_number(row.customer_count)} | {format_share(row.customer_share)} "
            f"| {format_share(row.revenue_share)} | {format_money(row.avg_order_value, currency)} "
            f"| {format_share(row.churn_rate)} | {escape_markdown(row.recommended_action)} |"
        )
    for row in frame.itertuples(index=False):
        lines.extend(["", *_segment_section(row._asdict(), currency)])
    chart_lines = _chart_lines(plots, asset_paths)
    if chart_lines:
        lines.extend(["", "## Charts", "", *chart_lines])
    return "\n".join(lines).rstrip() + "\n"


def docs_block(name: str, body: str) -> str:
    """``body`` wrapped as a dbt docs block named ``name``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a docs block name: {name!r}")
    if "{%" in body or "{{" in body or "{#" in body:
        raise ValueError("the docs block body must not contain Jinja delimiters")
    return f"{{% docs {name} %}}\n{body.rstrip()}\n{{% enddocs %}}\n"


def docs_file_text(markdown: str) -> str:
    """The whole docs file: a note for whoever opens it, then the ``segment_catalog`` block."""
    return f"{FILE_NOTE}\n{docs_block(CATALOG_DOC, markdown)}"


def project_asset_paths(project_file: Path) -> list[str]:
    """The ``asset-paths`` of a ``dbt_project.yml``: the folders the docs site serves."""
    project = yaml.safe_load(Path(project_file).read_text(encoding="utf-8")) or {}
    return [str(path) for path in project.get("asset-paths") or []]


def write_catalog(
    segments: pd.DataFrame,
    plots: pd.DataFrame,
    docs_file: Path,
    *,
    asset_paths: Sequence[str],
    currency: str,
) -> pd.DataFrame:
    """Render the catalog into ``docs_file`` (and ``catalog.md`` beside the charts).

    Args:
        segments: ``dim_segments``.
        plots: ``rpt_segment_plots``; its ``file_path`` folder also gets ``catalog.md``, the
            same Markdown for reading outside the docs site.
        docs_file: Where the docs block goes (:data:`GENERATED_DOCS_FILE` in a project).
        asset_paths: The project's ``asset-paths`` (:func:`project_asset_paths`).
        currency: Currency symbol of money amounts.

    Returns:
        One row: the docs file written, its SHA-256, the segments and charts it shows and
        the Markdown.
    """
    markdown = render_catalog(segments, plots, asset_paths=asset_paths, currency=currency)
    text = docs_file_text(markdown)
    write_text(Path(docs_file), text)
    if not plots.empty:
        write_text(Path(str(plots["file_path"].iloc[0])).parent / "catalog.md", markdown)
    return pd.DataFrame(
        {
            "file_path": [Path(docs_file).as_posix()],
            "sha256": [hashlib.sha256(text.encode("utf-8")).hexdigest()],
            "segment_count": [len(segments)],
            "chart_count": [len(chart_links(plots, asset_paths))],
            "catalog_markdown": [markdown],
        }
    )


def _segment_section(row: Mapping[str, Any], currency: str) -> list[str]:
    name = escape_markdown(row.get("segment_name"))
    facts = [
        f"segment id {_int_text(row.get('segment_id'))}",
        f"{format_number(row.get('customer_count'))} customers "
        f"({format_share(row.get('customer_share'), 1)})",
    ]
    if not _missing(row.get("owner")):
        facts.append(f"owner: {escape_markdown(row.get('owner'))}")
    if row.get("is_overridden"):
        facts.append("edited in seed `segment_overrides`")
    lines = [f"### {name}", "", "*" + " · ".join(facts) + "*", ""]
    if row.get("is_stale"):
        lines.extend([f"> **Stale:** {escape_markdown(row.get('stale_reason'))}.", ""])
    lines.extend([escape_markdown(row.get("segment_description")), ""])
    channels = ", ".join(
        f"{channel} {format_share(row.get(f'share_orders_{channel}'))}"
        for channel in ("web", "app", "store", "marketplace", "other")
        if not _missing(row.get(f"share_orders_{channel}"))
    )
    category = escape_markdown(row.get("top_product_category"))
    if category:
        category += f" ({format_share(row.get('top_product_category_share'))} of the customers)"
    bullets = [
        (
            "Recommended action",
            escape_markdown(row.get("recommended_action")),
        ),
        (
            "Value",
            f"revenue {format_money(row.get('total_revenue'), currency)} "
            f"({format_share(row.get('revenue_share'))} of all revenue), "
            f"{format_money(row.get('avg_order_value'), currency)} per order, predicted CLV "
            f"mean {format_money(row.get('mean_predicted_clv'), currency)} / median "
            f"{format_money(row.get('median_predicted_clv'), currency)}",
        ),
        (
            "Risk",
            f"churn rate {format_share(row.get('churn_rate'))}, mean churn probability "
            f"{format_share(row.get('mean_churn_probability'))}",
        ),
        (
            "Engagement",
            "session-to-purchase conversion "
            f"{format_share(row.get('session_conversion_rate'), 1)}; "
            f"campaign open / click / conversion "
            f"{format_share(row.get('campaign_opened_rate'))} / "
            f"{format_share(row.get('campaign_clicked_rate'))} / "
            f"{format_share(row.get('campaign_converted_rate'))}",
        ),
        (
            "Behaviour",
            f"discount share of revenue {format_share(row.get('discount_share_of_revenue'))}; "
            f"orders by channel: {channels or '–'}; top product category: {category or '–'}; "
            f"{format_number(row.get('tickets_per_customer'), 2)} support tickets per customer, "
            f"satisfaction {format_number(row.get('avg_satisfaction_score'), 2)} of 5",
        ),
        (
            "Context",
            f"RFM {escape_markdown(row.get('rfm_segment_mix')) or '–'}; age "
            f"{escape_markdown(row.get('age_band_mix')) or '–'}; country "
            f"{escape_markdown(row.get('country_mix')) or '–'}",
        ),
        (
            "Distinguishing features",
            escape_markdown(row.get("distinguishing_features")) or "–",
        ),
        ("Rule", _rule_text(row)),
    ]
    lines.extend(f"- **{label}:** {text}" for label, text in bullets)
    return lines


def _rule_text(row: Mapping[str, Any]) -> str:
    rule = row.get("rule_text")
    if _missing(rule) or not str(rule).strip():
        return "no readable rule (the decision tree found no region where the segment dominates)"
    text = code_span(rule)
    coverage = row.get("rule_coverage")
    precision = row.get("rule_precision")
    if not _missing(coverage):
        text += (
            f" covers {format_share(coverage)} of the segment's customers, "
            f"{format_share(precision)} of the customers it matches are in the segment"
        )
        if not _missing(row.get("rule_sample_rows")):
            text += f" (decision tree on {format_number(row.get('rule_sample_rows'))} customers)"
    return text


def _chart_lines(plots: pd.DataFrame | None, asset_paths: Sequence[str]) -> list[str]:
    if plots is None or plots.empty:
        return []
    lines: list[str] = []
    for row in plots.itertuples(index=False):
        link = docs_link(str(row.file_path), asset_paths)
        if link is None:
            continue
        title = escape_markdown(row.title)
        lines.extend([f"### {title}", "", f"![{title}]({link})", ""])
    return lines


def chart_links(plots: pd.DataFrame | None, asset_paths: Sequence[str]) -> list[str]:
    """The docs-site links of every chart the catalog shows."""
    if plots is None or plots.empty:
        return []
    links = (docs_link(str(p), asset_paths) for p in plots["file_path"])
    return [link for link in links if link is not None]


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _int_text(value: Any) -> str:
    return "–" if _missing(value) else str(int(value))


def _date_text(value: Any) -> str:
    if _missing(value):
        return "–"
    return str(pd.Timestamp(value).date())


def write_text(path: Path, text: str) -> bool:
    """Write the catalog ``text`` (UTF-8) unless ``path`` already holds exactly that.

    Returns True when written; an unchanged file keeps its modification time, so dbt's
    partial parsing does not see a change.
    """
    return write_bytes_if_changed(path, text.encode("utf-8"))
