"""District and lake names on the browser map are placed as a mature map places them: at the
first view on a desktop and on a phone (390×844) every visible label's box lies WHOLLY inside
the map (never cut by the screen's edge), clear of the map's controls, and no two visible
labels' boxes intersect; a label is hidden only when it would be cut, covered by a control
or cover one already placed. The same holds after panning (during the drag too), zooming,
resizing the window and opening the legend; zooming in brings hidden names back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.maps_world import LiveServer

pytestmark = pytest.mark.browser

#: What the page reports about each label (its text, box, whether it is shown), the map's box
#: and the boxes of what covers the map (its controls, the open panel).
LABELS_JS = """() => {
  const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                     width: r.width});
  const labels = Array.from(document.querySelectorAll('.ref-label')).map(n => {
    const s = n.firstElementChild, b = s.getBoundingClientRect();
    return {text: s.textContent, kind: n.className, ...box(b),
            shown: b.width > 0 && getComputedStyle(n).visibility === 'visible'
                   && getComputedStyle(n).display !== 'none'};
  });
  const map = document.getElementById('map');
  const covers = Array.from(map.querySelectorAll('.leaflet-control'))
    .concat(document.getElementById('panel').hidden ? [] : [document.getElementById('panel')])
    .map(n => ({name: n.id || n.className, ...box(n.getBoundingClientRect())}))
    .filter(c => c.width > 0);
  return {labels, map: box(map.getBoundingClientRect()), covers};
}"""

VIEWS = {"desktop": {"viewport": {"width": 1280, "height": 800}},
         "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                   "is_mobile": True, "has_touch": True}}


@pytest.fixture(params=sorted(VIEWS))
def view(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[str, Any, list[str]]]:
    context = browser.new_context(locale="es-PE", **VIEWS[request.param])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        yield request.param, page, errors
    finally:
        context.close()


def _intersect(a: dict[str, Any], b: dict[str, Any], gap: float = 0) -> bool:
    return (a["left"] < b["right"] + gap and b["left"] < a["right"] + gap
            and a["top"] < b["bottom"] + gap and b["top"] < a["bottom"] + gap)


def _inside(a: dict[str, Any], outer: dict[str, Any]) -> bool:
    return (a["left"] >= outer["left"] and a["top"] >= outer["top"]
            and a["right"] <= outer["right"] and a["bottom"] <= outer["bottom"])


def _overlapping(shown: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(shown) for b in shown[i + 1:]
            if _intersect(a, b)]


def _look(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any],
                              list[dict[str, Any]]]:
    """(shown labels, hidden labels, the map's box, the boxes covering the map)."""
    found: dict[str, Any] = page.evaluate(LABELS_JS)
    drawn = [x for x in found["labels"] if x["width"] > 0]
    return ([x for x in drawn if x["shown"]], [x for x in drawn if not x["shown"]],
            found["map"], found["covers"])


def _check_placement(page: Any, where: str) -> tuple[list[dict[str, Any]],
                                                      list[dict[str, Any]]]:
    """Every shown name whole, inside the map, clear of controls and of other names; every
    hidden name hidden for one of those reasons. Returns (shown, hidden)."""
    shown, hidden, box, covers = _look(page)
    cut = [x["text"] for x in shown if not _inside(x, box)]
    assert cut == [], (where, "names cut by the map's edge", cut, box)
    covered = [(x["text"], c["name"]) for x in shown for c in covers if _intersect(x, c)]
    assert covered == [], (where, "names under a control or the panel", covered)
    assert _overlapping(shown) == [], where
    for x in hidden:
        reason = (not _inside(x, box) or any(_intersect(x, c, 3) for c in covers)
                  or any(_intersect(x, s, 3) for s in shown))
        assert reason, (where, x["text"], "hidden for no reason")
    return shown, hidden


def _open(page: Any, server: LiveServer) -> None:
    page.goto(server.base_url + "/", wait_until="load")
    page.wait_for_selector("body[data-loaded='1']", timeout=30000)
    page.wait_for_timeout(500)


def test_labels_never_cover_each_other(view: tuple[str, Any, list[str]], server: LiveServer,
                                       output_dir: Path) -> None:
    name, page, errors = view
    _open(page, server)
    shown, hidden = _check_placement(page, "first view")
    districts = [x for x in shown if "ref-district" in x["kind"]]
    assert len(districts) >= 3, shown  # the first view is named, not emptied
    page.screenshot(path=str(output_dir / f"map-labels-{name}.png"))
    # two zoom steps in around a name hidden for a clash: it comes back, still placed whole
    _, _, box, covers = _look(page)
    clashed = [x for x in hidden if _inside(x, box)
               and not any(_intersect(x, c, 3) for c in covers)]
    assert clashed, "no name was hidden for a clash at the first view: nothing was tested"
    target = clashed[0]
    page.evaluate("""([x, y]) => { const m = window.allpa.map;
        const r = m.getContainer().getBoundingClientRect();
        m.setView(m.containerPointToLatLng([x - r.left, y - r.top]), m.getZoom() + 2,
                  {animate: false}); }""",
                  [(target["left"] + target["right"]) / 2, (target["top"] + target["bottom"]) / 2])
    page.wait_for_timeout(500)
    closer, _ = _check_placement(page, "zoomed in")
    assert target["text"] in {x["text"] for x in closer}, (target["text"], "still hidden")
    page.screenshot(path=str(output_dir / f"map-labels-{name}-zoomed.png"))
    assert not errors, errors


def test_labels_stay_whole_when_the_map_moves(view: tuple[str, Any, list[str]],
                                              server: LiveServer, output_dir: Path) -> None:
    """Panned by a third of the screen (names now run across the edge), dragged (checked
    while the finger is still down) and the window resized: no name is ever cut."""
    name, page, errors = view
    _open(page, server)
    size = page.viewport_size
    page.evaluate(f"window.allpa.map.panBy([{size['width'] // 3}, 0], {{animate: false}})")
    page.wait_for_timeout(300)
    _, hidden = _check_placement(page, "panned")
    box = page.evaluate("(() => { const r = document.getElementById('map')"
                        ".getBoundingClientRect(); return [r.left, r.top, r.width, r.height];"
                        " })()")
    assert any(x["left"] < box[0] + box[2] < x["right"] or x["left"] < box[0] < x["right"]
               for x in hidden), "the pan left no name across the edge: nothing was tested"
    page.screenshot(path=str(output_dir / f"map-labels-{name}-panned.png"))
    # a drag, looked at before the button is released
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(cx - 25 * k, cy + 8 * k)
    page.wait_for_timeout(150)
    _check_placement(page, "while dragging")
    page.mouse.up()
    page.wait_for_timeout(300)
    _check_placement(page, "after the drag")
    # the window changes size (a phone turned sideways, a desktop window narrowed)
    page.set_viewport_size({"width": size["height"], "height": size["width"]})
    page.wait_for_timeout(600)
    _check_placement(page, "resized")
    page.screenshot(path=str(output_dir / f"map-labels-{name}-resized.png"))
    assert not errors, errors


def test_open_legend_and_panel_hide_the_names_under_them(server: LiveServer, browser: Any,
                                             output_dir: Path) -> None:
    """On a phone the opened layer list covers part of the map: the names under it give way
    and come back when it is closed; the same for the community panel (a bottom sheet)."""
    context = browser.new_context(locale="es-PE", **VIEWS["phone"])
    page = context.new_page()
    try:
        _open(page, server)
        before, _ = _check_placement(page, "legend closed")
        page.locator("#legend-toggle").tap()
        page.wait_for_timeout(200)
        opened, _ = _check_placement(page, "legend open")
        assert len(opened) < len(before), "the open legend covers no name: nothing was tested"
        page.screenshot(path=str(output_dir / "map-labels-phone-legend.png"))
        page.locator("#legend-toggle").tap()
        page.wait_for_timeout(200)
        again, _ = _check_placement(page, "legend closed again")
        assert {x["text"] for x in again} == {x["text"] for x in before}
        # the community panel, a bottom sheet over the lower half: names give way to it too
        page.evaluate("window.allpa.selectCommunity('HF-001', true)")
        page.wait_for_selector("#panel:not([hidden]) #panel-name")
        page.wait_for_timeout(500)
        _check_placement(page, "panel open")
        assert any(c["name"] == "panel" for c in _look(page)[3])
        page.screenshot(path=str(output_dir / "map-labels-phone-panel.png"))
    finally:
        context.close()
