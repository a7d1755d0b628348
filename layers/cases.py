"""Cases (trámites): a versioned record per legal procedure of a community.

The history of a case's stages is its versions: every change closes the current version
and inserts a new one (who, when, source, change note), as for communities. Edits name the
version they read (optimistic concurrency: a stale edit is refused, nothing written).
Cases are editors' work: every version is ``restricted`` whatever a file or a form says,
so :func:`layers.visibility.visible` hides them from the public and network members on
any path, on top of the editor-only routes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import vocabulary as V
from geo.catalog import CASES
from geo.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from layers import communities
from layers.base import LayerSpec, Rows, frame_rows, table_for
from layers.users import Principal
from layers.versioning import LIFESPAN, write_snapshot
from layers.visibility import visible

legal_case = table_for(CASES)

COLUMNS = list(CASES.field_names)
#: What an editor may set by hand (the catalog's editable fields).
EDITABLE = CASES.editable
_FIELDS = {f.name: f for f in CASES.fields}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    """Rows of an imported file: blanks get their defaults; always restricted."""
    rows = frame_rows(frame, COLUMNS)
    for row in rows:
        row["stage"] = row.get("stage") or "intake"
        row["sensitivity"] = "restricted"
    return rows


SPEC = LayerSpec(CASES, legal_case, to_rows)


class CaseNotFoundError(NotFoundError):
    code = "case_not_found"


class StaleCaseError(ConflictError):
    code = "stale_version"


@dataclass(frozen=True)
class CaseEdit:
    case_id: str
    old_vid: int
    new_vid: int
    changed: bool


def _require_editor(principal: Principal) -> None:
    if not principal.sees_restricted:
        raise PermissionDeniedError("Los trámites son solo para editores / cases are for "
                                    "editors only")


def check(values: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    """Values of the catalog's fields, checked (vocabulary codes, dates, required)."""
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in allowed:
            raise InputError(f"El campo '{name}' no se puede modificar; use: "
                             f"{', '.join(allowed)} / field '{name}' cannot be set", field=name)
        spec = _FIELDS[name]
        if isinstance(value, str):
            value = value.strip() or None
        if value is None and not spec.nullable:
            raise InputError(f"{name} no puede quedar vacío / {name} cannot be empty",
                             field=name)
        codes = spec.vocabulary.codes if spec.vocabulary is not None else None
        if value is not None and codes is not None and value not in codes:
            raise InputError(f"Valor no válido para {name}: {value!r}; use {'|'.join(codes)} "
                             f"/ invalid value for {name}", field=name)
        if value is not None and spec.type == "date" and not isinstance(value, dt.date):
            try:
                value = dt.date.fromisoformat(str(value))
            except ValueError:
                raise InputError(f"{name} debe ser una fecha AAAA-MM-DD / {name} must be a "
                                 f"date YYYY-MM-DD", field=name) from None
        clean[name] = value
    return clean


def _row(row: Mapping[Any, Any], lang: str | None) -> dict[str, Any]:
    out = {k: (v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v)
           for k, v in row.items() if k not in ("row_hash", "import_batch_id", "sensitivity")}
    out["type_label"] = V.CASE_TYPE.label(row.get("type"), lang)
    out["stage_label"] = V.CASE_STAGE.label(row.get("stage"), lang)
    out["intake_channel_label"] = (V.CASE_CHANNEL.label(row["intake_channel"], lang)
                                   if row.get("intake_channel") else None)
    out["alert_ids"] = list(row.get("alert_ids") or [])
    return out


def _next_deadline(t: sa.Table) -> sa.ScalarSelect[Any]:
    """The earliest open deadline of the case (``layers.case_tables.case_deadline``)."""
    from layers.case_tables import case_deadline as d

    return (sa.select(sa.func.min(d.c.due)).where(d.c.case_id == t.c.id, d.c.state == "open")
            .scalar_subquery())


def list_cases(conn: Connection, principal: Principal, *, community_id: str | None = None,
               open_only: bool = False, lang: str | None = "es") -> list[dict[str, Any]]:
    """Current cases, the nearest open deadline first."""
    _require_editor(principal)
    t = legal_case
    nearest = _next_deadline(t)
    query = (sa.select(t, nearest.label("next_deadline"))
             .where(t.c.valid_to.is_(None), visible(t, principal))
             .order_by(nearest.asc().nulls_last(), t.c.id))
    if community_id:
        query = query.where(t.c.community_id == community_id)
    if open_only:
        query = query.where(t.c.closed.is_(None), t.c.stage != "closed")
    return [_row(r, lang) for r in conn.execute(query).mappings()]


