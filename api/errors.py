"""RFC 9457 problem details: ONE table maps domain errors to HTTP status codes.

Every error leaves the service as ``application/problem+json`` with a stable ``code``,
``message_es`` and ``message_en`` as separate fields, and ``detail`` in the requested language
(Spanish by default) — the framework's own 400/404/405/422 too. A 500 never echoes the
driver's or the database's text: it is logged server-side and answered with a generic body.
When the database cannot be reached (or a statement runs out of time) the answer is 503 with
``Retry-After``, so clients and proxies retry instead of reporting a bug.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any, TypeVar

import psycopg
import psycopg_pool
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import (
    AllpaError,
    ConflictError,
    CRSError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    TooLargeError,
    UnsafeArchiveError,
    bilingual,
)
from layers.queries import PagingError
from layers.tiles import TileOutOfRangeError

log = logging.getLogger("allpa.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"

#: Seconds a client should wait before retrying while the database is unavailable.
RETRY_AFTER_S = 5


class ParameterError(InputError):
    """A query or path parameter is malformed (bbox, as_of, tile address...): 400."""

    code = "invalid_parameter"


class AuthenticationError(PermissionDeniedError):
    """No (valid) credentials where they are needed: 401."""

    code = "auth_required"


class TooManyAttemptsError(PermissionDeniedError):
    """Too many failed authentication attempts from one client: 429 with Retry-After."""

    code = "too_many_attempts"


class PreconditionRequiredError(ConflictError):
    """A write needs the version it is based on (If-Match or expected_vid): 428."""

    code = "precondition_required"


#: The one table: most specific class first is NOT required, the MRO decides.
STATUS_BY_ERROR: dict[type[AllpaError], int] = {
    AllpaError: 500,
    InputError: 422,
    CRSError: 422,
    ParameterError: 400,
    TileOutOfRangeError: 400,
    PagingError: 400,
    UnsafeArchiveError: 400,
    TooLargeError: 413,
    NotFoundError: 404,
    ConflictError: 409,
    PreconditionRequiredError: 428,
    PermissionDeniedError: 403,
    AuthenticationError: 401,
    TooManyAttemptsError: 429,
}

TITLES: dict[int, tuple[str, str]] = {
    400: ("Solicitud no válida", "Bad request"),
    401: ("Se requiere autenticación", "Authentication required"),
    403: ("Permiso denegado", "Permission denied"),
    404: ("No encontrado", "Not found"),
    405: ("Método no permitido", "Method not allowed"),
    406: ("Formato no disponible", "Not acceptable"),
    409: ("Conflicto", "Conflict"),
    413: ("Demasiado grande", "Content too large"),
    415: ("Tipo de contenido no admitido", "Unsupported media type"),
    422: ("Datos no procesables", "Unprocessable content"),
    428: ("Se requiere precondición", "Precondition required"),
    429: ("Demasiados intentos", "Too many requests"),
    500: ("Error interno", "Internal server error"),
    503: ("Servicio no disponible", "Service unavailable"),
}

HTTP_CODES: dict[int, str] = {400: "bad_request", 401: "auth_required", 403: "forbidden",
                              404: "not_found", 405: "method_not_allowed",
                              406: "not_acceptable", 413: "too_large",
                              415: "unsupported_media_type", 429: "too_many_requests"}


def status_for(exc: AllpaError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def request_lang(request: Request) -> str:
    lang = request.query_params.get("lang")
    if lang in ("es", "en"):
        return lang
    accept = request.headers.get("accept-language", "")
    if accept.lower().startswith("en"):
        return "en"
    return "es"


#: Replaces a user-supplied value while a message is split (it holds no " / ").
_MASK = "\x00{}\x00"


def split_bilingual(message: str, user_values: Iterable[str] = ()) -> tuple[str, str]:
    """The two halves of a ``"español / English"`` message that has no separate fields.

    Values the user typed (``user_values``: the query, the path, form fields) may contain
    `` / `` themselves; they are masked before the split, so only the message's own
    separator is left. Without that knowledge the separator is the middle occurrence (a value
    quoted in both halves adds as many on each side).
    """
    masked, originals = message, list[str]()
    for value in sorted({v for v in user_values if " / " in v}, key=len, reverse=True):
        candidate = masked.replace(value, _MASK.format(len(originals)))
        if candidate != masked and " / " in candidate:  # never mask the separator itself
            masked = candidate
            originals.append(value)
    parts = masked.split(" / ")
    if len(parts) == 1:
        es = en = masked
    else:
        middle = len(parts) // 2
        es, en = " / ".join(parts[:middle]), " / ".join(parts[middle:])
    for i, value in enumerate(originals):
        es, en = es.replace(_MASK.format(i), value), en.replace(_MASK.format(i), value)
    return es, en


E = TypeVar("E", bound=AllpaError)


def error(cls: type[E], es: str, en: str, *, code: str | None = None, **details: Any) -> E:
    """An error whose two languages stay separate fields up to the answer's ``message_es``
    and ``message_en`` (``str(exc)`` is still ``"es / en"`` for logs and the CLI)."""
    exc = cls(bilingual(es, en), code=code, **details)
    exc.message_es, exc.message_en = es, en
    return exc


def messages(exc: AllpaError, user_values: Iterable[str] = ()) -> tuple[str, str]:
    """``(message_es, message_en)`` of a domain error: its own fields when it has them (see
    :func:`error`), else its message split around the user's values."""
    es, en = getattr(exc, "message_es", None), getattr(exc, "message_en", None)
    if isinstance(es, str) and isinstance(en, str):
        return es, en
    return split_bilingual(exc.message, user_values)


