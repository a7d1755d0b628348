"""Cases (trámites), the deadline agenda, its CSV and the secret iCalendar feed (issue 12
items 4-5), on the API test database (sample cases + hand-made flags)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from geo import vocabulary as V
from geo.errors import PermissionDeniedError
from layers import calendar_keys
from tests.api.conftest import ApiWorld, auth

EDITOR_READS = ("/api/cases", "/api/cases/TR-MUESTRA-01", "/api/cases/TR-MUESTRA-01/history",
                "/api/agenda", "/api/agenda?format=csv", "/api/cases?community=HF-001")


def _new_case(client: TestClient, world: ApiWorld, **extra: object) -> dict[str, object]:
    body = {"community_id": "HF-001", "type": "titling", "lawyer": "abogada",
            "id": f"TR-T-{uuid.uuid4().hex[:8]}", **extra}
    r = client.post("/api/cases", json=body, headers=auth(world, "editor"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def _open_deadlines(world: ApiWorld, lawyer: str | None) -> set[tuple[str, dt.date]]:
    """The open cases' open deadlines, read straight from the tables (independent of the
    code)."""
    query = ("SELECT c.id, d.due FROM case_deadline d JOIN legal_case c ON c.id = d.case_id "
             "AND c.valid_to IS NULL WHERE d.state = 'open' AND c.closed IS NULL "
             "AND c.stage <> 'closed'")
    params: dict[str, str] = {}
    if lawyer:
        query += " AND lower(c.lawyer) = lower(:lawyer)"
        params["lawyer"] = lawyer
    with world.engine.connect() as conn:
        return {(r[0], r[1]) for r in conn.execute(sa.text(query), params)}


def test_create_edit_stale_and_history(client: TestClient, api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    case = _new_case(client, api_world, authority="SUNARP (prueba)")
    assert case["stage"] == "intake" and case["stage_label"] == "Solicitud recibida"
    assert case["type_label"] == "Titulación / saneamiento"
    url = f"/api/cases/{case['id']}"
    read = client.get(url, headers=editor)
    etag = read.headers["ETag"]
    r = client.patch(url, json={"stage": "filed", "stage_date": "2026-01-05",
                                "change_note": "presentado"},
                     headers={**editor, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["changed"] and r.json()["vid"] != r.json()["old_vid"]
    stale = client.patch(url, json={"stage": "observed"}, headers={**editor, "If-Match": etag})
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["message_es"] and stale.json()["message_en"]
    missing = client.patch(url, json={"stage": "observed"}, headers=editor)
    assert missing.status_code == 428
    history = client.get(f"{url}/history", headers=editor).json()["versions"]
    assert [v["stage"] for v in history] == ["intake", "filed"]
    assert history[0]["valid_to"] is not None and history[1]["valid_to"] is None
    assert history[1]["recorded_by"] == "abogada" and history[1]["change_note"] == "presentado"
    assert client.get(url, headers=editor).json()["stage_label"] == "Presentado"


def test_bad_input_is_refused_with_a_bilingual_error(client: TestClient,
                                                     api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    bad_type = client.post("/api/cases", json={"community_id": "HF-001", "type": "magia"},
                           headers=editor)
    assert bad_type.status_code == 422
    no_community = client.post("/api/cases", json={"community_id": "NO-EXISTE",
                                                   "type": "titling"}, headers=editor)
    assert no_community.status_code == 422
    assert no_community.json()["message_es"] and no_community.json()["message_en"]
    case = _new_case(client, api_world)
    dup = client.post("/api/cases", json={"community_id": "HF-001", "type": "titling",
                                          "id": case["id"]}, headers=editor)
    assert dup.status_code == 409


@pytest.mark.parametrize("role", ["public", "network"])
def test_public_and_members_never_see_cases(role: str, client: TestClient,
                                            api_world: ApiWorld) -> None:
    headers = auth(api_world, role)
    for path in EDITOR_READS:
        r = client.get(path, headers=headers)
        assert r.status_code == (401 if role == "public" else 403), (path, r.text)
        body = r.json()
        assert body["message_es"] and body["message_en"]
        assert "TR-MUESTRA" not in r.text and "Subsanar" not in r.text
    post = client.post("/api/cases", json={"community_id": "HF-001", "type": "titling"},
                       headers=headers)
    assert post.status_code in (401, 403)
    panel = client.get("/map/panel/HF-001.json", headers=headers).json()
    assert all("case" not in flag for flag in panel["flags"])


def test_agenda_lists_the_overdue_deadline_first(client: TestClient,
                                                 api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    body = client.get("/api/agenda", headers=editor).json()
    items = body["items"]
    today = dt.date.fromisoformat(body["today"])
    assert {(i["case_id"], dt.date.fromisoformat(i["deadline"])) for i in items} \
        == _open_deadlines(api_world, None)
    first = items[0]
    assert first["overdue"] is True and first["days_overdue"] > 0
    assert dt.date.fromisoformat(first["deadline"]) < today
    assert first["days_overdue"] == (today - dt.date.fromisoformat(first["deadline"])).days
    dates = [i["deadline"] for i in items]
    assert dates == sorted(dates)
    assert all(i["overdue"] == (dt.date.fromisoformat(i["deadline"]) < today) for i in items)
    mine = client.get("/api/agenda?lawyer=ABOGADO2", headers=editor).json()["items"]
    assert {i["case_id"] for i in mine} == {c for c, _ in _open_deadlines(api_world,
                                                                        "abogado2")}
    assert mine


def test_agenda_filters_by_network_and_district(client: TestClient,
                                                api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    with api_world.engine.connect() as conn:
        members = set(conn.execute(sa.text(
            "SELECT unnest(members) FROM network WHERE valid_to IS NULL AND id = 'RED-02'"
        )).scalars())
        codes = dict(conn.execute(sa.text(
            "SELECT id, admin_code FROM community WHERE valid_to IS NULL")).all())
    everything = client.get("/api/agenda", headers=editor).json()["items"]
    in_net = client.get("/api/agenda?network=RED-02", headers=editor).json()["items"]
    assert in_net and len(in_net) < len(everything)
    assert [i for i in everything if i["community_id"] in members] == in_net
    district = codes[everything[0]["community_id"]]
    in_district = client.get(f"/api/agenda?district={district}", headers=editor).json()
    assert [i for i in everything if codes[i["community_id"]].startswith(district)] \
        == in_district["items"]
    assert client.get("/api/agenda?district=00", headers=editor).json()["items"] == []


def test_agenda_csv_has_spanish_headers_and_labels(client: TestClient,
                                                   api_world: ApiWorld) -> None:
    r = client.get("/api/agenda?format=csv", headers=auth(api_world, "editor"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ["plazo", "vencido", "dias_de_atraso", "para_que",
                             "tipo_de_plazo", "codigo_comunidad", "comunidad", "tramite",
                             "tipo_de_tramite", "etapa", "autoridad", "abogado", "alerta",
                             "referencia", "nota_del_plazo"]
    assert rows[0]["vencido"] == "sí"
    cases = [r for r in rows if r["tramite"]]  # the others are cadastre alerts' deadlines
    assert cases and all(r["alerta"] for r in rows if not r["tramite"])
    assert {r["tipo_de_tramite"] for r in cases} <= {t.label_es for t in V.CASE_TYPE.terms}
    assert {r["etapa"] for r in cases} <= {t.label_es for t in V.CASE_STAGE.terms}
    for code in (*V.CASE_TYPE.codes, *V.CASE_STAGE.codes):
        assert f",{code}," not in r.text


def _events(text: str) -> list[icalendar.Event]:
    cal = icalendar.Calendar.from_ical(text)
    return list(cal.walk("VEVENT"))


def test_calendar_feed_parses_and_holds_exactly_the_deadlines(client: TestClient,
                                                               api_world: ApiWorld) -> None:
    with api_world.engine.begin() as conn:
        key = calendar_keys.issue_calendar_key(conn, "abogada")
    r = client.get(f"/api/agenda.ics?key={key}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    events = _events(r.text)
    expected = _open_deadlines(api_world, "abogada")
    assert expected
    got = {(str(e["UID"]).split("@")[0], e.decoded("DTSTART")) for e in events}
    assert {(uid.rsplit("-plazo", 1)[0], day) for uid, day in got} == expected
    assert all(isinstance(e.decoded("DTSTART"), dt.date)
               and not isinstance(e.decoded("DTSTART"), dt.datetime) for e in events)
    labels = {t.label_es for t in V.CASE_TYPE.terms}
    for e in events:
        summary = str(e["SUMMARY"])
        assert summary.removeprefix("VENCIDO · ").startswith("Plazo: ")
        assert any(label in summary for label in labels)
        assert not any(code in summary for code in V.CASE_TYPE.codes)
    with api_world.engine.connect() as conn:
        names = dict(conn.execute(sa.text(
            "SELECT id, name FROM community WHERE valid_to IS NULL")).all())
        owners = dict(conn.execute(sa.text(
            "SELECT id, community_id FROM legal_case WHERE valid_to IS NULL")).all())
    for e in events:
        case_id = str(e["UID"]).split("@")[0].rsplit("-plazo", 1)[0]
        assert names[owners[case_id]] in str(e["SUMMARY"])
    again = _events(client.get(f"/api/agenda.ics?key={key}").text)
    assert sorted(str(e["UID"]) for e in again) == sorted(str(e["UID"]) for e in events)
    everyone = _events(client.get(f"/api/agenda.ics?key={key}&all=true").text)
    assert len(everyone) == len(_open_deadlines(api_world, None))


def test_calendar_key_is_secret_revocable_and_for_editors(client: TestClient,
                                                          api_world: ApiWorld) -> None:
    absent = client.get("/api/agenda.ics")
    assert absent.status_code == 401
    assert absent.json()["message_es"] and absent.json()["message_en"]
    wrong = client.get("/api/agenda.ics?key=cal_adivinada")
    assert wrong.status_code == 404 and wrong.json()["code"] == "calendar_not_found"
    assert "BEGIN:VCALENDAR" not in wrong.text
    with api_world.engine.begin() as conn:
        old = calendar_keys.issue_calendar_key(conn, "admin")
        new = calendar_keys.issue_calendar_key(conn, "admin")
        stored = conn.execute(sa.text("SELECT key_hash FROM calendar_key")).scalars().all()
    assert old not in stored and new not in stored  # only hashes are kept
    assert client.get(f"/api/agenda.ics?key={old}").status_code == 404
    assert client.get(f"/api/agenda.ics?key={new}").status_code == 200
    with api_world.engine.begin() as conn, pytest.raises(PermissionDeniedError):
        calendar_keys.issue_calendar_key(conn, "miembro")


def test_panel_shows_the_case_addressing_a_flag_to_editors(client: TestClient,
                                                           api_world: ApiWorld) -> None:
    case = _new_case(client, api_world, rule_id="test_rule", type="board_registration")
    for role in ("editor", "admin"):
        panel = client.get("/map/panel/HF-001.json", headers=auth(api_world, role)).json()
        assert panel["analysis"]["state"] == "current"
        linked = [f["case"] for f in panel["flags"] if f["rule_id"] == "test_rule"]
        assert linked and linked[0] is not None
        assert linked[0]["id"] == case["id"]
        assert linked[0]["type_label"] == "Inscripción de junta directiva"
        assert linked[0]["stage_label"] == "Solicitud recibida"
        others = [f for f in panel["flags"] if f["rule_id"] != "test_rule"]
        assert all(f["case"] is None or f["case"]["id"] != case["id"] for f in others)


def test_cli_cases_agenda_and_calendar_key(api_world: ApiWorld, client: TestClient,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from api.cli.main import app

    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    runner = CliRunner()
    listed = runner.invoke(app, ["cases", "--community", "HF-001", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.output)
    assert items and {i["community_id"] for i in items} == {"HF-001"}
    table = runner.invoke(app, ["agenda", "--lawyer", "abogado2"])
    assert table.exit_code == 0, table.output
    assert "Oposición a un petitorio minero" in table.output
    assert "mining_opposition" not in table.output
    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(app, ["agenda", "--format", "csv"]).output)))
    assert {r["tramite"] for r in rows} == {c for c, _ in _open_deadlines(api_world, None)}
    issued = runner.invoke(app, ["users", "calendar-key", "abogada",
                                 "--base-url", "https://allpa.example"])
    assert issued.exit_code == 0, issued.output
    url = next(line for line in issued.output.splitlines() if line.startswith("https://"))
    assert url.startswith("https://allpa.example/api/agenda.ics?key=cal_")
    feed = client.get(url.removeprefix("https://allpa.example"))
    assert feed.status_code == 200 and "BEGIN:VEVENT" in feed.text
    refused = runner.invoke(app, ["users", "calendar-key", "miembro"])
    assert refused.exit_code == 2 and "permission_denied" in refused.output


def test_imported_cases_are_restricted_whatever_the_file_says(
        api_world: ApiWorld, client: TestClient, tmp_path: Path) -> None:
    from layers.importer import import_file

    path = tmp_path / "tramites.csv"
    path.write_text("codigo,comunidad,tipo,etapa,canal,abogado,sensibilidad\n"
                    "TR-IMP-1,HF-002,Oposición,presentado,teléfono,abogada,publica\n",
                    encoding="utf-8")
    with api_world.engine.begin() as conn:
        import_file(conn, "tramites", path, recorded_by="pytest", source="pytest")
        row = conn.execute(sa.text(
            "SELECT type, stage, sensitivity, intake_channel FROM legal_case "
            "WHERE id = 'TR-IMP-1' AND valid_to IS NULL")).one()
    assert tuple(row) == ("mining_opposition", "filed", "restricted", "telefono")
    assert client.get("/api/cases/TR-IMP-1").status_code == 401
    read = client.get("/api/cases/TR-IMP-1", headers=auth(api_world, "editor")).json()
    assert read["type_label"] == "Oposición a un petitorio minero"
