"""Cross-origin reads (CORS) so a MapLibre or Leaflet page on another site can load the
tiles, the OGC API and the GeoJSON.

``ALLPA_CORS_ORIGINS`` (default ``*``): with ``*`` every site may *read* (GET/HEAD, and the
preflight of a request carrying ``Authorization``), never with credentials (cookies are not
used; a token is sent explicitly by the page that holds it). With a list of origins those
sites may also write (PATCH/POST). ``none`` turns CORS off.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from layers.config import Settings

READ_METHODS = ["GET", "HEAD", "OPTIONS"]
WRITE_METHODS = ["PATCH", "POST"]
READ_HEADERS = ["Authorization", "Accept", "Accept-Language", "If-None-Match"]
WRITE_HEADERS = ["Content-Type", "If-Match"]
EXPOSED = ["ETag", "Content-Disposition", "Content-Language", "Link"]


def origins(settings: Settings) -> list[str]:
    text = settings.cors_origins.strip()
    if text.lower() in ("", "none", "off"):
        return []
    return [o.strip().rstrip("/") for o in text.split(",") if o.strip()]


def install(app: FastAPI, settings: Settings) -> None:
    """Add the CORS middleware configured by ``settings`` (nothing when it is ``none``)."""
    allowed = origins(settings)
    if not allowed:
        return
    open_to_all = "*" in allowed
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"] if open_to_all else allowed,
        allow_credentials=False,
        allow_methods=READ_METHODS if open_to_all else READ_METHODS + WRITE_METHODS,
        allow_headers=READ_HEADERS if open_to_all else READ_HEADERS + WRITE_HEADERS,
        expose_headers=EXPOSED,
        max_age=600,
    )
