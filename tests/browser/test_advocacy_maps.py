"""Every advocacy map (network and community, public and private) opened from ``file://`` in
real headless Chromium: features drawn in every theme layer, no page error, no request to
any host, a legend, a layer list, and a popup with the community's status and flags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api import mapping
from layers import maps
from layers.queries import Viewer
from layers.users import ANONYMOUS, Principal
from tests.maps_world import NETWORK, RESTRICTED_NAME, LiveServer, MapWorld

pytestmark = pytest.mark.browser

PUBLIC = Viewer(ANONYMOUS, 0.01)
EDITOR = Viewer(Principal("abogada", "editor"), 0.01)
VARIANTS = {
    "network-public": (PUBLIC, {"network": NETWORK}),
    "network-private": (EDITOR, {"network": NETWORK}),
    "community-public": (PUBLIC, {"community": "HF-001"}),
    "community-private": (EDITOR, {"community": "HF-001"}),
}
#: the map object folium names ``map_<hash>``; the themes are FeatureGroups on it
_LAYER_COUNTS = """() => {
  const key = Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k));
  const m = window[key];
  const out = {};
  const ctl = document.querySelectorAll('.leaflet-control-layers-overlays label');
  out.__overlays = Array.from(ctl).map(x => x.innerText.trim());
  let n = 0;
  m.eachLayer(l => { if (l.feature) { n += 1; } });
  out.__features = n;
  return out;
}"""


@pytest.fixture(scope="module")
def map_files(browser_world: MapWorld, tmp_path_factory: pytest.TempPathFactory
              ) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("advocacy")
    files = {}
    with browser_world.engine.connect() as conn:
        for name, (viewer, target) in VARIANTS.items():
            rendered = mapping.advocacy_map(conn, viewer, **target)
            path = out / f"{name}.html"
            mapping.write(rendered, path)
            files[name] = path
    return files


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield pg, requests, errors
    finally:
        context.close()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_advocacy_map_draws_offline(variant: str, map_files: dict[str, Path],
                                    browser_world: MapWorld, output_dir: Path,
                                    page: tuple[Any, list[str], list[str]]) -> None:
    pg, requests, errors = page
    viewer, target = VARIANTS[variant]
    with browser_world.engine.connect() as conn:
        data = maps.map_data(conn, viewer, **target)
    pg.goto(map_files[variant].as_uri(), wait_until="load")
    pg.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 0",
                         timeout=15000)
    info = pg.evaluate(_LAYER_COUNTS)
    n_paths = pg.locator(".leaflet-overlay-pane path").count()
    # every community polygon, every concession in the frame: at least one SVG path each
    assert n_paths >= len(data.communities) + len(data.concessions), n_paths
    assert info["__features"] >= len(data.communities) + len(data.concessions)
    overlays = info["__overlays"]
    for theme in ("Comunidades", "Concesiones mineras", "Fuentes de agua",
                  "Límites administrativos"):
        assert theme in overlays, overlays
    assert pg.locator(".leaflet-control-scale-line").count() == 1  # metric scale bar
    legend = pg.locator(".allpa-legend").inner_text()
    assert "Leyenda" in legend and "Titulada" in legend
    text = pg.locator("body").inner_text()
    if "public" in variant:
        assert RESTRICTED_NAME not in pg.content()
    elif variant.startswith("network"):
        assert RESTRICTED_NAME in pg.content()  # editors see the restricted member
    assert "Datos de muestra FICTICIOS" in text  # the sample says it is fictional
    # a popup with the community's legal status and its flags
    comm = data.communities[data.communities["id"] == "HF-001"].iloc[0]
    p = comm.geometry.representative_point()
    pg.evaluate("""([lat, lon]) => {
        const key = Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k));
        window[key].setView([lat, lon], 13, {animate: false});
    }""", [p.y, p.x])
    pg.wait_for_timeout(300)
    xy = pg.evaluate("""([lat, lon]) => {
        const key = Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k));
        const pt = window[key].latLngToContainerPoint([lat, lon]);
        const r = window[key].getContainer().getBoundingClientRect();
        return [r.left + pt.x, r.top + pt.y];
    }""", [p.y, p.x])
    pg.mouse.click(xy[0], xy[1])
    pg.wait_for_selector(".leaflet-popup-content", timeout=5000)
    popup = pg.locator(".leaflet-popup-content").inner_text()
    assert "Personería jurídica" in popup and "Alertas" in popup, popup
    pg.wait_for_timeout(400)  # the popup's fade-in
    pg.screenshot(path=str(output_dir / f"advocacy-{variant}.png"))
    bad = [u for u in requests if not u.startswith(("file://", "data:", "blob:", "about:"))]
    assert not bad, f"requests left the file: {bad[:5]}"
    assert not errors, errors


@pytest.mark.parametrize("path", ["/maps/network/RED-01.html", "/maps/community/HF-001.html",
                                  "/reports/community/HF-001.html"])
def test_served_documents_work_under_their_csp(path: str, server: LiveServer,
                                               page: tuple[Any, list[str], list[str]]) -> None:
    """Served with a strict Content-Security-Policy (hashes of their own inline scripts):
    still drawn, no violation reported."""
    pg, requests, errors = page
    violations: list[str] = []
    pg.on("console", lambda m: violations.append(m.text)
          if "Content Security Policy" in m.text else None)
    response = pg.goto(server.base_url + path, wait_until="load")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "unsafe-eval" not in policy
    if path.startswith("/maps/"):
        assert "'sha256-" in policy and "'unsafe-inline'" not in policy.split("script-src")[1] \
            .split(";")[0]
        pg.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path')"
                             ".length > 10", timeout=15000)
    else:
        assert pg.evaluate("document.querySelector('img').naturalWidth") > 300
    assert not violations, violations
    assert not errors, errors
    assert all(u.startswith((server.base_url, "data:", "blob:")) for u in requests), requests


def test_advocacy_map_on_a_phone(map_files: dict[str, Path], browser: Any,
                                 output_dir: Path) -> None:
    """At 390×844 the layer list is folded into its button (the map stays visible) and opens
    with a tap; the features are drawn and the legend and title stay on the screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        pg.goto(map_files["network-public"].as_uri(), wait_until="load")
        pg.wait_for_function(
            "document.querySelectorAll('.leaflet-overlay-pane path').length > 0", timeout=15000)
        control = pg.locator(".leaflet-control-layers")
        assert "leaflet-control-layers-expanded" not in (control.get_attribute("class") or "")
        box = control.bounding_box()
        assert box is not None and box["width"] < 60 and box["height"] < 60, box
        pg.screenshot(path=str(output_dir / "advocacy-phone.png"))
        pg.locator(".leaflet-control-layers-toggle").tap()
        pg.wait_for_selector(".leaflet-control-layers-expanded", timeout=5000)
        assert "Comunidades" in pg.locator(".leaflet-control-layers-overlays").inner_text()
        for selector in (".allpa-title", ".allpa-legend"):
            b = pg.locator(selector).bounding_box()
            assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= 391, (selector, b)
        pg.screenshot(path=str(output_dir / "advocacy-phone-layers.png"))
        assert not errors, errors
    finally:
        context.close()
