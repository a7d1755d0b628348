"""The lawyer's desk pages: ``/plazos`` ("Mis plazos", the deadline agenda, editors only)
and ``/alertas`` (cadastre alerts, newest first; editors change their state).

Server-rendered under the strict page CSP (no inline script or style). Both read through the
same layer functions as ``/api/agenda`` and ``/api/alerts``, so a page never shows more than
the API would to the same reader.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from api import csp
from api.dependencies import ConnDep, PrincipalDep, session_principal
from api.desk_page_strings import overdue_text, page_strings
from api.routes.web import asset_url, templates
from geo import vocabulary
from geo.errors import NotFoundError
from layers import agenda as agenda_store
from layers import alerts, cases, communities, maps
from layers.users import ANONYMOUS, Principal
from layers.visibility import visible

#: Browser pages (HTML, a 401/403 page when refused): not API operations, so not in OpenAPI;
#: the leak scanner reads them by path.
router = APIRouter(tags=["escritorio / desk pages"])

Lang = Literal["es", "en"]
TextQ = Annotated[str | None, Query(max_length=64)]
DistrictQ = Annotated[str | None, Query(max_length=20, pattern=r"^\d*$")]
#: Alerts per page of /alertas.
PAGE_SIZE = 25


def _filters(**values: str | None) -> dict[str, str]:
    return {k: v.strip() for k, v in values.items() if v and v.strip()}


def _render(request: Request, template: str, lang: Lang, status: int = 200,
            **context: Any) -> HTMLResponse:
    other = "en" if lang == "es" else "es"
    params = {k: v for k, v in request.query_params.items() if v}
    params["lang"] = other
    found = session_principal(request)
    html = templates().get_template(template).render(
        lang=lang, t=page_strings(lang), asset=asset_url, other_lang=other,
        other_lang_href="?" + urlencode(params),
        session_name=found[0].name if found else None,
        csrf=found[1] if found else None,
        sign_in_href="/session/sign-in?" + urlencode(
            {"lang": lang, "next": request.url.path + ("?" + request.url.query
                                                        if request.url.query else "")}),
        **context)
    return HTMLResponse(html, status_code=status, headers={
        "Content-Language": lang, "Cache-Control": "no-cache",
        "Vary": "Authorization, Cookie", "Content-Security-Policy": csp.map_page_policy()})


def _refusal(request: Request, principal: Principal, lang: Lang, title: str) -> HTMLResponse:
    """The page without data: a sign-in prompt (401) or "editors only" (403)."""
    status = 401 if principal is ANONYMOUS else 403
    return _render(request, "desk_refused.html", lang, status=status, title=title,
                   anonymous=status == 401)


@router.get("/plazos", summary="Mis plazos (página) / deadlines page",
            response_class=HTMLResponse,
            include_in_schema=False)
def deadlines_page(request: Request, conn: ConnDep, principal: PrincipalDep,
                   lawyer: TextQ = None, network: TextQ = None, district: DistrictQ = None,
                   lang: Lang = "es") -> HTMLResponse:
    """Open cases' deadlines across communities, the earliest (overdue) first."""
    t = page_strings(lang)
    if not principal.can_edit:
        return _refusal(request, principal, lang, t["deadlines_title"])
    today = dt.date.today()
    chosen = _filters(lawyer=lawyer, network=network, district=district)
    items = agenda_store.agenda(conn, principal, today=today, lang=lang, **chosen)
    for item in items:
        item["when_text"] = overdue_text(item, today, lang)
    return _render(request, "deadlines.html", lang, items=items, today=today.isoformat(),
                   filters=chosen, fictional=maps.sample_loaded(conn),
                   new_count=alerts.count_alerts(conn, principal,
                                                 alerts.AlertFilter(state="nueva")),
                   csv_href="/api/agenda?" + urlencode({**chosen, "format": "csv",
                                                        "lang": lang}))


@router.get("/alertas", summary="Alertas (página) / alerts page", response_class=HTMLResponse,
            include_in_schema=False)
def alerts_page(request: Request, conn: ConnDep, principal: PrincipalDep,
                community: TextQ = None, network: TextQ = None, district: DistrictQ = None,
                state: Annotated[str | None, Query(max_length=32)] = None,
                offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
                size: Annotated[int, Query(ge=1, le=200)] = PAGE_SIZE,
                lang: Lang = "es") -> HTMLResponse:
    """Alerts the reader may see (public readers: public communities only), newest first,
    ``size`` a page; "más antiguas" links to the next page."""
    chosen = _filters(community=community, network=network, district=district)
    if "community" in chosen and not _community_visible(conn, principal, chosen["community"]):
        # like /api/communities/{id}: a hidden community is "not found", and the page (which
        # echoes its filters in the form and links) is not rendered at all
        raise NotFoundError("No existe la comunidad indicada / community not found",
                            code="community_not_found")
    state_code = None
    if state and state.strip():
        state_code = alerts.parse_state(state.strip())
        chosen["state"] = state_code
    wanted = alerts.AlertFilter(
        community=chosen.get("community"), network=chosen.get("network"),
        district=chosen.get("district"), state=state_code)
    total = alerts.count_alerts(conn, principal, wanted)
    rows = alerts.list_alerts(conn, principal, wanted, lang=lang, limit=size, offset=offset)
    today = dt.date.today()
    open_cases: dict[str, list[dict[str, Any]]] = {}
    if principal.sees_restricted:  # the cases answering each alert: editors only
        answered = cases.cases_by_alert(conn, principal, [r["id"] for r in rows], lang)
        for row in rows:
            row["cases"] = answered.get(row["id"], [])
        for community_id in {r["community_id"] for r in rows}:
            open_cases[community_id] = cases.list_cases(
                conn, principal, community_id=community_id, open_only=True, lang=lang)
    for row in rows:
        row["share_text"] = _percent(row.get("share"), lang)
        row["hectares_text"] = _number(row.get("hectares"), lang)
        row["created_text"] = str(row.get("created_at") or "")[:10]  # the day, ISO
        if row.get("deadline"):
            row["deadline_when"] = overdue_text({"deadline": row["deadline"]["due"]}, today,
                                                lang)
    base = {**chosen, "lang": lang, **({"size": str(size)} if size != PAGE_SIZE else {})}
    older = ("/alertas?" + urlencode({**base, "offset": offset + size})
             if offset + len(rows) < total else None)
    newer = ("/alertas?" + urlencode({**base, "offset": max(offset - size, 0)})
             if offset > 0 else None)
    new_count = alerts.count_alerts(conn, principal, alerts.AlertFilter(state="nueva")) \
        if principal.can_edit else 0
    return _render(request, "alerts.html", lang, alerts=rows, filters=chosen,
                   states={code: vocabulary.ALERT_STATE.label(code, lang)
                           for code in vocabulary.ALERT_STATE.codes},
                   can_edit=principal.can_edit, fictional=maps.sample_loaded(conn),
                   total=total, first=offset + 1 if rows else 0, last=offset + len(rows),
                   older_href=older, newer_href=newer, new_count=new_count,
                   open_cases=open_cases)


def _community_visible(conn: Connection, principal: Principal, community_id: str) -> bool:
    c = communities.community
    return conn.execute(sa.select(c.c.id).where(
        c.c.id == community_id, c.c.valid_to.is_(None), visible(c, principal))).first() \
        is not None


def _number(value: float | None, lang: str) -> str:
    if value is None:
        return "—"
    text = f"{value:,.1f}"
    return text if lang == "en" else text.replace(",", " ").replace(".", ",")


def _percent(share: float | None, lang: str) -> str:
    return "—" if share is None else _number(100 * share, lang) + " %"
