"""Social conflicts on the browser map and the relationship view, in real headless Chromium:
markers drawn where the conflicts are (one per conflict the reader may see), a Spanish
popup with labels, the graph page with the conflict's communities drawn as SVG nodes, on a
desktop and at 390x844, with no script error and no request leaving the server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.maps_world import LiveServer, MapWorld

pytestmark = pytest.mark.browser


class Watch:
    """What a page did: requests, failures, script errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.requests: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.problems.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: self.problems.append(f"{r.url} HTTP {r.status}")
                if r.status >= 400 else None)
        page.on("pageerror", lambda e: self.problems.append(str(e)))
        page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)

    def assert_clean(self, server: LiveServer) -> None:
        hosts = {urlsplit(u).netloc for u in self.requests if not u.startswith(("data:", "blob:"))}
        assert hosts == {f"{server.host}:{server.port}"}, hosts
        assert not self.problems, self.problems


@pytest.fixture
def desktop(browser: Any) -> Iterator[Watch]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-PE",
                                  bypass_csp=True)
    try:
        yield Watch(context.new_page())
    finally:
        context.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Watch]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-PE",
                                  is_mobile=True, has_touch=True, bypass_csp=True)
    try:
        yield Watch(context.new_page())
    finally:
        context.close()


def _public_conflicts(world: MapWorld) -> dict[str, tuple[float, float, list[str]]]:
    """Public conflicts with a location: id -> (lon, lat, communities), by plain SQL."""
    with world.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT id, ST_X(location), ST_Y(location), communities FROM social_conflict "
            "WHERE valid_to IS NULL AND sensitivity = 'public' AND location IS NOT NULL"))
        return {r[0]: (float(r[1]), float(r[2]), list(r[3])) for r in rows}


def _open_map(w: Watch, server: LiveServer, conflicts: dict[str, Any]) -> None:
    page = w.page
    page.goto(f"{server.base_url}/", wait_until="load")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    page.wait_for_selector("body[data-loaded='1']", timeout=20000)
    lats = [c[1] for c in conflicts.values()]
    lons = [c[0] for c in conflicts.values()]
    page.evaluate(f"window.allpa.map.fitBounds([[{min(lats)}, {min(lons)}], "
                  f"[{max(lats)}, {max(lons)}]], {{padding: [60, 60], animate: false}})")
    page.wait_for_timeout(600)
    page.wait_for_function("document.querySelectorAll('path.allpa-conflict').length > 0",
                           timeout=20000)
    page.wait_for_timeout(1200)


def _marker_centres(w: Watch) -> set[tuple[int, int]]:
    """Screen centres of the drawn conflict markers (a marker near a tile edge is drawn in
    both tiles: the same centre)."""
    boxes = w.page.evaluate("""Array.from(document.querySelectorAll('path.allpa-conflict'))
        .map(p => p.getBoundingClientRect()).filter(r => r.width > 0)
        .map(r => [Math.round((r.left + r.width / 2) / 4),
                   Math.round((r.top + r.height / 2) / 4)])""")
    return {(int(x), int(y)) for x, y in boxes}


def _screen_point(w: Watch, lon: float, lat: float) -> tuple[float, float]:
    xy = w.page.evaluate(f"(() => {{ const p = window.allpa.map.latLngToContainerPoint("
                         f"[{lat}, {lon}]); const r = document.getElementById('map')"
                         f".getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }})()")
    return float(xy[0]), float(xy[1])


