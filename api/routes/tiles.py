"""``/tiles/{layer}/{z}/{x}/{y}.pbf`` and ``/tiles/map/{z}/{x}/{y}.pbf`` (Mapbox Vector Tiles
from PostGIS ``ST_AsMVT``), ``/tiles/{layer}.json`` and ``/tiles/map.json`` (TileJSON 3.0).

The tile path is async end to end (no threadpool hop unless a token must be looked up or a
data version refreshed): finished tiles live in an in-process cache keyed by the layers' data
versions and the reader's visibility key, gzipped once; empty tiles answer 204. TileJSON
gives versioned URLs (``?v=<token>``, cached a year, ``immutable``); unversioned or outdated
URLs still work with a short ``max-age`` and an ``ETag``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, Field

from api.dependencies import ConnDep, ViewerDep, current_principal, tile_param
from api.responses import MVT
from api.state import VersionCache
from layers import queries, tiles
from layers.queries import Viewer
from layers.tile_cache import CachedTile, TileCache
from layers.users import ANONYMOUS

router = APIRouter(prefix="/tiles", tags=["teselas / tiles"])

#: The tiled layers and the browser map's single grid (every layer in one tile per cell, in
#: the catalog's drawing order: later layers on top) come from the layer catalog.
TILE_LAYERS = tiles.TILE_LAYERS
MAP_LAYERS = tiles.MAP_LAYERS
#: Unversioned (or outdated) URLs: short lifetime, then revalidation with the ETag.
MAX_AGE = 60
#: Versioned URLs name the data they show: a year, never revalidated.
VERSIONED_MAX_AGE = 31_536_000
#: Highest zoom with new detail: a z16 tile's 4096-unit grid is ~0.15 m, finer than any of
#: the sources; TileJSON says so and clients overzoom z16 tiles (tiles above still work).
DATA_MAX_ZOOM = 16
#: One access-log line per this many successful tile requests (errors are always logged).
LOG_EVERY = 100

_TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {MVT: {}}, "description": "tesela / tile (gzip if accepted)"},
    204: {"description": "tesela vacía / empty tile"},
    304: {"description": "sin cambios / not modified"}}


# --- TileJSON -------------------------------------------------------------------------------


class VectorLayer(BaseModel):
    """One MVT layer of a tileset and its attribute types."""

    id: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str] = Field(description="nombre → String | Number | Boolean")


class TileJSON(BaseModel):
    """TileJSON 3.0.0 (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0)."""

    tilejson: str = "3.0.0"
    name: str
    description: str
    attribution: str = "Allpa"
    scheme: str = "xyz"
    tiles: list[str] = Field(description="plantilla versionada / versioned URL template")
    minzoom: int
    maxzoom: int
    bounds: list[float]
    center: list[float]
    vector_layers: list[VectorLayer]


# --- helpers --------------------------------------------------------------------------------


def install(app: FastAPI) -> None:
    """The per-app tile cache, and access-log sampling for tiles."""
    app.state.tile_cache = TileCache(app.state.settings.tile_cache_mb * 2**20)
    app.state.version_lookups = {}
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, TileLogSampler) for f in access.filters):
        access.addFilter(TileLogSampler(LOG_EVERY))


class TileLogSampler(logging.Filter):
    """Keep one in ``every`` access-log lines of successful tile requests: a map view asks
    for dozens of tiles, and a line each cost more than serving a cached tile."""

    def __init__(self, every: int) -> None:
        super().__init__()
        self.every = every
        self.seen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if (isinstance(args, tuple) and len(args) >= 5 and "/tiles/" in str(args[2])
                and args[4] in (200, 204, 304)):
            self.seen += 1
            return self.seen % self.every == 1 or self.every <= 1
        return True


def _tile_layer(name: str) -> queries.Collection:
    return queries.collection_among(name, TILE_LAYERS, "Capa de teselas", "tile layer")


def _map_layers(layers: str | None) -> list[queries.Collection]:
    wanted = [x for x in (layers or "").split(",") if x] or list(MAP_LAYERS)
    for name in wanted:
        _tile_layer(name)  # unknown names: 404 problem
    return [_tile_layer(name) for name in MAP_LAYERS if name in wanted]


ZParam = Annotated[str, Path(description="zoom 0..22")]
XParam = Annotated[str, Path(description="columna / column 0..2^z-1")]
YParam = Annotated[str, Path(description="fila / row 0..2^z-1")]
VersionParam = Annotated[str | None, Query(
    description="versión de los datos (de TileJSON): URL inmutable / data version "
                "(from TileJSON): immutable URL")]


async def tile_viewer(request: Request) -> Viewer:
    """The reader: anonymous without a thread hop; a token is looked up as everywhere."""
    authorization = request.headers.get("authorization")
    principal = ANONYMOUS if not authorization else await run_in_threadpool(
        current_principal, request, authorization)
    return Viewer(principal=principal, grid_deg=request.app.state.settings.public_grid_deg)


async def _data_versions(request: Request, colls: Sequence[queries.Collection]) -> list[str]:
    """The layers' data versions from the cache. When one is older than the cache's few
    seconds, ONE lookup refreshes it in a thread while requests keep the last value (no
    stampede of queries every few seconds); after an edit here (``invalidate``) there is
    no last value, so requests wait for the new one."""
    versions: VersionCache = request.app.state.versions
    out = []
    for coll in colls:
        v = versions.peek(coll)
        if v is None:
            task = _refresh(request, coll)
            last = versions.last(coll)
            v = last if last is not None else await task
        out.append(v)
    return out


def _refresh(request: Request, coll: queries.Collection) -> asyncio.Future[str]:
    """The running lookup of ``coll``'s version, or a new one (single flight per layer)."""
    pending: dict[str, asyncio.Future[str]] = request.app.state.version_lookups
    task = pending.get(coll.name)
    if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
        task = asyncio.ensure_future(run_in_threadpool(
            request.app.state.versions.get, request.app.state.engine, coll))
        # a failed background lookup is retried by the next request (its error retrieved)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        pending[coll.name] = task
    return task


