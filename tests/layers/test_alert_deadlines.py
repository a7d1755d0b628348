"""Response deadlines on real imports: a second cadastre snapshot raises alerts that carry
the deadline of their community's country (Peru: calendar days from the filing, the last day
moved off a holiday and weekend to the next business day; Bolivia: business days past a
holiday; no filing date: from the day the cadastre showed it), and the deadline travels to
the e-mail digest (real aiosmtpd server), the webhook payload (local HTTP receiver),
``list_alerts`` and the agenda, which drops it once the alert is dismissed. A count that
runs past the years the holiday list covers carries a warning to every reader."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy.engine import Connection

from geo.rule_files import load_rules
from layers import agenda, alert_deadlines, alerts, communities, delivery, networks
from layers.config import load_settings
from layers.importer import import_file
from layers.users import ANONYMOUS, Principal
from layers.versioning import write_snapshot
from tests.smtp_inbox import Inbox, smtp_server

R_PE = box(-70.00, -15.00, -69.99, -14.99)
R_BO = box(-68.50, -16.50, -68.49, -16.49)
R_ND = box(-69.50, -15.00, -69.49, -14.99)  # no filing date in the file
R_FAR = box(-69.75, -14.00, -69.74, -13.99)
EDITOR = Principal(name="abogada", role="editor")


def _file(path: Path, rights: dict[str, tuple[Any, str | None]]) -> Path:
    feats = [{"type": "Feature", "geometry": mapping(g),
              "properties": {"CODIGOU": code, "CONCESION": f"Petitorio {code}",
                             "TIT_CONCES": "MINERA PRUEBA S.A.C.", "D_ESTADO": "EN TRAMITE",
                             "FEC_DENU": filed}}
             for code, (g, filed) in rights.items()]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                    encoding="utf-8")
    return path


def _community(cid: str, country: str, territory: Any) -> dict[str, Any]:
    row: dict[str, Any] = {a: None for a in communities.ATTRIBUTES}
    row.update(id=cid, name=f"Comunidad {cid}", kind="comunidad_campesina", country=country,
               admin_code="219901" if country == "PE" else "020101", title_status="titled",
               sensitivity="public", legal_status="registered",
               territory=MultiPolygon([territory.buffer(0.002)]),
               location=territory.representative_point())
    return row


@pytest.fixture
def imported(conn: Connection, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Three communities (two Peruvian, one Bolivian); a first snapshot with a far right, a
    second one with three new petitions over them. Returns the alerts by community."""
    write_snapshot(conn, communities.community, "id", [
        _community("CC-PE", "PE", R_PE), _community("CC-BO", "BO", R_BO),
        _community("CC-ND", "PE", R_ND)], recorded_by="t", batch_id=None, source="t",
        close_missing=False)
    write_snapshot(conn, networks.network, "id", [
        {"id": "RED-T", "name": "Red de prueba", "description": None,
         "members": ["CC-BO", "CC-ND", "CC-PE"]}], recorded_by="t", batch_id=None,
        source="t", close_missing=False)
    import_file(conn, "concessions", _file(tmp_path / "1.geojson",
                                           {"R-FAR": (R_FAR, "2020-01-10")}),
                recorded_by="t", source="catastro")
    delivery.subscribe(conn, subscriber="equipo@example.org", scope="network",
                       scope_id="RED-T")
    second = import_file(conn, "concessions", _file(tmp_path / "2.geojson", {
        "R-FAR": (R_FAR, "2020-01-10"), "R-PE": (R_PE, "2026-03-02"),
        "R-BO": (R_BO, "2026-07-31"), "R-ND": (R_ND, None)}),
        recorded_by="t", source="catastro")
    assert second.n_stored == 3
    rows = alerts.list_alerts(conn, EDITOR)
    return {r["community_id"]: r for r in rows}


