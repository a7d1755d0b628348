"""Prior consultations (consulta previa): measure, promoter, concessions, area, dates."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY

from layers.base import LayerSpec, Rows, frame_rows
from layers.db import SRID, closed_index, current_key_index, lifespan_columns, metadata

consultation = sa.Table(
    "consultation", metadata,
    *lifespan_columns(),
    sa.Column("id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("measure", sa.Text),
    sa.Column("promoter", sa.Text),
    sa.Column("concession_codes", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("stage", sa.Text),
    sa.Column("start_date", sa.Date),
    sa.Column("dialogue_date", sa.Date),
    sa.Column("end_date", sa.Date),
    sa.Column("geom", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False),
    current_key_index("consultation", "id"),
    closed_index("consultation"),
)

COLUMNS = ["id", "name", "measure", "promoter", "concession_codes", "stage", "start_date",
           "dialogue_date", "end_date", "geom"]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame.assign(geom=frame.geometry), COLUMNS)
    for row in rows:
        row["concession_codes"] = list(row["concession_codes"] or [])
    return rows


SPEC = LayerSpec(
    name="consultations", table=consultation, key="id", to_rows=to_rows, geometry_column="geom",
    closes_missing=False, title_es="Consultas previas", title_en="Prior consultations",
)
