"""Administrative boundaries (departments, provinces, districts; Bolivian municipalities)."""

from __future__ import annotations

import geopandas as gpd

from geo import catalog
from layers.base import LayerSpec, Rows, frame_rows, table_for

boundary = table_for(catalog.BOUNDARIES)

COLUMNS = [*catalog.BOUNDARIES.field_names, *(g.name for g in catalog.BOUNDARIES.geometry)]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    """Key is ``level:code`` so a district and a province may share digits."""
    frame = frame.assign(key=frame["level"].astype(str) + ":" + frame["code"].astype(str),
                         geom=frame.geometry)
    return frame_rows(frame, COLUMNS)


SPEC = LayerSpec(catalog.BOUNDARIES, boundary, to_rows)