def test_conflicts_drawn_popup_and_graph(desktop: Watch, server: LiveServer,
                                         browser_world: MapWorld, output_dir: Path) -> None:
    conflicts = _public_conflicts(browser_world)
    assert len(conflicts) == 4  # the sample's public conflicts (CS-0005 is network-only)
    _open_map(desktop, server, conflicts)
    page = desktop.page
    assert len(_marker_centres(desktop)) == len(conflicts)
    legend = page.locator("#legend").inner_text()
    assert "Conflictos sociales" in legend and "Latente" in legend and "Resuelto" in legend
    page.screenshot(path=str(output_dir / "conflicts-map.png"))
    # the layer switch hides them
    page.uncheck("#layer-conflicts")
    page.wait_for_timeout(500)
    assert page.locator("path.allpa-conflict").count() == 0
    page.check("#layer-conflicts")
    page.wait_for_function("document.querySelectorAll('path.allpa-conflict').length > 0")
    # the popup of CS-0001 speaks Spanish labels, not codes
    lon, lat, communities = conflicts["CS-0001"]
    page.evaluate(f"window.allpa.map.setView([{lat}, {lon}], 13, {{animate: false}})")
    page.wait_for_timeout(1500)
    x, y = _screen_point(desktop, lon, lat)
    page.mouse.click(x, y)
    page.wait_for_selector(".conflict-popup", timeout=10000)
    popup = page.locator(".conflict-popup").inner_text()
    assert "CS-0001" in popup and "Tipo: Socioambiental" in popup and "Estado: Activo" in popup
    assert "Fase: Diálogo" in popup and "socioambiental" not in popup
    page.screenshot(path=str(output_dir / "conflicts-popup.png"))
    page.click("#conflict-relations")
    page.wait_for_selector("svg.relgraph.wide")
    assert "/relaciones?conflict=CS-0001" in page.url
    drawn = page.evaluate("""Array.from(document.querySelectorAll('svg.relgraph.wide g.node'))
        .filter(g => g.getBoundingClientRect().width > 0).map(g => g.dataset.id)""")
    assert {f"community:{c}" for c in communities} <= set(drawn)
    assert "conflict:CS-0001" in drawn and "actor:ACT-QORI" in drawn
    assert page.locator("svg.relgraph.wide line.edge").count() >= len(drawn) - 1
    assert page.locator("svg.relgraph.wide g.focus").get_attribute("data-id") == \
        "conflict:CS-0001"
    page.screenshot(path=str(output_dir / "relations-desktop.png"), full_page=True)
    desktop.assert_clean(server)


def test_community_panel_opens_its_graph(desktop: Watch, server: LiveServer,
                                         browser_world: MapWorld) -> None:
    page = desktop.page
    page.goto(f"{server.base_url}/", wait_until="load")
    page.wait_for_selector("body[data-ready='1']", timeout=20000)
    page.fill("#search-input", "wayra")
    page.wait_for_selector("#search-results li[data-id]")
    page.locator("#search-results li[data-id]").first.click()
    page.wait_for_selector("#panel:not([hidden]) #link-relations")
    page.click("#link-relations")
    page.wait_for_selector("svg.relgraph.wide")
    conflicts = [k for k, c in _public_conflicts(browser_world).items() if "HF-001" in c[2]]
    assert conflicts
    ids = set(page.locator("svg.relgraph.wide g.node").evaluate_all(
        "gs => gs.map(g => g.dataset.id)"))
    assert "community:HF-001" in ids and {f"conflict:{c}" for c in conflicts} <= ids
    assert "Relaciones de Comunidad Campesina Wayra Uyu (ficticia)" in \
        page.locator("#graph-title").inner_text()
    desktop.assert_clean(server)


def test_phone_map_and_graph(phone: Watch, server: LiveServer, browser_world: MapWorld,
                             output_dir: Path) -> None:
    conflicts = _public_conflicts(browser_world)
    _open_map(phone, server, conflicts)
    page = phone.page
    assert len(_marker_centres(phone)) == len(conflicts)
    page.screenshot(path=str(output_dir / "conflicts-map-phone.png"))
    page.goto(f"{server.base_url}/relaciones?community=HF-001", wait_until="load")
    narrow = page.locator("svg.relgraph.narrow")
    assert narrow.is_visible() and not page.locator("svg.relgraph.wide").is_visible()
    box = narrow.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing cut off
    labels = page.evaluate("""Array.from(document.querySelectorAll('svg.relgraph.narrow text'))
        .map(t => t.getBoundingClientRect()).filter(r => r.width > 0)
        .map(r => [r.left, r.right])""")
    assert labels and all(left >= 0 and right <= 390 for left, right in labels), labels
    ids = set(page.locator("svg.relgraph.narrow g.node").evaluate_all(
        "gs => gs.map(g => g.dataset.id)"))
    assert {"community:HF-001", "community:HF-002", "conflict:CS-0001"} <= ids
    page.screenshot(path=str(output_dir / "relations-phone.png"), full_page=True)
    phone.assert_clean(server)
