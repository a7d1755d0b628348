"""Reusable, typed request parameter groups (titiler-style): bbox, paging, as_of, lang,
format, tile address; plus the engine, settings, the caller (principal) and the viewer."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Header, Path, Query, Request
from sqlalchemy.engine import Connection, Engine

from api.credentials import parse_authorization
from api.errors import AuthenticationError, ParameterError
from api.openapi_problems import answers
from geo.errors import PermissionDeniedError
from layers import queries
from layers.config import Settings
from layers.queries import BBox, Viewer
from layers.tiles import TileIndex, check_tile
from layers.users import ANONYMOUS, Principal, principal_for_session, principal_for_token

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
#: Bounds of every integer parameter (beyond them: 400, never a database overflow).
MAX_OFFSET = queries.MAX_OFFSET
MAX_INT32 = 2**31 - 1


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@answers(503)
def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@answers(503)
def get_conn(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Connection]:
    """A read connection for one request (read-only work; rolled back at the end)."""
    with engine.connect() as conn:
        yield conn


@answers(400)
def bbox_param(
    bbox: Annotated[str | None, Query(
        description="minlon,minlat,maxlon,maxlat (WGS84 / CRS84)",
        examples=["-70.2,-15.5,-69.5,-15.0"])] = None,
) -> BBox | None:
    if bbox is None or bbox == "":
        return None
    try:
        parts = [float(p) for p in bbox.split(",")]
    except ValueError:
        parts = []
    if len(parts) == 6:  # 3D bbox: drop the heights
        parts = [parts[0], parts[1], parts[3], parts[4]]
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise ParameterError(f"bbox no válido '{bbox}': use minlon,minlat,maxlon,maxlat / "
                             f"invalid bbox '{bbox}': use minlon,minlat,maxlon,maxlat",
                             code="invalid_bbox")
    x0, y0, x1, y1 = parts
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= y1 <= 90 and x0 <= x1):
        raise ParameterError(f"bbox fuera de rango '{bbox}' / bbox out of range '{bbox}'",
                             code="invalid_bbox")
    return (x0, y0, x1, y1)


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging_param(
    limit: Annotated[int, Query(ge=1, le=MAX_INT32,
                                description=f"máx./max {MAX_LIMIT}")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Paging:
    """Limits above the maximum are lowered (OGC API rule), not refused."""
    return Paging(limit=min(limit, MAX_LIMIT), offset=offset)


def parse_as_of(value: str | None) -> dt.date | dt.datetime | None:
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ParameterError(
            f"as_of no válido '{value}': use AAAA-MM-DD o fecha y hora ISO 8601 / invalid "
            f"as_of '{value}': use YYYY-MM-DD or an ISO 8601 datetime", code="invalid_as_of"
        ) from None


@answers(400)
def as_of_param(
    as_of: Annotated[str | None, Query(
        description="Estado a esa fecha (AAAA-MM-DD = fin del día UTC) o fecha-hora ISO / "
                    "state as of that date or datetime")] = None,
) -> dt.date | dt.datetime | None:
    return parse_as_of(as_of)


Lang = Literal["es", "en"]


def lang_param(
    lang: Annotated[Lang, Query(description="Idioma / language (es, en)")] = "es",
) -> Lang:
    return lang


Format = Literal["json", "geojson"]


def format_param(
    request: Request,
    f: Annotated[Literal["json", "geojson"] | None, Query(
        description="json | geojson (o cabecera Accept / or Accept header)")] = None,
) -> Format:
    if f is not None:
        return f
    accept = request.headers.get("accept", "")
    return "geojson" if "application/geo+json" in accept else "json"


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ParameterError(f"{name} debe ser un entero: '{value}' / {name} must be an "
                             f"integer: '{value}'", code="tile_out_of_range") from None


@answers(400)
def tile_param(
    z: Annotated[str, Path(description="zoom 0..22")],
    x: Annotated[str, Path(description="columna / column 0..2^z-1")],
    y: Annotated[str, Path(description="fila / row 0..2^z-1")],
) -> TileIndex:
    """Validated before any database work: out of range is a 400 problem."""
    return check_tile(_int(z, "z"), _int(x, "x"), _int(y, "y"))


#: The browser session cookie (HttpOnly; see :mod:`api.routes.session`).
SESSION_COOKIE = "allpa_session"
#: Header carrying the session's CSRF token on every state-changing cookie request.
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CsrfError(PermissionDeniedError):
    code = "csrf_failed"


def csrf_error() -> CsrfError:
    return CsrfError("Falta el token CSRF de la sesión o no coincide; recargue la página / "
                     "the session's CSRF token is missing or does not match; reload the page")


def session_principal(request: Request) -> tuple[Principal, str] | None:
    """(who, CSRF token) of the request's session cookie, or None (no or dead session)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    with get_engine(request).connect() as conn:
        return principal_for_session(conn, token)


@answers(401, 429, 503)
def current_principal(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """``Authorization: Bearer <token>`` (or Basic with the token as password, see
    :mod:`api.credentials`) resolved through the hashed token table; else the browser's
    session cookie, whose state-changing requests must carry the session's CSRF token
    (``X-CSRF-Token``); else anonymous."""
    if not authorization:
        found = session_principal(request)
        if found is None:
            return ANONYMOUS
        principal, csrf = found
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not secrets.compare_digest(sent, csrf):
                raise csrf_error()
        return principal
    limiter = request.app.state.auth_limiter
    client = request.client.host if request.client else "?"
    limiter.check(client)
    try:
        credentials = parse_authorization(authorization)
    except AuthenticationError:
        limiter.failed(client)
        raise
    engine = get_engine(request)
    with engine.begin() as conn:
        by_token = principal_for_token(conn, credentials.token)
    if by_token is None or not credentials.accepts(by_token.name):
        limiter.failed(client)
        raise AuthenticationError("Token no válido o revocado / invalid or revoked token",
                                  code="invalid_token")
    return by_token


@answers(401, 403)
def require_editor(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal is ANONYMOUS:
        raise AuthenticationError("Inicie sesión como editor (formulario o token) / sign in "
                                  "as an editor (form or token)")
    if not principal.can_edit:
        raise PermissionDeniedError(f"El rol '{principal.role}' no puede modificar datos; se "
                                    f"requiere editor / role '{principal.role}' cannot write; "
                                    f"editor required")
    return principal


def get_viewer(
    principal: Annotated[Principal, Depends(current_principal)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Viewer:
    return Viewer(principal=principal, grid_deg=settings.public_grid_deg)


BBoxDep = Annotated[BBox | None, Depends(bbox_param)]
PagingDep = Annotated[Paging, Depends(paging_param)]
AsOfDep = Annotated[dt.date | dt.datetime | None, Depends(as_of_param)]
LangDep = Annotated[Lang, Depends(lang_param)]
FormatDep = Annotated[Format, Depends(format_param)]
TileDep = Annotated[TileIndex, Depends(tile_param)]
ConnDep = Annotated[Connection, Depends(get_conn)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
EditorDep = Annotated[Principal, Depends(require_editor)]
ViewerDep = Annotated[Viewer, Depends(get_viewer)]
