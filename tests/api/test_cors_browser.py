"""A Leaflet page on another origin loads the vector tiles (CORS) in headless Chromium.

The page is served from a second local port (another origin) with Leaflet and
Leaflet.VectorGrid from the project's vendored assets; it fetches MVT tiles from the API's
port. With the default ``ALLPA_CORS_ORIGINS`` the tiles load and concessions are drawn; with
CORS turned off the same page draws nothing and Chromium reports the CORS block, which shows
the first result is not an accident.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from layers.ogc_collections import OGC_COLLECTIONS
from tests.api.conftest import ApiWorld
from tests.api.live import ROOT, Live, free_port, uvicorn_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update"]
VENDOR = ROOT / "api" / "static" / "vendor"
OUTPUT = ROOT / "test-output"

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="leaflet/leaflet.css">
<script src="leaflet/leaflet.js"></script>
<script src="leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"></script>
<style>html,body,#map{margin:0;height:100%}</style></head>
<body><div id="map"></div><script>
window.tileEvents = {loaded: 0, errors: 0};
const map = L.map('map').setView([-15.2, -69.9], 9);
const layer = L.vectorGrid.protobuf('__API__/tiles/concessions/{z}/{x}/{y}.pbf', {
  vectorTileLayerStyles: {concessions: {color: '#b30000', weight: 1, fill: true,
                                        fillColor: '#ff6600', fillOpacity: 0.4}},
}).addTo(map);
layer.on('tileload', () => window.tileEvents.loaded++);
layer.on('tileerror', () => window.tileEvents.errors++);
</script></body></html>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def page_origin(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static site on its own port (a different origin from the API)."""
    shutil.copytree(VENDOR, tmp_path / "site")
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port),
                                 functools.partial(_Quiet, directory=str(tmp_path / "site")))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", tmp_path / "site"
    finally:
        server.shutdown()
        server.server_close()


def _render(site: tuple[str, Path], live: Live, shot: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    origin, root = site
    (root / "map.html").write_text(PAGE.replace("__API__", live.base), encoding="utf-8")
    console: list[str] = []
    tiles: list[int] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.on("console", lambda m: console.append(m.text))
            page.on("pageerror", lambda e: console.append(f"pageerror {e}"))
            page.on("response", lambda r: tiles.append(r.status) if ".pbf" in r.url else None)
            page.goto(f"{origin}/map.html")
            for _ in range(100):  # until tiles arrived, or were refused, or 20 s passed
                events = page.evaluate("window.tileEvents")
                blocked = sum("CORS" in m for m in console)
                if events["loaded"] + events["errors"] >= 4 or blocked >= 4:
                    break
                page.wait_for_timeout(200)
            page.wait_for_timeout(500)
            drawn = page.locator(".leaflet-tile path").count()
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / shot))
        finally:
            browser.close()
    return {"events": events, "drawn": drawn, "console": console, "tiles": tiles}


@pytest.mark.browser
def test_cross_origin_page_loads_tiles(api_world: ApiWorld, page_origin: tuple[str, Path],
                                       tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is required: {CHROMIUM}")
    with uvicorn_server(api_world.url, tmp_path / "open.log") as live:
        open_result = _render(page_origin, live, "cors_tiles_open.png")
    assert open_result["events"]["loaded"] >= 4 and open_result["events"]["errors"] == 0
    assert open_result["drawn"] > 0, "no concession drawn"
    assert not [m for m in open_result["console"] if "CORS" in m or "pageerror" in m]
    with uvicorn_server(api_world.url, tmp_path / "closed.log",
                        ALLPA_CORS_ORIGINS="none") as live:
        closed = _render(page_origin, live, "cors_tiles_closed.png")
    assert closed["drawn"] == 0
    assert any("CORS" in m for m in closed["console"]), closed["console"][:3]


@pytest.mark.browser
def test_ogc_html_pages_render_on_a_phone(api_world: ApiWorld, tmp_path: Path) -> None:
    """The OGC HTML pages as a person on a phone meets them: a heading, the features as a
    table, links that lead on, nothing wider than the screen (the table scrolls inside)."""
    from playwright.sync_api import sync_playwright

    with uvicorn_server(api_world.url, tmp_path / "html.log") as live, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{live.base}/ogc/collections")  # a browser's Accept: text/html
            assert page.locator("h1").inner_text() == "Colecciones"
            # a header row and one row per collection the OGC API publishes (the catalog)
            assert page.locator("table tr").count() == 1 + len(OGC_COLLECTIONS)
            page.click("a:text-is('communities_points')")
            assert "communities_points" in page.url
            page.goto(f"{live.base}/ogc/collections/communities_points/items?limit=10")
            rows = page.locator("table tr")
            assert rows.count() == 11
            # numberMatched shown: the public point-only communities of the whole sample
            # (Peruvian and Bolivian), as the JSON answer counts them
            import httpx

            matched = httpx.get(f"{live.base}/ogc/collections/communities_points/items",
                                params={"limit": 1, "f": "json"}).json()["numberMatched"]
            assert matched >= 15
            assert str(matched) in page.locator("p").first.inner_text()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, width
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / "ogc_items_html.png"))
            page.click("a[rel=next]")
            assert "offset=10" in page.url
            assert page.locator("table tr").count() == 1 + min(10, matched - 10)
            assert not errors
        finally:
            browser.close()
