"""Atom feeds of the alerts of one community or one network (for feed readers and the
community's promoters): ``GET /feeds/communities/{id}.atom``, ``/feeds/networks/{id}.atom``.

The same visibility as ``/api/alerts``: a community the reader may not see has no feed (404,
the same answer as one that does not exist)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.dependencies import ConnDep, LangDep, PrincipalDep
from geo import atom
from geo.errors import NotFoundError, bilingual
from layers import alert_deadlines, alerts, communities, networks
from layers.visibility import visible

router = APIRouter(prefix="/feeds", tags=["alertas / alerts"])

ATOM = "application/atom+xml"
FEED_RESPONSE: dict[int | str, Any] = {
    200: {"description": "Atom 1.0", "content": {ATOM: {"schema": {"type": "string"}}}}}
Id = Annotated[str, Path(max_length=64)]


def _entries(request: Request, rows: list[dict[str, Any]], lang: str) -> list[atom.Entry]:
    out = []
    for r in rows:
        stamp = r["state_at"] or r["created_at"]
        out.append(atom.Entry(
            id=f"urn:allpa:alert:{r['id']}",
            title=f"{r['kind_label']}: {r['code']} · {r['community_name'] or r['community_id']}"
                  f" ({r['state_label']})",
            updated=dt.datetime.fromisoformat(stamp),
            summary=" ".join(x for x in (r["summary"],
                                         alert_deadlines.text(r["deadline"], lang)) if x),
            link=str(request.url_for("community_map", community_id=r["community_id"],
                                     ext="html")) + f"?lang={lang}"))
    return out


def _feed(request: Request, feed_id: str, title: str, alternate: str,
          rows: list[dict[str, Any]], lang: str) -> Response:
    entries = _entries(request, rows, lang)
    updated = max((e.updated for e in entries),
                  default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    body = atom.feed(feed_id=feed_id, title=title, self_link=str(request.url),
                     alternate=alternate, updated=updated, entries=entries, lang=lang)
    return Response(body, media_type=ATOM)


@router.get("/communities/{community_id}.atom", summary="Alertas de una comunidad (Atom)",
            response_class=Response, responses=FEED_RESPONSE)
def community_feed(community_id: Id, request: Request, conn: ConnDep,
                   principal: PrincipalDep, lang: LangDep) -> Response:
    c = communities.community
    name = conn.execute(sa.select(c.c.name).where(c.c.id == community_id,
                                                  visible(c, principal))
                        .order_by(c.c.vid.desc()).limit(1)).scalar()
    if name is None:
        raise NotFoundError(bilingual(f"No existe la comunidad {community_id}",
                                      f"Community {community_id} does not exist"))
    rows = alerts.list_alerts(conn, principal, alerts.AlertFilter(community=community_id),
                              lang=lang)
    title = (f"Alerts of the mining cadastre: {name}" if lang == "en"
             else f"Alertas del catastro minero: {name}")
    alternate = str(request.url_for("community_map", community_id=community_id, ext="html"))
    return _feed(request, f"urn:allpa:feed:community:{quote(community_id)}", title,
                 alternate, rows, lang)


@router.get("/networks/{network_id}.atom", summary="Alertas de una red (Atom)",
            response_class=Response, responses=FEED_RESPONSE)
def network_feed(network_id: Id, request: Request, conn: ConnDep, principal: PrincipalDep,
                 lang: LangDep) -> Response:
    n = networks.network
    name = conn.execute(sa.select(n.c.name).where(n.c.id == network_id,
                                                  n.c.valid_to.is_(None))).scalar()
    if name is None:
        raise NotFoundError(bilingual(f"No existe la red {network_id}",
                                      f"Network {network_id} does not exist"))
    rows = alerts.list_alerts(conn, principal, alerts.AlertFilter(network=network_id),
                              lang=lang)
    title = (f"Alerts of the mining cadastre: {name}" if lang == "en"
             else f"Alertas del catastro minero: {name}")
    alternate = str(request.url_for("network_map", network_id=network_id, ext="html"))
    return _feed(request, f"urn:allpa:feed:network:{quote(network_id)}", title, alternate,
                 rows, lang)
