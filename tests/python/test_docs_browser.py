"""The generated dbt docs in a real browser: headless Chromium loads the `dim_segments` page
and the overview from a local server and must show the segment catalog with every chart.

The site is built once per session from a copy of the project and of the warehouse of the
``dirty_world`` fixture, so the working tree is never touched: the chart and catalog models
run in the copy (writing into its `docs/assets/segments/` and its docs file of the catalog),
then a plain `dbt docs generate`. Skipped (with the reason) only when Chromium is not
installed; install it with `apt-get install -y chromium`.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

import duckdb
import pytest

from conftest import BIN, World, copy_project

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--virtual-time-budget=20000",
)


def find_chromium() -> str | None:
    """Debian's `chromium` (or another Chromium/Chrome binary on the PATH)."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class DocsSite:
    """A served docs site and the paths the browser requested."""

    url: str
    target: Path
    segment_names: list[str]
    requested: list[str] = field(default_factory=list)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stdout[-4000:]}{result.stderr}")


@pytest.fixture(scope="session")
def docs_site(dirty_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocsSite]:
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (apt-get install -y chromium): no browser test")
    base = tmp_path_factory.mktemp("docs_site")
    project = copy_project(base / "project")
    db_path = base / "warehouse.duckdb"
    shutil.copy2(dirty_world.db_path, db_path)
    env = os.environ | {
        "RAW_DATA_DIR": str(dirty_world.raw_dir),
        "SEGMENTS_DB_PATH": str(db_path),
        "SEGMENTS_PUBLISH_PATH": str(base / "published" / "segments.duckdb"),
        "DBT_TARGET_PATH": str(base / "target"),
        "DBT_LOG_PATH": str(base / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    # the default chart folder (inside the docs asset-paths) and docs file, in the copy
    env.pop("SEGMENT_PLOTS_DIR", None)
    env.pop("SEGMENT_CATALOG_FILE", None)
    dbt = str(BIN / "dbt")
    _run([dbt, "run", "-s", "rpt_segment_plots", "rpt_segment_catalog"], project, env)
    _run([dbt, "docs", "generate"], project, env)
    with duckdb.connect(str(db_path), read_only=True) as con:
        names = [n for (n,) in con.sql("select segment_name from marts.dim_segments").fetchall()]

    site = DocsSite(url="", target=base / "target", segment_names=names)

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            site.requested.append(self.path)

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            # Chromium drops connections it no longer needs (an image it has already got):
            # not an error of the site, so no traceback in the test output.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), partial(Handler, directory=str(site.target)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def _browse(site: DocsSite, page: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    chromium = find_chromium()
    assert chromium is not None
    args = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *extra,
        f"{site.url}/index.html#!/{page}",
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def _images(dom: str) -> list[str]:
    sources = re.findall(r'<img[^>]+src="(docs/assets/[^"]+)"', dom)
    return list(dict.fromkeys(sources))


def _assert_served_png(site: DocsSite, source: str) -> None:
    with urlopen(f"{site.url}/{source}", timeout=10) as response:
        assert response.status == 200
        assert response.read(8) == PNG_SIGNATURE, source
    assert any(path.split("?")[0] == f"/{source}" for path in site.requested), source


def test_dim_segments_page_shows_the_catalog_and_its_charts(
    docs_site: DocsSite, tmp_path: Path
) -> None:
    dom = _browse(docs_site, "model/model.customer_segments.dim_segments", tmp_path, "--dump-dom")
    text = dom.stdout
    assert "Current segments" in text
    assert docs_site.segment_names
    for name in docs_site.segment_names:
        assert html.escape(name, quote=False) in text, name
    assert "No purchase yet" in text
    assert "Recommended action" in text
    images = _images(text)
    assert "docs/assets/segments/segment_sizes.png" in images
    assert len(images) >= 3
    for source in images:
        _assert_served_png(docs_site, source)


def test_overview_page_links_the_charts(docs_site: DocsSite, tmp_path: Path) -> None:
    dom = _browse(docs_site, "overview", tmp_path, "--dump-dom").stdout
    assert "How to read a segment" in dom
    images = _images(dom)
    assert "docs/assets/segments/profile_heatmap.png" in images
    for source in images:
        _assert_served_png(docs_site, source)


def test_screenshot_of_the_segment_page(docs_site: DocsSite, tmp_path: Path) -> None:
    shot = tmp_path / "dim_segments.png"
    _browse(
        docs_site,
        "model/model.customer_segments.dim_segments",
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=1280,2000",
    )
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 50_000  # a rendered page, not a blank one
