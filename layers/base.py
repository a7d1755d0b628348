"""What every versioned layer shares: its spec and the generic current / as-of reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from geo.catalog import Layer
from layers.db import (
    SRID,
    as_of_clause,
    closed_index,
    current_key_index,
    lifespan_columns,
    metadata,
)
from layers.versioning import LIFESPAN

Rows = list[dict[str, Any]]
#: Links a prepared frame to stored records inside the import's transaction (conflicts:
#: names of actors and communities -> their keys, new actors created): (connection,
#: frame, batch id, recorded by, source) -> (the frame to store, warnings for the report).
Resolve = Callable[[Connection, gpd.GeoDataFrame, int, str, str],
                   tuple[gpd.GeoDataFrame, list[str]]]


#: SQL type of each catalog field type (enums and codes are stored as text).
_SQL_TYPES: dict[str, Any] = {
    "text": sa.Text, "code": sa.Text, "concession_code": sa.Text, "enum": sa.Text,
    "date": sa.Date, "bool": sa.Boolean, "float": sa.Float, "int": sa.Integer,
    "list": ARRAY(sa.Text),
}


def table_for(layer: Layer) -> sa.Table:
    """The versioned table of a catalog layer: lifespan columns, its fields in order, its
    geometry columns (EPSG:4326, GiST-indexed) and its indexes (one current row per key;
    closed versions; (id, vid) for the governing-sensitivity lookup)."""
    columns: list[Any] = [
        sa.Column(f.name, _SQL_TYPES[f.type], nullable=f.nullable,
                  server_default=f.server_default)
        for f in layer.fields
    ]
    columns += [sa.Column(g.name, Geometry(g.type, srid=SRID, spatial_index=True),
                          nullable=g.nullable) for g in layer.geometry]
    indexes: list[sa.Index] = [current_key_index(layer.table, layer.key)]
    if layer.closed_index:
        indexes.append(closed_index(layer.table))
    if layer.id_vid_index:
        indexes.append(sa.Index(f"ix_{layer.table}_id_vid", "id", "vid"))
    return sa.Table(layer.table, metadata, *lifespan_columns(), *columns, *indexes)


@dataclass(frozen=True)
class LayerSpec:
    """A data layer: its catalog definition, its table and how canonical frames become
    rows."""

    layer: Layer
    table: sa.Table
    to_rows: Callable[[gpd.GeoDataFrame], Rows]
    resolve: Resolve | None = None

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def key(self) -> str:
        return self.layer.key

    @property
    def geometry_column(self) -> str | None:
        """The one geometry column (None when there is none, or several: communities)."""
        geoms = self.layer.geometry
        return geoms[0].name if len(geoms) == 1 else None

    @property
    def closes_missing(self) -> bool:
        return self.layer.closes_missing

    @property
    def title_es(self) -> str:
        return self.layer.title_es

    @property
    def title_en(self) -> str:
        return self.layer.title_en

    @property
    def content_columns(self) -> list[str]:
        return [c.name for c in self.table.columns if c.name not in LIFESPAN]


def generic_spec(layer: Layer) -> LayerSpec:
    """The spec of a layer that needs no code of its own: its table from the catalog, and
    rows = its fields plus its one geometry column, blanks filled with the field defaults
    (e.g. sensitivity ``public``). Layers with special rows (communities split territory and
    location; boundaries derive their key) have a module in ``layers/``."""
    table = table_for(layer)
    geometry = [g.name for g in layer.geometry]
    if len(geometry) > 1:
        raise TypeError(f"{layer.name}: several geometry columns need their own to_rows")
    columns = [*layer.field_names, *geometry]
    defaults = {f.name: f.default for f in layer.fields if f.default is not None}

    def to_rows(frame: gpd.GeoDataFrame) -> Rows:
        if geometry:
            frame = frame.assign(**{geometry[0]: frame.geometry})
        rows = frame_rows(frame, columns)
        for row in rows:
            for name, value in defaults.items():
                if row.get(name) is None:
                    row[name] = value
        return rows

    return LayerSpec(layer, table, to_rows)


def clean(value: object) -> object:
    """pandas missing values (NaN, NaT, pd.NA) become None for the database."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, dict)):
        return value
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def frame_rows(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> Rows:
    """Canonical frame -> list of dicts with only ``columns`` (missing ones as None).

    Cleaned column by column (:func:`clean`'s rules with one vectorised missing-value test
    per column, not one ``pd.isna`` per cell)."""
    n = len(frame)
    values = [_clean_column(frame[c]) if c in frame.columns else [None] * n for c in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)] \
        if columns else [{} for _ in range(n)]


def _clean_column(series: pd.Series) -> list[object]:
    """:func:`clean` of every value of ``series``."""
    items = series.tolist()
    missing = series.isna().to_numpy(dtype=bool)
    out: list[object] = [None if m else v for v, m in zip(items, missing, strict=True)]
    if series.dtype.kind == "M" or (series.dtype == object and any(
            issubclass(kind, pd.Timestamp | float) for kind in set(map(type, out)))):
        out = [clean(v) if isinstance(v, pd.Timestamp | float) else v for v in out]
    return out


def geometry_columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, Geometry)]


def read_rows(
    conn: Connection,
    spec: LayerSpec,
    *,
    as_of: dt.date | dt.datetime | None = None,
    where: Sequence[sa.ColumnElement[bool]] = (),
    geometry_sql: sa.ColumnElement[Any] | None = None,
    limit: int | None = None,
    offset: int = 0,
    with_lifespan: bool = True,
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Current (or as-of) rows of a layer as a GeoDataFrame in EPSG:4326 (all its content
    columns, or only ``columns``)."""
    t = spec.table
    geoms = geometry_columns(t)
    plain = [t.c[c] for c in (columns or spec.content_columns) if c not in geoms]
    if with_lifespan:
        plain += [t.c.vid, t.c.valid_from, t.c.valid_to, t.c.recorded_by,
                  t.c.import_batch_id, t.c.source]
    geom_expr = geometry_sql if geometry_sql is not None else (
        t.c[spec.geometry_column] if spec.geometry_column else None)
    cols: list[Any] = list(plain)
    if geom_expr is not None:
        cols.append(sa.func.ST_AsBinary(geom_expr).label("geometry"))
    query = sa.select(*cols).where(as_of_clause(t, as_of), *where).order_by(t.c[spec.key])
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    result = conn.execute(query)
    # plain tuples: pandas probing SQLAlchemy Row objects costs ~5x the construction itself
    frame = pd.DataFrame([tuple(r) for r in result.fetchall()], columns=list(result.keys()))
    if geom_expr is None:
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), crs=SRID))
    geometry = gpd.GeoSeries.from_wkb(
        [bytes(g) if g is not None else None for g in frame.pop("geometry")], crs=SRID
    )
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=SRID)


def history(conn: Connection, spec: LayerSpec, key: str) -> list[dict[str, Any]]:
    """Every version of one record, oldest first, with who/when/source."""
    t = spec.table
    geoms = geometry_columns(t)
    cols: list[Any] = [c for c in t.columns if c.name not in geoms]
    cols += [sa.func.ST_AsGeoJSON(t.c[g], 7).label(g) for g in geoms]
    rows = conn.execute(sa.select(*cols).where(t.c[spec.key] == key).order_by(t.c.vid))
    return [dict(r) for r in rows.mappings()]
