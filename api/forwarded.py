"""Links behind a reverse proxy: ``X-Forwarded-Proto``, ``-Host``, ``-Port`` and ``-Prefix``
(a sub-path such as ``/allpa``) rewrite the request's scheme, host and root path, so every
generated link (OGC links, next pages, TileJSON tile URLs, OpenAPI servers) points where
the client actually reached the service. ``uvicorn --root-path`` still works for a sub-path
that the proxy does not strip.

Only well-formed values are taken (a scheme of http/https, a host name with an optional
port, a path prefix of URL-safe characters); anything else is ignored.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
_PREFIX = re.compile(r"^(/[A-Za-z0-9._~\-]+)+$")


def _first(value: bytes) -> str:
    return value.decode("latin-1").split(",")[0].strip()


class ForwardedMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = rewrite(scope)
        await self.app(scope, receive, send)


def rewrite(scope: Scope) -> Scope:
    """The scope as the client saw the request (a copy; the original is untouched)."""
    headers = {k.lower(): v for k, v in scope.get("headers", [])}
    proto = _first(headers.get(b"x-forwarded-proto", b"")).lower()
    host = _first(headers.get(b"x-forwarded-host", b""))
    port = _first(headers.get(b"x-forwarded-port", b""))
    prefix = _first(headers.get(b"x-forwarded-prefix", b"")).rstrip("/")
    if not (proto or host or prefix):
        return scope
    scope = dict(scope)
    if proto in ("http", "https"):
        scope["scheme"] = proto if scope["type"] == "http" else proto.replace("http", "ws")
    if host and _HOST.match(host):
        if port.isdigit() and ":" not in host.rsplit("]", 1)[-1]:
            default = {"http": "80", "https": "443"}.get(str(scope.get("scheme")))
            host = host if port == default else f"{host}:{port}"
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"host"]
        scope["headers"].append((b"host", host.encode("latin-1")))
    if prefix and _PREFIX.match(prefix):
        root = prefix + scope.get("root_path", "")
        scope["root_path"] = root
        scope["path"] = prefix + scope["path"]
        if scope.get("raw_path") is not None:
            scope["raw_path"] = prefix.encode() + scope["raw_path"]
    return scope


def install(app: FastAPI) -> None:
    app.add_middleware(ForwardedMiddleware)
