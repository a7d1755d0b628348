"""Mining concessions (INGEMMET cadastre rights)."""

from __future__ import annotations

import geopandas as gpd

from geo import catalog
from layers.base import LayerSpec, Rows, frame_rows, table_for

concession = table_for(catalog.CONCESSIONS)

COLUMNS = [*catalog.CONCESSIONS.field_names, *(g.name for g in catalog.CONCESSIONS.geometry)]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame.assign(geom=frame.geometry), COLUMNS)
    for row in rows:
        # INGEMMET extracts without ESTADO/D_ESTADO: the state is unknown, not "other".
        row["state"] = row["state"] or "unknown"
        if row["zone"] is not None:
            row["zone"] = int(row["zone"])
    return rows


SPEC = LayerSpec(catalog.CONCESSIONS, concession, to_rows)
