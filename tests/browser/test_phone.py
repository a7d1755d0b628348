"""The browser map on a phone (390×844, touch): the map fills the screen, legend and layers
start collapsed, the search is full width and says where each community is, the panel is a
bottom sheet that fits the screen, and nothing needs a sideways scroll."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.maps_world import LiveServer

pytestmark = pytest.mark.browser

W, H = 390, 844


@pytest.fixture
def phone(browser: Any, server: LiveServer) -> Iterator[tuple[Any, list[str], list[str]]]:
    context = browser.new_context(viewport={"width": W, "height": H}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="es-PE")
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.url} HTTP {r.status}")
            if r.status >= 400 else None)
    try:
        yield page, requests, errors
    finally:
        context.close()


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return dict(box)


def test_phone_layout(phone: tuple[Any, list[str], list[str]], server: LiveServer,
                      output_dir: Path) -> None:
    page, requests, errors = phone
    page.goto(server.base_url + "/", wait_until="load")
    page.wait_for_selector("body[data-loaded='1']", timeout=30000)
    assert page.locator("path.allpa-community").count() > 20
    # the map is most of the screen; the legend and layer list start collapsed
    m = _box(page, "#map")
    assert m["width"] == W and m["height"] >= 0.7 * H, m
    assert not page.locator("#legend-body").is_visible()
    legend = _box(page, "#legend")
    assert legend["width"] * legend["height"] < 0.1 * m["width"] * m["height"], legend
    assert page.locator(".leaflet-control-scale").is_visible()
    assert page.locator("#fictional").is_visible()
    page.screenshot(path=str(output_dir / "phone-map.png"))
    # the legend opens and closes with one tap
    page.locator("#legend-toggle").tap()
    assert page.locator("#legend-body").is_visible()
    assert page.locator("#layer-concessions").is_visible()
    page.screenshot(path=str(output_dir / "phone-legend.png"))
    page.locator("#legend-toggle").tap()
    assert not page.locator("#legend-body").is_visible()
    # full-width search; results say district and country
    s = _box(page, "#search-input")
    assert s["width"] >= 0.9 * W, s
    page.locator("#search-input").tap()
    page.keyboard.type("wayra")
    page.wait_for_selector("#search-results li[data-id]")
    first = page.locator("#search-results li[data-id]").first.inner_text()
    assert "Qhapaq Marka, Perú" in first, first
    page.screenshot(path=str(output_dir / "phone-search.png"))
    page.locator("#search-results li[data-id]").first.tap()
    page.wait_for_selector("#panel:not([hidden]) #panel-name")
    page.wait_for_timeout(1200)
    # the panel is a bottom sheet: full width, at the bottom, leaving the map visible above
    p = _box(page, "#panel")
    assert p["width"] == W and abs(p["y"] + p["height"] - H) <= 1, p
    assert p["height"] <= 0.6 * H, p
    # nothing runs off the side of the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= W
    overflow = page.evaluate("""() => Array.from(document.querySelectorAll('#panel *'))
        .filter(e => !e.closest('.scroll'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + ':' + e.textContent.slice(0, 30))""")
    assert not overflow, overflow
    # the selected community is drawn above the sheet
    assert page.locator("path.allpa-selected").count() >= 1
    sel = page.locator("path.allpa-selected").first.bounding_box()
    assert sel is not None and sel["y"] < p["y"], (sel, p)
    # ... and below the zoom and country buttons of the upper left, not under them
    switch = _box(page, "#country-switch")
    assert sel["y"] >= switch["y"] + switch["height"] - 1, (sel, switch)
    page.screenshot(path=str(output_dir / "phone-panel.png"))
    hosts = {urlsplit(u).netloc for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {f"{server.host}:{server.port}"}, hosts
    assert not errors, errors
