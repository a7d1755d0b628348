"""The community panel's close button (×) on a phone (390×844): it covers none of the panel's
text (the name beside it wraps around it), it is a full touch target, and the whole
sheet fits the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.maps_world import LiveServer

pytestmark = pytest.mark.browser

W, H = 390, 844

#: The boxes of every line of text in the panel (text nodes, not their block boxes: a
#: heading's block runs under a floated button, its words do not).
TEXT_LINES_JS = """() => {
    const out = [], walker = document.createTreeWalker(
        document.getElementById('panel-body'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (!n.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(n);
        for (const r of range.getClientRects())
            if (r.width > 0) out.push({text: n.textContent.slice(0, 40), left: r.left,
                                       top: r.top, right: r.right, bottom: r.bottom});
    }
    return out;
}"""


def test_close_button_covers_no_text_on_a_phone(browser: Any, server: LiveServer,
                                                output_dir: Path) -> None:
    context = browser.new_context(viewport={"width": W, "height": H}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="es-PE")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.base_url + "/", wait_until="load")
        page.wait_for_selector("body[data-loaded='1']", timeout=30000)
        page.locator("#search-input").tap()
        page.keyboard.type("wayra")
        page.wait_for_selector("#search-results li[data-id]")
        page.locator("#search-results li[data-id]").first.tap()
        page.wait_for_selector("#panel:not([hidden]) #panel-name")
        page.wait_for_timeout(800)
        close = page.locator("#panel-close").bounding_box()
        sheet = page.locator("#panel").bounding_box()
        assert close is not None and sheet is not None
        assert close["width"] >= 44 and close["height"] >= 44, close  # a thumb's target
        lines = page.evaluate(TEXT_LINES_JS)
        assert any(x["text"].startswith("Comunidad Campesina Wayra") for x in lines), lines
        covered = [x["text"] for x in lines
                   if x["left"] < close["x"] + close["width"] and close["x"] < x["right"]
                   and x["top"] < close["y"] + close["height"] and close["y"] < x["bottom"]]
        assert covered == []
        # the sheet and its button are on the screen
        assert sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= W
        assert sheet["y"] >= 0 and sheet["y"] + sheet["height"] <= H + 1
        assert close["x"] + close["width"] <= W and close["y"] >= sheet["y"]
        page.screenshot(path=str(output_dir / "phone-panel-close.png"))
        assert not errors, errors
    finally:
        context.close()
