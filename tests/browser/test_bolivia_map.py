"""The demo map zoomed to the Bolivian shore of the lake, in real headless Chromium (desktop
and 390×844): the fictional Bolivian communities, AJAM rights and water are drawn there, and
a Bolivian community's panel shows Bolivia and a flag of the Bolivian rule set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from geo.rule_files import load_rules
from geo.samplegen_bolivia import TIOC_NAME
from tests.maps_world import LiveServer, MapWorld

pytestmark = pytest.mark.browser

#: how many features of each layer the zoomed view must draw (of the sample's Bolivian ones)
COUNT_JS = """([w, s, e, n]) => {
  const m = window.allpa.map, box = m.getContainer().getBoundingClientRect();
  const out = {};
  for (const cls of ["allpa-community", "allpa-concession", "allpa-water"]) {
    let k = 0;
    for (const p of document.querySelectorAll("path." + cls)) {
      const r = p.getBoundingClientRect();
      if (!r.width && !r.height) continue;
      const x = r.left + r.width / 2 - box.left, y = r.top + r.height / 2 - box.top;
      if (x < 0 || y < 0 || x > box.width || y > box.height) continue;
      const ll = m.containerPointToLatLng([x, y]);
      if (ll.lng >= w && ll.lng <= e && ll.lat >= s && ll.lat <= n) k += 1;
    }
    out[cls] = k;
  }
  return out;
}"""


def _bolivian_extent(world: MapWorld) -> tuple[list[float], int, int]:
    with world.engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
            "ST_Extent(coalesce(territory, location)) e FROM community WHERE valid_to IS NULL "
            "AND country = 'BO' AND sensitivity = 'public') s")).one()
        n_terr = conn.execute(sa.text(
            "SELECT count(*) FROM community WHERE valid_to IS NULL AND country = 'BO' "
            "AND sensitivity = 'public' AND territory IS NOT NULL")).scalar_one()
        n_rights = conn.execute(sa.text(
            "SELECT count(*) FROM concession WHERE valid_to IS NULL AND code LIKE 'AJAM-%'"
        )).scalar_one()
    return [float(v) for v in row], int(n_terr), int(n_rights)


def _page(browser: Any, w: int, h: int) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": w, "height": h}, locale="es-BO",
                                  bypass_csp=True, device_scale_factor=1)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("response", lambda r: errors.append(f"{r.url} HTTP {r.status}")
          if r.status >= 400 else None)
    pg.errors = errors
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(params=[(1280, 800), (390, 844)], ids=["desktop", "phone"])
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    yield from _page(browser, *request.param)


@pytest.fixture
def desktop(browser: Any) -> Iterator[Any]:
    yield from _page(browser, 1280, 800)


def test_bolivian_shore_is_drawn(page: Any, server: LiveServer, browser_world: MapWorld,
                                 output_dir: Path) -> None:
    bbox, n_terr, n_rights = _bolivian_extent(browser_world)
    assert n_terr >= 15 and n_rights >= 5
    page.goto(f"{server.base_url}/", wait_until="load")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    w, s, e, n = bbox
    page.evaluate(
        "([w, s, e, n]) => window.allpa.map.fitBounds([[s, w], [n, e]], {animate: false})",
        bbox)
    # every layer of the grid loaded for the new view, then a quiet moment for drawing
    page.wait_for_function(
        "() => document.querySelectorAll('path.allpa-community').length > 10", timeout=20000)
    page.wait_for_timeout(2500)
    counts = page.evaluate(COUNT_JS, [w - 0.02, s - 0.02, e + 0.02, n + 0.02])
    width = page.viewport_size["width"]
    name = "bolivia-map-desktop.png" if width > 700 else "bolivia-map-phone.png"
    page.screenshot(path=str(output_dir / name))
    # most public Bolivian territories, and AJAM rights and water, drawn on the shore
    assert counts["allpa-community"] >= n_terr * 0.8, counts
    assert counts["allpa-concession"] >= n_rights * 0.6, counts
    assert counts["allpa-water"] >= 10, counts
    # nothing cut off: the map fills the viewport width
    box = page.locator("#map").bounding_box()
    assert box is not None and box["width"] >= width - 2
    assert not page.errors, page.errors


def test_bolivian_panel_shows_bolivian_flags(desktop: Any, server: LiveServer,
                                             output_dir: Path) -> None:
    page = desktop
    page.goto(f"{server.base_url}/", wait_until="load")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    page.fill("#search-input", "Marka Jach'a Omasuyos")
    page.wait_for_selector("#search-results li[data-id]")
    page.locator("#search-results li[data-id]").first.click()
    page.wait_for_selector("#panel:not([hidden]) #panel-name")
    assert page.locator("#panel-name").inner_text() == TIOC_NAME
    page.wait_for_selector("#panel .flag")
    panel = page.locator("#panel").inner_text()
    assert "Bolivia" in panel and "AJAM-" in panel
    # its flags come from the Bolivian rule set: untitled TIOC claim under AJAM rights
    bo_rules = {r.id for r in load_rules("BO").rules}
    shown = {line.split()[-1] for line in page.locator("#panel .flag p:first-child")
             .all_inner_texts()}
    assert shown and shown <= bo_rules, shown
    assert "BO-TERR-TIT" in shown and "INRA" in panel
    page.wait_for_timeout(1500)
    page.screenshot(path=str(output_dir / "bolivia-map-panel.png"))
    assert not page.errors, page.errors


def test_bolivian_network_advocacy_map(desktop: Any, server: LiveServer,
                                       browser_world: MapWorld, output_dir: Path) -> None:
    """The advocacy map of the network of ayllus of Omasuyos draws its public members."""
    page = desktop
    with browser_world.engine.connect() as conn:
        members = conn.execute(sa.text(
            "SELECT count(*) FROM community c JOIN network n ON c.id = ANY(n.members) "
            "AND n.valid_to IS NULL AND n.id = 'RED-BO-01' WHERE c.valid_to IS NULL "
            "AND c.sensitivity = 'public' AND c.territory IS NOT NULL")).scalar_one()
    assert members >= 5
    response = page.goto(f"{server.base_url}/maps/network/RED-BO-01.html", wait_until="load")
    assert response is not None and response.status == 200
    page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 0",
                           timeout=15000)
    page.wait_for_timeout(500)
    assert page.locator(".leaflet-overlay-pane path").count() >= members
    text = page.locator("body").inner_text()
    assert "Omasuyos" in text
    page.screenshot(path=str(output_dir / "bolivia-advocacy-network.png"))
    # the only resource allowed to fail is the browser's own /favicon.ico probe (the folium
    # document declares no icon; the served maps have always answered it 404)
    failed = page.evaluate("performance.getEntriesByType('resource')"
                           ".filter(e => e.responseStatus >= 400).map(e => e.name)")
    assert all(u.endswith("/favicon.ico") for u in failed), failed
    errors = [e for e in page.errors if not (failed and e.startswith("Failed to load resource"))]
    assert not errors, errors
