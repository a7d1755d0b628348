"""A case's file on the API test database: documents (upload, versions, download with the
SHA-256 as ETag, bytes stored once, never deleted, size and type refused in two languages,
editors only), several deadlines per case in the agenda (JSON, CSV, iCalendar parsed with
``icalendar``), the rule → case type of a flag and the cases answering an alert."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import uuid
import zipfile
from urllib.parse import unquote

import icalendar
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from layers import calendar_keys
from layers.config import load_settings
from tests.api.conftest import ApiWorld, auth
from tests.api.session_util import csrf_of, sign_in


def _pdf(text: str) -> bytes:
    """A small real PDF (its text makes each one's bytes, hence its SHA-256, unique)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (120, 60, 20)).save(out, format="PNG")
    return out.getvalue()


def _docx(macro: bool = False) -> bytes:
    out = io.BytesIO()
    main = ("application/vnd.ms-word.document.macroEnabled.main+xml" if macro else
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml",
                   f'<?xml version="1.0"?><Types><Override PartName="/word/document.xml" '
                   f'ContentType="{main}"/></Types>')
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def _case(client: TestClient, world: ApiWorld, **extra: object) -> str:
    body = {"community_id": "HF-001", "type": "titling", "lawyer": "abogada",
            "id": f"TR-F-{uuid.uuid4().hex[:8]}", **extra}
    r = client.post("/api/cases", json=body, headers=auth(world, "editor"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _upload(client: TestClient, url: str, name: str, data: bytes, headers: dict[str, str],
            **fields: str) -> object:
    return client.post(url, files={"file": (name, data, "application/octet-stream")},
                       data=fields, headers=headers)


def test_upload_versions_download_and_nothing_is_deleted(client: TestClient,
                                                         api_world: ApiWorld) -> None:
    editor, admin = auth(api_world, "editor"), auth(api_world, "admin")
    case_id = _case(client, api_world)
    first, second = _pdf(f"Acta {case_id} v1"), _pdf(f"Acta {case_id} v2")
    r = _upload(client, f"/api/cases/{case_id}/documents", "Acta de asamblea.pdf", first,
                editor, title="Acta de asamblea", note="firmada por la junta")
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["title"] == "Acta de asamblea" and doc["case_id"] == case_id
    v1 = doc["latest"]
    assert v1["version"] == 1 and v1["sha256"] == hashlib.sha256(first).hexdigest()
    assert v1["size_bytes"] == len(first) and v1["media_type"] == "application/pdf"
    assert v1["uploaded_by"] == "abogada" and v1["note"] == "firmada por la junta"
    url = f"/api/cases/{case_id}/documents/{doc['id']}"
    r2 = _upload(client, f"{url}/versions", "acta-corregida.pdf", second, admin,
                 note="corregida")
    assert r2.status_code == 201, r2.text
    versions = r2.json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["uploaded_by"] == "admin" and versions[1]["sha256"] == v1["sha256"]
    listed = client.get(f"/api/cases/{case_id}/documents", headers=editor).json()
    assert [d["id"] for d in listed["items"]] == [doc["id"]]
    assert len(listed["items"][0]["versions"]) == 2
    # download: the latest by default, any version on request, ETag = SHA-256
    latest = client.get(f"{url}/file", headers=editor)
    assert latest.status_code == 200 and latest.content == second
    assert latest.headers["content-type"] == "application/pdf"
    assert latest.headers["etag"] == f'"{hashlib.sha256(second).hexdigest()}"'
    disposition = latest.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "acta-corregida.pdf"
    old = client.get(f"{url}/file?version=1", headers=editor)
    assert old.content == first and old.headers["etag"] == f'"{v1["sha256"]}"'
    assert "Acta_de_asamblea.pdf" in old.headers["content-disposition"]
    same = client.get(f"{url}/file?version=1",
                      headers={**editor, "If-None-Match": old.headers["etag"]})
    assert same.status_code == 304 and not same.content
    assert client.get(f"{url}/file?version=3", headers=editor).status_code == 404
    # the same bytes attached to another case are stored once
    other = _case(client, api_world)
    again = _upload(client, f"/api/cases/{other}/documents", "copia.pdf", first, editor)
    assert again.status_code == 201 and again.json()["latest"]["sha256"] == v1["sha256"]
    with api_world.engine.connect() as conn:
        blobs = conn.execute(sa.text("SELECT count(*) FROM document_blob WHERE sha256 = :s"),
                             {"s": v1["sha256"]}).scalar_one()
    assert blobs == 1
    # nothing is ever deleted or rewritten, not even by SQL
    for statement in ("DELETE FROM case_document_version WHERE document_id = :d",
                      "DELETE FROM case_document WHERE id = :d",
                      "UPDATE case_document_version SET note = 'x' WHERE document_id = :d",
                      "DELETE FROM document_blob WHERE sha256 = :s",
                      "UPDATE document_blob SET content = '' WHERE sha256 = :s"):
        with pytest.raises(sa.exc.DBAPIError, match="historial no se borra"), \
                api_world.engine.begin() as conn:
            conn.execute(sa.text(statement), {"d": doc["id"], "s": v1["sha256"]})
    assert client.get(f"{url}/file?version=1", headers=editor).content == first


@pytest.mark.parametrize(("name", "maker"), [("foto.png", _png), ("escrito.docx", _docx),
                                             ("informe.odt", _odt)])
def test_images_and_office_documents_are_accepted(name: str, maker: object,
                                                  client: TestClient,
                                                  api_world: ApiWorld) -> None:
    data = maker()  # type: ignore[operator]
    case_id = _case(client, api_world)
    r = _upload(client, f"/api/cases/{case_id}/documents", name, data,
                auth(api_world, "editor"))
    assert r.status_code == 201, r.text
    got = client.get(f"/api/cases/{case_id}/documents/{r.json()['id']}/file",
                     headers=auth(api_world, "editor"))
    assert got.content == data
    expected = {".png": "image/png", ".odt": "application/vnd.oasis.opendocument.text",
                ".docx": "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document"}[name[name.rindex("."):]]
    assert got.headers["content-type"] == expected


@pytest.mark.parametrize(("name", "data", "words"), [
    ("programa.exe", b"MZ\x90\x00" + b"\x00" * 60, "no es de un tipo aceptado"),
    ("notas.txt", b"Texto plano", "no es de un tipo aceptado"),
    ("foto.pdf", None, "termina en «.pdf» pero es imagen PNG"),
    ("macro.docx", b"macro", "con macros"),
    ("vacio.pdf", b"", "está vacío"),
])
def test_other_types_are_refused_in_two_languages(name: str, data: bytes | None, words: str,
                                                  client: TestClient,
                                                  api_world: ApiWorld) -> None:
    payload = _png() if data is None else _docx(macro=True) if data == b"macro" else data
    case_id = _case(client, api_world)
    r = _upload(client, f"/api/cases/{case_id}/documents", name, payload,
                auth(api_world, "editor"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "unsupported_document"
    assert words in body["message_es"] and "PDF" in body["message_es"]
    assert "Accepted" in body["message_en"] and "Se aceptan" not in body["message_en"]
    with api_world.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM case_document WHERE case_id = :c"),
                            {"c": case_id}).scalar_one() == 0


def test_a_document_over_the_size_limit_is_refused(api_world: ApiWorld) -> None:
    settings = load_settings(database_url=api_world.url, worker=False,
                             case_document_max_mb=0.05)
    limit = int(0.05 * 1024 * 1024)
    with TestClient(create_app(settings)) as small:
        case_id = _case(small, api_world)
        big = b"%PDF-1.4\n" + b"0" * (limit + 1)
        r = _upload(small, f"/api/cases/{case_id}/documents", "grande.pdf", big,
                    auth(api_world, "editor"))
        assert r.status_code == 413, r.text
        assert "0.05 MB" in r.json()["message_es"] and r.json()["message_en"]
        fits = _upload(small, f"/api/cases/{case_id}/documents", "cabe.pdf",
                       b"%PDF-1.4\n" + b"0" * (limit - 20), auth(api_world, "editor"))
        assert fits.status_code == 201, fits.text
        assert small.get(f"/api/cases/{case_id}/documents", headers=auth(api_world, "editor")
                         ).json()["max_bytes"] == limit


@pytest.mark.parametrize("role", ["public", "network"])
def test_documents_and_deadlines_are_for_editors_only(role: str, client: TestClient,
                                                      api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    case_id = _case(client, api_world)
    doc = _upload(client, f"/api/cases/{case_id}/documents", "secreto.pdf",
                  _pdf(f"Reservado {case_id}"), editor).json()
    headers = auth(api_world, role)
    status = 401 if role == "public" else 403
    base = f"/api/cases/{case_id}"
    for path in (f"{base}/documents", f"{base}/documents/{doc['id']}",
                 f"{base}/documents/{doc['id']}/file", f"{base}/documents/{doc['id']}/file"
                 "?version=1", f"{base}/deadlines"):
        r = client.get(path, headers=headers)
        assert r.status_code == status, (path, r.text)
        assert doc["latest"]["sha256"] not in r.text and "secreto" not in r.text
        assert r.json()["message_es"] and r.json()["message_en"]
    assert _upload(client, f"{base}/documents", "x.pdf", _pdf("x"), headers
                   ).status_code == status
    assert client.post(f"{base}/deadlines", json={"due": "2031-01-01", "what": "x"},
                       headers=headers).status_code == status
    panel = client.get("/map/panel/HF-001.json", headers=headers).json()
    assert all("case" not in f and "case_type" not in f for f in panel["flags"])
    alerts = client.get("/api/alerts", headers=headers).json()["alerts"]
    assert all("cases" not in a for a in alerts)


def test_cookie_upload_needs_the_session_csrf_token(client: TestClient,
                                                   api_world: ApiWorld) -> None:
    from layers import users

    with api_world.engine.begin() as conn:
        users.set_password(conn, "abogada", "clave-de-documentos-1")
    browser = TestClient(client.app)
    assert sign_in(browser, "abogada", "clave-de-documentos-1")[0] == 303
    case_id = _case(client, api_world)
    url = f"/api/cases/{case_id}/documents"
    refused = _upload(browser, url, "a.pdf", _pdf("csrf"), {})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    accepted = _upload(browser, url, "a.pdf", _pdf("csrf"), {"X-CSRF-Token": csrf_of(browser)})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["latest"]["uploaded_by"] == "abogada"


def _ics(text: str) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_several_deadlines_of_a_case_in_the_agenda(client: TestClient,
                                                   api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    today = dt.date.today()
    case_id = _case(client, api_world, lawyer="abogada-plazos", deadlines=[
        {"due": (today - dt.timedelta(days=4)).isoformat(), "what": "Subsanar observación",
         "kind": "authority"},
        {"due": (today + dt.timedelta(days=10)).isoformat(), "what": "Reunión con la junta",
         "kind": "internal"}])
    third = client.post(f"/api/cases/{case_id}/deadlines", headers=editor, json={
        "due": (today + dt.timedelta(days=30)).isoformat(), "what": "Plazo legal de apelación",
        "kind": "legal"})
    assert third.status_code == 201, third.text
    mine = client.get("/api/agenda?lawyer=abogada-plazos", headers=editor).json()["items"]
    assert [(i["deadline_what"], i["overdue"]) for i in mine] == [
        ("Subsanar observación", True), ("Reunión con la junta", False),
        ("Plazo legal de apelación", False)]
    assert mine[0]["days_overdue"] == 4 and mine[0]["kind_label"] == "Plazo de la autoridad"
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/api/agenda?lawyer=abogada-plazos&format=csv", headers=editor).text)))
    assert [r["para_que"] for r in rows] == [i["deadline_what"] for i in mine]
    assert [r["vencido"] for r in rows] == ["sí", "no", "no"]
    assert rows[1]["tipo_de_plazo"] == "Plazo interno"
    # done: it leaves the agenda, the case keeps it with who and when
    done = client.patch(f"/api/cases/{case_id}/deadlines/{mine[1]['deadline_id']}",
                        json={"state": "done", "note": "reunión hecha"}, headers=editor)
    assert done.status_code == 200 and done.json()["closed_by"] == "abogada"
    again = client.patch(f"/api/cases/{case_id}/deadlines/{mine[1]['deadline_id']}",
                         json={"state": "cancelled"}, headers=editor)
    assert again.status_code == 409
    left = client.get("/api/agenda?lawyer=abogada-plazos", headers=editor).json()["items"]
    assert [i["deadline_id"] for i in left] == [mine[0]["deadline_id"], mine[2]["deadline_id"]]
    kept = client.get(f"/api/cases/{case_id}/deadlines", headers=editor).json()["items"]
    assert {d["id"]: d["state"] for d in kept} == {mine[0]["deadline_id"]: "open",
                                                   mine[1]["deadline_id"]: "done",
                                                   mine[2]["deadline_id"]: "open"}
    assert next(d for d in kept if d["state"] == "done")["close_note"] == "reunión hecha"
    with pytest.raises(sa.exc.DBAPIError, match="historial no se borra"), \
            api_world.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM case_deadline WHERE case_id = :c"), {"c": case_id})
    # the calendar: one event per open deadline, the overdue one marked
    with api_world.engine.begin() as conn:
        calendar_keys.issue_calendar_key(conn, "abogada")
        key = calendar_keys.issue_calendar_key(conn, "abogada")
    events = [e for e in _ics(client.get(f"/api/agenda.ics?key={key}&all=true").text)
              if str(e["UID"]).startswith(f"{case_id}-plazo")]
    assert sorted((e.decoded("DTSTART"), str(e["SUMMARY"]).startswith("VENCIDO"))
                  for e in events) == [(today - dt.timedelta(days=4), True),
                                       (today + dt.timedelta(days=30), False)]
    assert len({str(e["UID"]) for e in events}) == 2
    # a closed case's deadlines leave the agenda
    etag = client.get(f"/api/cases/{case_id}", headers=editor).headers["ETag"]
    assert client.patch(f"/api/cases/{case_id}", json={"stage": "closed"},
                        headers={**editor, "If-Match": etag}).status_code == 200
    assert client.get("/api/agenda?lawyer=abogada-plazos", headers=editor).json()["items"] == []


def test_intake_record_flag_case_type_and_alert_link(client: TestClient,
                                                     api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    with api_world.engine.connect() as conn:
        alert_id = conn.execute(sa.text(
            "SELECT min(id) FROM alert WHERE community_id = 'HF-001'")).scalar_one()
        foreign = conn.execute(sa.text(
            "SELECT min(id) FROM alert WHERE community_id <> 'HF-001'")).scalar_one()
    case_id = _case(client, api_world, type="mining_opposition", intake_who="Rosa Quispe",
                    intake_role="Presidenta", intake_contact="951 000 111",
                    intake_channel="telefono", intake_date="2026-11-20",
                    intake_need="Que no entren a la laguna sin permiso de la asamblea")
    case = client.get(f"/api/cases/{case_id}", headers=editor).json()
    assert case["intake_channel_label"] == "Teléfono" and case["intake_role"] == "Presidenta"
    bad = client.post("/api/cases", headers=editor, json={
        "community_id": "HF-001", "type": "titling", "intake_channel": "paloma"})
    assert bad.status_code == 422
    linked = client.post(f"/api/cases/{case_id}/alerts", json={"alert_id": alert_id},
                         headers=editor)
    assert linked.status_code == 200 and linked.json()["changed"], linked.text
    assert client.post(f"/api/cases/{case_id}/alerts", json={"alert_id": foreign},
                       headers=editor).status_code == 422
    etag = client.get(f"/api/cases/{case_id}", headers=editor).headers["ETag"]
    sneaky = client.patch(f"/api/cases/{case_id}", json={"alert_ids": [str(foreign)]},
                          headers={**editor, "If-Match": etag})
    assert sneaky.status_code == 422 and "otra comunidad" in sneaky.json()["message_es"]
    assert client.post("/api/cases", headers=editor, json={
        "community_id": "HF-001", "type": "titling", "alert_ids": ["999999999"]}
    ).status_code == 422
    history = client.get(f"/api/cases/{case_id}/history", headers=editor).json()["versions"]
    assert history[-1]["alert_ids"] == [str(alert_id)] and history[0]["alert_ids"] == []
    listed = client.get("/api/alerts?community=HF-001", headers=editor).json()["alerts"]
    answered = next(a for a in listed if a["id"] == alert_id)
    assert {c["id"] for c in answered["cases"]} >= {case_id}
    assert next(c for c in answered["cases"] if c["id"] == case_id)["type_label"] == \
        "Oposición a un petitorio minero"
    # the panel says which case type a flag's rule asks for (rule files: case_type)
    from geo.rule_files import load_rules

    types = {r.id: r.case_type for r in load_rules("PE")}
    panel = client.get("/map/panel/HF-001.json", headers=editor).json()
    for flag in panel["flags"]:
        assert flag["case_type"] == types.get(flag["rule_id"])


def test_cli_attach_list_download_and_deadlines(api_world: ApiWorld, client: TestClient,
                                                tmp_path: object,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from typer.testing import CliRunner

    from api.cli.main import app

    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    runner = CliRunner()
    case_id = _case(client, api_world)
    folder = Path(str(tmp_path))
    (folder / "oficio.pdf").write_bytes(_pdf(f"Oficio {case_id}"))
    (folder / "oficio-2.pdf").write_bytes(_pdf(f"Oficio {case_id} v2"))
    (folder / "virus.exe").write_bytes(b"MZ" + b"\x00" * 100)
    done = runner.invoke(app, ["cases", "attach", case_id, str(folder / "oficio.pdf"),
                               "--note", "recibido en mesa de partes", "--by", "abogada"])
    assert done.exit_code == 0, done.output
    digest = hashlib.sha256((folder / "oficio.pdf").read_bytes()).hexdigest()
    assert "versión 1" in done.output and digest in done.output
    doc_id = client.get(f"/api/cases/{case_id}/documents", headers=auth(api_world, "editor")
                        ).json()["items"][0]["id"]
    v2 = runner.invoke(app, ["cases", "attach", case_id, str(folder / "oficio-2.pdf"),
                             "--document", str(doc_id), "--note", "con sello"])
    assert v2.exit_code == 0 and "versión 2" in v2.output, v2.output
    refused = runner.invoke(app, ["cases", "attach", case_id, str(folder / "virus.exe")])
    assert refused.exit_code == 2 and "Se aceptan" in refused.output
    listed = runner.invoke(app, ["cases", "documents", case_id])
    assert listed.exit_code == 0, listed.output
    assert digest[:12] in listed.output and "recibido en mesa de partes" in listed.output
    assert "abogada" in listed.output and "con sello" in listed.output
    out = folder / "v1.pdf"
    got = runner.invoke(app, ["cases", "download", case_id, str(doc_id), "--version", "1",
                              "-o", str(out)])
    assert got.exit_code == 0 and out.read_bytes() == (folder / "oficio.pdf").read_bytes()
    added = runner.invoke(app, ["cases", "deadline", case_id, "2031-03-04",
                                "Presentar alegatos", "--kind", "authority"])
    assert added.exit_code == 0 and "Plazo de la autoridad" in added.output, added.output
    table = runner.invoke(app, ["cases", "deadlines", case_id])
    assert "2031-03-04" in table.output and "Pendiente" in table.output
    plain = runner.invoke(app, ["cases", "--community", "HF-001", "--format", "json"])
    assert plain.exit_code == 0 and case_id in plain.output


def test_a_case_deadline_on_a_non_working_day_says_so(client: TestClient,
                                                       api_world: ApiWorld) -> None:
    """The typed date is kept; an open one on a weekend or a holiday of the community's
    country (Peru for HF-001) carries a note with the business day a legal term moves to."""
    editor = auth(api_world, "editor")
    case_id = _case(client, api_world)
    base = f"/api/cases/{case_id}/deadlines"
    # Sunday 6 June 2027, then Monday 7 June (Batalla de Arica y Día de la Bandera)
    sunday = client.post(base, headers=editor, json={"due": "2027-06-06", "what": "Apelar"})
    assert sunday.status_code == 201, sunday.text
    assert sunday.json()["due"] == "2027-06-06"
    assert sunday.json()["day_off_note"] == (
        "dom. 06/06/2027 es día inhábil (fin de semana): un plazo legal que vence ese día se "
        "traslada al mar. 08/06/2027")
    for due, what in (("2027-06-07", "Subsanar"), ("2027-06-08", "Reunión")):
        assert client.post(base, headers=editor, json={"due": due, "what": what,
                                                       "kind": "internal"}).status_code == 201
    items = client.get(base, headers=editor).json()["items"]
    notes = {d["due"]: d["day_off_note"] for d in items}
    assert notes["2027-06-07"] == ("lun. 07/06/2027 es día inhábil (feriado): un plazo legal "
                                   "que vence ese día se traslada al mar. 08/06/2027")
    assert notes["2027-06-08"] is None
    en = client.get(f"{base}?lang=en", headers=editor).json()["items"]
    assert next(d for d in en if d["due"] == "2027-06-06")["day_off_note"] == (
        "Sun 2027-06-06 is a non-working day (weekend): a legal term ending that day moves "
        "to Tue 2027-06-08")
    # closed: nothing left to warn about
    done = client.patch(f"{base}/{sunday.json()['id']}", headers=editor,
                        json={"state": "done"})
    assert done.status_code == 200 and done.json()["day_off_note"] is None