def get_case(conn: Connection, principal: Principal, case_id: str, *,
             lang: str | None = "es") -> dict[str, Any]:
    _require_editor(principal)
    t = legal_case
    row = conn.execute(sa.select(t, _next_deadline(t).label("next_deadline")).where(
        t.c.id == case_id, t.c.valid_to.is_(None), visible(t, principal))).mappings().first()
    if row is None:
        raise CaseNotFoundError(f"No existe el trámite '{case_id}' / case '{case_id}' not "
                                f"found")
    return _row(row, lang)


def case_history(conn: Connection, principal: Principal, case_id: str, *,
                 lang: str | None = "es") -> list[dict[str, Any]]:
    """Every version of a case, oldest first: the history of its stages."""
    _require_editor(principal)
    t = legal_case
    rows = conn.execute(sa.select(t).where(t.c.id == case_id, visible(t, principal))
                        .order_by(t.c.vid)).mappings().all()
    return [_row(r, lang) for r in rows]


def _next_id(conn: Connection) -> str:
    t = legal_case
    n = conn.execute(sa.select(sa.func.count(sa.distinct(t.c.id)))).scalar_one()
    while True:
        n += 1
        candidate = f"TR-{n:04d}"
        if conn.execute(sa.select(t.c.vid).where(t.c.id == candidate)).first() is None:
            return candidate


def create_case(conn: Connection, values: Mapping[str, Any], *, principal: Principal,
                change_note: str | None = None) -> str:
    """Open a case for a current community; its id is given or ``TR-nnnn``."""
    if not principal.can_edit:
        raise PermissionDeniedError("Se requiere rol de editor / editor role required")
    record = check(values, ("id", "community_id", *EDITABLE))
    for name in ("community_id", "type"):
        if not record.get(name):
            raise InputError(f"Falta {name} / {name} is required", field=name)
    c = communities.community
    if conn.execute(sa.select(c.c.vid).where(c.c.id == record["community_id"],
                                             c.c.valid_to.is_(None))).first() is None:
        raise InputError(f"No existe la comunidad '{record['community_id']}' / community "
                         f"not found", field="community_id")
    case_id = record.get("id") or _next_id(conn)
    if not _ID.match(case_id):
        raise InputError(f"Código de trámite no válido '{case_id}' / invalid case id",
                         field="id")
    t = legal_case
    if conn.execute(sa.select(t.c.vid).where(t.c.id == case_id)).first() is not None:
        raise ConflictError(f"Ya existe el trámite '{case_id}' / case '{case_id}' exists")
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(record, id=case_id, sensitivity="restricted")
    row["stage"] = row["stage"] or "intake"
    row["opened"] = row["opened"] or dt.date.today()
    row["intake_date"] = row["intake_date"] or row["opened"]
    row["alert_ids"] = _own_alerts(conn, row["community_id"], _alert_ids(row["alert_ids"]))
    write_snapshot(conn, t, "id", [row], recorded_by=principal.name, batch_id=None,
                   source="api", close_missing=False, change_note=change_note)
    return str(case_id)


def edit_case(conn: Connection, case_id: str, changes: Mapping[str, Any], *,
              expected_vid: int, principal: Principal, change_note: str | None = None
              ) -> CaseEdit:
    """Close the current version of a case and store a new one with ``changes``."""
    if not principal.can_edit:
        raise PermissionDeniedError("Se requiere rol de editor / editor role required")
    clean = check(changes, EDITABLE)
    if not clean:
        raise InputError("No hay cambios que guardar / nothing to change")
    t = legal_case
    content = [c for c in t.columns if c.name not in LIFESPAN]
    current = (sa.select(t.c.vid, *content)
               .where(t.c.id == case_id, t.c.valid_to.is_(None), visible(t, principal))
               .with_for_update())
    row = conn.execute(current).mappings().first()
    if row is None:
        row = conn.execute(current).mappings().first()  # a concurrent edit closed it
    if row is None:
        raise CaseNotFoundError(f"No existe el trámite '{case_id}' / case '{case_id}' not "
                                f"found")
    current_vid = int(row["vid"])
    if current_vid != expected_vid:
        raise StaleCaseError(
            f"El trámite fue modificado por otra persona (versión vigente {current_vid}, "
            f"usted editó la {expected_vid}); recargue y vuelva a intentar / stale version: "
            f"current is {current_vid}, you edited {expected_vid}",
            current_vid=current_vid, expected_vid=expected_vid)
    record = {k: v for k, v in row.items() if k != "vid"}
    record.update(clean, sensitivity="restricted")
    record["alert_ids"] = _alert_ids(record["alert_ids"])
    if "alert_ids" in clean:
        _own_alerts(conn, record["community_id"], record["alert_ids"])
    counts = write_snapshot(conn, t, "id", [record], recorded_by=principal.name,
                            batch_id=None, source="api", close_missing=False,
                            change_note=change_note)
    if not counts.changed:
        return CaseEdit(case_id, current_vid, current_vid, changed=False)
    new_vid = conn.execute(sa.select(t.c.vid).where(t.c.id == case_id,
                                                    t.c.valid_to.is_(None))).scalar_one()
    return CaseEdit(case_id, current_vid, int(new_vid), changed=True)


