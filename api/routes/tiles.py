"""``/tiles/{layer}/{z}/{x}/{y}.pbf`` (Mapbox Vector Tiles from PostGIS ``ST_AsMVT``) and
``/tiles/{layer}.json`` (TileJSON 3.0). ETag on the layer's data version and the caller's
visibility class; ``If-None-Match`` answers 304 without building the tile."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import Engine

from api.dependencies import ConnDep, EngineDep, TileDep, ViewerDep
from api.responses import MVT, MVTResponse
from api.state import VersionCache
from layers import queries, tiles
from layers.visibility import level_tag

router = APIRouter(prefix="/tiles", tags=["teselas / tiles"])

TILE_LAYERS = ("communities", "concessions", "water", "consultations", "boundaries")
#: The browser map's single grid: every layer in one tile per cell, in drawing order
#: (the map draws later layers on top of earlier ones).
MAP_LAYERS = ("boundaries", "consultations", "concessions", "communities", "water")
MAX_AGE = 60
#: Highest zoom with new detail: a z16 tile's 4096-unit grid is ~0.15 m, finer than any of
#: the sources; TileJSON says so and clients overzoom z16 tiles (tiles above still work).
DATA_MAX_ZOOM = 16


def _tile_layer(name: str) -> queries.Collection:
    return queries.collection_among(name, TILE_LAYERS, "Capa de teselas", "tile layer")


def _etag(*parts: object) -> str:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:24]
    return f'"{digest}"'


def _cache_headers(tag: str, etag: str) -> dict[str, str]:
    scope = "public" if tag == "p" else "private"
    return {"ETag": etag, "Cache-Control": f"{scope}, max-age={MAX_AGE}",
            "Vary": "Authorization"}


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags or "*" in tags


def _map_layers(layers: str | None) -> list[queries.Collection]:
    wanted = [x for x in (layers or "").split(",") if x] or list(MAP_LAYERS)
    for name in wanted:
        _tile_layer(name)  # unknown names: 404 problem
    return [_tile_layer(name) for name in MAP_LAYERS if name in wanted]


@router.get("/map/{z}/{x}/{y}.pbf", response_class=MVTResponse,
            responses={200: {"content": {MVT: {}}}, 304: {"description": "sin cambios"}},
            summary="Tesela con todas las capas / one tile with every layer")
async def map_tile(tile_index: TileDep, request: Request, engine: EngineDep,
                   viewer: ViewerDep, layers: str | None = None) -> Response:
    """One request per tile cell for the browser map (``layers``: comma-separated subset;
    default all). The per-layer endpoints stay for GIS clients."""
    colls = _map_layers(layers)
    tag = level_tag(viewer.principal)
    versions: VersionCache = request.app.state.versions
    parts = [await _data_version(versions, engine, coll) for coll in colls]
    etag = _etag("map", *(c.name for c in colls), *parts, tag, viewer.grid_deg,
                 tile_index.z, tile_index.x, tile_index.y)
    headers = _cache_headers(tag, etag)
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    pool: AsyncConnectionPool[Any] = request.app.state.tile_pool
    async with pool.connection() as aconn:
        data = await tiles.render_tiles_async(aconn, colls, viewer, tile_index)
    return MVTResponse(content=data, headers=headers)


async def _data_version(versions: VersionCache, engine: Engine, coll: queries.Collection
                        ) -> Any:
    """The layer's data version (tile ETags), from the cache or, once, from the database."""
    return versions.peek(coll) or await run_in_threadpool(versions.get, engine, coll)


@router.get("/{layer}/{z}/{x}/{y}.pbf", response_class=MVTResponse,
            responses={200: {"content": {MVT: {}}}, 304: {"description": "sin cambios"}},
            summary="Tesela vectorial / vector tile")
async def tile(layer: str, tile_index: TileDep, request: Request, engine: EngineDep,
               viewer: ViewerDep) -> Response:
    coll = _tile_layer(layer)
    tag = level_tag(viewer.principal)
    versions: VersionCache = request.app.state.versions
    version = await _data_version(versions, engine, coll)
    etag = _etag(coll.name, version, tag, viewer.grid_deg, tile_index.z, tile_index.x,
                 tile_index.y)
    headers = _cache_headers(tag, etag)
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    pool: AsyncConnectionPool[Any] = request.app.state.tile_pool
    async with pool.connection() as aconn:
        data = await tiles.render_tile_async(aconn, coll, viewer, tile_index)
    return MVTResponse(content=data, headers=headers)


@router.get("/{layer}.json", summary="TileJSON 3.0")
def tilejson(layer: str, request: Request, conn: ConnDep, viewer: ViewerDep) -> JSONResponse:
    coll = _tile_layer(layer)
    bounds = queries.extent(conn, coll, viewer) or (-180.0, -85.0511, 180.0, 85.0511)
    template = str(request.url_for("tile", layer=coll.name, z="{z}", x="{x}", y="{y}"))
    template = template.replace("%7B", "{").replace("%7D", "}")
    center = [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 8]
    body: dict[str, Any] = {
        "tilejson": "3.0.0",
        "name": coll.title("es"),
        "description": coll.description("es"),
        "attribution": "Allpa",
        "scheme": "xyz",
        "tiles": [template],
        "minzoom": tiles.MIN_ZOOM,
        "maxzoom": DATA_MAX_ZOOM,
        "bounds": list(bounds),
        "center": center,
        "vector_layers": [{
            "id": coll.name,
            "description": coll.description("en"),
            "minzoom": tiles.MIN_ZOOM,
            "maxzoom": DATA_MAX_ZOOM,
            "fields": tiles.field_types(coll),
        }],
    }
    return JSONResponse(body)
