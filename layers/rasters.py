"""Raster layers (DEM, land cover): metadata in PostGIS, pixels in files under var/rasters."""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from layers.db import SRID, current_key_index, lifespan_columns, metadata

raster_layer = sa.Table(
    "raster_layer", metadata,
    *lifespan_columns(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("file_path", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("crs", sa.Text, nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("res_x", sa.Float, nullable=False),
    sa.Column("res_y", sa.Float, nullable=False),
    sa.Column("nodata", sa.Float),
    sa.Column("classes", JSONB, nullable=False, server_default="{}"),
    sa.Column("footprint", Geometry("POLYGON", srid=SRID, spatial_index=True), nullable=False),
    current_key_index("raster_layer", "key"),
)


def current_raster(conn: Connection, kind: str) -> dict[str, object] | None:
    """The current raster layer of a kind (``dem`` or ``landcover``), newest first."""
    row = conn.execute(
        sa.select(raster_layer).where(raster_layer.c.kind == kind,
                                      raster_layer.c.valid_to.is_(None))
        .order_by(raster_layer.c.vid.desc()).limit(1)
    ).mappings().first()
    return dict(row) if row else None
