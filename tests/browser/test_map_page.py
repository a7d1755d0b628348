"""The browser map at ``/`` in real headless Chromium: offline (only the Allpa server is ever
contacted), vector tiles drawn, community panel by search and by click, Spanish / English."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from tests.maps_world import INJECTION, INJECTION_ID, LiveServer, MapWorld

pytestmark = pytest.mark.browser

WAYRA = "Comunidad Campesina Wayra Uyu (ficticia)"


@dataclass
class Session:
    page: Any
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def session(browser: Any, server: LiveServer) -> Iterator[Session]:
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the page's CSP
    # (rightly) forbids; tests/security/test_csp_pages.py checks the CSP itself
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-PE",
                                  bypass_csp=True)
    page = context.new_page()
    s = Session(page=page)
    page.on("request", lambda r: s.requests.append(r.url))
    page.on("requestfailed", lambda r: s.failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: s.failed.append(f"{r.url} HTTP {r.status}")
            if r.status >= 400 else None)
    page.on("pageerror", lambda e: s.errors.append(str(e)))
    page.on("console", lambda m: s.errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (s.dialogs.append(d.message), d.dismiss()))
    try:
        yield s
    finally:
        context.close()


def _open(s: Session, server: LiveServer, query: str = "") -> None:
    s.page.goto(f"{server.base_url}/{query}", wait_until="load")
    s.page.wait_for_selector("body[data-ready='1']", timeout=20000)
    for layer in ("communities", "concessions"):
        s.page.wait_for_selector(f"body[data-loaded-{layer}='1']", timeout=20000)


def _assert_clean(s: Session, server: LiveServer) -> None:
    hosts = {urlsplit(u).netloc for u in s.requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {f"{server.host}:{server.port}"}, f"requests left the server: {hosts}"
    assert not s.failed, f"failed requests: {s.failed}"
    assert not s.errors, f"page errors: {s.errors}"
    assert not s.dialogs


def test_page_loads_offline_and_draws_tiles(session: Session, server: LiveServer,
                                            output_dir: Path) -> None:
    _open(session, server)
    page = session.page
    assert page.locator("html").get_attribute("lang") == "es"
    n_comm = page.locator("path.allpa-community").count()
    n_conc = page.locator("path.allpa-concession").count()
    assert n_comm > 20 and n_conc > 20, (n_comm, n_conc)
    # the paths carry real geometry, not empty "M0 0" stubs
    d = page.locator("path.allpa-community").first.get_attribute("d") or ""
    assert len(d) > 20
    # one request per tile cell carries every layer; no per-layer grids on the page
    tiles = [u for u in session.requests if "/tiles/" in u and ".pbf" in u]
    assert tiles and all("/tiles/map/" in u for u in tiles), tiles[:5]
    assert len(tiles) <= 40, len(tiles)
    assert page.locator(".leaflet-control-scale").is_visible()
    assert page.locator("#fictional").is_visible()
    assert "DATOS FICTICIOS" in page.locator("#fictional").inner_text()
    # district names of the first view are on the map; a name that would cover one already
    # placed is hidden (label collision), so only some are visible at this zoom
    refs = " ".join(page.locator(".ref-district").all_text_contents()).upper()
    assert "QHAPAQ MARKA" in refs and "WILA QULLU" in refs, refs
    visible = [t for t in page.locator(".ref-district").all_inner_texts() if t.strip()]
    assert len(visible) >= 3, visible
    assert any("/static/vendor/leaflet/leaflet.js?v=" in u for u in session.requests)
    legend = page.locator("#legend").inner_text()
    assert "Leyenda" in legend and "Concesiones mineras" in legend and "Crítica" in legend
    page.screenshot(path=str(output_dir / "map.png"), full_page=True)
    _assert_clean(session, server)


def _due_wording(world: MapWorld, community_id: str) -> str:
    """The deadline wording the page must show for the community's earliest due date."""
    from geo.maps.labels import due_text

    with world.engine.connect() as conn:
        due = conn.execute(sa.text(
            "SELECT min(due_date) FROM flag WHERE community_id = :id AND valid_to IS NULL"),
            {"id": community_id}).scalar_one()
    assert due is not None
    return due_text(due)


def test_search_opens_panel(session: Session, server: LiveServer,
                            browser_world: MapWorld) -> None:
    _open(session, server)
    page = session.page
    page.fill("#search-input", "wayra")
    page.wait_for_selector("#search-results li[data-id]")
    page.locator("#search-results li[data-id]").first.click()
    page.wait_for_selector("#panel:not([hidden]) #panel-name")
    assert page.locator("#panel-name").inner_text() == WAYRA
    panel = page.locator("#panel").inner_text()
    assert "Personería jurídica" in panel and "Concesiones superpuestas" in panel
    assert "014057497" in panel  # its largest overlapping concession
    assert "Qhapaq Marka, Perú" in panel  # district and country
    assert _due_wording(browser_world, "HF-001") in panel  # e.g. "vencido hace 26 días"
    assert page.locator("#link-dossier").get_attribute("href") == \
        "/reports/community/HF-001.html?lang=es"
    page.wait_for_timeout(1500)  # let the zoomed tiles arrive before the picture
    page.screenshot(path=str(server_output_dir() / "map-panel.png"))
    _assert_clean(session, server)


def server_output_dir() -> Path:
    out = Path(__file__).resolve().parents[2] / "test-output"
    out.mkdir(exist_ok=True)
    return out


