"""Networks as living objects: ``/redes`` (the networks), ``/redes/{id}`` (members' status,
the working advocacy map, the network's indicators against its targets, membership
history), ``/redes/{id}/mapa`` (the advocacy map, framed by that page) and
``GET /api/networks/{id}/membership`` (the membership history as JSON).

Everything is read through ``layers.network_status`` and the layers it builds on, with the
reader's role: a page never shows more than the API would to the same reader.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from api import csp, mapping
from api.dependencies import ConnDep, PrincipalDep, ViewerDep, session_principal
from api.models import ok
from api.network_page_strings import network_strings
from api.routes.programme import draw_indicators
from api.routes.web import asset_url, templates
from geo import vocabulary as V
from layers import indicators, maps, network_status, programme_report
from layers.users import Principal

router = APIRouter(tags=["redes / networks"])

Lang = Literal["es", "en"]


class MembershipEvent(BaseModel):
    """One community joining or leaving, as the network's versions record it."""

    community_id: str
    community_name: str
    change: Literal["joined", "left"]
    change_label: str = Field(description="Se unió / Salió (Joined / Left)")
    at: str = Field(description="Cuándo se registró / when it was recorded (ISO 8601)")
    vid: int = Field(description="Versión de la red que lo registró / network version")
    previous_vid: int | None
    recorded_by: str | None
    source: str | None
    change_note: str | None
    import_batch_id: int | None


class MembershipNetwork(BaseModel):
    id: str
    name: str
    withdrawn: bool


class NetworkMembership(BaseModel):
    """Joined / left events of a network, oldest first (members the reader may see)."""

    network: MembershipNetwork
    members_now: list[str]
    events: list[MembershipEvent]
    count: int


@router.get("/api/networks/{network_id}/membership",
            summary="Historial de miembros de una red / network membership history",
            response_model=None, responses=ok(NetworkMembership))
def membership(network_id: str, conn: ConnDep, principal: PrincipalDep,
               lang: Lang = "es") -> JSONResponse:
    """Quién se unió y quién salió, con fecha, autor y fuente, derivado de las versiones de
    la red / who joined and left, derived from the network's versions."""
    body = network_status.membership_history(conn, principal, network_id, lang=lang)
    return JSONResponse(body, headers={"Cache-Control": "no-cache",
                                       "Vary": "Authorization, Cookie"})


def _render(request: Request, template: str, lang: Lang, **context: Any) -> HTMLResponse:
    other = "en" if lang == "es" else "es"
    params = {k: v for k, v in request.query_params.items() if v}
    params["lang"] = other
    found = session_principal(request)
    html = templates().get_template(template).render(
        lang=lang, t=network_strings(lang), asset=asset_url, other_lang=other,
        other_lang_href="?" + urlencode(params),
        session_name=found[0].name if found else None,
        sign_in_href="/session/sign-in?" + urlencode(
            {"lang": lang, "next": request.url.path}), **context)
    return HTMLResponse(html, headers={
        "Content-Language": lang, "Cache-Control": "no-cache",
        "Vary": "Authorization, Cookie", "Content-Security-Policy": csp.map_page_policy()})


def _visibility(principal: Principal, t: dict[str, str]) -> str:
    if principal.sees_restricted:
        return t["visibility_all"]
    return t["visibility_network"] if principal.sees_network else t["visibility_public"]


@router.get("/redes", summary="Redes (página) / networks page", response_class=HTMLResponse,
            include_in_schema=False)
def networks_page(request: Request, conn: ConnDep, principal: PrincipalDep,
                  lang: Lang = "es") -> HTMLResponse:
    rows = network_status.list_networks(conn, principal)
    t = network_strings(lang)
    return _render(request, "networks.html", lang, networks=rows,
                   visibility=_visibility(principal, t), fictional=maps.sample_loaded(conn))


@router.get("/redes/{network_id}", summary="Una red (página) / network page",
            response_class=HTMLResponse, include_in_schema=False)
def network_page(request: Request, network_id: str, conn: ConnDep, principal: PrincipalDep,
                 lang: Lang = "es") -> HTMLResponse:
    """Members' status, the advocacy map, indicators and membership history of a network."""
    today = dt.date.today()
    status = network_status.network_status(conn, principal, network_id, lang=lang,
                                           today=today)
    history = network_status.membership_history(conn, principal, network_id, lang=lang)
    data = programme_report.compute(conn, principal, as_of=today,
                                    scope=indicators.Scope(network=network_id))
    draw_indicators(data, lang)
    t = network_strings(lang)
    return _render(
        request, "network.html", lang, net=status,
        versions=network_status.by_version(history["events"]),
        data=data, sev_labels={c: V.SEVERITY.label(c, lang) for c in V.SEVERITY.codes},
        visibility=_visibility(principal, t),
        fictional=maps.sample_loaded(conn), today=today.isoformat(),
        map_src=f"/redes/{network_id}/mapa?lang={lang}",
        map_files={ext: f"/maps/network/{network_id}.{ext}?lang={lang}"
                   for ext in ("html", "png", "pdf")},
        history_json=f"/api/networks/{network_id}/membership?lang={lang}")


@router.get("/redes/{network_id}/mapa", summary="Mapa de la red para su página",
            response_class=Response, include_in_schema=False)
def network_page_map(network_id: str, conn: ConnDep, viewer: ViewerDep,
                     lang: Lang = "es") -> Response:
    """The network's offline advocacy map (the same document as
    ``/maps/network/{id}.html``), which the network page may frame (same origin only)."""
    out = mapping.advocacy_map(conn, viewer, lang=lang, network=network_id)
    policy = csp.document_policy(out.content.decode("utf-8")).replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'")
    return Response(out.content, media_type=out.media_type, headers={
        "Content-Security-Policy": policy, "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"})
