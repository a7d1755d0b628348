"""Web hardening in one place: security headers (with THE content security policy), refusal
of NUL bytes in the request line, and a limit on failed token attempts per client.

Every response gets a Content-Security-Policy unless its route set one: the browser map
(``/``, ``/static/``) the map page's policy from :mod:`api.csp`; other HTML (the API docs,
the OGC pages) :data:`STANDALONE_CSP_SOURCES`; JSON, tiles and files a policy that allows
nothing. Advocacy
maps and dossiers set their own (the hashes of exactly their inline scripts).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI

from api import csp
from api.errors import TooManyAttemptsError, problem
from layers.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Standalone HTML without a policy of its own (the API docs: Swagger UI's code is inline).
#: The browser map and the advocacy maps and dossiers set their own, stricter policy
#: (:mod:`api.csp`: own origin only, or the hashes of exactly their inline scripts), which
#: this middleware keeps.
STANDALONE_CSP_SOURCES: dict[str, str] = {
    "default-src": "'self'",
    "script-src": "'self' 'unsafe-inline'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data: blob:",
    "connect-src": "'self'",
    "font-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

#: Everything else (JSON, GeoJSON, tiles, exports): nothing may run or load.
DATA_CSP_SOURCES: dict[str, str] = {"default-src": "'none'", "frame-ancestors": "'none'"}

#: Path prefixes served as standalone HTML.
STANDALONE_PREFIXES = ("/maps/", "/reports/", "/docs")

OTHER_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}

#: Failed token attempts a client may make per window before it gets 429.
MAX_FAILED_AUTH = 10
FAILED_AUTH_WINDOW_S = 300.0
#: Failed sign-ins (form) per client address, and per user name, per window.
MAX_FAILED_LOGIN = 5


def _render(sources: dict[str, str]) -> str:
    return "; ".join(f"{k} {v}" for k, v in sources.items())


def policies(settings: Settings) -> tuple[str, str, str]:
    """(page, standalone, data) Content-Security-Policy values for these settings."""
    basemap = None if settings.basemap in ("", "none") else settings.basemap
    return (csp.map_page_policy(basemap), _render(STANDALONE_CSP_SOURCES),
            _render(DATA_CSP_SOURCES))


class SecurityMiddleware:
    """Pure ASGI: refuse NUL bytes in path/query (400) and add the security headers to every
    response, errors included."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.page_csp, self.standalone_csp, self.data_csp = policies(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        raw = scope.get("raw_path") or b""
        query: bytes = scope.get("query_string") or b""
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"),
                                    b"")
                csp = self._csp_for(path, content_type.decode("latin-1"))
                for name, value in (("Content-Security-Policy", csp), *OTHER_HEADERS.items()):
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        if "\x00" in path or b"%00" in raw.lower() or b"%00" in query.lower() \
                or b"\x00" in query:
            response = problem(400, "nul_byte",
                               "La dirección contiene un byte nulo (%00) / the URL contains a "
                               "NUL byte (%00)")
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _csp_for(self, path: str, content_type: str) -> str:
        if path == "/" or path.startswith("/static/"):
            return self.page_csp
        if path.startswith(STANDALONE_PREFIXES) or content_type.startswith("text/html"):
            return self.standalone_csp  # HTML without a policy of its own (OGC pages, docs)
        return self.data_csp


class FailedAuthLimiter:
    """Failed token attempts per client address in a sliding window (in-process: each worker
    counts its own, which bounds guessing at workers × MAX_FAILED_AUTH per window)."""

    def __init__(self, max_failures: int = MAX_FAILED_AUTH,
                 window_s: float = FAILED_AUTH_WINDOW_S) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def check(self, client: str) -> None:
        """Refuse (429) a client that has failed too often, before its token is looked at."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) >= self.max_failures:
                wait = max(1, int(times[0] + self.window_s - now) + 1)
                raise TooManyAttemptsError(
                    f"Demasiados intentos fallidos de autenticación; espere {wait} s / too many "
                    f"failed authentication attempts; wait {wait} s", retry_after_s=wait)

    def failed(self, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._failures) > 10_000:  # forget the quietest clients
                for key in [k for k, v in self._failures.items() if not v][:5_000]:
                    del self._failures[key]


def install(app: FastAPI) -> None:
    """Register the middleware and the limiter (one line in ``api.app``)."""
    app.state.auth_limiter = FailedAuthLimiter()
    # sign-in form: failures per client address and per user name (a slow guess at one
    # account from many addresses is limited too)
    app.state.login_limiter = FailedAuthLimiter(max_failures=MAX_FAILED_LOGIN)
    app.add_middleware(SecurityMiddleware, settings=app.state.settings)
