"""Mining concessions (INGEMMET cadastre rights)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from geo import catalog
from layers.base import LayerSpec, Rows, _clean_column, frame_rows, table_for

if TYPE_CHECKING:
    import geopandas as gpd

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


def to_columns(frame: gpd.GeoDataFrame) -> dict[str, list[Any]]:
    """:func:`to_rows` column by column ({name: values}, the same values in the same order),
    for :func:`layers.versioning.write_columns`: the 10,000s of rows of a cadastre import
    skip one dict per record (``tests/layers/test_import_equality.py`` holds them equal)."""
    n = len(frame)
    columns: dict[str, list[Any]] = {c: _clean_column(frame.geometry if c == "geom" else frame[c])
               if c == "geom" or c in frame.columns else [None] * n for c in COLUMNS}
    columns["state"] = [state or "unknown" for state in columns["state"]]
    columns["zone"] = [None if zone is None else int(zone) for zone in columns["zone"]]
    return columns


SPEC = LayerSpec(catalog.CONCESSIONS, concession, to_rows)
