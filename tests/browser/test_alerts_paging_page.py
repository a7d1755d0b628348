"""/alertas in a real browser: pages of 25 alerts, newest first, with "Más antiguas" and
"Más recientes" links that neither skip nor repeat an alert; an alert's response deadline
(date, what to do, how it was counted, the orientative reference) on its card; the header's
count of new alerts equal to the database's count. At 390×844 and desktop."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from layers import users
from tests.api.alert_fixtures import add_alerts
from tests.browser.helpers import SIZES, no_sideways_scroll, open_page, sign_in
from tests.maps_world import LiveServer, MapWorld, live_server, map_world_fixture

pytestmark = pytest.mark.browser

EDITOR, PASSWORD = "abogada-alertas", "clave-de-prueba-larga"
DEADLINE = {"rule": "PE-PLAZO-OPOSICION", "due": "2026-05-01", "counts_from": "filing",
            "from": "2026-03-02", "days": 60, "day_type": "calendar",
            "what_es": "Presentar oposición al petitorio minero ante INGEMMET",
            "what_en": "File an opposition to the mining petition with INGEMMET",
            "reference_es": "TUO de la Ley General de Minería (D.S. 014-92-EM), art. 144; "
                            "D.S. 018-92-EM (orientativa)",
            "reference_en": "D.S. 014-92-EM, art. 144; D.S. 018-92-EM (indicative)"}


@pytest.fixture(scope="module")
def paging_world(settings: Any) -> Iterator[MapWorld]:
    """Its own database: 30 hand-made alerts (15 imports, each touching HF-001 and HF-002),
    the newest HF-001 one with a response deadline."""
    for world in map_world_fixture(settings, "alertpaging"):
        with world.engine.begin() as conn:
            # the sample's own alerts (from its import) a day older than this test's ones
            conn.execute(sa.text("UPDATE alert SET created_at = created_at - interval '1 day'"))
            users.create_user(conn, EDITOR, "editor")
            users.set_password(conn, EDITOR, PASSWORD)
            for k in range(15):
                ids = add_alerts(conn, {"HF-001": [], "HF-002": []}, code=f"0100{k:05d}")
                # one import a minute apart, so "newest first" has an order to keep
                conn.execute(sa.text("UPDATE alert SET created_at = now() - make_interval("
                                     "mins => :m) WHERE id = ANY(:ids)"),
                             {"m": 15 - k, "ids": list(ids.values())})
            conn.execute(sa.text(
                "UPDATE alert SET response_due = '2026-05-01', response = CAST(:r AS jsonb) "
                "WHERE id = :i"), {"r": json.dumps(DEADLINE), "i": ids["HF-001"]})
            # HF-002's newest alert: a window still open (20 days from the detection)
            due = conn.execute(sa.text("SELECT current_date + 20")).scalar_one()
            conn.execute(sa.text(
                "UPDATE alert SET response_due = :d, response = CAST(:r AS jsonb) "
                "WHERE id = :i"), {"d": due, "i": ids["HF-002"], "r": json.dumps({
                    **DEADLINE, "due": due.isoformat(), "counts_from": "detection",
                    "from": (due - dt.timedelta(days=20)).isoformat(), "days": 20})})
        yield world


@pytest.fixture(scope="module")
def paging_server(paging_world: MapWorld) -> Iterator[LiveServer]:
    yield from live_server(paging_world)


def _ids(page: Any) -> list[int]:
    return [int(x) for x in page.locator("#alerts li.card").evaluate_all(
        "cards => cards.map(c => c.getAttribute('data-alert'))")]


@pytest.mark.parametrize("size", sorted(SIZES))
def test_alerts_page_pages_and_shows_the_deadline(size: str, browser: Any,
                                                 paging_world: MapWorld,
                                                 paging_server: LiveServer,
                                                 output_dir: Path) -> None:
    engine, base = paging_world.engine, paging_server.base_url
    with engine.connect() as conn:
        expected = [int(i) for i in conn.execute(sa.text(
            "SELECT id FROM alert ORDER BY created_at DESC, id DESC")).scalars()]
        new_count = conn.execute(sa.text(
            "SELECT count(*) FROM alert WHERE state = 'nueva'")).scalar_one()
        stamped = conn.execute(sa.text(  # the newest hand-made HF-001 alert (k = 14)
            "SELECT id FROM alert WHERE code = '010000014' AND community_id = 'HF-001'"))\
            .scalar_one()
    assert len(expected) > 25
    context, page, errors = open_page(browser, size)
    try:
        sign_in(page, base, EDITOR, PASSWORD, ready="#alerts-new:not([hidden])")
        # the map header's count comes from count(*), not from a capped list
        assert page.locator("#alerts-new").inner_text().strip() == f"· {new_count} nuevas"

        page.goto(base + "/alertas", wait_until="load")
        first = _ids(page)
        assert first == expected[:25]
        assert page.locator(".count").inner_text() == \
            f"{len(expected)} alertas · se muestran de la 1 a la 25"
        assert page.locator("#alerts-new").inner_text().strip() == f"· {new_count} nuevas"
        assert page.locator("#newer").count() == 0
        card = page.locator(f"li.card[data-alert='{stamped}']")
        text = card.locator(".deadline").inner_text()
        assert "Plazo de respuesta: 2026-05-01" in text and "vencido hace" in text
        assert "Presentar oposición al petitorio minero ante INGEMMET" in text
        assert "Cómputo: 60 días calendario desde la fecha del petitorio (02/03/2026)" in text
        assert "Referencia (orientativa): TUO de la Ley General de Minería" in text
        assert not {"calendar", "filing"} & set(text.split())  # labels, never codes
        box = card.locator(".deadline").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= \
            SIZES[size]["width"]
        no_sideways_scroll(page)
        card.scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / f"alertas-{size}-deadline.png"))
        page.screenshot(path=str(output_dir / f"alertas-{size}-page1.png"), full_page=True)

        page.locator("#older").click()
        page.wait_for_url("**offset=25**")
        second = _ids(page)
        assert second == expected[25:50] and not set(first) & set(second)
        assert page.locator(".count").inner_text() == \
            f"{len(expected)} alertas · se muestran de la 26 a la 50"
        # the sample's own (older) alerts follow on later pages
        assert page.locator("#older").count() == (1 if len(expected) > 50 else 0)
        page.locator("#older, #newer").first.scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / f"alertas-{size}-page2.png"), full_page=True)
        page.locator("#newer").click()
        page.wait_for_url("**offset=0**")
        assert _ids(page) == first
        # the open window is in "Mis plazos" too, as a cadastre alert's deadline
        page.goto(base + "/plazos", wait_until="load")
        with engine.connect() as conn:
            open_id, open_due = conn.execute(sa.text(
                "SELECT id, response_due FROM alert WHERE code = '010000014' "
                "AND community_id = 'HF-002'")).one()
        item = page.locator(f"#deadlines li.card[data-alert='{open_id}']")
        shown = item.inner_text()
        assert open_due.isoformat() in shown and "en 20 días" in shown
        assert "Alerta del catastro: Nuevo derecho minero 010000014" in shown
        assert "Para: Presentar oposición al petitorio minero ante INGEMMET" in shown
        assert "Referencia (orientativa): TUO de la Ley General de Minería" in shown
        # the closed window (2026-05-01, before the alert was raised) stays off the agenda
        assert page.locator(f"#deadlines li.card[data-alert='{stamped}']").count() == 0
        no_sideways_scroll(page)
        item.scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / f"plazos-{size}-alert-deadline.png"))
        # English, same page size and the deadline in English
        page.goto(base + "/alertas?lang=en", wait_until="load")
        en = page.locator(f"li.card[data-alert='{stamped}'] .deadline").inner_text()
        assert "Response deadline: 2026-05-01" in en and "60 calendar days" in en
        assert page.locator("#older").inner_text() == "Older →"
        assert not errors, errors
    finally:
        context.close()