def user_values(request: Request) -> list[str]:
    """What this request's sender typed that a message may quote: query and path values,
    and form fields an upload route noted in ``request.state.user_values``."""
    noted = getattr(request.state, "user_values", None) or []
    return [*request.query_params.values(), *(str(v) for v in request.path_params.values()),
            *(str(v) for v in noted)]


def localise(message: str, lang: str) -> str:
    """The requested half of a bilingual message written in the code (no user input)."""
    es, en = split_bilingual(message)
    return en if lang == "en" else es


def problem(status: int, code: str, message: str | tuple[str, str], *, lang: str = "es",
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem. ``message``: ``(es, en)``, or a ``"español / English"`` literal
    written in the code (never one that quotes user input: pass the pair)."""
    title_es, title_en = TITLES.get(status, (HTTPStatus(status).phrase, HTTPStatus(status).phrase))
    es, en = message if isinstance(message, tuple) else split_bilingual(message)
    body: dict[str, Any] = {
        "type": f"urn:allpa:problem:{code}",
        "title": title_en if lang == "en" else title_es,
        "status": status,
        "code": code,
        "detail": en if lang == "en" else es,
        "message_es": es,
        "message_en": en,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE,
                        headers=headers)


def _safe_details(details: dict[str, Any]) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, (str, int, float, bool, type(None), list, dict)):
            safe[key] = value
    return safe


#: Both ways to present a token (QGIS and GDAL answer a Basic challenge with the token as the
#: password, see :mod:`api.credentials`); scripts use Bearer.
AUTH_CHALLENGE = 'Bearer realm="allpa", Basic realm="allpa", charset="UTF-8"'


async def allpa_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AllpaError)
    status = status_for(exc)
    lang = request_lang(request)
    if status >= 500:
        log.exception("unhandled domain error", exc_info=exc)
        return problem(500, "internal_error",
                       "Error interno del servidor / internal server error", lang=lang)
    headers = {"WWW-Authenticate": AUTH_CHALLENGE} if status == 401 else None
    if status == 429:
        headers = {"Retry-After": str(exc.details.get("retry_after_s", RETRY_AFTER_S))}
    extra: dict[str, Any] = {}
    if exc.details:
        extra["details"] = _safe_details(exc.details)
    return problem(status, exc.code, messages(exc, user_values(request)), lang=lang,
                   headers=headers, **extra)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
               "type": str(e.get("type", ""))} for e in exc.errors()]
    in_body = any(err["loc"] and err["loc"][0] == "body" for err in errors)
    status, code = (422, "invalid_input") if in_body else (400, "invalid_parameter")
    lang = request_lang(request)
    where = ", ".join(".".join(str(p) for p in err["loc"]) for err in errors)
    return problem(status, code, (f"Parámetros no válidos: {where}",
                                  f"invalid parameters: {where}"), lang=lang, errors=errors)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    lang = request_lang(request)
    status = exc.status_code
    title_es, title_en = TITLES.get(status, (HTTPStatus(status).phrase,) * 2)
    # detail: a pair (es, en), a "español / English" literal, else the framework's own
    # English-only text: the titles instead
    detail: Any = exc.detail
    message: str | tuple[str, str] = (title_es, title_en)
    if isinstance(detail, tuple) and len(detail) == 2:
        message = (str(detail[0]), str(detail[1]))
    elif isinstance(detail, str) and " / " in detail:
        message = detail
    return problem(status, HTTP_CODES.get(status, "http_error"), message, lang=lang,
                   headers=dict(exc.headers) if exc.headers else None)


#: Exceptions that mean "the database is unavailable or too slow right now", not a bug.
DB_UNAVAILABLE: tuple[type[BaseException], ...] = (
    psycopg.OperationalError, psycopg_pool.PoolTimeout, sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.TimeoutError, sqlalchemy.exc.InterfaceError, ConnectionError,
)


def is_db_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) says the database is down or timed out."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, (*DB_UNAVAILABLE, psycopg.errors.QueryCanceled,
                             psycopg.errors.AdminShutdown)):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__ or seen.__context__
    return False


def unavailable(request: Request) -> JSONResponse:
    return problem(503, "database_unavailable",
                   "La base de datos no está disponible en este momento; vuelva a intentar en "
                   "unos segundos / the database is unavailable right now; retry in a few "
                   "seconds", lang=request_lang(request),
                   headers={"Retry-After": str(RETRY_AFTER_S)})


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if is_db_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                    type(exc).__name__)
        return unavailable(request)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    lang = request_lang(request)
    return problem(500, "internal_error",
                   "Error interno del servidor; el detalle quedó en el registro / "
                   "internal server error; details were logged", lang=lang)


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if is_db_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                    type(exc).__name__)
        return unavailable(request)
    return await unhandled_error_handler(request, exc)


def install(app: FastAPI) -> None:
    from api import openapi_problems

    openapi_problems.install(app)
    app.add_exception_handler(AllpaError, allpa_error_handler)
    for cls in (*DB_UNAVAILABLE, sqlalchemy.exc.DBAPIError, psycopg.Error):
        app.add_exception_handler(cls, database_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
