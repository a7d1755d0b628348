"""Reading alerts (who may see which) and moving them through their states.

An alert is visible exactly when its community is (``layers.visibility.visible`` on the
community's governing sensitivity); the water sources it names are filtered the same way,
so a restricted spring's id never reaches a reader who may not see it. Who changed a state
is shown to signed-in readers only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import vocabulary
from geo.errors import InputError, NotFoundError, bilingual
from layers import alert_deadlines, batches, communities, concessions, networks, water
from layers.alert_tables import alert, concession_change
from layers.layer_collections import jsonable
from layers.users import ANONYMOUS, Principal
from layers.visibility import visible

MAX_ALERTS = 1000


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts a listing asks for (all of them given visibility, by default)."""

    community: str | None = None
    network: str | None = None
    district: str | None = None
    state: str | None = None
    since: dt.datetime | dt.date | None = None
    ids: tuple[int, ...] | None = None


def _visible_community(principal: Principal) -> sa.ColumnElement[bool]:
    c = communities.community
    return sa.exists().where(c.c.id == alert.c.community_id, visible(c, principal))


def _where(f: AlertFilter, principal: Principal) -> list[sa.ColumnElement[bool]]:
    c = communities.community
    where = [_visible_community(principal)]
    if f.community:
        where.append(alert.c.community_id == f.community)
    if f.ids is not None:
        where.append(alert.c.id.in_(f.ids))
    if f.state:
        where.append(alert.c.state == parse_state(f.state))
    if f.since is not None:
        since = f.since if isinstance(f.since, dt.datetime) else \
            dt.datetime.combine(f.since, dt.time(), tzinfo=dt.UTC)
        where.append(alert.c.created_at >= since)
    if f.district:
        where.append(sa.exists().where(c.c.id == alert.c.community_id, c.c.valid_to.is_(None),
                                       c.c.admin_code.startswith(f.district)))
    if f.network:
        n = networks.network
        where.append(sa.exists().where(n.c.id == f.network, n.c.valid_to.is_(None),
                                       alert.c.community_id == sa.any_(n.c.members)))
    return where


def parse_state(value: str) -> str:
    """An alert state code from any of its spellings; a clear bilingual error otherwise."""
    try:
        return vocabulary.ALERT_STATE.parse(value)
    except ValueError:
        codes = ", ".join(vocabulary.ALERT_STATE.codes)
        raise InputError(bilingual(f"Estado de alerta desconocido '{value}'; use {codes}",
                                   f"Unknown alert state '{value}'; use {codes}"),
                         code="invalid_alert_state") from None


def count_alerts(conn: Connection, principal: Principal, f: AlertFilter | None = None) -> int:
    """How many alerts the listing would hold without paging: one SQL ``count(*)`` (the
    header's "N nuevas" and the pages' totals)."""
    query = sa.select(sa.func.count()).select_from(alert).where(
        *_where(f or AlertFilter(), principal))
    return int(conn.execute(query).scalar_one())


def list_alerts(conn: Connection, principal: Principal, f: AlertFilter | None = None,
                *, lang: str = "es", limit: int = MAX_ALERTS,
                offset: int = 0) -> list[dict[str, Any]]:
    """Visible alerts, newest first (``offset`` skips the newer ones: paging), with what
    changed said in words and the response deadline where a rule gives one."""
    f = f or AlertFilter()
    c, k, b, w = (communities.community, concessions.concession, batches.import_batch,
                  water.water_source)
    latest_c = (sa.select(c.c.name).where(c.c.id == alert.c.community_id)
                .order_by(c.c.vid.desc()).limit(1).scalar_subquery())
    version = sa.func.coalesce(concession_change.c.new_vid, concession_change.c.old_vid)
    right = sa.select(k.c.name, k.c.holder).where(k.c.vid == version).lateral("right")
    waters = sa.func.array(
        sa.select(w.c.id).where(w.c.id == sa.any_(alert.c.water_source_ids),
                                w.c.valid_to.is_(None), visible(w, principal))
        .order_by(w.c.id).scalar_subquery())
    query = (
        sa.select(alert.c.id, alert.c.community_id, latest_c.label("community_name"),
                  alert.c.kind, alert.c.code, right.c.name.label("concession_name"),
                  right.c.holder, concession_change.c.fields, alert.c.hectares, alert.c.share,
                  waters.label("water_source_ids"), alert.c.consultation_id, alert.c.state,
                  alert.c.state_by, alert.c.state_at, alert.c.created_at, alert.c.response,
                  concession_change.c.batch_id, b.c.file_name.label("batch_file"))
        .select_from(alert.join(concession_change, concession_change.c.id == alert.c.change_id)
                     .join(b, b.c.id == concession_change.c.batch_id)
                     .join(right, sa.true(), isouter=True))
        .where(*_where(f, principal))
        .order_by(alert.c.created_at.desc(), alert.c.id.desc()).limit(limit).offset(offset))
    return [_present(dict(r), principal, lang) for r in conn.execute(query).mappings()]