def version_token(colls: Sequence[queries.Collection], versions: Sequence[str],
                  viewer: Viewer) -> str:
    """What a versioned URL names: the layers, their data versions and the visibility key
    (a signed-in reader's URLs differ from the public ones)."""
    text = "/".join([*(c.name for c in colls), *versions,
                     tiles.visibility_key(viewer.principal), str(viewer.grid_deg)])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _etag(token: str, t: tiles.TileIndex) -> str:
    return f'"{token}-{t.z}-{t.x}-{t.y}"'


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags or "*" in tags


async def _serve(request: Request, colls: list[queries.Collection], z: str, x: str, y: str,
                 v: str | None) -> Response:
    """The whole tile path. Path and query values are plain parameters, not sub-dependencies:
    FastAPI's dependency solving cost more than serving a cached tile."""
    t = tile_param(z, x, y)  # 400 before any database work
    viewer = await tile_viewer(request)
    versions = await _data_versions(request, colls)
    vkey = tiles.visibility_key(viewer.principal)
    token = version_token(colls, versions, viewer)
    etag = _etag(token, t)
    scope = "public" if vkey == "p" else "private"
    cache_control = (f"{scope}, max-age={VERSIONED_MAX_AGE}, immutable" if v == token
                     else f"{scope}, max-age={MAX_AGE}")
    headers = {"ETag": etag, "Cache-Control": cache_control,
               "Vary": "Authorization, Accept-Encoding"}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    cache: TileCache = request.app.state.tile_cache
    key = (tuple(c.name for c in colls), tuple(versions), vkey, viewer.grid_deg,
           t.z, t.x, t.y)
    item = cache.get(key)
    if item is None:
        pool: AsyncConnectionPool[Any] = request.app.state.tile_pool
        async with pool.connection() as aconn:
            data = await tiles.render_tiles_async(aconn, colls, viewer, t)
        item = CachedTile.of(data)
        cache.put(key, item)
    if not item.raw:
        return Response(status_code=204, headers=headers)
    if item.gz is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(item.gz, media_type=MVT, headers=headers)
    return Response(item.raw, media_type=MVT, headers=headers)


