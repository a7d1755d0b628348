"""Mapbox Vector Tiles built in PostGIS (``ST_AsMVT``), index-filtered, visibility-aware.

The geometry columns are EPSG:4326, so the tile envelope is transformed to 4326 (plus a
margin for the MVT buffer and for generalised points) and tested with ``&&`` against the
indexed column; only the matching rows are transformed to 3857 and clipped by
``ST_AsMVTGeom``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.engine import Connection

from geo.catalog import CATALOG
from geo.errors import InputError
from layers.queries import Collection, Filters, Viewer, where_clauses
from layers.users import Principal
from layers.visibility import level_tag, margin_deg

_DIALECT = pg_psycopg.dialect()
#: One representative principal per visibility class (the tile SQL depends only on it).
_CLASS_PRINCIPALS = {"p": Principal("public", "public"), "r": Principal("editor", "editor")}

#: Layers served as vector tiles, and their drawing order on the one-tile-per-cell map
#: (from the catalog: ``publish.tiles``, ``publish.map_order``).
TILE_LAYERS: tuple[str, ...] = tuple(
    name for name, layer in CATALOG.items() if layer.publish.tiles and layer.has_geometry)
MAP_LAYERS: tuple[str, ...] = tuple(
    sorted(TILE_LAYERS, key=lambda name: CATALOG[name].publish.map_order))

EXTENT = 4096
BUFFER = 64
MIN_ZOOM = 0
MAX_ZOOM = 22


class TileOutOfRangeError(InputError):
    code = "tile_out_of_range"


@dataclass(frozen=True)
class TileIndex:
    z: int
    x: int
    y: int


def check_tile(z: int, x: int, y: int) -> TileIndex:
    """Validate a tile address without touching the database."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise TileOutOfRangeError(
            f"Zoom {z} fuera de rango ({MIN_ZOOM}..{MAX_ZOOM}) / zoom {z} out of range "
            f"({MIN_ZOOM}..{MAX_ZOOM})", z=z, x=x, y=y)
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise TileOutOfRangeError(
            f"Tesela {z}/{x}/{y} fuera de rango: x e y deben estar entre 0 y {n - 1} / "
            f"tile {z}/{x}/{y} out of range: x and y must be within 0..{n - 1}",
            z=z, x=x, y=y)
    return TileIndex(z, x, y)


