"""A network as a living object: who its members are now and how they stand (legal
personality, open flags, open deadlines, alerts), and who joined or left it when.

The membership history is derived from the network's own versions (``layers.versioning``
keeps every one with who/when/source): consecutive versions are diffed, so there is no
second record of membership to drift from the first. Every member is judged by the ONE
visibility rule (:func:`layers.visibility.visible` on the community): a community the reader
may not see is absent from the members, from the history and from every count, and free
text (change notes, descriptions) naming it is scrubbed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import vocabulary as V
from geo.errors import NotFoundError
from geo.flag_rank import most_severe
from layers import agenda, alerts, communities, networks
from layers.layer_collections import jsonable
from layers.queries import Viewer, flags, redaction
from layers.users import Principal
from layers.visibility import scrub, visible

#: Alert states that still ask for attention (a dismissed alert does not).
OPEN_ALERT_STATES = ("nueva", "vista", "verificada")


class NetworkNotFoundError(NotFoundError):
    code = "network_not_found"


def _not_found(network_id: str) -> NetworkNotFoundError:
    return NetworkNotFoundError(f"No existe la red '{network_id}' / network '{network_id}' "
                                "not found")


def list_networks(conn: Connection, principal: Principal) -> list[dict[str, Any]]:
    """Current networks with the number of members this reader may see."""
    n, c = networks.network, communities.community
    shown = (sa.select(sa.func.count()).where(
        c.c.valid_to.is_(None), c.c.id == sa.any_(n.c.members), visible(c, principal))
        .scalar_subquery())
    rows = conn.execute(sa.select(n.c.id, n.c.name, n.c.description, shown.label("n_members"))
                        .where(n.c.valid_to.is_(None)).order_by(n.c.id)).mappings()
    hidden = redaction(conn, Viewer(principal))
    return [{**dict(r), "description": scrub(r["description"], hidden)} for r in rows]


def _visible_ids(conn: Connection, principal: Principal, ids: set[str]) -> dict[str, str]:
    """Of ``ids``, the communities the reader may see (judged by their governing version,
    current or withdrawn), with their latest name."""
    if not ids:
        return {}
    c = communities.community
    rows = conn.execute(
        sa.select(c.c.id, c.c.name).where(c.c.id.in_(sorted(ids)), visible(c, principal))
        .order_by(c.c.id, c.c.vid))
    return {str(i): str(name) for i, name in rows}  # the latest version's name wins


def diff_members(before: Sequence[str], after: Sequence[str]) -> tuple[list[str], list[str]]:
    """(joined, left) between two consecutive member lists, each sorted."""
    old, new = set(before), set(after)
    return sorted(new - old), sorted(old - new)


def membership_history(conn: Connection, principal: Principal, network_id: str, *,
                       lang: str = "es") -> dict[str, Any]:
    """Who joined and who left ``network_id``, oldest first, from its versions.

    Each event carries the version that recorded it (``vid``; the one before it,
    ``previous_vid``), when (``at``: that version's ``valid_from``), who (``recorded_by``),
    the source, change note and import batch. A network whose last version is closed was
    withdrawn: its last members are listed as leaving when it was closed (by whom, the
    record does not say). Members the reader may not see produce no event at all.
    """
    n = networks.network
    versions = conn.execute(
        sa.select(n.c.vid, n.c.name, n.c.members, n.c.valid_from, n.c.valid_to,
                  n.c.recorded_by, n.c.source, n.c.change_note, n.c.import_batch_id)
        .where(n.c.id == network_id).order_by(n.c.vid)).mappings().all()
    if not versions:
        raise _not_found(network_id)
    everyone = {str(m) for v in versions for m in (v["members"] or [])}
    shown = _visible_ids(conn, principal, everyone)
    hidden = redaction(conn, Viewer(principal))
    events: list[dict[str, Any]] = []

    def add(change: str, ids: list[str], at: dt.datetime, version: Any,
            previous: int | None, recorded: bool = True) -> None:
        for cid in ids:
            if cid not in shown:
                continue
            events.append({
                "community_id": cid, "community_name": shown[cid], "change": change,
                "change_label": _CHANGE_LABELS[change][lang == "en"],
                "at": at.isoformat(), "vid": int(version["vid"]), "previous_vid": previous,
                "recorded_by": version["recorded_by"] if recorded else None,
                "source": scrub(version["source"], hidden) if recorded else None,
                "change_note": scrub(version["change_note"], hidden) if recorded else None,
                "import_batch_id": version["import_batch_id"] if recorded else None,
            })

    previous: Any = None
    for version in versions:
        joined, left = diff_members(previous["members"] or [] if previous else [],
                                    version["members"] or [])
        prev_vid = int(previous["vid"]) if previous else None
        add("joined", joined, version["valid_from"], version, prev_vid)
        add("left", left, version["valid_from"], version, prev_vid)
        previous = version
    last = versions[-1]
    withdrawn = last["valid_to"] is not None
    if withdrawn:
        add("left", sorted(str(m) for m in last["members"] or []), last["valid_to"], last,
            int(last["vid"]), recorded=False)
    current = {str(m) for m in (last["members"] or [])} if not withdrawn else set()
    return {"network": {"id": network_id, "name": scrub(last["name"], hidden),
                        "withdrawn": withdrawn},
            "members_now": sorted(current & set(shown)),
            "events": events, "count": len(events)}


def by_version(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events grouped by the version that recorded them, newest first (one line per
    assembly act or import on a page, its members joined and left inside it)."""
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for e in events:
        group = groups.setdefault((e["vid"], e["at"]), {
            **{k: e[k] for k in ("vid", "previous_vid", "at", "recorded_by", "source",
                                 "change_note", "import_batch_id")},
            "joined": [], "left": []})
        group[e["change"]].append(e)
    return sorted(groups.values(), key=lambda g: (g["at"], g["vid"]), reverse=True)


_CHANGE_LABELS = {"joined": ("Se unió", "Joined"), "left": ("Salió", "Left")}


def _network(conn: Connection, network_id: str) -> dict[str, Any]:
    n = networks.network
    row = conn.execute(sa.select(n.c.id, n.c.name, n.c.description, n.c.members, n.c.vid,
                                 n.c.valid_from, n.c.recorded_by, n.c.source)
                       .where(n.c.id == network_id, n.c.valid_to.is_(None))).mappings().first()
    if row is None:
        raise _not_found(network_id)
    return dict(row)


def _members(conn: Connection, principal: Principal, ids: list[str]) -> list[dict[str, Any]]:
    c = communities.community
    rows = conn.execute(
        sa.select(c.c.id, c.c.name, c.c.kind, c.c.country, c.c.admin_code, c.c.legal_status,
                  c.c.vid)
        .where(c.c.valid_to.is_(None), c.c.id.in_(ids), visible(c, principal))
        .order_by(c.c.name, c.c.id)).mappings()
    return [dict(r) for r in rows]


def network_status(conn: Connection, principal: Principal, network_id: str, *,
                   lang: str = "es", today: dt.date | None = None) -> dict[str, Any]:
    """The network and each member this reader may see: legal personality (label), open
    flags by severity, open deadlines (readers who may see cases only; ``None`` for the
    others), open alerts; plus the network's deadline and alert lists."""
    today = today or dt.date.today()
    net = _network(conn, network_id)
    viewer = Viewer(principal)
    hidden = redaction(conn, viewer)
    members = _members(conn, principal, [str(m) for m in net["members"] or []])
    sees_cases = principal.sees_restricted
    deadlines = agenda.agenda(conn, principal, network=network_id, today=today, lang=lang) \
        if sees_cases else []
    alert_rows = alerts.list_alerts(conn, principal, alerts.AlertFilter(network=network_id),
                                    lang=lang)
    by_member_deadlines: dict[str, list[dict[str, Any]]] = {}
    for d in deadlines:
        by_member_deadlines.setdefault(d["community_id"], []).append(d)
    open_alerts = Counter(a["community_id"] for a in alert_rows
                          if a["state"] in OPEN_ALERT_STATES)
    out = []
    totals: Counter[str] = Counter()
    # every member's flags in one query, read as this viewer may read them
    member_flags: dict[str, list[dict[str, Any]]] = {}
    for f in flags(conn, viewer, lang=lang, community_ids=[str(m["id"]) for m in members],
                   limit=10_000 * max(len(members), 1), hidden=hidden).features:
        member_flags.setdefault(str(f["community_id"]), []).append(f)
    for m in members:
        cid = str(m["id"])
        found = member_flags.get(cid, [])
        by_severity = Counter(str(f["severity"]) for f in found)
        totals.update(by_severity)
        mine = by_member_deadlines.get(cid, [])
        out.append({
            "id": cid, "name": m["name"], "vid": m["vid"],
            "kind_label": V.KIND.label(m["kind"], lang),
            "legal_status": m["legal_status"],
            "legal_status_label": V.LEGAL_STATUS.label(m["legal_status"], lang)
            if m["legal_status"] else _UNKNOWN[lang == "en"],
            "flags": {code: by_severity[code] for code in reversed(V.SEVERITY.codes)
                      if by_severity[code]},
            "flags_total": len(found),
            "severity": most_severe(by_severity) or "none",
            "deadlines": len(mine) if sees_cases else None,
            "overdue": sum(1 for d in mine if d["overdue"]) if sees_cases else None,
            "next_deadline": mine[0]["deadline"] if mine else None,
            "alerts_open": open_alerts[cid],
        })
    return jsonable({
        "id": net["id"], "name": scrub(net["name"], hidden),
        "description": scrub(net["description"], hidden), "vid": net["vid"],
        "valid_from": net["valid_from"], "recorded_by": net["recorded_by"],
        "members": out, "n_members": len(out),
        "flags_by_severity": {code: totals[code] for code in reversed(V.SEVERITY.codes)
                              if totals[code]},
        "sees_cases": sees_cases, "deadlines": deadlines if sees_cases else None,
        "alerts": alert_rows,
    })


_UNKNOWN = ("Sin dato", "Unknown")
