"""The "Perú · Bolivia · Todo" switch of the browser map, in real headless Chromium at 390×844
and on a desktop: it is on the screen, clear of the other controls; "Perú" fits the view to
Peru's communities (counted and measured as drawn, by their own ``country``), the choice rides
in the address (#pais=pe) so a shared link opens there, "Todo" goes back to every community,
and it reads in English on the English page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.maps_world import LiveServer, MapWorld

pytestmark = pytest.mark.browser

W, H = 390, 844

#: Per country: the communities drawn on the screen (distinct ids whose drawn shape has its
#: centre inside the map) and the pixel box they cover, read from the vector tiles' own
#: features (each carries its properties, country included, and its SVG path).
DRAWN_JS = """() => {
  const grid = window.allpa.grid, box = window.allpa.map.getContainer().getBoundingClientRect();
  const out = {};
  for (const key in grid._vectorTiles) {
    const features = grid._vectorTiles[key]._features || {};
    for (const id in features) {
      const f = features[id];
      if (f.layerName !== 'communities' || !f.feature._path) continue;
      const path = f.feature._path;
      if (!path.isConnected) continue;
      const r = path.getBoundingClientRect();
      if (!r.width && !r.height) continue;
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      if (cx < box.left || cx > box.right || cy < box.top || cy > box.bottom) continue;
      const c = f.feature.properties.country || '?';
      const o = out[c] || (out[c] = {ids: [], left: 1e9, top: 1e9, right: -1e9, bottom: -1e9});
      if (!o.ids.includes(id)) o.ids.push(id);
      o.left = Math.min(o.left, Math.max(r.left, box.left));
      o.top = Math.min(o.top, Math.max(r.top, box.top));
      o.right = Math.max(o.right, Math.min(r.right, box.right));
      o.bottom = Math.max(o.bottom, Math.min(r.bottom, box.bottom));
    }
  }
  for (const c in out) {
    out[c].n = out[c].ids.length;
    out[c].width = out[c].right - out[c].left;
    out[c].height = out[c].bottom - out[c].top;
  }
  return out;
}"""

SIZES = {"phone": {"viewport": {"width": W, "height": H}, "device_scale_factor": 2,
                   "is_mobile": True, "has_touch": True},
         "desktop": {"viewport": {"width": 1280, "height": 800}}}


def _public_count(world: MapWorld, country: str) -> int:
    with world.engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM community WHERE valid_to IS NULL AND country = :c "
            "AND sensitivity = 'public'"), {"c": country}).scalar_one())


@pytest.fixture
def phone(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    yield from _context(browser, "phone")


def _context(browser: Any, size: str, lang: str = "es-PE") -> Iterator[tuple[Any, list[str]]]:
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the page's CSP
    # forbids (tests/security checks the CSP itself)
    context = browser.new_context(locale=lang, bypass_csp=True, **SIZES[size])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.url} HTTP {r.status}")
            if r.status >= 400 else None)
    try:
        yield page, errors
    finally:
        context.close()


def _settled(page: Any) -> None:
    """Every tile of the current view loaded and drawn."""
    page.wait_for_selector("body[data-loaded='1']", timeout=30000)
    page.wait_for_function("() => !window.allpa.grid.isLoading()", timeout=30000)
    page.wait_for_timeout(700)


def _box(page: Any, selector: str) -> dict[str, float]:
    b = page.locator(selector).bounding_box()
    assert b is not None, selector
    return dict(b)


def _apart(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_peru_button_fits_the_view_to_peru_on_a_phone(
        phone: tuple[Any, list[str]], server: LiveServer, browser_world: MapWorld,
        browser: Any, output_dir: Path) -> None:
    page, errors = phone
    n_pe = _public_count(browser_world, "PE")
    assert n_pe >= 30
    page.goto(server.base_url + "/", wait_until="load")
    _settled(page)
    # the switch is on the screen, inside the map, clear of every other control
    switch = _box(page, "#country-switch")
    m = _box(page, "#map")
    assert switch["x"] >= m["x"] and switch["y"] >= m["y"] and \
        switch["x"] + switch["width"] <= m["x"] + m["width"], (switch, m)
    others = page.locator(".leaflet-control:not(#country-switch)")
    for i in range(others.count()):
        if others.nth(i).is_visible():
            b = others.nth(i).bounding_box()
            assert b is not None and _apart(switch, b), (switch, b)
    buttons = page.locator("#country-switch button").all_inner_texts()
    assert buttons == ["Perú", "Bolivia", "Todo"], buttons
    for i in range(3):  # thumb-sized
        assert _box(page, f"#country-switch button >> nth={i}")["height"] >= 36
    assert page.get_attribute("#country-switch button[data-country='']",
                              "aria-pressed") == "true"
    before = page.evaluate(DRAWN_JS)
    page.screenshot(path=str(output_dir / "country-phone-all.png"))
    # the first view shows both countries (the default is unchanged) ...
    assert before["PE"]["n"] >= 0.8 * n_pe and before.get("BO", {}).get("n", 0) > 0, before
    # ... "Perú": Peru's communities fill the screen, drawn and larger
    page.locator("#country-switch button[data-country='PE']").tap()
    _settled(page)
    after = page.evaluate(DRAWN_JS)
    page.screenshot(path=str(output_dir / "country-phone-peru.png"))
    assert after["PE"]["n"] >= 0.8 * n_pe, (after["PE"]["n"], n_pe)
    grow = (after["PE"]["width"] * after["PE"]["height"]) / \
        (before["PE"]["width"] * before["PE"]["height"])
    assert grow >= 1.5, (before["PE"], after["PE"])
    assert after["PE"]["width"] >= 0.75 * m["width"] or \
        after["PE"]["height"] >= 0.75 * m["height"], (after["PE"], m)
    assert page.evaluate("window.allpa.map.getZoom()") > \
        page.evaluate("window.allpa.map.getBoundsZoom(L.latLngBounds(["
                      "[window.allpa.cfg.view[1], window.allpa.cfg.view[0]],"
                      "[window.allpa.cfg.view[3], window.allpa.cfg.view[2]]]))")
    assert page.get_attribute("#country-switch button[data-country='PE']",
                              "aria-pressed") == "true"
    assert page.evaluate("window.location.hash") == "#pais=pe"
    # the language link keeps the choice
    en = page.locator("#langs a[hreflang='en']").get_attribute("href") or ""
    assert en.endswith("?lang=en#pais=pe"), en
    zoom_pe = page.evaluate("window.allpa.map.getZoom()")
    # "Todo": back to the first view, and the address forgets the country
    page.locator("#country-switch button[data-country='']").tap()
    _settled(page)
    assert page.evaluate("window.location.hash") == ""
    back = page.evaluate(DRAWN_JS)
    assert back["PE"]["n"] >= 0.8 * n_pe and back.get("BO", {}).get("n", 0) > 0, back
    assert page.evaluate("window.allpa.map.getZoom()") < zoom_pe
    # a shared link opens on Peru, at the same view, without drawing the wide view first
    context = browser.new_context(locale="es-PE", bypass_csp=True, **SIZES["phone"])
    try:
        shared = context.new_page()
        tiles: list[str] = []
        shared.on("request", lambda r: tiles.append(r.url) if "/tiles/map/" in r.url else None)
        shared.goto(server.base_url + "/#pais=pe", wait_until="load")
        _settled(shared)
        assert shared.evaluate("window.allpa.map.getZoom()") == zoom_pe
        opened = shared.evaluate(DRAWN_JS)
        assert opened["PE"]["n"] >= 0.8 * n_pe, opened["PE"]["n"]
        assert shared.get_attribute("#country-switch button[data-country='PE']",
                                    "aria-pressed") == "true"
        zooms = {u.split("/tiles/map/")[1].split("/")[0] for u in tiles}
        assert len(zooms) == 1, zooms  # one zoom level fetched: the country's
    finally:
        context.close()
    assert not errors, errors


def test_bolivia_button_and_english_page(browser: Any, server: LiveServer,
                                         browser_world: MapWorld, output_dir: Path) -> None:
    n_bo = _public_count(browser_world, "BO")
    for page, errors in _context(browser, "desktop", "en-GB"):
        page.goto(server.base_url + "/?lang=en", wait_until="load")
        _settled(page)
        assert page.locator("#country-switch button").all_inner_texts() == \
            ["Peru", "Bolivia", "All"]
        assert page.get_attribute("#country-switch", "aria-label") == "Go to country"
        before = page.evaluate(DRAWN_JS)
        page.locator("#country-switch button[data-country='BO']").click()
        _settled(page)
        after = page.evaluate(DRAWN_JS)
        page.screenshot(path=str(output_dir / "country-desktop-bolivia.png"))
        assert after["BO"]["n"] >= 0.8 * n_bo, (after["BO"]["n"], n_bo)
        assert after["BO"]["width"] * after["BO"]["height"] > \
            1.5 * before["BO"]["width"] * before["BO"]["height"], (before["BO"], after["BO"])
        assert page.evaluate("window.location.href").endswith("?lang=en#pais=bo")
        # the address edited by hand (or Back) moves the map too
        page.evaluate("window.location.hash = '#pais=pe'")
        _settled(page)
        assert page.get_attribute("#country-switch button[data-country='PE']",
                                  "aria-pressed") == "true"
        assert page.evaluate(DRAWN_JS)["PE"]["n"] >= 0.8 * _public_count(browser_world, "PE")
        assert not errors, errors
