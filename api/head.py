"""``HEAD`` on every ``GET`` endpoint (tiles, TileJSON, OGC, JSON, exports): answered as the
GET would be, headers included (``Content-Length``, ``ETag``, ``Content-Type``), without the
body. FastAPI routes declare GET only and would answer 405; clients (QGIS, curl -I, caches,
link checkers) probe with HEAD.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope = {**scope, "method": "GET"}

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_headers_only)


def install(app: FastAPI) -> None:
    app.add_middleware(HeadAsGetMiddleware)
