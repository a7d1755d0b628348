"""The browser map with versioned tile URLs and 204 for empty tiles, in real Chromium: the page
names the versioned grid, so every tile (the first ones included) carries ``?v=``; empty
tiles (204) draw nothing and log nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser import test_map_page
from tests.browser.test_map_page import Session, _assert_clean, _open
from tests.maps_world import LiveServer

pytestmark = pytest.mark.browser
session = test_map_page.session  # the same page fixture (errors, requests, dialogs)


def test_versioned_tiles_and_empty_tiles(session: Session, server: LiveServer,
                                         output_dir: Path) -> None:
    statuses: dict[str, int] = {}
    session.page.on("response", lambda r: statuses.__setitem__(r.url, r.status)
                    if "/tiles/map/" in r.url else None)
    _open(session, server)
    page = session.page
    for _ in range(3):  # zoom out: new tiles, many of them over nothing (204)
        page.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(700)
    page.wait_for_function("() => document.querySelectorAll('path.allpa-community').length > 5",
                           timeout=20000)
    page.wait_for_load_state("networkidle")
    versioned = [u for u in statuses if "?v=" in u]
    assert versioned and len(versioned) == len(statuses), list(statuses)[:5]
    assert 204 in statuses.values() and 200 in statuses.values(), sorted(statuses.values())
    assert all(s in (200, 204, 304) for s in statuses.values())
    headers: Any = page.request.get(versioned[0]).headers
    assert "immutable" in headers["cache-control"]
    assert page.locator("path.allpa-community").count() > 5
    page.screenshot(path=str(output_dir / "map_tiles_zoomed_out.png"), full_page=True)
    _assert_clean(session, server)
