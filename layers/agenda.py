"""The deadline agenda ("Mis plazos"): every open deadline of every open case across
communities (a case has several: ``case_deadline``), as JSON rows, CSV with Spanish headers
and an iCalendar feed.

Sorted by date, the overdue ones first (they are the earliest) and marked with how many days
they are late. Filters: lawyer (case-insensitive), network (its current members) and
district (admin-code prefix). Labels, never codes, reach the CSV and the calendar.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import vocabulary as V
from layers import alert_deadlines, communities, networks
from layers.case_tables import case_deadline
from layers.cases import legal_case
from layers.users import Principal
from layers.visibility import visible

#: CSV columns: (key of an agenda item, Spanish header).
CSV_COLUMNS = (
    ("deadline", "plazo"), ("overdue_label", "vencido"), ("days_overdue", "dias_de_atraso"),
    ("deadline_what", "para_que"), ("kind_label", "tipo_de_plazo"),
    ("community_id", "codigo_comunidad"), ("community_name", "comunidad"),
    ("case_id", "tramite"), ("type_label", "tipo_de_tramite"), ("stage_label", "etapa"),
    ("authority", "autoridad"), ("lawyer", "abogado"),
    ("alert_id", "alerta"), ("reference", "referencia"), ("deadline_note", "nota_del_plazo"),
)


def case_deadlines(principal: Principal) -> sa.Select[Any]:
    """Every open deadline of every open case the principal may see, one row per deadline
    (the agenda's source; other kinds of deadlines can be added with a UNION of the same
    columns)."""
    t, c, d = legal_case, communities.community, case_deadline
    return (sa.select(d.c.id.label("deadline_id"), d.c.due, d.c.what, d.c.kind,
                      t.c.id.label("case_id"), t.c.community_id, t.c.type, t.c.stage,
                      t.c.authority, t.c.lawyer, c.c.name.label("community_name"),
                      c.c.admin_code)
            .select_from(d.join(t, sa.and_(t.c.id == d.c.case_id, t.c.valid_to.is_(None)))
                         .join(c, sa.and_(c.c.id == t.c.community_id, c.c.valid_to.is_(None))))
            .where(d.c.state == "open", visible(t, principal), visible(c, principal),
                   t.c.closed.is_(None), t.c.stage != "closed"))


def agenda(conn: Connection, principal: Principal, *, lawyer: str | None = None,
           network: str | None = None, district: str | None = None,
           today: dt.date | None = None, lang: str | None = "es") -> list[dict[str, Any]]:
    """Open deadlines of the open cases and of the open cadastre alerts the principal may
    see, the earliest first (an alert has no lawyer: a lawyer filter lists cases only)."""
    if not principal.sees_restricted:
        return []
    today = today or dt.date.today()
    items = case_items(conn, principal, lawyer=lawyer, network=network, district=district,
                       today=today, lang=lang)
    if not lawyer:
        items += alert_deadlines.agenda_items(conn, principal, network=network,
                                              district=district, today=today, lang=lang)
    return sorted(items, key=lambda i: (i["deadline"], i["community_name"] or "",
                                        i["case_id"] or "", i.get("deadline_id") or 0,
                                        i.get("alert_id") or 0))


def case_items(conn: Connection, principal: Principal, *, lawyer: str | None,
               network: str | None, district: str | None, today: dt.date,
               lang: str | None) -> list[dict[str, Any]]:
    """Open deadlines of the open cases the principal may see, the earliest first."""
    q = case_deadlines(principal).subquery("deadlines")
    query = sa.select(q).order_by(q.c.due, q.c.community_name, q.c.case_id, q.c.deadline_id)
    if lawyer:
        query = query.where(sa.func.lower(q.c.lawyer) == lawyer.strip().lower())
    if district:
        query = query.where(q.c.admin_code.startswith(district.strip(), autoescape=True))
    if network:
        n = networks.network
        query = query.where(sa.exists().where(n.c.valid_to.is_(None), n.c.id == network,
                                              q.c.community_id == sa.any_(n.c.members)))
    items = []
    for r in conn.execute(query).mappings():
        late = (today - r["due"]).days
        items.append({
            "source": "case", "alert_id": None, "reference": None, "deadline_note": None,
            "deadline_id": r["deadline_id"], "case_id": r["case_id"],
            "community_id": r["community_id"], "community_name": r["community_name"],
            "type": r["type"], "type_label": V.CASE_TYPE.label(r["type"], lang),
            "stage": r["stage"], "stage_label": V.CASE_STAGE.label(r["stage"], lang),
            "authority": r["authority"], "lawyer": r["lawyer"],
            "deadline": r["due"].isoformat(), "deadline_what": r["what"],
            "kind": r["kind"], "kind_label": V.DEADLINE_KIND.label(r["kind"], lang),
            "overdue": late > 0, "days_overdue": max(late, 0),
        })
    return items


def to_csv(items: Iterable[dict[str, Any]]) -> str:
    """The agenda as CSV, Spanish headers, labels instead of codes."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([h for _, h in CSV_COLUMNS])
    for item in items:
        row = {**item, "overdue_label": "sí" if item["overdue"] else "no"}
        writer.writerow(["" if row.get(k) is None else row[k] for k, _ in CSV_COLUMNS])
    return out.getvalue()


def _escape(text: str) -> str:
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545 line folding: at most 75 octets a line, continuations start with a space."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(current)
            current, size = " ", 1
        current += ch
        size += n
    out.append(current)
    return out


def to_ics(items: Iterable[dict[str, Any]], *, calendar_name: str,
           now: dt.datetime | None = None) -> str:
    """An iCalendar (RFC 5545) with one all-day VEVENT per deadline; the UID is stable per
    deadline row, so calendars update an event instead of duplicating it."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Allpa//Plazos//ES",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH", f"X-WR-CALNAME:{_escape(calendar_name)}"]
    for item in items:
        day = dt.date.fromisoformat(item["deadline"])
        summary = f"Plazo: {item['type_label']} – {item['community_name']}"
        if item.get("overdue"):
            summary = f"VENCIDO · {summary}"
        if item.get("alert_id") is not None:  # a cadastre alert's response deadline
            uid = f"alert-{item['alert_id']}-{day:%Y%m%d}@allpa"
            detail = [item.get("deadline_what") or "", item.get("deadline_note") or "",
                      f"Alerta {item['alert_id']}", f"Estado: {item['stage_label']}",
                      item.get("reference") or ""]
        else:
            uid = f"{item['case_id']}-plazo{item['deadline_id']}@allpa"
            detail = [item.get("deadline_what") or "", item.get("kind_label") or "",
                      f"Etapa: {item['stage_label']}", f"Trámite {item['case_id']}"]
        if item.get("authority"):
            detail.append(f"Autoridad: {item['authority']}")
        if item.get("lawyer"):
            detail.append(f"Abogado/a: {item['lawyer']}")
        lines += ["BEGIN:VEVENT",
                  f"UID:{uid}",
                  f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{day + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{_escape(summary)}",
                  f"DESCRIPTION:{_escape(chr(10).join(d for d in detail if d))}",
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(f"{part}\r\n" for line in lines for part in _fold(line))
