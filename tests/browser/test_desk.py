"""The lawyer's desk in a real browser: an editor signs in with the form, opens a community,
adds the consultation clause to its statute in the edit form, sees "recalculando…" and then
the statute flag gone, with no command run; a second, stale form is refused without loss.
At phone size (390×844) and on a desktop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from layers import edits, jobs, users
from tests.browser.helpers import SIZES, open_page, submit_sign_in
from tests.maps_world import LiveServer, MapWorld, live_server, map_world_fixture

pytestmark = pytest.mark.browser

RULE = "PE-EST-CONS"  # statute without consultation-representation clause
EDITOR, PASSWORD = "abogada-escritorio", "clave-de-prueba-larga"


@pytest.fixture(scope="module")
def desk_world(settings: Any) -> Iterator[MapWorld]:
    """Its own analysed database: these tests change records and flags."""
    for world in map_world_fixture(settings, "desk"):
        with world.engine.begin() as conn:
            users.create_user(conn, EDITOR, "editor")
            users.set_password(conn, EDITOR, PASSWORD)
        yield world


@pytest.fixture(scope="module")
def desk_server(desk_world: MapWorld) -> Iterator[LiveServer]:
    yield from live_server(desk_world)


def _flagged(engine: sa.Engine) -> list[tuple[str, str]]:
    """Public communities carrying the statute flag now: (id, name)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT DISTINCT c.id, c.name FROM flag f JOIN community c ON c.id = f.community_id "
            "AND c.valid_to IS NULL WHERE f.valid_to IS NULL AND f.rule_id = :r "
            "AND c.sensitivity = 'public' ORDER BY c.id"), {"r": RULE}).all()
    return [(str(r[0]), str(r[1])) for r in rows]


def _current(engine: sa.Engine, cid: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT vid, clause_consultation, registry_entry, procedure_stage, change_note, "
            "recorded_by FROM community WHERE id = :id AND valid_to IS NULL"), {"id": cid})
        return dict(row.mappings().one())