def _alert_ids(value: Any) -> list[str]:
    """The alert ids a case answers: distinct, in order, each a positive integer."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace(";", ",").split(",")
    out: list[str] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or int(text) < 1:
            raise InputError(f"Número de alerta no válido '{text}' / invalid alert id",
                             field="alert_ids")
        if text not in out:
            out.append(text)
    return out


def _own_alerts(conn: Connection, community_id: str, ids: list[str]) -> list[str]:
    """``ids`` when every one is an alert of the community; else a clear error."""
    from layers.alert_tables import alert

    if not ids:
        return ids
    query = (sa.select(sa.cast(alert.c.id, sa.Text), alert.c.community_id)
             .where(alert.c.id.in_([int(i) for i in ids])))
    found: dict[str, str] = {str(k): str(v) for k, v in conn.execute(query).all()}
    for i in ids:
        if found.get(i) != community_id:
            raise InputError(f"La alerta {i} no existe o es de otra comunidad / alert {i} does "
                             f"not exist or belongs to another community", field="alert_ids")
    return ids


def link_alert(conn: Connection, principal: Principal, case_id: str, alert_id: int, *,
               change_note: str | None = None) -> CaseEdit:
    """Record that a case answers a cadastre alert (a new version of the case)."""
    from layers.alert_tables import alert

    case = get_case(conn, principal, case_id)
    community = conn.execute(sa.select(alert.c.community_id).where(alert.c.id == alert_id)
                             ).scalar_one_or_none()
    if community is None:
        raise NotFoundError(f"No existe la alerta {alert_id} / alert {alert_id} not found",
                            code="alert_not_found")
    if community != case["community_id"]:
        raise InputError(f"La alerta {alert_id} es de otra comunidad ({community}) / alert "
                         f"{alert_id} belongs to another community", field="alert_id")
    ids = _alert_ids([*case["alert_ids"], str(alert_id)])
    return edit_case(conn, case_id, {"alert_ids": ids}, expected_vid=int(case["vid"]),
                     principal=principal,
                     change_note=change_note or f"Atiende la alerta {alert_id}")


def cases_by_alert(conn: Connection, principal: Principal, alert_ids: list[int],
                   lang: str | None = "es") -> dict[int, list[dict[str, Any]]]:
    """Current cases answering each alert (empty for readers who may not see cases)."""
    if not principal.sees_restricted or not alert_ids:
        return {}
    t = legal_case
    wanted = [str(a) for a in alert_ids]
    rows = conn.execute(sa.select(t.c.id, t.c.type, t.c.stage, t.c.alert_ids).where(
        t.c.valid_to.is_(None), visible(t, principal), t.c.alert_ids.overlap(wanted))
        .order_by(t.c.id)).mappings()
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        for a in r["alert_ids"]:
            if a in wanted:
                out.setdefault(int(a), []).append(_brief(r, lang))
    return out


def _brief(case: Mapping[Any, Any], lang: str | None) -> dict[str, Any]:
    return {"id": case["id"], "type": case["type"],
            "type_label": V.CASE_TYPE.label(case["type"], lang), "stage": case["stage"],
            "stage_label": V.CASE_STAGE.label(case["stage"], lang)}


def case_type_for_rule(rule_id: str | None) -> str | None:
    """The case type a flag's rule asks for (``case_type`` in the rule files)."""
    if not rule_id:
        return None
    from layers.flag_queries import _rules

    rule = _rules().get(rule_id)
    return rule.case_type if rule is not None else None


def open_cases_by_rule(conn: Connection, principal: Principal, community_id: str,
                       lang: str | None = "es") -> dict[str, dict[str, Any]]:
    """A community's open cases by the flag rule they address (empty for non-editors)."""
    if not principal.sees_restricted:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for case in list_cases(conn, principal, community_id=community_id, open_only=True,
                           lang=lang):
        if case.get("rule_id") and case["rule_id"] not in out:
            out[case["rule_id"]] = _brief(case, lang)
    return out
