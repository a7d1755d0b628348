"""The "Mis avisos" page (``/avisos``): a signed-in reader's own alert subscriptions, a form
to add one (what they may see: their networks, visible communities, a district) and a button
to remove each; for admins also the delivery log. Writes go through ``/api/subscriptions``
from ``subscriptions_page.js`` with the session's CSRF token (strict CSP: no inline script).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api import csp
from api.dependencies import ConnDep, PrincipalDep, session_principal
from api.routes.web import asset_url, templates
from api.subscription_strings import subscription_strings
from layers import maps, subscriptions
from layers.users import ANONYMOUS

router = APIRouter(tags=["avisos / subscriptions"])

Lang = Literal["es", "en"]


def _render(request: Request, lang: Lang, status: int = 200, **context: Any) -> HTMLResponse:
    other = "en" if lang == "es" else "es"
    params = {k: v for k, v in request.query_params.items() if v}
    params["lang"] = other
    found = session_principal(request)
    html = templates().get_template("subscriptions.html").render(
        lang=lang, t=subscription_strings(lang), asset=asset_url, other_lang=other,
        other_lang_href="?" + urlencode(params),
        session_name=found[0].name if found else None, csrf=found[1] if found else None,
        sign_in_href="/session/sign-in?" + urlencode({"lang": lang, "next": "/avisos"}),
        **context)
    return HTMLResponse(html, status_code=status, headers={
        "Content-Language": lang, "Cache-Control": "no-store",
        "Vary": "Authorization, Cookie", "Content-Security-Policy": csp.map_page_policy()})


@router.get("/avisos", summary="Mis avisos (página) / my notifications page",
            response_class=HTMLResponse, include_in_schema=False)
def subscriptions_page(request: Request, conn: ConnDep, principal: PrincipalDep,
                       lang: Lang = "es",
                       status: Annotated[Literal["pending", "failed", "sent"] | None,
                                         Query()] = None) -> HTMLResponse:
    """The reader's subscriptions (401 page with a sign-in link for anonymous visitors)."""
    t = subscription_strings(lang)
    if principal is ANONYMOUS:
        return _render(request, lang, status=401, anonymous=True, subs=[], log=None,
                       options={"networks": [], "communities": [], "districts": []},
                       allowed=False)
    subs = subscriptions.list_for(conn, principal)
    for s in subs:
        s["scope_label"] = t["scope_" + s["scope"]]
        s["frequency_label"] = t["freq_" + s["frequency"]]
        s["channel_label"] = t["channel_" + s["channel"]]
        s["since"] = s["created_at"][:10]
    log = None
    if principal.role == "admin":
        log = subscriptions.delivery_log(conn, principal, state=status, limit=100)
        for row in log:
            row["status_label"] = t["status_" + row["status"]]
            row["next_text"] = (row["next_attempt_at"] or "")[:16].replace("T", " ") \
                if row["status"] != "sent" else "—"
    return _render(request, lang, anonymous=False, subs=subs, log=log, status_filter=status,
                   options=subscriptions.choices(conn, principal),
                   allowed=subscriptions.may_subscribe(principal),
                   fictional=maps.sample_loaded(conn))
