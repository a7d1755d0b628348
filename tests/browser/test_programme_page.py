"""The programme page in headless Chromium, on a phone (390×844) and a desktop: every
indicator has a drawn bar (the case ones, restricted, say "reserved" instead), the
drill-down opens on the communities behind a number, no
script errors, nothing needs a sideways scroll or is cut off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.maps_world import LiveServer

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}


@pytest.mark.parametrize("device", list(SIZES))
def test_programme_page(browser: Any, server: LiveServer, output_dir: Path,
                        device: str) -> None:
    w, h = SIZES[device]
    phone = device == "phone"
    context = browser.new_context(viewport={"width": w, "height": h}, is_mobile=phone,
                                  has_touch=phone, locale="es-PE")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.url} HTTP {r.status}")
            if r.status >= 400 else None)
    try:
        page.goto(server.base_url + "/programa?as_of=2026-11-28", wait_until="load")
        assert page.locator("h1").inner_text() == "Avance del programa"
        assert page.locator(".fictional").is_visible()
        cards = page.locator("li.indicator")
        n = cards.count()
        assert n >= 15
        # every bar is drawn: the track has a size, and indicators with a value have a bar
        bars = page.evaluate("""() => [...document.querySelectorAll('li.indicator')]
          .filter(li => !li.querySelector('.figure.reserved')).map(li => {
            const v = li.querySelector('span.value').textContent.trim();
            const r = li.querySelector('svg.bar rect.value');
            const t = li.querySelector('svg.bar rect.track').getBoundingClientRect();
            const b = r ? r.getBoundingClientRect() : null;
            return {v, track: [t.width, t.height], bar: b ? [b.width, b.height] : null}; })""")
        assert len(bars) == n - 2
        assert all(b["track"][0] > 100 and b["track"][1] > 5 for b in bars), bars
        drawn = [b for b in bars if b["v"] != "0"]
        assert drawn and all(b["bar"] and b["bar"][0] > 0 and b["bar"][1] > 0 for b in drawn)
        # nothing sideways: the page is no wider than the screen and no card sticks out
        overflow = page.evaluate("""() => {
            const W = document.documentElement.clientWidth;
            const out = [...document.querySelectorAll('body *')].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && (r.right > W + 1 || r.left < -1); }).map(e => e.tagName
                + '.' + e.className);
            return {scroll: document.documentElement.scrollWidth, W, out}; }""")
        assert overflow["scroll"] <= w and overflow["out"] == [], overflow
        page.screenshot(path=str(output_dir / f"programme-{device}.png"), full_page=not phone)
        # cases are restricted: the public reader sees "reserved", not a false 0 nor a bar
        for ind_id in ("cases_opened", "cases_closed"):
            card = page.locator(f"#ind-{ind_id}")
            note = card.locator(".figure.reserved .reserved-note")
            assert note.inner_text() == "Reservado: solo el equipo legal lo ve"
            assert card.locator("span.value").count() == 0
            assert card.locator("svg").count() == 0 and card.locator("details").count() == 0
            assert card.locator(".definition").is_visible()
        reserved = page.locator("#ind-cases_opened")
        reserved.scroll_into_view_if_needed()
        box = reserved.bounding_box()
        assert box is not None and 0 < box["width"] <= w
        page.screenshot(path=str(output_dir / f"programme-{device}-reserved.png"))
        # drill-down: the communities behind the number of registered boards
        card = page.locator("#ind-boards_registered")
        value = int(card.locator("span.value").inner_text())
        card.locator("summary").click()
        items = card.locator("ul.communities li")
        assert items.count() == value > 0
        assert items.first.is_visible()
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / f"programme-{device}-drilldown.png"))
        # English on request
        page.goto(server.base_url + "/programa?lang=en", wait_until="load")
        assert page.locator("h1").inner_text() == "Programme progress"
        assert page.locator("#ind-cases_closed .reserved-note").inner_text() == \
            "Reserved: visible to the legal team only"
        assert errors == [], errors
    finally:
        context.close()
