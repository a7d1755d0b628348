"""District and lake names on the browser map never cover each other: at the first view on a
desktop and on a phone (390×844) no two visible labels' boxes intersect, a label is hidden
only when it would cover one already placed, and zooming in brings hidden names back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.maps_world import LiveServer

pytestmark = pytest.mark.browser

#: What the page reports about each label: its text, box, and whether it is shown.
LABELS_JS = """() => Array.from(document.querySelectorAll('.ref-label')).map(n => {
    const s = n.firstElementChild, b = s.getBoundingClientRect();
    return {text: s.textContent, kind: n.className, left: b.left, top: b.top,
            right: b.right, bottom: b.bottom, width: b.width,
            shown: b.width > 0 && getComputedStyle(n).visibility === 'visible'
                   && getComputedStyle(n).display !== 'none'};
})"""

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


def _intersect(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["left"] < b["right"] and b["left"] < a["right"]
            and a["top"] < b["bottom"] and b["top"] < a["bottom"])


def _overlapping(shown: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for i, a in enumerate(shown) for b in shown[i + 1:]
            if _intersect(a, b)]


def _labels(page: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    labels: list[dict[str, Any]] = page.evaluate(LABELS_JS)
    drawn = [x for x in labels if x["width"] > 0]
    return [x for x in drawn if x["shown"]], [x for x in drawn if not x["shown"]]


def test_labels_never_cover_each_other(view: tuple[str, Any, list[str]], server: LiveServer,
                                       output_dir: Path) -> None:
    name, page, errors = view
    page.goto(server.base_url + "/", wait_until="load")
    page.wait_for_selector("body[data-loaded='1']", timeout=30000)
    page.wait_for_timeout(500)
    shown, hidden = _labels(page)
    districts = [x for x in shown if "ref-district" in x["kind"]]
    assert len(districts) >= 3, shown  # the first view is named, not emptied
    assert _overlapping(shown) == []
    # a name is hidden only because it would cover one that is shown
    for x in hidden:
        assert any(_intersect({**x, "left": x["left"] - 3, "right": x["right"] + 3,
                                "top": x["top"] - 3, "bottom": x["bottom"] + 3}, s)
                   for s in shown), (x["text"], "hidden without a clash")
    page.screenshot(path=str(output_dir / f"map-labels-{name}.png"))
    # two zoom steps in: names hidden at the first view come back, still without overlaps
    zoom = page.evaluate("window.allpa.map.getZoom()")
    page.evaluate(f"window.allpa.map.setZoom({zoom + 2}, {{animate: false}})")
    page.wait_for_timeout(500)
    closer, _ = _labels(page)
    assert _overlapping(closer) == []
    back = {x["text"] for x in hidden} & {x["text"] for x in closer}
    assert not hidden or back, "zooming in shows none of the hidden names"
    page.screenshot(path=str(output_dir / f"map-labels-{name}-zoomed.png"))
    assert not errors, errors
