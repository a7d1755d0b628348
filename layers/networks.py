"""Networks (associations of communities) and their members."""

from __future__ import annotations

import geopandas as gpd

from geo import catalog
from layers.base import LayerSpec, Rows, frame_rows, table_for

network = table_for(catalog.NETWORKS)

COLUMNS = [*catalog.NETWORKS.field_names, *(g.name for g in catalog.NETWORKS.geometry)]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame, COLUMNS)
    for row in rows:
        row["members"] = sorted(row["members"] or [])
    return rows


SPEC = LayerSpec(catalog.NETWORKS, network, to_rows)
