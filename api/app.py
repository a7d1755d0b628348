"""The FastAPI application factory: nothing is created at import time.

``create_app(settings)`` builds the app; the database engine is created in the lifespan and
kept on ``app.state`` together with the per-app caches.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from api import compression, cors, docs, errors, forwarded, head, security
from api.resilience import engine_options, tile_pool_options
from api.routes import (
    alerts,
    case_files,
    cases,
    communities,
    derived,
    desk_pages,
    exports,
    feeds,
    layers,
    maps,
    meta,
    network_pages,
    ogc,
    programme,
    relations,
    session,
    subscription_page,
    subscriptions,
    tiles,
    uploads,
    web,
)
from api.state import VersionCache
from layers import jobs
from layers.config import Settings, load_settings

#: Concurrent tile queries per worker: a few per core keeps PostGIS busy without thrashing;
#: the pool queues the rest fairly (FIFO), which keeps the latency tail short.
TILE_POOL_MAX = max(4, 2 * (os.cpu_count() or 2))

DESCRIPTION = """
Servicio de datos de **Allpa**: territorios comunales, personería jurídica, concesiones
mineras, fuentes de agua y consultas previas. Recursos JSON/GeoJSON (`/api`), OGC API –
Features (`/ogc`), teselas vectoriales (`/tiles`), importación y exportación.

Los errores siguen RFC 9457 (`application/problem+json`) con un `code` estable. Autenticación:
`Authorization: Bearer <token>` (`allpa users token NOMBRE`). Sin token se ve solo lo público.
"""


async def _warm_connection(conn: AsyncConnection[Any]) -> None:
    """Load PostGIS into the new backend now, not during someone's first tile."""
    await conn.execute("SELECT ST_TileEnvelope(0, 0, 0)")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the Allpa HTTP service for ``settings`` (read from ``ALLPA_*`` when omitted)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = app.state.settings
        engine = sa.create_engine(s.url(), pool_pre_ping=True, pool_size=16,
                                  max_overflow=16, pool_recycle=1800, **engine_options())
        app.state.engine = engine
        # the tile hot path runs on async psycopg connections (no thread hop per tile)
        conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        tile_pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            conninfo, min_size=TILE_POOL_MAX, max_size=TILE_POOL_MAX, open=False,
            configure=_warm_connection, **tile_pool_options())
        await tile_pool.open()
        app.state.tile_pool = tile_pool
        # analysis jobs left by edits and imports (and by a service that stopped mid-run)
        worker = jobs.Worker(engine, s, name="serve-worker") if s.worker else None
        app.state.worker = worker
        if worker is not None:
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            await tile_pool.close()
            engine.dispose()

    app = FastAPI(title="Allpa", version="0.1.0", description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings or load_settings()
    app.state.versions = VersionCache()
    tiles.install(app)  # in-process tile cache, sampled access log for tiles
    errors.install(app)
    security.install(app)  # security headers; a route's own CSP is kept
    docs.install(app)  # /docs from local assets
    compression.install(app)  # gzip for HTML, JS, CSS, JSON and tiles
    forwarded.install(app)  # X-Forwarded-* and sub-path in every generated link
    head.install(app)  # HEAD on every GET endpoint
    cors.install(app, app.state.settings)  # ALLPA_CORS_ORIGINS; added last = outermost
    app.include_router(tiles.router)  # first: the hottest path matches after one router
    app.include_router(session.router)
    app.include_router(web.router)  # before meta: `/` is the map for browsers, JSON otherwise
    app.include_router(meta.router)
    app.include_router(exports.router)  # before /api/{layer}/{key}-style routes
    app.include_router(relations.router)  # /api/conflicts/template.csv before /{key}
    app.include_router(subscriptions.router)  # before /api/{layer}-style routes
    app.include_router(subscription_page.router)
    app.include_router(communities.router)
    app.include_router(cases.router)
    app.include_router(case_files.router)
    app.include_router(layers.router)
    app.include_router(derived.router)
    app.include_router(uploads.router)
    app.include_router(ogc.router)
    app.include_router(maps.router)
    app.include_router(programme.router)
    app.include_router(alerts.router)
    app.include_router(desk_pages.router)
    app.include_router(network_pages.router)
    app.include_router(feeds.router)
    return app
