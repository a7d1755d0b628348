"""A case's deadlines (several per case: legal, set by the authority, internal, promised to
the community). A deadline is never deleted: it is open until someone marks it done or
cancels it, and who did so, when and why is kept on the row.

The date is the one the lawyer typed, never changed; an open deadline that falls on a
weekend or a holiday of its community's country (the rule file's calendar) says so, with
the business day a legal term ending then would move to (``day_off_note``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import vocabulary as V
from geo.deadlines import WorkCalendar, day_off_note
from geo.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    bilingual,
)
from geo.rule_files import RULE_COUNTRIES, load_rules
from layers.case_tables import case_deadline
from layers.cases import get_case
from layers.layer_collections import jsonable
from layers.users import Principal

MAX_WHAT = 500


class DeadlineNotFoundError(NotFoundError):
    code = "deadline_not_found"


_COUNTRY = sa.text("""
SELECT upper(m.country) FROM legal_case t JOIN community m ON m.id = t.community_id
WHERE t.id = :case AND t.valid_to IS NULL ORDER BY m.vid DESC LIMIT 1
""")


def case_calendar(conn: Connection, case_id: str) -> WorkCalendar | None:
    """The working-day calendar of the country of the case's community (its rule file);
    None when the country has no rule file."""
    country = conn.execute(_COUNTRY, {"case": case_id}).scalar()
    return load_rules(country).calendar if country in RULE_COUNTRIES else None


def present(row: Mapping[Any, Any], lang: str | None = "es",
            today: dt.date | None = None,
            calendar: WorkCalendar | None = None) -> dict[str, Any]:
    """A deadline as readers get it: labels beside codes, whether it is overdue, and, when
    open and on a non-working day of ``calendar``, a note saying so."""
    out = {k: jsonable(v) for k, v in row.items()}
    out["kind_label"] = V.DEADLINE_KIND.label(row["kind"], lang)
    out["state_label"] = V.DEADLINE_STATE.label(row["state"], lang)
    late = ((today or dt.date.today()) - row["due"]).days
    out["overdue"] = row["state"] == "open" and late > 0
    out["days_overdue"] = max(late, 0) if row["state"] == "open" else 0
    out["day_off_note"] = (day_off_note(row["due"], calendar, "en" if lang == "en" else "es")
                           if calendar is not None and row["state"] == "open" else None)
    return out


def list_deadlines(conn: Connection, principal: Principal, case_id: str, *,
                   lang: str | None = "es") -> list[dict[str, Any]]:
    """Every deadline of a case the principal may read (open first, by date)."""
    get_case(conn, principal, case_id)  # editors only; 404 for an unknown case
    t = case_deadline
    rows = conn.execute(sa.select(t).where(t.c.case_id == case_id).order_by(
        (t.c.state != "open"), t.c.due, t.c.id)).mappings()
    calendar = case_calendar(conn, case_id)
    return [present(r, lang, calendar=calendar) for r in rows]


def _require_writer(conn: Connection, principal: Principal, case_id: str) -> None:
    get_case(conn, principal, case_id)  # editors only; 404 for an unknown case
    if not principal.can_edit:
        raise PermissionDeniedError("Se requiere rol de editor / editor role required")


def _parse_due(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(bilingual("La fecha del plazo debe ser AAAA-MM-DD",
                                   "The due date must be YYYY-MM-DD"), field="due") from None


def add_deadline(conn: Connection, principal: Principal, case_id: str, *, due: Any,
                 what: str, kind: str = "legal", source: str = "api") -> dict[str, Any]:
    """A new open deadline of a current case."""
    _require_writer(conn, principal, case_id)
    text = (what or "").strip()
    if not text or len(text) > MAX_WHAT:
        raise InputError(bilingual(f"Diga para qué es el plazo (1 a {MAX_WHAT} caracteres)",
                                   f"Say what the deadline is for (1 to {MAX_WHAT} "
                                   f"characters)"), field="what")
    try:
        code = V.DEADLINE_KIND.parse(kind)
    except ValueError:
        codes = ", ".join(V.DEADLINE_KIND.codes)
        raise InputError(bilingual(f"Tipo de plazo desconocido '{kind}'; use {codes}",
                                   f"Unknown deadline kind '{kind}'; use {codes}"),
                         field="kind") from None
    row = conn.execute(sa.insert(case_deadline).values(
        case_id=case_id, due=_parse_due(due), what=text, kind=code, state="open",
        created_by=principal.name, source=source).returning(*case_deadline.c)).mappings().one()
    return present(row, calendar=case_calendar(conn, case_id))


def close_deadline(conn: Connection, principal: Principal, case_id: str, deadline_id: int,
                   *, state: str, note: str | None = None) -> dict[str, Any]:
    """Mark an open deadline done or cancelled (who, when and the note are kept)."""
    _require_writer(conn, principal, case_id)
    try:
        code = V.DEADLINE_STATE.parse(state)
    except ValueError:
        code = ""
    if code not in ("done", "cancelled"):
        raise InputError(bilingual("Un plazo se cierra como 'done' (cumplido) o 'cancelled' "
                                   "(anulado)", "A deadline closes as 'done' or 'cancelled'"),
                         field="state")
    t = case_deadline
    row = conn.execute(sa.update(t).where(t.c.id == deadline_id, t.c.case_id == case_id,
                                          t.c.state == "open")
                       .values(state=code, closed_by=principal.name, closed_at=sa.func.now(),
                               close_note=(note or "").strip() or None)
                       .returning(*t.c)).mappings().first()
    if row is not None:
        return present(row)
    exists = conn.execute(sa.select(t.c.state).where(t.c.id == deadline_id,
                                                     t.c.case_id == case_id)).first()
    if exists is None:
        raise DeadlineNotFoundError(bilingual(f"No existe el plazo {deadline_id} en este "
                                              f"trámite", f"Deadline {deadline_id} not found "
                                                          f"in this case"))
    raise ConflictError(bilingual("Ese plazo ya está cerrado; abra uno nuevo si hace falta",
                                  "That deadline is already closed; add a new one if needed"),
                        code="deadline_closed")