def test_second_snapshot_alerts_carry_their_countrys_deadline(
        conn: Connection, imported: dict[str, dict[str, Any]]) -> None:
    assert set(imported) == {"CC-PE", "CC-BO", "CC-ND"}
    pe = imported["CC-PE"]["deadline"]
    # 60 calendar days from the filing, 2 March 2026, end on Friday 1 May (Día del Trabajo):
    # the deadline moves past the holiday and the weekend to Monday 4 May
    assert (pe["window_end"], pe["due"]) == ("2026-05-01", "2026-05-04")
    assert pe["moved"] == ("vence el vie. 01/05/2026 → se traslada al lun. 04/05/2026 "
                           "(días inhábiles: feriado y fin de semana)")
    assert pe["calendar_warning"] is None
    assert pe["rule"] == "PE-PLAZO-OPOSICION" and pe["from"] == "2026-03-02"
    assert pe["what"].startswith("Presentar oposición al petitorio minero")
    assert "D.S. 018-92-EM" in pe["reference"]
    assert pe["counted"] == "60 días calendario desde la fecha del petitorio (02/03/2026)"
    bo = imported["CC-BO"]["deadline"]
    assert bo["due"] == "2026-09-14"  # 30 business days, 6 August a holiday
    assert bo["window_end"] == bo["due"] and bo["moved"] is None
    assert bo["counted"].startswith("30 días hábiles desde la fecha del petitorio")
    assert "AJAM" in bo["what"]
    # no filing date: counted from the day the cadastre showed the petition
    nd = imported["CC-ND"]["deadline"]
    detected = conn.execute(sa.text("SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one()
    assert nd["counts_from"] == "detection" and nd["from"] == detected.isoformat()
    end = detected + dt.timedelta(days=60)
    assert nd["window_end"] == end.isoformat()
    assert nd["due"] == load_rules("PE").calendar.next_business_day(end).isoformat()
    assert (nd["moved"] is None) == (nd["due"] == nd["window_end"])
    assert "fecha en que el catastro mostró el cambio" in nd["counted"]
    # English on request; the stored record keeps both languages
    en = {r["community_id"]: r for r in alerts.list_alerts(conn, EDITOR, lang="en")}
    assert en["CC-PE"]["deadline"]["what"].startswith("File an opposition")
    assert en["CC-PE"]["deadline"]["counted"] == \
        "60 calendar days from the filing date (2026-03-02)"
    assert en["CC-PE"]["deadline"]["moved"] == ("ends on Fri 2026-05-01 → moved to Mon "
                                                "2026-05-04 (non-working days: holiday and "
                                                "weekend)")
    stored = conn.execute(sa.text("SELECT response FROM alert WHERE community_id = 'CC-BO'")
                          ).scalar_one()
    assert stored["day_type"] == "business" and stored["reference_en"].startswith("Law 535")
    assert load_rules("BO").deadline_for("new") is not None


def test_agenda_lists_open_alert_deadlines(conn: Connection,
                                           imported: dict[str, dict[str, Any]]) -> None:
    detected = conn.execute(sa.text("SELECT (now() AT TIME ZONE 'UTC')::date")).scalar_one()
    due = load_rules("PE").calendar.next_business_day(detected + dt.timedelta(days=60))
    today = due + dt.timedelta(days=1)
    items = agenda.agenda(conn, EDITOR, today=today)
    mine = [i for i in items if i["source"] == "alert"]
    # CC-PE's and CC-BO's windows closed before the cadastre showed their petitions: they
    # stay on the alerts ("vencido"), the agenda holds the deadline still open when raised
    assert [(i["community_id"], i["deadline"]) for i in mine] == [("CC-ND", due.isoformat())]
    (nd,) = mine
    assert nd["overdue"] and nd["days_overdue"] == 1 and nd["alert_id"] == \
        imported["CC-ND"]["id"]
    assert nd["type_label"] == "Nuevo derecho minero R-ND" and nd["stage_label"] == "Nueva"
    assert nd["deadline_what"].startswith("Presentar oposición") and nd["case_id"] is None
    assert "D.S. 018-92-EM" in nd["reference"]
    assert [i["deadline"] for i in items] == sorted(i["deadline"] for i in items)
    csv = agenda.to_csv(items)
    assert "alerta,referencia" in csv.splitlines()[0] and "D.S. 018-92-EM" in csv
    ics = agenda.to_ics(items, calendar_name="prueba")
    assert f"UID:alert-{nd['alert_id']}-{due:%Y%m%d}@allpa" in ics
    # filters: a lawyer's agenda holds cases only; a district keeps its own communities
    assert all(i["source"] == "case" for i in agenda.agenda(conn, EDITOR, lawyer="abogada"))
    assert [i for i in agenda.agenda(conn, EDITOR, district="02")
            if i["source"] == "alert"] == []
    assert len([i for i in agenda.agenda(conn, EDITOR, district="2199")
                if i["source"] == "alert"]) == 1
    # a dismissed alert leaves the agenda; the public has no agenda at all
    alerts.set_state(conn, nd["alert_id"], "descartada", EDITOR)
    assert [i for i in agenda.agenda(conn, EDITOR, today=today) if i["source"] == "alert"] \
        == []
    assert agenda.agenda(conn, ANONYMOUS) == []


class _Hook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[tuple[Inbox, int, type[_Hook], str]]:
    hook = type("Hook", (_Hook,), {"bodies": []})
    http = ThreadingHTTPServer(("127.0.0.1", 0), hook)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        with smtp_server() as (inbox, port):
            yield inbox, port, hook, f"http://127.0.0.1:{http.server_address[1]}/hook"
    finally:
        http.shutdown()
        http.server_close()


def test_digest_and_webhook_carry_the_deadline(
        conn: Connection, imported: dict[str, dict[str, Any]],
        servers: tuple[Inbox, int, type[_Hook], str]) -> None:
    inbox, port, hook, url = servers
    # (one transaction: the webhook subscription's now() is the alerts' too, so it gets them)
    delivery.subscribe(conn, subscriber="equipo@example.org", scope="network",
                       scope_id="RED-T", channel="webhook", webhook_url=url, secret="s")
    settings = load_settings(smtp_host="127.0.0.1", smtp_port=port)
    out = delivery.deliver(conn, settings, dt.datetime.now(dt.UTC))
    assert (out.sent, out.failed) == (2, 0)
    (msg,) = inbox.messages
    part = msg.get_body(("plain",))
    assert part is not None
    text = str(part.get_content())
    assert "Plazo de respuesta: 04/05/2026 – Presentar oposición al petitorio minero" in text
    assert "vence el vie. 01/05/2026 → se traslada al lun. 04/05/2026" in text
    assert "Plazo de respuesta: 14/09/2026" in text and "Ley 535" in text
    (body,) = hook.bodies
    assert body["lang"] == "es"
    by_id = {a["community_id"]: a for a in body["alerts"]}
    assert by_id["CC-PE"]["deadline"]["due"] == "2026-05-04"
    assert by_id["CC-PE"]["deadline"]["moved"].startswith("vence el vie. 01/05/2026")
    assert by_id["CC-BO"]["deadline"]["what"].startswith("Presentar oposición a la solicitud")
    assert by_id["CC-BO"]["deadline"]["reference"].startswith("Ley 535")


def test_a_count_past_the_calendar_warns_the_lawyer(
        conn: Connection, imported: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """A petition filed on 1 Dec 2027: its 60 days end in 2028, whose holidays the Peruvian
    file does not list. The date is still given, with a warning on the alert, in English on
    request, in the agenda (page, CSV and calendar) and in the e-mail line."""
    late = box(-70.004, -15.004, -69.996, -14.996)  # over CC-PE's territory
    third = import_file(conn, "concessions", _file(tmp_path / "3.geojson", {
        "R-FAR": (R_FAR, "2020-01-10"), "R-PE": (R_PE, "2026-03-02"),
        "R-BO": (R_BO, "2026-07-31"), "R-ND": (R_ND, None), "R-LATE": (late, "2027-12-01")}),
        recorded_by="t", source="catastro")
    assert third.n_stored == 1
    (row,) = [r for r in alerts.list_alerts(conn, EDITOR) if r["code"] == "R-LATE"]
    d = row["deadline"]
    # 1 Dec 2027 + 60 days = Sunday 30 Jan 2028 → Monday 31 Jan (weekends only, for 2028)
    assert (d["window_end"], d["due"]) == ("2028-01-30", "2028-01-31")
    assert d["calendar_warning"].startswith("Atención: el calendario de feriados no cubre 2028")
    (en,) = [r for r in alerts.list_alerts(conn, EDITOR, lang="en") if r["code"] == "R-LATE"]
    assert en["deadline"]["calendar_warning"].startswith(
        "Warning: the holiday calendar does not cover 2028")
    stored = conn.execute(sa.text("SELECT response FROM alert WHERE id = :i"),
                          {"i": row["id"]}).scalar_one()
    assert stored["uncovered_years"] == [2028]
    (item,) = [i for i in agenda.agenda(conn, EDITOR) if i.get("alert_id") == row["id"]]
    assert item["deadline"] == "2028-01-31"
    assert "se traslada al lun. 31/01/2028" in item["deadline_note"]
    assert "no cubre 2028" in item["deadline_note"]
    header, *lines = agenda.to_csv([item]).splitlines()
    assert header.endswith(",referencia,nota_del_plazo") and "no cubre 2028" in lines[0]
    ics = agenda.to_ics([item], calendar_name="prueba").replace("\r\n ", "")
    assert "no cubre 2028" in ics
    assert "no cubre 2028" in alert_deadlines.text(d)
