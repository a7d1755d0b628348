"""Response deadlines of cadastre alerts: stamped on each alert when it is raised (from the
rule file of the community's country, ``geo.deadlines``), and listed in the agenda.

The deadline is computed once, inside the import's transaction, and stored on the alert with
what to do and the reference as they stood then: a later edit of the rule file changes the
deadlines of later alerts, not the history of earlier ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import vocabulary as V
from geo.deadlines import calendar_warning, moved_note
from geo.rule_files import RULE_COUNTRIES, RuleSet, load_rules
from layers import communities, networks
from layers.alert_tables import alert
from layers.users import Principal
from layers.visibility import visible

_TO_STAMP = sa.text("""
SELECT a.id, a.kind, (a.created_at AT TIME ZONE 'UTC')::date AS detection,
       k.filed_on AS filing,
       COALESCE((SELECT upper(m.country) FROM community m WHERE m.id = a.community_id
                 ORDER BY m.vid DESC LIMIT 1), 'PE') AS country
FROM alert a
JOIN concession_change c ON c.id = a.change_id
LEFT JOIN concession k ON k.vid = COALESCE(c.new_vid, c.old_vid)
WHERE c.batch_id = :batch AND a.kind = ANY(:kinds)
""")


def _rulesets() -> dict[str, RuleSet]:
    return {code: load_rules(code) for code in RULE_COUNTRIES}


def stamp(conn: Connection, batch_id: int,
          rulesets: Mapping[str, RuleSet] | None = None) -> int:
    """Give the alerts of concessions batch ``batch_id`` their response deadline where the
    rule file of their community's country has one for that kind of change; how many got
    one."""
    sets = dict(rulesets) if rulesets is not None else _rulesets()
    kinds = sorted({d.change_kind for rs in sets.values() for d in rs.deadlines})
    if not kinds:
        return 0
    updates: list[dict[str, Any]] = []
    for row in conn.execute(_TO_STAMP, {"batch": batch_id, "kinds": kinds}).mappings():
        rs = sets.get(row["country"])
        rule = rs.deadline_for(row["kind"]) if rs is not None else None
        if rs is None or rule is None:
            continue
        due = rule.due({"filing": row["filing"], "detection": row["detection"]}, rs.calendar)
        if due is not None:
            updates.append({"aid": row["id"], "due": dt.date.fromisoformat(due["due"]),
                            "response": due})
    if updates:
        conn.execute(sa.update(alert).where(alert.c.id == sa.bindparam("aid"))
                     .values(response_due=sa.bindparam("due"),
                             response=sa.bindparam("response")), updates)
    return len(updates)


def describe(response: Mapping[str, Any] | None, lang: str = "es") -> dict[str, Any] | None:
    """The stored deadline for a reader: the date, what to do, the reference, how it was
    counted, in one language (Spanish by default), with labels instead of codes. ``moved``
    says when the last day fell on a non-working day and moved (or, for a term that does
    not move, that it did not); ``calendar_warning`` when the holiday list did not cover the
    count; both None otherwise, and for alerts stamped before they existed."""
    if not response:
        return None
    en = lang == "en"
    warning = calendar_warning(response)
    day_type = V.DAY_TYPE.label(response["day_type"], lang)
    basis = V.DEADLINE_BASIS.label(response["counts_from"], lang)
    since = dt.date.fromisoformat(response["from"])
    when = since.isoformat() if en else since.strftime("%d/%m/%Y")
    counted = (f"{response['days']} {day_type} from the {basis} ({when})" if en
               else f"{response['days']} {day_type} desde la {basis} ({when})")
    return {"due": response["due"], "what": response["what_en" if en else "what_es"],
            "reference": response["reference_en" if en else "reference_es"],
            "counted": counted, "rule": response["rule"], "days": response["days"],
            "day_type": response["day_type"], "counts_from": response["counts_from"],
            "from": response["from"], "window_end": response.get("window_end"),
            "moved": moved_note(response, "en" if en else "es"),
            "calendar_warning": None if warning is None else (warning.en if en
                                                              else warning.es)}


def note(deadline: Mapping[str, Any] | None) -> str | None:
    """The move and the calendar warning of a described deadline in one line, or None."""
    if not deadline:
        return None
    parts = [deadline.get("moved"), deadline.get("calendar_warning")]
    return "; ".join(p for p in parts if p) or None


def text(deadline: Mapping[str, Any] | None, lang: str = "es") -> str:
    """One line for e-mails, feeds and terminals: "Plazo: 31/03/2026 – oposición … (ref)"."""
    if not deadline:
        return ""
    due = dt.date.fromisoformat(deadline["due"])
    extra = note(deadline)
    extra = f"; {extra}" if extra else ""
    if lang == "en":
        return (f"Response deadline: {due.isoformat()} – {deadline['what']} "
                f"({deadline['counted']}{extra}; {deadline['reference']})")
    return (f"Plazo de respuesta: {due:%d/%m/%Y} – {deadline['what']} "
            f"({deadline['counted']}{extra}; {deadline['reference']})")


def agenda_items(conn: Connection, principal: Principal, *, network: str | None = None,
                 district: str | None = None, today: dt.date,
                 lang: str | None = "es") -> list[dict[str, Any]]:
    """Alerts still open (new or seen) with a response deadline that was still open when the
    alert was raised, as agenda items (the same keys as a case deadline, ``source`` =
    ``alert``): the agenda unions them with the cases.
    Visibility: the alert's community, as everywhere alerts are read."""
    c = communities.community
    query = (sa.select(alert.c.id, alert.c.community_id, alert.c.kind, alert.c.code,
                       alert.c.state, alert.c.response_due, alert.c.response,
                       c.c.name.label("cname"))
             .join(c, sa.and_(c.c.id == alert.c.community_id, c.c.valid_to.is_(None)))
             .where(alert.c.response_due.is_not(None), visible(c, principal),
                    alert.c.state.in_(("nueva", "vista")),
                    # a window already closed when the cadastre showed the change (e.g. every
                    # right of a first import) stays on its alert, not in the agenda
                    alert.c.response_due >= sa.cast(sa.func.timezone("UTC",
                                                                     alert.c.created_at),
                                                     sa.Date))
             .order_by(alert.c.response_due, c.c.name, alert.c.id))
    if district:
        query = query.where(c.c.admin_code.startswith(district.strip(), autoescape=True))
    if network:
        n = networks.network
        query = query.where(sa.exists().where(n.c.valid_to.is_(None), n.c.id == network,
                                              c.c.id == sa.any_(n.c.members)))
    lang = lang or "es"
    items = []
    for r in conn.execute(query).mappings():
        late = (today - r["response_due"]).days
        d = describe(r["response"], lang) or {}
        items.append({
            "source": "alert", "alert_id": r["id"], "case_id": None, "deadline_id": None,
            # a response window set by law (orientative, rule data)
            "kind": "legal", "kind_label": V.DEADLINE_KIND.label("legal", lang),
            "community_id": r["community_id"], "community_name": r["cname"],
            "type": r["kind"], "type_label": V.CHANGE_KIND.label(r["kind"], lang) +
            f" {r['code']}", "stage": r["state"],
            "stage_label": V.ALERT_STATE.label(r["state"], lang), "authority": None,
            "lawyer": None, "deadline": r["response_due"].isoformat(),
            "deadline_what": d.get("what"), "reference": d.get("reference"),
            "deadline_note": note(d),
            "overdue": late > 0, "days_overdue": max(late, 0),
        })
    return items