# --- routes ---------------------------------------------------------------------------------


@router.get("/map/{z}/{x}/{y}.pbf", response_class=Response, responses=_TILE_RESPONSES,
            summary="Tesela con todas las capas / one tile with every layer")
async def map_tile(z: ZParam, x: XParam, y: YParam, request: Request,
                   layers: str | None = None, v: VersionParam = None) -> Response:
    """One request per tile cell for the browser map (``layers``: comma-separated subset;
    default all). The per-layer endpoints stay for GIS clients."""
    return await _serve(request, _map_layers(layers), z, x, y, v)


@router.get("/{layer}/{z}/{x}/{y}.pbf", response_class=Response, responses=_TILE_RESPONSES,
            summary="Tesela vectorial / vector tile")
async def tile(layer: str, z: ZParam, x: XParam, y: YParam, request: Request,
               v: VersionParam = None) -> Response:
    return await _serve(request, [_tile_layer(layer)], z, x, y, v)


def _template(request: Request, route: str, token: str, **params: str) -> str:
    url = str(request.url_for(route, z="{z}", x="{x}", y="{y}", **params))
    return url.replace("%7B", "{").replace("%7D", "}") + f"?v={token}"


def _tilejson(request: Request, conn: Any, viewer: Viewer, colls: list[queries.Collection],
              route: str, name: str, description: str, **params: str) -> TileJSON:
    versions: VersionCache = request.app.state.versions
    engine = request.app.state.engine
    token = version_token(colls, [versions.get(engine, c) for c in colls], viewer)
    boxes = [b for b in (queries.extent(conn, c, viewer) for c in colls) if b]
    bounds = ((min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
               max(b[3] for b in boxes)) if boxes else (-180.0, -85.0511, 180.0, 85.0511))
    return TileJSON(
        name=name, description=description,
        tiles=[_template(request, route, token, **params)],
        minzoom=tiles.MIN_ZOOM, maxzoom=DATA_MAX_ZOOM, bounds=list(bounds),
        center=[(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 8],
        vector_layers=[VectorLayer(id=c.name, description=c.description("en"),
                                   minzoom=tiles.MIN_ZOOM, maxzoom=DATA_MAX_ZOOM,
                                   fields=tiles.field_types(c)) for c in colls])


_TILEJSON_HEADERS = {"Cache-Control": "no-cache", "Vary": "Authorization, Accept-Encoding"}


def map_grid_url(request: Request, viewer: Viewer) -> str:
    """The map grid's versioned URL template for the map page, so the first view already
    asks for long-lived tiles (no TileJSON round trip before the first tile)."""
    versions: VersionCache = request.app.state.versions
    colls = _map_layers(None)
    token = version_token(colls, [versions.get(request.app.state.engine, c) for c in colls],
                          viewer)
    return "/tiles/map/{z}/{x}/{y}.pbf?v=" + token


@router.get("/map.json", response_model=TileJSON,
            summary="TileJSON del mapa (todas las capas) / TileJSON of the map grid")
def map_tilejson(request: Request, conn: ConnDep, viewer: ViewerDep,
                 response: Response) -> TileJSON:
    """The browser map's grid with a versioned URL template (``no-cache``: it names the
    current data version)."""
    response.headers.update(_TILEJSON_HEADERS)
    colls = _map_layers(None)
    return _tilejson(request, conn, viewer, colls, "map_tile", "Allpa",
                     "Todas las capas del mapa / every layer of the map")


@router.get("/{layer}.json", response_model=TileJSON, summary="TileJSON 3.0")
def tilejson(layer: str, request: Request, conn: ConnDep, viewer: ViewerDep,
             response: Response) -> TileJSON:
    response.headers.update(_TILEJSON_HEADERS)
    coll = _tile_layer(layer)
    return _tilejson(request, conn, viewer, [coll], "tile", coll.title("es"),
                     coll.description("es"), layer=coll.name)
