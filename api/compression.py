"""Compression for slow rural links: HTML, JS, CSS, JSON and vector tiles are gzipped when
the client accepts it (Starlette's ``GZipMiddleware``; MVT is not on its exclusion list).

Small responses (< 500 bytes) are sent as they are: gzip would not pay for its header.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

MINIMUM_SIZE = 500
#: 6 is zlib's default: within a few percent of 9 on tiles, at a fraction of the CPU
LEVEL = 6


def install(app: FastAPI) -> None:
    app.add_middleware(GZipMiddleware, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL)
