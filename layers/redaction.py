"""What a reader is shown of records that mention hidden ones: hidden ids and names, free
text scrubbed of them, overlaps and flags as this reader may read them.

Flag messages name communities and water sources; a flag whose evidence names a record the
reader may not see is rendered again without it, or left out when it exists only because of
hidden records (``layers.flag_queries``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.flag_rank import most_severe
from layers import communities, derived_tables, water
from layers.db import as_of_clause
from layers.flag_order import flag_order_by
from layers.flag_queries import flag_for_viewer
from layers.layer_collections import AsOf, Collection, Page, Viewer, check_paging, jsonable
from layers.registry import LAYERS
from layers.visibility import hidden_pattern, scrub, visible


def derived_alive(table: sa.Table, as_of: AsOf) -> sa.ColumnElement[bool]:
    """Derived rows (overlaps, flags) computed by ``as_of`` and not yet superseded."""
    if as_of is None:
        return table.c.valid_to.is_(None)
    moment = _moment(as_of)
    return sa.and_(table.c.computed_at <= moment,
                   sa.or_(table.c.valid_to.is_(None), table.c.valid_to > moment))


def _moment(as_of: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(as_of, dt.datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)



def redaction(conn: Connection, viewer: Viewer) -> re.Pattern[str] | None:
    """A pattern matching every hidden id/name (None when nothing is hidden)."""
    if viewer.principal.sees_restricted:
        return None
    return hidden_pattern(hidden_names(conn, viewer))


def redact_features(conn: Connection, coll: Collection, viewer: Viewer,
                     features: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Free text of visible records may name hidden ones ("lindero con HF-033"): redact.
    A version's change note is free text of every layer ("se suma HF-030" on a network)."""
    if viewer.principal.sees_restricted:
        return features
    texts = (*coll.free_text, "change_note")
    if not any(f["properties"].get(c) for f in features for c in texts):
        return features
    pattern = redaction(conn, viewer)
    if pattern is None:
        return features
    for f in features:
        for c in texts:
            if f["properties"].get(c):
                f["properties"][c] = scrub(f["properties"][c], pattern)
    return features


def hidden_names(conn: Connection, viewer: Viewer) -> set[str]:
    """Ids and names of records the viewer may not see (never shown in evidence/details)."""
    if viewer.principal.sees_restricted:
        return set()
    out: set[str] = set()
    shown: set[str] = set()
    for spec in LAYERS.values():  # every layer with a sensitivity may hide records
        if not spec.layer.has_sensitivity:
            continue
        table = spec.table
        name = table.c.name if "name" in table.c else table.c[spec.key]
        vis = visible(table, viewer.principal)
        for key, label, ok in conn.execute(sa.select(table.c[spec.key], name, vis)):
            (shown if ok else out).update(v for v in (key, label) if v)
    return out - shown


def _other_visible(viewer: Viewer, as_of: AsOf) -> sa.ColumnElement[bool]:
    o = derived_tables.overlap
    if viewer.principal.sees_restricted:
        return sa.true()
    c, w = communities.community, water.water_source
    community_ok = sa.exists().where(c.c.id == o.c.other_id, as_of_clause(c, as_of),
                                     visible(c, viewer.principal))
    water_ok = sa.exists().where(w.c.id == o.c.other_id, as_of_clause(w, as_of),
                                 visible(w, viewer.principal))
    return sa.case((o.c.other_kind == "community", community_ok),
                   (o.c.other_kind == "water", water_ok), else_=sa.true())


def overlaps(conn: Connection, viewer: Viewer, community_id: str, *, as_of: AsOf = None,
             hidden: re.Pattern[str] | None = None) -> list[dict[str, Any]]:
    o = derived_tables.overlap
    query = (sa.select(o.c.other_kind, o.c.other_id, o.c.intersection_ha, o.c.share,
                       o.c.estimate, o.c.details, o.c.computed_at)
             .where(o.c.community_id == community_id, derived_alive(o, as_of),
                    _other_visible(viewer, as_of))
             .order_by(o.c.other_kind, sa.desc(o.c.intersection_ha), o.c.other_id))
    hidden = redaction(conn, viewer) if hidden is None else hidden
    return [jsonable({**dict(r), "details": scrub(r["details"] or {}, hidden)})
            for r in conn.execute(query).mappings()]


