"""The desk pages in a real browser: "Mis plazos" (/plazos) lists the overdue deadline first
with its mark; /alertas lists alerts and an editor marks one "Vista", which stays after a
reload; the map header links both with the count of new alerts. Anonymous readers get a
sign-in prompt on /plazos and only public communities' alerts. At 390×844 and desktop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from layers import case_deadlines, cases, users
from tests.api.alert_fixtures import add_alerts
from tests.browser.helpers import SIZES, no_sideways_scroll, open_page, sign_in
from tests.maps_world import (
    RESTRICTED_ID,
    RESTRICTED_NAME,
    LiveServer,
    MapWorld,
    live_server,
    map_world_fixture,
)

pytestmark = pytest.mark.browser

EDITOR, PASSWORD = "abogada-plazos", "clave-de-prueba-larga"


@pytest.fixture(scope="module")
def pages_world(settings: Any) -> Iterator[MapWorld]:
    """Its own database: the test changes alert states. One alert per public sample community
    HF-001/HF-002 and one on the restricted community, which has an overdue case too."""
    for world in map_world_fixture(settings, "deskpages"):
        with world.engine.begin() as conn:
            users.create_user(conn, EDITOR, "editor")
            users.set_password(conn, EDITOR, PASSWORD)
            add_alerts(conn, {"HF-001": [], "HF-002": [], RESTRICTED_ID: []})
            editor = users.Principal(name=EDITOR, role="editor")
            cases.create_case(conn, {
                "id": "TR-RESERVADO", "community_id": RESTRICTED_ID, "type": "titling",
                "stage": "filed", "lawyer": "abogada"}, principal=editor)
            case_deadlines.add_deadline(conn, editor, "TR-RESERVADO",
                                        due=dt.date.today() - dt.timedelta(days=3),
                                        what="Responder al oficio")
        yield world


@pytest.fixture(scope="module")
def pages_server(pages_world: MapWorld) -> Iterator[LiveServer]:
    yield from live_server(pages_world)


def _state(engine: sa.Engine, alert_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.execute(sa.text("SELECT state FROM alert WHERE id = :i"),
                                {"i": alert_id}).scalar_one())


@pytest.mark.parametrize("size", sorted(SIZES))
def test_deadlines_and_alerts_pages(size: str, browser: Any, pages_world: MapWorld,
                                    pages_server: LiveServer, output_dir: Path) -> None:
    engine, base = pages_world.engine, pages_server.base_url
    with engine.connect() as conn:
        alert_ids = dict(conn.execute(sa.text(  # this test's own alerts (see add_alerts)
            "SELECT community_id, id FROM alert WHERE code = '010000777'")).all())
    target = alert_ids["HF-00" + str(sorted(SIZES).index(size) + 1)]
    context, page, errors = open_page(browser, size)
    try:
        # anonymous: /plazos is a sign-in prompt, never data; /alertas public alerts only
        answer = page.goto(base + "/plazos", wait_until="load")
        assert answer is not None and answer.status == 401
        assert "Inicie sesión" in page.locator("#refused").inner_text()
        assert page.locator("li.card").count() == 0
        assert "TR-MUESTRA" not in page.content() and "TR-RESERVADO" not in page.content()
        errors.clear()  # the browser reports the 401 document itself as a console error
        page.goto(base + "/alertas", wait_until="load")
        public = page.locator("#alerts").inner_text()
        assert "HF-001" in public and RESTRICTED_ID not in public
        assert RESTRICTED_NAME not in page.content()
        assert page.locator("form.state-form").count() == 0  # readers cannot change states
        hidden = page.request.get(base + f"/alertas?community={RESTRICTED_ID}")
        assert hidden.status == 404 and RESTRICTED_NAME not in hidden.text()

        # the editor signs in; the map header links both pages with the count of new alerts
        sign_in(page, base, EDITOR, PASSWORD)
        page.wait_for_selector("#alerts-new:not([hidden])")
        with engine.connect() as conn:  # editors see every community's alerts
            new_count = conn.execute(sa.text(
                "SELECT count(*) FROM alert WHERE state = 'nueva'")).scalar_one()
        assert page.locator("#alerts-new").inner_text().strip() == f"· {new_count} nuevas"
        assert page.locator("#deadlines-link").get_attribute("href") == "/plazos?lang=es"
        no_sideways_scroll(page)
        page.screenshot(path=str(output_dir / f"deskpages-{size}-map-header.png"))

        # Mis plazos: the overdue deadline first, marked in words and colour
        page.locator("#deadlines-link").click()
        page.wait_for_selector("#deadlines li.card")
        assert page.locator("h1").inner_text() == "Mis plazos"
        first = page.locator("#deadlines li.card").first
        assert "overdue" in (first.get_attribute("class") or "")
        first_text = first.inner_text()
        assert "vencido hace " in first_text and " días" in first_text
        assert RESTRICTED_ID in page.locator("#deadlines").inner_text()  # editors see it
        colour = first.locator(".mark").evaluate("e => getComputedStyle(e).color")
        assert colour == "rgb(176, 0, 32)"
        dates = [d for d in page.locator("#deadlines .date").all_inner_texts()]
        assert dates == sorted(dates) and dates[0] < dt.date.today().isoformat()
        assert "allpa users calendar-key" in page.locator(".calendar").inner_text()
        assert page.locator("form.filters a").inner_text() == "Quitar filtros"
        no_sideways_scroll(page)
        page.screenshot(path=str(output_dir / f"deskpages-{size}-plazos.png"), full_page=True)
        # the filter form keeps the CSV link on the same filters
        page.fill("input[name=lawyer]", "abogado2")
        page.locator("form.filters button").click()
        page.wait_for_selector("#agenda-csv")
        assert "TR-MUESTRA-01" not in page.locator("#deadlines").inner_text()
        assert "lawyer=abogado2" in (page.locator("#agenda-csv").get_attribute("href") or "")
        csv = page.request.get(base + page.locator("#agenda-csv").get_attribute("href"))
        assert csv.ok and "Plazo para oponerse" in csv.text() and "TR-MUESTRA-01" not in \
            csv.text()

        # alerts: newest first, labels not codes; mark one "Vista", it persists after reload
        page.goto(base + "/alertas", wait_until="load")
        listed = page.locator("#alerts").inner_text()
        assert RESTRICTED_ID in listed and "Nuevo derecho minero" in listed
        assert "Nueva" in listed and "nueva" not in listed.replace("Nueva", "")
        card = page.locator(f"li.card[data-alert='{target}']")
        card.locator("form.state-form select").select_option("vista")
        card.locator("form.state-form button").click()
        page.wait_for_selector(f"li.card[data-alert='{target}'][data-saved='vista']")
        assert card.locator("form.state-form .status").inner_text() == "Estado guardado."
        assert _state(engine, target) == "vista"
        page.reload(wait_until="load")
        card = page.locator(f"li.card[data-alert='{target}']")
        assert card.locator(".state-label").inner_text() == "Vista"
        assert card.locator("form.state-form select").input_value() == "vista"
        no_sideways_scroll(page)
        page.screenshot(path=str(output_dir / f"deskpages-{size}-alertas.png"), full_page=True)
        page.goto(base + "/alertas?lang=en&state=vista", wait_until="load")
        assert page.locator("h1").inner_text() == "Mining cadastre alerts"
        assert "Seen" in page.locator(f"li.card[data-alert='{target}']").inner_text()
        assert not errors, errors
    finally:
        context.close()
