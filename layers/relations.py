"""Who is related to whom: the actors, communities and conflicts around one community or
one conflict, as the reader may see them.

Every node passes :func:`layers.visibility.visible` for its own layer (a restricted actor,
community or conflict is simply absent, and so are its edges); positions of actors in
conflicts (restricted by default) label an edge only for readers who may see them. A
company actor says how many current mining rights its ``holders`` hold (the link between
the cadastre's holder strings and the company). The drawing is :mod:`geo.relgraph`'s.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import catalog
from geo import vocabulary as V
from geo.errors import InputError, NotFoundError, bilingual
from geo.relgraph import Edge, Node
from layers import communities
from layers.actors import actor, actor_position
from layers.concessions import concession
from layers.conflicts import social_conflict
from layers.users import Principal
from layers.visibility import visible

__all__ = ["Graph", "graph"]

_LEVEL_OF = {name: level for name, _, level in catalog.CONFLICT_ACTOR_FIELDS}


class Graph:
    """Nodes and edges of one relationship view (JSON-ready with :meth:`as_dict`)."""

    def __init__(self, focus: str) -> None:
        self.focus = focus
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []

    def add_edge(self, edge: Edge) -> None:
        if edge.source in self.nodes and edge.target in self.nodes and edge not in self.edges:
            self.edges.append(edge)

    def as_dict(self) -> dict[str, Any]:
        return {"focus": self.focus,
                "nodes": [{"id": n.id, "kind": n.kind, "key": n.key, "label": n.label,
                           "detail": n.detail} for n in self.nodes.values()],
                "edges": [{"source": e.source, "target": e.target, "kind": e.kind,
                           "label": e.label} for e in self.edges]}


def _current(table: sa.Table, principal: Principal) -> list[sa.ColumnElement[bool]]:
    return [table.c.valid_to.is_(None), visible(table, principal)]


def _rows(conn: Connection, table: sa.Table, principal: Principal,
          where: sa.ColumnElement[bool]) -> list[dict[str, Any]]:
    cols = [c for c in table.c if c.name not in ("location", "territory", "geom")]
    return [dict(r) for r in conn.execute(
        sa.select(*cols).where(*_current(table, principal), where)
        .order_by(table.c.id)).mappings()]


def _any(column: sa.ColumnElement[Any], keys: Iterable[str]) -> sa.ColumnElement[bool]:
    """The array ``column`` names one of ``keys``."""
    return column.op("&&")(sa.cast(sorted(set(keys)), column.type))


def graph(conn: Connection, principal: Principal, *, community: str | None = None,
          conflict: str | None = None, lang: str = "es") -> Graph:
    """The relationship view around a community or a conflict (exactly one of them);
    ``NotFoundError`` when the reader may not see it."""
    if (community is None) == (conflict is None):
        raise InputError(bilingual("Indique community o conflict (uno de los dos)",
                                   "Pass community or conflict (one of them)"),
                         code="relations_focus")
    c, k = communities.community, social_conflict
    if community is not None:
        focus_rows = _rows(conn, c, principal, c.c.id == community)
        if not focus_rows:
            raise NotFoundError(bilingual(f"Comunidad {community} no encontrada",
                                          f"Community {community} not found"))
        conflicts = _rows(conn, k, principal, k.c.communities.any(community))
        g = Graph(f"community:{community}")
    else:
        conflicts = _rows(conn, k, principal, k.c.id == conflict)
        if not conflicts:
            raise NotFoundError(bilingual(f"Conflicto {conflict} no encontrado",
                                          f"Conflict {conflict} not found"))
        g = Graph(f"conflict:{conflict}")
    community_keys = {community} if community else set()
    actor_keys: set[str] = set()
    for row in conflicts:
        community_keys.update(row["communities"] or [])
        for field in _LEVEL_OF:
            actor_keys.update(row[field] or [])
    community_rows = _rows(conn, c, principal, c.c.id.in_(sorted(community_keys)))
    actor_rows = _rows(conn, actor, principal, sa.or_(
        actor.c.id.in_(sorted(actor_keys)),
        _any(actor.c.communities, [community]) if community else sa.false()))
    company_keys = {a["company"] for a in actor_rows if a["company"]} - actor_keys
    actor_rows += _rows(conn, actor, principal, actor.c.id.in_(sorted(company_keys)))
    for row in community_rows:
        g.nodes[f"community:{row['id']}"] = Node(
            f"community:{row['id']}", "community", row["id"], row["name"],
            V.KIND.label(row["kind"], lang) if row["kind"] else "")
    for row in conflicts:
        detail = " · ".join(x for x in (V.CONFLICT_TYPE.label(row["type"], lang),
                                        V.CONFLICT_STATUS.label(row["status"], lang)) if x)
        g.nodes[f"conflict:{row['id']}"] = Node(f"conflict:{row['id']}", "conflict",
                                                row["id"], row["name"] or row["id"], detail)
    holdings = _holdings(conn, {h for a in actor_rows for h in a["holders"] or []})
    # an actor that IS a community of the view (a report naming "Comunidad Campesina X")
    # is drawn as that community: one node, not two
    alias: dict[str, str] = {}
    for row in actor_rows:
        linked = [f"community:{k}" for k in row["communities"] or []]
        if row["kind"] == "community" and len(linked) == 1 and linked[0] in g.nodes:
            alias[f"actor:{row['id']}"] = linked[0]
            continue
        detail = V.ACTOR_KIND.label(row["kind"], lang)
        if held := sum(holdings.get(h, 0) for h in row["holders"] or []):
            detail += f" · {held} " + ("concessions" if lang == "en" else "concesiones")
        g.nodes[f"actor:{row['id']}"] = Node(f"actor:{row['id']}", "actor", row["id"],
                                             row["name"], detail)
    positions = _positions(conn, principal, [r["id"] for r in conflicts])
    for row in conflicts:
        cid = f"conflict:{row['id']}"
        for key in row["communities"] or []:
            g.add_edge(Edge(cid, f"community:{key}", "community"))
        for field, level in _LEVEL_OF.items():
            for key in row[field] or []:
                label = V.ACTOR_LEVEL.label(level, lang)
                stance = positions.get((row["id"], key))
                target = alias.get(f"actor:{key}", f"actor:{key}")
                if target in alias.values():  # the community's own line says its role
                    g.edges = [e for e in g.edges if not (e.source == cid and
                                                          e.target == target)]
                g.add_edge(Edge(cid, target, level, f"{label}: {stance}" if stance else label))
    for row in actor_rows:
        aid = f"actor:{row['id']}"
        for key in row["communities"] or []:
            g.add_edge(Edge(aid, f"community:{key}", "link"))
        if row["company"]:
            g.add_edge(Edge(aid, f"actor:{row['company']}", "company",
                            "empresa" if lang != "en" else "company"))
    return g


def _holdings(conn: Connection, holders: set[str]) -> dict[str, int]:
    """Current mining rights per holder name (as the cadastre writes it): what a company
    actor holds (concessions are public records)."""
    if not holders:
        return {}
    k = concession
    rows = conn.execute(sa.select(k.c.holder, sa.func.count()).where(
        k.c.valid_to.is_(None), k.c.holder.in_(sorted(holders))).group_by(k.c.holder))
    return {r[0]: int(r[1]) for r in rows}


def _positions(conn: Connection, principal: Principal, conflicts: list[str]
               ) -> dict[tuple[str, str], str]:
    """(conflict, actor) -> the position, for the positions the reader may see."""
    if not conflicts:
        return {}
    p = actor_position
    rows = conn.execute(sa.select(p.c.conflict_id, p.c.actor_id, p.c.position)
                        .where(*_current(p, principal), p.c.conflict_id.in_(conflicts),
                               p.c.position.is_not(None)))
    return {(r[0], r[1]): r[2] for r in rows}
