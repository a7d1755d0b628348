"""Water sources: springs, rivers, streams, lakes, wetlands (bofedales), wells, canals, glaciers."""

from __future__ import annotations

import geopandas as gpd

from geo import catalog
from layers.base import LayerSpec, Rows, frame_rows, table_for

water_source = table_for(catalog.WATER)

COLUMNS = [*catalog.WATER.field_names, *(g.name for g in catalog.WATER.geometry)]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame.assign(geom=frame.geometry), COLUMNS)
    for row in rows:
        row["sensitivity"] = row["sensitivity"] or "public"
    return rows


SPEC = LayerSpec(catalog.WATER, water_source, to_rows)
