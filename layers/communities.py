"""Communities (group parties) with legal personality, statute clauses, board and case."""

from __future__ import annotations

import geopandas as gpd
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry

from layers.base import LayerSpec, Rows, frame_rows
from layers.db import SRID, closed_index, current_key_index, lifespan_columns, metadata

community = sa.Table(
    "community", metadata,
    *lifespan_columns(),
    sa.Column("id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text),
    sa.Column("country", sa.Text),
    sa.Column("admin_code", sa.Text),
    sa.Column("title_status", sa.Text),
    sa.Column("title_date", sa.Date),
    sa.Column("official_area_ha", sa.Float),
    sa.Column("sensitivity", sa.Text, nullable=False, server_default="public"),
    sa.Column("legal_status", sa.Text),
    sa.Column("registry_office", sa.Text),
    sa.Column("registry_entry", sa.Text),
    sa.Column("registration_date", sa.Date),
    sa.Column("statute_adopted", sa.Date),
    sa.Column("statute_modified", sa.Date),
    sa.Column("clause_territory", sa.Boolean),
    sa.Column("clause_water", sa.Boolean),
    sa.Column("clause_environment", sa.Boolean),
    sa.Column("clause_consultation", sa.Boolean),
    sa.Column("clause_women", sa.Boolean),
    sa.Column("board_elected", sa.Date),
    sa.Column("board_term_end", sa.Date),
    sa.Column("board_registered", sa.Boolean),
    sa.Column("procedure_what", sa.Text),
    sa.Column("procedure_stage", sa.Text),
    sa.Column("procedure_since", sa.Date),
    sa.Column("territory", Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True)),
    sa.Column("location", Geometry("POINT", srid=SRID, spatial_index=True), nullable=False),
    current_key_index("community", "id"),
    closed_index("community"),
    sa.Index("ix_community_id_vid", "id", "vid"),
)

ATTRIBUTES = [
    "id", "name", "kind", "country", "admin_code", "title_status", "title_date",
    "official_area_ha", "sensitivity", "legal_status", "registry_office", "registry_entry",
    "registration_date", "statute_adopted", "statute_modified", "clause_territory",
    "clause_water", "clause_environment", "clause_consultation", "clause_women",
    "board_elected", "board_term_end", "board_registered", "procedure_what", "procedure_stage",
    "procedure_since",
]
LEGAL_FIELDS = ATTRIBUTES[9:]


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


SPEC = LayerSpec(
    name="communities", table=community, key="id", to_rows=to_rows, geometry_column=None,
    closes_missing=False, title_es="Comunidades", title_en="Communities",
)


def geometry_expression() -> sa.ColumnElement[object]:
    """Territory when known, else the location point."""
    return sa.func.coalesce(community.c.territory, community.c.location)
