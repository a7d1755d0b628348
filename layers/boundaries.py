"""Administrative boundaries (departments, provinces, districts; Bolivian municipalities)."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa
from geoalchemy2 import Geometry

from layers.base import LayerSpec, Rows, frame_rows
from layers.db import SRID, current_key_index, lifespan_columns, metadata

boundary = sa.Table(
    "boundary", metadata,
    *lifespan_columns(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("parent_code", sa.Text),
    sa.Column("country", sa.Text, nullable=False),
    sa.Column("geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    current_key_index("boundary", "key"),
)

COLUMNS = ["key", "code", "level", "name", "parent_code", "country", "geom"]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    """Key is ``level:code`` so a district and a province may share digits."""
    frame = frame.assign(key=frame["level"].astype(str) + ":" + frame["code"].astype(str),
                         geom=frame.geometry)
    return frame_rows(frame, COLUMNS)


SPEC = LayerSpec(
    name="boundaries", table=boundary, key="key", to_rows=to_rows, geometry_column="geom",
    closes_missing=False, title_es="Límites administrativos", title_en="Administrative boundaries",
)
