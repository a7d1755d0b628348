"""Browser sign-in and sign-out: a form page, a server-side session in an HttpOnly cookie and
a CSRF token per session (synchronizer pattern). Tokens keep working for scripts and GIS.

- ``GET /session/sign-in``: the form (Spanish by default, ``?lang=en``). The form carries a
  one-time login CSRF value that must match a short-lived cookie (double submit), so a
  foreign site cannot sign a browser in as somebody else.
- ``POST /session/sign-in``: checks the password (scrypt), limits failed attempts per
  client and per user name (429), opens a session, sets ``allpa_session`` (HttpOnly,
  SameSite=Lax, Secure over https) and goes back to the map.
- ``POST /session/sign-out``: ends the session on the server (needs the CSRF token) and
  clears the cookie.
- ``GET /session``: who is signed in and the session's CSRF token, for the page's script.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api import csp, i18n
from api.dependencies import (
    CSRF_HEADER,
    SESSION_COOKIE,
    EngineDep,
    SettingsDep,
    csrf_error,
    session_principal,
)
from api.desk_strings import desk_strings
from api.errors import TooManyAttemptsError
from api.models import SessionInfo, ok
from layers import users

router = APIRouter(prefix="/session", tags=["sesión / session"])

LOGIN_CSRF_COOKIE = "allpa_login_csrf"
MAX_FORM_BYTES = 8_192


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _lang(value: str | None) -> str:
    return "en" if value == "en" else "es"


def _safe_next(value: str | None) -> str:
    """Only a path on this site (no ``//host``, no scheme): no open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _form_page(request: Request, lang: str, *, error: str | None = None, name: str = "",
               next_url: str = "/", status: int = 200) -> HTMLResponse:
    from api.routes.web import asset_url, templates

    token = secrets.token_urlsafe(24)
    html = templates().get_template("signin.html").render(
        lang=lang, t=desk_strings(lang), error=error, name=name, next_url=next_url,
        login_csrf=token, asset=asset_url, langs=[(c, n) for c, n, draft in i18n.LANGUAGES
                                                  if not draft])
    response = HTMLResponse(html, status_code=status, headers={
        "Cache-Control": "no-store", "Content-Language": lang,
        "Content-Security-Policy": csp.map_page_policy(None)})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=1800, httponly=True,
                        samesite="strict", secure=_secure(request), path="/session")
    return response


@router.get("/sign-in", summary="Formulario de inicio de sesión / sign-in form",
            include_in_schema=False)
def sign_in_form(request: Request, lang: Annotated[str, Query()] = "es",
                 next: Annotated[str, Query()] = "/") -> HTMLResponse:
    return _form_page(request, _lang(lang), next_url=_safe_next(next))


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in parsed.items() if v}


@router.post("/sign-in", summary="Iniciar sesión / sign in", include_in_schema=False)
async def sign_in(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    form = await _form(request)
    lang = _lang(form.get("lang"))
    t = desk_strings(lang)
    name = form.get("name", "").strip()[:200]
    next_url = _safe_next(form.get("next"))
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    sent = form.get("login_csrf", "")
    if not cookie or not sent or not secrets.compare_digest(cookie, sent):
        return _form_page(request, lang, error=t["sign_in_expired"], name=name,
                          next_url=next_url, status=403)
    limiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    keys = (f"ip:{client}", f"user:{name.lower()}")
    try:
        for key in keys:
            limiter.check(key)
    except TooManyAttemptsError:
        return _form_page(request, lang, error=t["sign_in_locked"], name=name,
                          next_url=next_url, status=429)
    from starlette.concurrency import run_in_threadpool

    def check() -> users.Session | None:
        with engine.begin() as conn:
            user_id = users.verify_login(conn, name, form.get("password", ""))
            return None if user_id is None else users.open_session(conn, user_id)

    session = await run_in_threadpool(check)
    if session is None:
        for key in keys:
            limiter.failed(key)
        return _form_page(request, lang, error=t["sign_in_failed"], name=name,
                          next_url=next_url, status=401)
    target = next_url if lang == "es" or "lang=" in next_url else \
        next_url + ("&" if "?" in next_url else "?") + "lang=en"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, session.token, max_age=users.SESSION_HOURS * 3600,
                        httponly=True, samesite="lax", secure=_secure(request), path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/session")
    return response


@router.post("/sign-out", summary="Cerrar sesión / sign out", include_in_schema=False)
async def sign_out(request: Request, engine: EngineDep) -> Response:
    """Needs the session's CSRF token (form field ``csrf`` or ``X-CSRF-Token``)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        from starlette.concurrency import run_in_threadpool

        found = await run_in_threadpool(session_principal, request)
        if found is not None:
            form = await _form(request) if request.headers.get(
                "content-type", "").startswith("application/x-www-form-urlencoded") else {}
            sent = request.headers.get(CSRF_HEADER) or form.get("csrf", "")
            if not sent or not secrets.compare_digest(sent, found[1]):
                raise csrf_error()

            def end() -> None:
                with engine.begin() as conn:
                    users.end_session(conn, token)

            await run_in_threadpool(end)
        lang = _lang(request.query_params.get("lang"))
    else:
        lang = "es"
    response = RedirectResponse("/" if lang == "es" else "/?lang=en", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("", summary="Sesión actual / current session", response_model=None,
            responses=ok(SessionInfo))
def current(request: Request) -> JSONResponse:
    found = session_principal(request)
    body: dict[str, object] = {"signed_in": False}
    if found is not None:
        principal, csrf = found
        body = {"signed_in": True, "name": principal.name, "role": principal.role,
                "csrf": csrf}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})
