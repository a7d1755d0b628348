"""Mining concessions (INGEMMET cadastre rights)."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa
from geoalchemy2 import Geometry

from layers.base import LayerSpec, Rows, frame_rows
from layers.db import SRID, closed_index, current_key_index, lifespan_columns, metadata

concession = sa.Table(
    "concession", metadata,
    *lifespan_columns(),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("holder", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("state_raw", sa.Text),
    sa.Column("substance", sa.Text),
    sa.Column("filed_on", sa.Date),
    sa.Column("official_ha", sa.Float),
    sa.Column("zone", sa.Integer),
    sa.Column("datum", sa.Text),
    sa.Column("geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    current_key_index("concession", "code"),
    closed_index("concession"),
)

COLUMNS = ["code", "name", "holder", "state", "state_raw", "substance", "filed_on",
           "official_ha", "zone", "datum", "geom"]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame.assign(geom=frame.geometry), COLUMNS)
    for row in rows:
        # INGEMMET extracts without ESTADO/D_ESTADO: the state is unknown, not "other".
        row["state"] = row["state"] or "unknown"
        if row["zone"] is not None:
            row["zone"] = int(row["zone"])
    return rows


SPEC = LayerSpec(
    name="concessions", table=concession, key="code", to_rows=to_rows, geometry_column="geom",
    closes_missing=True, title_es="Concesiones mineras", title_en="Mining concessions",
)