def _flags(engine: sa.Engine, cid: str) -> set[str]:
    with engine.connect() as conn:
        return {str(r[0]) for r in conn.execute(sa.text(
            "SELECT rule_id FROM flag WHERE community_id = :id AND valid_to IS NULL"),
            {"id": cid})}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_editor_fixes_statute_and_flag_follows(size: str, browser: Any,
                                               desk_world: MapWorld, desk_server: LiveServer,
                                               output_dir: Path) -> None:
    engine = desk_world.engine
    flagged = _flagged(engine)
    assert len(flagged) >= 2, flagged
    cid, name = flagged[sorted(SIZES).index(size)]
    context, page, errors = open_page(browser, size)
    try:
        # sign in through the form (Spanish by default)
        page.goto(desk_server.base_url + "/", wait_until="load")
        page.locator("#sign-in-link").click()
        page.wait_for_selector("#signin-form")
        assert page.locator("h1").inner_text() == "Iniciar sesión en Allpa"
        page.screenshot(path=str(output_dir / f"desk-{size}-signin.png"))
        submit_sign_in(page, EDITOR, PASSWORD)
        page.wait_for_selector("body[data-desk-ready='1'] #session-user")
        assert EDITOR in page.locator("#session-user").inner_text()
        cookie = next(c for c in context.cookies() if c["name"] == "allpa_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("document.cookie").find("allpa_session") < 0

        # open the community through the search, as a person would
        page.fill("#search-input", name)
        page.locator(f"#search-results li[data-id='{cid}']").click()
        page.wait_for_selector("#panel:not([hidden]) #panel-name")
        assert page.locator(f"#panel .flag:has-text('{RULE}')").count() == 1

        # the form: add the consultation clause, with a change note
        page.locator("#desk-edit").click()
        page.wait_for_selector("#edit-form")
        assert page.locator("#f-clause_consultation").input_value() in ("", "false")
        page.select_option("#f-clause_consultation", "true")
        page.fill("#f-change_note", "Asamblea aprobó la cláusula de consulta (acta 12)")
        page.screenshot(path=str(output_dir / f"desk-{size}-form.png"))
        # the analysis is held back a moment, so "recalculando…" can be seen for sure
        with engine.connect() as blocker:
            blocker.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": jobs.ANALYSIS_LOCK})
            page.locator("#edit-save").click()
            page.wait_for_selector("#edit-saved")
            page.wait_for_selector("#panel-recalc")
            assert page.locator("#panel-recalc").inner_text() == "recalculando…"
            assert page.locator("#panel .flag").count() == 0  # no flag beside the new record
            page.screenshot(path=str(output_dir / f"desk-{size}-recalculating.png"))
            blocker.execute(sa.text("SELECT pg_advisory_unlock(:k)"),
                            {"k": jobs.ANALYSIS_LOCK})
            blocker.commit()
        # no command run: the service's worker recalculates, the panel follows
        page.wait_for_selector("#panel-recalc", state="detached", timeout=30000)
        page.wait_for_selector("#panel-flags")
        assert page.locator(f"#panel .flag:has-text('{RULE}')").count() == 0
        assert "consulta sí" in page.locator("#panel-body").inner_text()
        assert RULE not in _flags(engine, cid)
        saved = _current(engine, cid)
        assert saved["clause_consultation"] is True and saved["recorded_by"] == EDITOR
        assert saved["change_note"] == "Asamblea aprobó la cláusula de consulta (acta 12)"
        page.screenshot(path=str(output_dir / f"desk-{size}-flag-gone.png"))

        # a stale form: someone else saves while this form is open
        page.locator("#desk-edit").click()
        page.wait_for_selector("#edit-form")
        with engine.begin() as conn:
            other = users.Principal(name="otra-abogada", role="editor")
            edits.edit_community(conn, cid, {"registry_entry": "P-99887766"},
                                 expected_vid=saved["vid"], principal=other,
                                 change_note="Partida corregida")
        theirs = _current(engine, cid)
        page.fill("#f-procedure_stage", "Calificación registral")
        page.fill("#f-change_note", "Etapa actualizada")
        page.locator("#edit-save").click()
        page.wait_for_selector("#edit-stale")
        stale = page.locator("#edit-stale").inner_text()
        assert "Otra persona cambió esta ficha" in stale and "No se guardó nada" in stale
        assert f"versión {theirs['vid']}" in stale and "P-99887766" in stale
        # what this person typed is not lost: listed, and the note is kept
        assert "Etapa: Calificación registral" in page.locator("#edit-unsaved").inner_text()
        assert page.locator("#f-change_note").input_value() == "Etapa actualizada"
        # the form now holds the current version; nothing was overwritten
        assert page.locator("#edit-form").get_attribute("data-vid") == str(theirs["vid"])
        assert page.locator("#f-registry_entry").input_value() == "P-99887766"
        assert _current(engine, cid) == theirs
        page.locator("#edit-stale").scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / f"desk-{size}-stale.png"))

        # the history: who, when, what changed
        page.locator("#desk-cancel, #edit-cancel").first.click()
        page.locator("#desk-history").click()
        page.wait_for_selector("#history li[data-vid]")
        history = page.locator("#history").inner_text()
        assert "otra-abogada" in history and EDITOR in history
        assert "Partida registral: " in history and " → P-99887766" in history
        assert "Cláusula de representación en consulta previa" in history
        page.locator("#history").scroll_into_view_if_needed()
        page.screenshot(path=str(output_dir / f"desk-{size}-history.png"))
        # nothing sticks out sideways at this size
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]

        # sign out: the session ends on the server, the map is public again
        page.locator("#sign-out").click()
        page.wait_for_selector("#sign-in-link")
        assert not [c for c in context.cookies() if c["name"] == "allpa_session"]
        # the only console error allowed: the browser's report of the refused (409) save
        unexpected = [e for e in errors if "409" not in e]
        assert not unexpected, unexpected
        assert len(errors) <= 1, errors
    finally:
        context.close()
