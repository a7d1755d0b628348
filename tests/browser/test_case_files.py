"""A case's file in a real browser: an editor signs in, opens a flagged community, clicks
"abrir trámite" on a flag, fills the intake form and saves; the flag then names the case
that addresses it. The editor attaches a PDF, sees it listed (name, version, date, who,
size, SHA-256), uploads a second version and sees both; an anonymous visitor gets no case
button at all. At phone size (390×844) and on a desktop."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from geo.rule_files import load_rules
from layers import users
from tests.browser.helpers import SIZES, no_sideways_scroll, open_page, sign_in
from tests.maps_world import LiveServer, MapWorld, live_server, map_world_fixture

pytestmark = pytest.mark.browser

EDITOR, PASSWORD = "abogada-expedientes", "clave-de-prueba-larga"


@pytest.fixture(scope="module")
def files_world(settings: Any) -> Iterator[MapWorld]:
    for world in map_world_fixture(settings, "casefiles"):
        with world.engine.begin() as conn:
            users.create_user(conn, EDITOR, "editor")
            users.set_password(conn, EDITOR, PASSWORD)
        yield world


@pytest.fixture(scope="module")
def files_server(files_world: MapWorld) -> Iterator[LiveServer]:
    yield from live_server(files_world)


def _flags_without_case(engine: sa.Engine) -> list[tuple[str, str, str]]:
    """(community id, name, rule) of public communities' flags no current case addresses,
    one per community."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("""
            SELECT id, name, rule_id FROM (
              SELECT DISTINCT ON (c.id) c.id, c.name, f.rule_id,
                     EXISTS (SELECT 1 FROM alert a WHERE a.community_id = c.id) AS alerted
              FROM flag f
              JOIN community c ON c.id = f.community_id AND c.valid_to IS NULL
               AND c.sensitivity = 'public'
              WHERE f.valid_to IS NULL AND NOT EXISTS (
                  SELECT 1 FROM legal_case k WHERE k.valid_to IS NULL
                     AND k.community_id = c.id AND k.rule_id = f.rule_id)
              ORDER BY c.id, f.rank, f.rule_id) x
            ORDER BY alerted DESC, id""")).all()
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def _pdf(text: str) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("size", sorted(SIZES))
def test_open_a_case_from_a_flag_and_attach_documents(
        size: str, browser: Any, files_world: MapWorld, files_server: LiveServer,
        output_dir: Path, tmp_path: Path) -> None:
    engine, base = files_world.engine, files_server.base_url
    candidates = _flags_without_case(engine)
    assert len(candidates) >= 2, candidates
    cid, name, rule = candidates[sorted(SIZES).index(size)]
    case_types = {r.id: r.case_type for c in ("PE", "BO") for r in load_rules(c)}
    expected_type = case_types[rule]
    assert expected_type
    context, page, errors = open_page(browser, size)
    try:
        # anonymous: the flag is there, no case button, no case section
        page.goto(base + f"/?community={cid}", wait_until="load")
        page.wait_for_selector(f"#panel:not([hidden]) .flag[data-rule='{rule}']")
        assert page.locator(".open-case, #panel-cases, .flag-case").count() == 0

        # the editor signs in and opens the community through the search
        sign_in(page, base, EDITOR, PASSWORD, ready="body[data-cases-ready='1'] #session-user")
        page.fill("#search-input", name)
        page.locator(f"#search-results li[data-id='{cid}']").click()
        flag = page.locator(f"#panel .flag[data-rule='{rule}']")
        flag.locator("button.open-case").wait_for()
        flag.locator("button.open-case").click()

        # the intake form, prefilled with the case type the rule file maps the flag to
        page.wait_for_selector("#intake-form")
        assert page.locator("#c-type").input_value() == expected_type
        assert rule in page.locator("#c-rule").inner_text()
        page.fill("#c-intake_who", "Rosa Mamani (ficticia)")
        page.fill("#c-intake_role", "Secretaria de la junta")
        page.fill("#c-intake_contact", "951 000 222")
        page.select_option("#c-intake_channel", "asamblea")
        page.fill("#c-intake_need", "Necesitamos saber qué hacer antes de la consulta")
        page.fill("#c-first_due", "2031-05-06")
        page.fill("#c-first_what", "Presentar el pedido a la autoridad")
        page.locator("#c-intake_need").evaluate("e => e.scrollIntoView({block: 'center'})")
        page.screenshot(path=str(output_dir / f"casefiles-{size}-intake.png"))
        page.locator("#case-save").click()
        page.wait_for_selector("#case-saved")
        with engine.connect() as conn:
            case = dict(conn.execute(sa.text(
                "SELECT id, type, stage, rule_id, intake_who, intake_role, intake_channel, "
                "recorded_by FROM legal_case WHERE valid_to IS NULL AND community_id = :c "
                "AND rule_id = :r"), {"c": cid, "r": rule}).mappings().one())
            due = conn.execute(sa.text("SELECT due, what FROM case_deadline WHERE case_id = "
                                       ":i"), {"i": case["id"]}).one()
        assert case["type"] == expected_type and case["recorded_by"] == EDITOR
        assert case["intake_channel"] == "asamblea" and case["intake_role"] == \
            "Secretaria de la junta"
        assert str(due[0]) == "2031-05-06" and due[1] == "Presentar el pedido a la autoridad"
        # the flag now names the case that addresses it
        flag = page.locator(f"#panel .flag[data-rule='{rule}']")
        shown = flag.locator(".case-open").inner_text()
        assert shown.startswith(f"Trámite abierto: {case['id']}")
        assert "etapa: Solicitud recibida" in shown
        assert flag.locator("button.open-case").count() == 0
        assert "Secretaria de la junta" in page.locator("#case-intake").inner_text()
        assert "2031-05-06" in page.locator("#deadline-list").inner_text()
        flag.locator(".flag-case").evaluate("e => e.scrollIntoView({block: 'center'})")
        no_sideways_scroll(page)
        page.screenshot(path=str(output_dir / f"casefiles-{size}-flag-case.png"))

        # the case moves on: a new version of it, and the flag shows the new stage
        page.locator("#case-edit").click()
        page.select_option("#e-stage", "preparation")
        page.fill("#e-authority", "SUNARP (ficticia)")
        page.fill("#e-change_note", "Se reunió la documentación")
        page.locator("#case-edit-save").click()
        page.wait_for_selector("#case-saved:has-text('Trámite guardado.')")
        flag = page.locator(f"#panel .flag[data-rule='{rule}']")
        assert "etapa: En preparación" in flag.locator(".case-open").inner_text()
        with engine.connect() as conn:
            stages = [tuple(r) for r in conn.execute(sa.text(
                "SELECT stage, authority, change_note FROM legal_case WHERE id = :i "
                "ORDER BY vid"), {"i": case["id"]})]
        assert stages == [("intake", None, None),
                          ("preparation", "SUNARP (ficticia)", "Se reunió la documentación")]
        # attach a document, then a second version: both listed, nothing replaced
        first, second = tmp_path / "Acta de asamblea.pdf", tmp_path / "acta-firmada.pdf"
        first.write_bytes(_pdf(f"Acta {size}"))
        second.write_bytes(_pdf(f"Acta firmada {size}"))
        page.set_input_files("#u-file", str(first))
        page.fill("#u-title", "Acta de asamblea")
        page.fill("#u-note", "borrador")
        page.locator("#u-submit").click()
        page.wait_for_selector("#document-list li.version")
        listed = page.locator("#document-list").inner_text()
        sha1 = hashlib.sha256(first.read_bytes()).hexdigest()
        assert "Acta de asamblea" in listed and "v1" in listed and EDITOR in listed
        assert f"sha256 {sha1[:12]}" in listed and "kB" in listed
        doc_id = page.locator("#document-list > li").first.get_attribute("data-document")
        page.set_input_files(f"#v{doc_id}-file", str(second))
        page.fill(f"#v{doc_id}-note", "firmada")
        page.locator(f"#v{doc_id}-submit").click()
        page.wait_for_selector("#document-list li.version[data-version='2']")
        versions = page.locator("#document-list li.version")
        assert versions.count() == 2
        sha2 = hashlib.sha256(second.read_bytes()).hexdigest()
        assert f"sha256 {sha2[:12]}" in versions.nth(0).inner_text()
        assert f"sha256 {sha1[:12]}" in versions.nth(1).inner_text()
        # the links download exactly the uploaded bytes (with the session cookie)
        href = versions.nth(1).locator("a").get_attribute("href")
        got = page.request.get(base + href)
        assert got.ok and got.body() == first.read_bytes()
        assert got.headers["etag"] == f'"{sha1}"'
        page.locator("#document-list").evaluate("e => e.scrollIntoView({block: 'start'})")
        no_sideways_scroll(page)
        page.screenshot(path=str(output_dir / f"casefiles-{size}-documents.png"))

        # /alertas: the editor links one of this community's alerts to the new case; the
        # alert then names the case, whose link opens it on the map
        with engine.connect() as conn:
            alert_id = conn.execute(sa.text("SELECT max(id) FROM alert WHERE community_id = "
                                            ":c"), {"c": cid}).scalar_one()
        assert alert_id is not None
        page.goto(base + f"/alertas?community={cid}", wait_until="load")
        card = page.locator(f"li.card[data-alert='{alert_id}']")
        assert "Ningún trámite la atiende aún." in card.inner_text()
        assert card.locator("a.open-case").get_attribute("href") == \
            f"/?lang=es&community={cid}&intake=alert:{alert_id}"
        card.locator("form.link-form select").select_option(case["id"])
        card.locator("form.link-form button").click()
        page.wait_for_selector(f"li.card[data-alert='{alert_id}'] a.case-link")
        card = page.locator(f"li.card[data-alert='{alert_id}']")
        assert case["id"] in card.locator(".alert-cases").inner_text()
        with engine.connect() as conn:
            linked = conn.execute(sa.text("SELECT alert_ids FROM legal_case WHERE id = :i AND "
                                          "valid_to IS NULL"), {"i": case["id"]}).scalar_one()
        assert linked == [str(alert_id)]
        card.screenshot(path=str(output_dir / f"casefiles-{size}-alert-linked.png"))
        no_sideways_scroll(page)
        # "Abrir trámite" from the alert: the intake form on the map, prefilled for the alert
        card.locator("a.open-case").click()
        page.wait_for_selector("#intake-form #c-alert")
        assert page.locator("#c-alert").inner_text() == f"Atiende la alerta {alert_id}"
        assert page.locator("#c-type").input_value() == "mining_opposition"
        assert page.locator("#c-intake_channel").input_value() == "alerta"
        page.fill("#c-intake_who", "Teniente gobernador (ficticio)")
        page.fill("#c-intake_need", "Saber si el nuevo derecho minero toca el ojo de agua")
        page.locator("#case-save").click()
        page.wait_for_selector("#case-saved")
        with engine.connect() as conn:
            from_alert = conn.execute(sa.text(
                "SELECT type, intake_channel FROM legal_case WHERE valid_to IS NULL AND "
                "community_id = :c AND :a = ANY(alert_ids) AND id <> :i"),
                {"c": cid, "a": str(alert_id), "i": case["id"]}).one()
        assert tuple(from_alert) == ("mining_opposition", "alerta")
        # /plazos: the case's deadline with its kind, linked to the case view on the map
        page.goto(base + "/plazos", wait_until="load")
        item = page.locator(f"#deadlines li.card[data-case='{case['id']}']")
        assert "Presentar el pedido a la autoridad · Plazo legal" in item.inner_text()
        item.locator("a.case-link").click()
        page.wait_for_selector(f"#case-view[data-case='{case['id']}']")
        assert str(alert_id) in page.locator("#case-intake").inner_text()
        assert not errors, errors
    finally:
        context.close()