def _mvt_value(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """MVT property values: numbers and booleans as such, everything else as text."""
    python_type: type | None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        python_type = None
    if python_type in (int, float, bool, str):
        return column
    return sa.cast(column, sa.Text)


def tile_query(coll: Collection, viewer: Viewer, tile: TileIndex | None = None,
               filters: Filters | None = None) -> sa.Select[Any]:
    """The SQL of one tile (a single ``bytea``); without ``tile``, z/x/y are bind
    parameters ``:z``, ``:x``, ``:y`` (one compiled statement serves every tile)."""
    display = coll.display_geometry(viewer)
    assert display is not None
    t = coll.table
    if tile is None:
        z: Any = sa.bindparam("z", 0, type_=sa.Integer)
        x: Any = sa.bindparam("x", 0, type_=sa.Integer)
        y: Any = sa.bindparam("y", 0, type_=sa.Integer)
    else:
        z, x, y = tile.z, tile.x, tile.y
    env3857 = sa.func.ST_TileEnvelope(z, x, y)
    # margin: the MVT buffer (64/4096 of a tile) plus the public grid for generalised points
    tile_deg = sa.literal(360.0 * BUFFER / EXTENT, sa.Float) / sa.func.power(
        sa.literal(2.0, sa.Float), z, type_=sa.Float)
    margin = tile_deg + margin_deg(t, viewer.principal, viewer.grid_deg)
    env4326 = sa.func.ST_Expand(sa.func.ST_Transform(env3857, 4326), margin)
    props = [_mvt_value(t.c[name]).label(name) for name in coll.tile_properties]
    mvtgeom = sa.func.ST_AsMVTGeom(sa.func.ST_Transform(display, 3857), env3857, EXTENT,
                                   BUFFER, True).label("geom")
    clauses = where_clauses(coll, viewer, filters or Filters())
    inner = (sa.select(mvtgeom, *props)
             .where(coll.index_filter(env4326), *clauses)
             .subquery("mvtgeom"))
    return sa.select(sa.func.ST_AsMVT(sa.literal_column("mvtgeom.*"), coll.name, EXTENT,
                                      "geom")).select_from(inner)


def render_tile(conn: Connection, coll: Collection, viewer: Viewer, tile: TileIndex,
                filters: Filters | None = None) -> bytes:
    """The tile's MVT bytes (empty bytes when no visible feature touches it)."""
    query = tile_query(coll, viewer, tile, filters)
    data = conn.execute(query).scalar()
    return bytes(data) if data else b""


@functools.lru_cache(maxsize=256)
def _compiled(coll: Collection, principal: Principal, grid_deg: float
              ) -> tuple[str, dict[str, Any]]:
    query = tile_query(coll, Viewer(principal=principal, grid_deg=grid_deg))
    compiled = query.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    params = {k: v for k, v in compiled.params.items() if k not in ("z", "x", "y")}
    return str(compiled), params


def visibility_key(principal: Principal) -> str:
    """What a tile depends on about its reader: ``p`` (public), ``r`` (sees everything) or
    ``n:<networks>`` — a network member sees the network records *of its own networks*, so
    two members of different networks must never share a cached tile or an ETag."""
    tag = level_tag(principal)
    if tag == "n":
        return "n:" + ",".join(sorted(set(principal.networks)))
    return tag


def class_principal(principal: Principal) -> Principal:
    """A principal that sees exactly what ``principal`` sees in tiles (one compiled statement
    per visibility key, not per user)."""
    tag = level_tag(principal)
    if tag == "n":
        return Principal("network", "network", tuple(sorted(set(principal.networks))))
    return _CLASS_PRINCIPALS[tag]


def version_tables(coll: Collection) -> list[sa.Table]:
    """Tables whose changes may change a tile of ``coll`` for some reader: the layer's own,
    plus network membership (communities a member sees) and, for water sources, the
    community territories that decide which network water a member sees."""
    from layers.communities import community
    from layers.networks import network

    tables = [coll.table]
    if coll.table.name == "community":
        tables.append(network)
    elif coll.table.name == "water_source":
        tables += [community, network]
    return tables


def tile_statement(coll: Collection, viewer: Viewer) -> tuple[str, dict[str, Any]]:
    """The tile SQL compiled once per layer and visibility key (psycopg ``%(name)s``
    placeholders) with its constant parameters; add ``z``, ``x``, ``y`` to execute."""
    return _compiled(coll, class_principal(viewer.principal), float(viewer.grid_deg))


async def render_tile_async(aconn: psycopg.AsyncConnection[Any], coll: Collection,
                            viewer: Viewer, tile: TileIndex) -> bytes:
    """:func:`render_tile` on an async psycopg connection (the hot path of the tile server;
    psycopg prepares the statement server-side after a few executions)."""
    sql, params = tile_statement(coll, viewer)
    cur = await aconn.execute(sql, {**params, "z": tile.z, "x": tile.x, "y": tile.y})
    row = await cur.fetchone()
    return bytes(row[0]) if row and row[0] else b""


async def render_tiles_async(aconn: psycopg.AsyncConnection[Any],
                             colls: Sequence[Collection], viewer: Viewer, tile: TileIndex
                             ) -> bytes:
    """Several layers in ONE tile: MVT layers are a repeated protobuf field, so the tiles of
    single layers concatenate into a valid multi-layer tile (drawn in the order given)."""
    parts = [await render_tile_async(aconn, coll, viewer, tile) for coll in colls]
    return b"".join(parts)


def field_types(coll: Collection) -> dict[str, str]:
    """TileJSON ``vector_layers[].fields``: name -> type (String, Number, Boolean)."""
    out: dict[str, str] = {}
    for name in coll.tile_properties:
        column = coll.table.c[name]
        try:
            python_type: type | None = column.type.python_type
        except NotImplementedError:
            python_type = None
        if python_type is bool:
            out[name] = "Boolean"
        elif python_type in (int, float):
            out[name] = "Number"
        else:
            out[name] = "String"
    return out