def unreadable_flags(conn: Connection, viewer: Viewer, flag_ids: set[int]) -> set[int]:
    """Of ``flag_ids``, the flags that exist only because of records this viewer may not see
    (the flag lists leave them out, so counts must too: a count would reveal them)."""
    hidden = redaction(conn, viewer)
    if hidden is None or not flag_ids:
        return set()
    f, c = derived_tables.flag, communities.community
    rows = [dict(r) for r in conn.execute(sa.select(
        f.c.id, f.c.community_id, f.c.rule_id, f.c.message_es.label("message"),
        f.c.action_es.label("action"), f.c.evidence).where(f.c.id.in_(flag_ids))).mappings()]
    names = hidden_names(conn, viewer)
    community_rows = {str(r["id"]): dict(r) for r in conn.execute(
        sa.select(c).where(c.c.valid_to.is_(None),
                           c.c.id.in_({str(r["community_id"]) for r in rows}))).mappings()}
    return {int(r["id"]) for r in rows
            if flag_for_viewer(r, hidden=names, pattern=hidden, lang="es",
                               community=community_rows.get(str(r["community_id"]))) is None}


def flags(conn: Connection, viewer: Viewer, *, lang: str = "es", community_id: str | None = None,
          severity: str | None = None, rule_id: str | None = None, as_of: AsOf = None,
          limit: int = 100, offset: int = 0, hidden: re.Pattern[str] | None = None,
          community_ids: Sequence[str] | None = None) -> Page:
    """Current (or as-of) flags of communities the viewer may see, most severe first
    (``community_ids``: only those communities, in one query)."""
    check_paging(limit, offset)
    f, c = derived_tables.flag, communities.community
    conds: list[sa.ColumnElement[bool]] = [
        derived_alive(f, as_of),
        sa.exists().where(c.c.id == f.c.community_id, as_of_clause(c, as_of),
                          visible(c, viewer.principal)),
    ]
    if community_id:
        conds.append(f.c.community_id == community_id)
    if community_ids is not None:
        conds.append(f.c.community_id.in_(list(community_ids)))
    if severity:
        conds.append(f.c.severity == severity)
    if rule_id:
        conds.append(f.c.rule_id == rule_id)
    message = f.c.message_en if lang == "en" else f.c.message_es
    action = f.c.action_en if lang == "en" else f.c.action_es
    query = (sa.select(f.c.id, f.c.community_id, f.c.rule_id, f.c.severity, f.c.rank,
                       message.label("message"), action.label("action"), f.c.legal_ref,
                       f.c.evidence, f.c.due_date, f.c.computed_at, f.c.run_id)
             .where(*conds)
             .order_by(*flag_order_by(f), f.c.id))
    hidden = redaction(conn, viewer) if hidden is None else hidden
    if hidden is None:
        items = [jsonable(dict(r)) for r in
                 conn.execute(query.limit(limit).offset(offset)).mappings()]
        total = int(conn.execute(sa.select(sa.func.count()).select_from(f).where(*conds))
                    .scalar_one())
        return Page(features=items, total=total, limit=limit, offset=offset)
    # something is hidden from this viewer: every flag is read as the viewer may read it
    # (re-rendered, or left out when it exists only because of hidden records), and the
    # total counts what the viewer is shown
    rows = [dict(r) for r in conn.execute(query).mappings()]
    names = hidden_names(conn, viewer)
    community_rows = {str(r["id"]): dict(r) for r in conn.execute(
        sa.select(c).where(c.c.valid_to.is_(None),
                           c.c.id.in_({str(r["community_id"]) for r in rows}))).mappings()}
    shown = [jsonable(v) for r in rows
             if (v := flag_for_viewer(r, hidden=names, pattern=hidden, lang=lang,
                                      community=community_rows.get(str(r["community_id"]))))
             is not None]
    return Page(features=shown[offset:offset + limit], total=len(shown), limit=limit,
                offset=offset)


def flag_severities(conn: Connection, viewer: Viewer, *, as_of: AsOf = None) -> dict[str, str]:
    """Highest severity per visible community among the flags *this viewer* may read (a flag
    that exists only because of hidden records does not colour a map for them)."""
    shown = flags(conn, viewer, as_of=as_of, limit=2**31 - 1).features
    by_community: dict[str, list[str]] = {}
    for item in shown:
        by_community.setdefault(str(item["community_id"]), []).append(str(item["severity"]))
    return {cid: sev for cid, sevs in by_community.items() if (sev := most_severe(sevs))}
