"""Prior consultations (consulta previa): measure, promoter, concessions, area, dates."""

from __future__ import annotations

import geopandas as gpd

from geo import catalog
from layers.base import LayerSpec, Rows, frame_rows, table_for

consultation = table_for(catalog.CONSULTATIONS)

COLUMNS = [*catalog.CONSULTATIONS.field_names, *(g.name for g in catalog.CONSULTATIONS.geometry)]


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    rows = frame_rows(frame.assign(geom=frame.geometry), COLUMNS)
    for row in rows:
        row["concession_codes"] = list(row["concession_codes"] or [])
    return rows


SPEC = LayerSpec(catalog.CONSULTATIONS, consultation, to_rows)
