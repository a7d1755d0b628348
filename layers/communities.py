"""Communities (group parties) with legal personality, statute clauses, board and case."""

from __future__ import annotations

import geopandas as gpd
import shapely
import sqlalchemy as sa

from geo import catalog
from layers.base import LayerSpec, Rows, frame_rows, table_for

community = table_for(catalog.COMMUNITIES)

ATTRIBUTES = list(catalog.COMMUNITIES.field_names)
#: What editors may change by hand (legal personality, statute, board, procedure).
LEGAL_FIELDS = list(catalog.COMMUNITIES.editable)


def to_rows(frame: gpd.GeoDataFrame) -> Rows:
    """A polygon is the territory (location = its representative point); a point is only a
    location, the territory stays unknown (NULL)."""
    geoms = frame.geometry.values
    is_area = shapely.get_type_id(geoms) >= 3  # Polygon(3), MultiPolygon(6)
    territory = [g if a else None for g, a in zip(geoms, is_area, strict=True)]
    location = [shapely.point_on_surface(g) if a else g
                for g, a in zip(geoms, is_area, strict=True)]
    rows = frame_rows(frame, ATTRIBUTES)
    for row, terr, loc in zip(rows, territory, location, strict=True):
        row["territory"] = terr
        row["location"] = loc
        if row.get("sensitivity") is None:
            row["sensitivity"] = "public"
    return rows


SPEC = LayerSpec(catalog.COMMUNITIES, community, to_rows)


def geometry_expression() -> sa.ColumnElement[object]:
    """Territory when known, else the location point."""
    return sa.func.coalesce(community.c.territory, community.c.location)