def _present(row: dict[str, Any], principal: Principal, lang: str) -> dict[str, Any]:
    row["kind_label"] = vocabulary.CHANGE_KIND.label(row["kind"], lang)
    row["state_label"] = vocabulary.ALERT_STATE.label(row["state"], lang)
    row["fields"] = list(row["fields"] or [])
    row["fields_labels"] = [vocabulary.CHANGE_FIELD.label(x, lang) for x in row["fields"]]
    if principal is ANONYMOUS:
        row["state_by"] = None
    row["deadline"] = alert_deadlines.describe(row.pop("response", None), lang)
    row["summary"] = summary(row, lang)
    return {key: jsonable(v) for key, v in row.items()}


def summary(row: dict[str, Any], lang: str = "es") -> str:
    """One sentence a person reads: what changed, where, how much of the territory."""
    what = vocabulary.CHANGE_KIND.label(row["kind"], lang)
    name = row.get("concession_name") or ""
    right = f"{row['code']}" + (f" ({name})" if name else "")
    fields = ", ".join(row.get("fields_labels") or [])
    ha, share = row.get("hectares"), row.get("share")
    if lang == "en":
        text = f"{what} {right} touches {row.get('community_name') or row['community_id']}"
        if fields and row["kind"] == "changed":
            text += f"; changed: {fields}"
        if ha is not None:
            text += f"; {ha:,.1f} ha" + (f" ({share:.1%} of the territory)"
                                          if share is not None else "")
        if row.get("water_source_ids"):
            text += f"; water sources: {', '.join(row['water_source_ids'])}"
        if row.get("consultation_id"):
            text += f"; consultation {row['consultation_id']}"
        return text + "."
    text = f"{what} {right} afecta a {row.get('community_name') or row['community_id']}"
    if fields and row["kind"] == "changed":
        text += f"; cambió: {fields}"
    if ha is not None:
        text += f"; {_es_number(ha)} ha" + (f" ({_es_number(100 * share)} % del territorio)"
                                             if share is not None else "")
    if row.get("water_source_ids"):
        text += f"; fuentes de agua: {', '.join(row['water_source_ids'])}"
    if row.get("consultation_id"):
        text += f"; consulta {row['consultation_id']}"
    return text + "."


def _es_number(value: float) -> str:
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


def set_state(conn: Connection, alert_id: int, state: str, principal: Principal
              ) -> dict[str, Any]:
    """Move a visible alert to ``state`` (who and when are kept on the alert)."""
    code = parse_state(state)
    row = conn.execute(
        sa.update(alert).where(alert.c.id == alert_id, _visible_community(principal))
        .values(state=code, state_by=principal.name, state_at=sa.func.now())
        .returning(alert.c.id, alert.c.state, alert.c.state_by, alert.c.state_at)
    ).mappings().first()
    if row is None:
        raise NotFoundError(bilingual(f"No existe la alerta {alert_id}",
                                      f"Alert {alert_id} does not exist"),
                            code="alert_not_found")
    return jsonable(dict(row))