def _polygon_point(world: MapWorld, community_id: str) -> tuple[float, float]:
    with world.engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(territory) p FROM community"
            " WHERE id = :id AND valid_to IS NULL) s"), {"id": community_id}).one()
    return float(row[0]), float(row[1])


def test_click_on_community_opens_panel(session: Session, server: LiveServer,
                                        browser_world: MapWorld) -> None:
    _open(session, server)
    page = session.page
    lon, lat = _polygon_point(browser_world, "HF-001")
    page.evaluate(f"window.allpa.map.setView([{lat}, {lon}], 13, {{animate: false}})")
    page.wait_for_timeout(300)
    page.wait_for_function("document.querySelectorAll('path.allpa-community').length > 0")
    page.wait_for_timeout(800)
    xy = page.evaluate(f"(() => {{ const p = window.allpa.map.latLngToContainerPoint("
                       f"[{lat}, {lon}]); const r = document.getElementById('map')"
                       f".getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }})()")
    page.mouse.click(xy[0], xy[1])
    page.wait_for_selector("#panel:not([hidden]) #panel-name", timeout=10000)
    assert page.locator("#panel-name").inner_text() == WAYRA
    _assert_clean(session, server)


def test_injected_name_is_text_not_html(session: Session, server: LiveServer) -> None:
    _open(session, server)
    page = session.page
    page.evaluate(f"window.allpa.selectCommunity('{INJECTION_ID}', true)")
    page.wait_for_selector("#panel:not([hidden]) #panel-name")
    assert page.locator("#panel-name").inner_text() == INJECTION
    assert page.locator("#panel script").count() == 0
    _assert_clean(session, server)


def test_english_legend(session: Session, server: LiveServer) -> None:
    _open(session, server, "?lang=en")
    page = session.page
    assert page.locator("html").get_attribute("lang") == "en"
    legend = page.locator("#legend").inner_text()
    assert "Legend" in legend and "Mining concessions" in legend and "Critical" in legend
    assert "Leyenda" not in legend
    assert page.get_attribute("#search-input", "placeholder") == "Search community…"
    page.click("#mode-legal")
    page.wait_for_function("document.getElementById('legend').innerText"
                           ".includes('No legal personality')")
    _assert_clean(session, server)


def test_water_at_risk_lists_only_water_inside_concessions(
        session: Session, server: LiveServer, browser_world: MapWorld) -> None:
    with browser_world.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT o.community_id, w.name, (o.details->>'in_concession')::bool "
            "FROM overlap o JOIN water_source w ON w.id = o.other_id AND w.valid_to IS NULL "
            "WHERE o.other_kind = 'water' AND o.valid_to IS NULL AND o.community_id IN ("
            "  SELECT community_id FROM overlap WHERE other_kind = 'water' AND valid_to IS NULL"
            "  GROUP BY community_id HAVING bool_or((details->>'in_concession')::bool)"
            "  AND bool_or(NOT (details->>'in_concession')::bool) ORDER BY community_id LIMIT 1)"
        )).all()
    assert rows
    cid = rows[0][0]
    _open(session, server)
    page = session.page
    page.evaluate(f"window.allpa.selectCommunity('{cid}', true)")
    page.wait_for_selector("#panel:not([hidden]) #panel-water")
    heading = page.locator("#panel-water").inner_text()
    inside = [name for _, name, flag in rows if flag]
    outside = [name for _, name, flag in rows if not flag]
    assert f"({len(inside)})" in heading, heading
    panel = page.locator("#panel").inner_text()
    assert all(n in panel for n in inside), inside
    assert not any(n in panel for n in outside), outside
    _assert_clean(session, server)


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_dossier_page_in_the_browser(browser: Any, server: LiveServer, width: int,
                                     height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(f"{server.base_url}/reports/community/HF-001.html", wait_until="load")
        assert page.locator("h1").inner_text().startswith("Expediente legal")
        # the map image is decoded and drawn
        assert page.evaluate("document.querySelector('img').naturalWidth") > 300
        # nothing wider than the screen except inside tables (which wrap their cells)
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        assert "vencido hace" in page.locator("body").inner_text()
        page.screenshot(path=str(server_output_dir() / f"dossier-{width}.png"),
                        full_page=True)
    finally:
        context.close()
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {f"{server.host}:{server.port}"}, hosts
    assert not errors, errors


def test_draft_language_is_marked_and_data_stays_readable(session: Session,
                                                           server: LiveServer) -> None:
    _open(session, server, "?lang=quy")
    page = session.page
    assert page.locator("html").get_attribute("lang") == "quy"
    assert page.locator("#draft").is_visible()
    legend = page.locator("#legend").inner_text()
    assert "Willakuy" in legend  # Quechua (draft)
    assert "Límites administrativos" in legend  # untranslated: Spanish fallback
    page.evaluate("window.allpa.selectCommunity('HF-001', true)")
    page.wait_for_selector("#panel:not([hidden]) #panel-name")
    assert "Personería jurídica" in page.locator("#panel").inner_text()
    _assert_clean(session, server)


def test_map_page_runs_under_a_strict_csp(session: Session, server: LiveServer) -> None:
    violations: list[str] = []
    session.page.on("console", lambda m: violations.append(m.text)
                    if "Content Security Policy" in m.text else None)
    response = session.page.goto(f"{server.base_url}/", wait_until="load")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    session.page.wait_for_selector("body[data-loaded='1']", timeout=20000)
    assert session.page.locator("path.allpa-community").count() > 20
    assert not violations, violations
    _assert_clean(session, server)
