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
from sqlalchemy.engine import Connection

from layers.db import SRID, as_of_clause
from layers.versioning import LIFESPAN

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class LayerSpec:
    """A data layer: its table, its key and how canonical frames become rows."""

    name: str
    table: sa.Table
    key: str
    to_rows: Callable[[gpd.GeoDataFrame], Rows]
    geometry_column: str | None
    closes_missing: bool
    title_es: str
    title_en: str

    @property
    def content_columns(self) -> list[str]:
        return [c.name for c in self.table.columns if c.name not in LIFESPAN]


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
    if series.dtype == object or series.dtype.kind == "M":
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
