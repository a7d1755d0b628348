"""OGC request parameters: ``datetime`` (RFC 3339 instant or interval), ``f`` with content
negotiation, and the ``limit`` that is lowered to the maximum instead of refused."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import Request

from api.dependencies import parse_as_of
from api.errors import ParameterError, error

AsOf = dt.date | dt.datetime | None
OgcFormat = Literal["json", "html"]

MAX_ITEMS = 10000
DEFAULT_ITEMS = 100

_JSON_F = ("json", "geojson", "application/json", "application/geo+json")


def negotiate(request: Request, f: str | None) -> OgcFormat:
    """``f=json|geojson|html``; without ``f`` a browser (Accept: text/html) gets HTML."""
    if f:
        if f in _JSON_F:
            return "json"
        if f in ("html", "text/html"):
            return "html"
        raise error(ParameterError, f"Formato '{f}' no disponible; use json o html",
                    f"format '{f}' not available; use json or html", code="unsupported_format")
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "json" not in accept:
        return "html"
    return "json"


def capped_limit(limit: int) -> int:
    """OGC API – Features: a limit above the maximum is served at the maximum."""
    return min(limit, MAX_ITEMS)


def _instant(text: str, original: str) -> dt.date | dt.datetime:
    try:
        value = parse_as_of(text)
    except ParameterError:
        value = None
    if value is None:
        raise _invalid(original)
    return value


def _invalid(value: str) -> ParameterError:
    return error(
        ParameterError,
        f"datetime no válido '{value}': use una fecha o fecha-hora RFC 3339 o un intervalo "
        f"'inicio/fin' ('..' = abierto)",
        f"invalid datetime '{value}': use an RFC 3339 date or date-time or an interval "
        f"'start/end' ('..' = open)", code="invalid_datetime")


def _end(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(value + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)


def _start(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)


def datetime_as_of(datetime: str | None, as_of: AsOf) -> AsOf:
    """The moment whose state is served, from OGC ``datetime`` (or Allpa's ``as_of``).

    Every record is versioned, so a feature's temporal extent is its version's lifespan.
    An instant (``2024-05-01`` = the end of that day, UTC, as ``as_of``) gives the records
    as they stood then. An interval ``start/end`` gives each record as it stood at the end
    of the interval (``..`` or an empty end = now): one version per feature, as a GIS layer
    needs. Anything else, or an interval that ends before it starts, is a 400.
    """
    if datetime is None or datetime.strip() == "":
        return as_of
    if as_of is not None:
        raise ParameterError("Use datetime o as_of, no ambos / use datetime or as_of, not both",
                             code="invalid_datetime")
    text = datetime.strip()
    if "/" not in text:
        return _instant(text, datetime)
    start_text, _, end_text = text.partition("/")
    if "/" in end_text or (start_text in ("", "..") and end_text in ("", "..")):
        if start_text in ("", "..") and end_text in ("", ".."):
            return None  # fully open interval: everything current
        raise _invalid(datetime)
    start = None if start_text in ("", "..") else _instant(start_text, datetime)
    end = None if end_text in ("", "..") else _instant(end_text, datetime)
    if start is not None and end is not None and _start(start) > _end(end):
        raise _invalid(datetime)
    return end
