"""Water sources: springs, rivers, streams, lakes, wetlands (bofedales), wells, canals, glaciers."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa
from geoalchemy2 import Geometry

from layers.base import LayerSpec, Rows, frame_rows
from layers.db import SRID, closed_index, current_key_index, lifespan_columns, metadata

water_source = sa.Table(
    "water_source", metadata,
    *lifespan_columns(),
    sa.Column("id", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("use", sa.Text),
    sa.Column("sensitivity", sa.Text, nullable=False, server_default="public"),
    sa.Column("geom", Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False),
    current_key_index("water_source", "id"),
    closed_index("water_source"),
    sa.Index("ix_water_source_id_vid", "id", "vid"),
)

COLUMNS = ["id", "name", "kind", "use", "sensitivity", "geom"]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame.assign(geom=frame.geometry), COLUMNS)
    for row in rows:
        row["sensitivity"] = row["sensitivity"] or "public"
    return rows


SPEC = LayerSpec(
    name="water", table=water_source, key="id", to_rows=to_rows, geometry_column="geom",
    closes_missing=False, title_es="Fuentes de agua", title_en="Water sources",
)
