"""Networks (associations of communities) and their members."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from layers.base import LayerSpec, Rows, frame_rows
from layers.db import current_key_index, lifespan_columns, metadata

network = sa.Table(
    "network", metadata,
    *lifespan_columns(),
    sa.Column("id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("members", ARRAY(sa.Text), nullable=False, server_default="{}"),
    current_key_index("network", "id"),
)

COLUMNS = ["id", "name", "description", "members"]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame, COLUMNS)
    for row in rows:
        row["members"] = sorted(row["members"] or [])
    return rows


SPEC = LayerSpec(
    name="networks", table=network, key="id", to_rows=to_rows, geometry_column=None,
    closes_missing=False, title_es="Redes de comunidades", title_en="Community networks",
)
