"""Every registry agrees with the layer catalog (``geo.catalog``), and the catalog describes
the migrated database exactly.

A layer is declared once; the tables, the registry and its aliases, the import profiles,
the API collections and routes, OGC collections, tile and export lists, visibility and
analysis tracking are derived from it. These tests fail when one of them is written by hand
again and drifts, or when a definition does not match the schema the migrations build.
"""

from __future__ import annotations

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.engine import Connection

from geo import vocabulary as V
from geo.catalog import ALIASES, CATALOG
from geo.ingest import EXPECTED_GEOMETRY
from geo.profiles import CANONICAL_COLUMNS, FIELDS, KEY_COLUMNS, PROFILES
from geo.profiles import LAYERS as PROFILE_LAYERS
from layers import edits, registry
from layers.analysis_state import TRACKED_GEOMETRY
from layers.communities import LEGAL_FIELDS
from layers.ogc_collections import LAYERS as OGC_LAYERS
from layers.ogc_collections import OGC_COLLECTIONS
from layers.queries import COLLECTIONS
from layers.tiles import MAP_LAYERS
from layers.tiles import TILE_LAYERS as LAYER_TILE_LAYERS
from layers.users import Principal
from layers.visibility import generalises, in_own_networks

PUBLIC = Principal("public", "public")


def test_the_layer_registry_is_the_catalog() -> None:
    assert list(registry.LAYERS) == list(CATALOG)
    for name, spec in registry.LAYERS.items():
        layer = CATALOG[name]
        assert spec.layer is layer
        assert spec.table.name == layer.table
        assert spec.key == layer.key
        assert spec.closes_missing == layer.closes_missing
        assert spec.content_columns == [*layer.field_names, *(g.name for g in layer.geometry)]
    for alias, name in ALIASES.items():
        assert registry.get_layer(alias).name == name
        assert registry.get_layer(alias.upper()).name == name


def test_import_profiles_read_the_catalog_fields() -> None:
    assert tuple(CATALOG) == PROFILE_LAYERS
    for name, layer in CATALOG.items():
        assert CANONICAL_COLUMNS[name] == tuple(f.name for f in layer.imported_fields)
        assert KEY_COLUMNS[name] == layer.source_key
        assert layer.source_key in CANONICAL_COLUMNS[name]
        assert EXPECTED_GEOMETRY[name] == layer.expected_geometry
        for spec in FIELDS[name]:
            field = layer.field(spec.name)
            assert spec.required == field.required
            if field.type == "enum":
                assert field.vocabulary is not None
                assert set(spec.enum or {}) == set(field.vocabulary.synonyms)
    for layer in CATALOG.values():
        if layer.spanish_headers:  # an Allpa template for every layer with Spanish headers
            assert any(p.layers == (layer.name,) and p.aliases for p in PROFILES.values())
    assert set(PROFILES["columns"].layers) == set(CATALOG)


def test_api_collections_and_routes_follow_the_catalog() -> None:
    from api.app import create_app

    published = [n for n, layer in CATALOG.items() if layer.publish.api]
    assert list(COLLECTIONS) == published
    for name, coll in COLLECTIONS.items():
        layer = CATALOG[name]
        assert coll.properties == layer.field_names
        assert set(coll.equals) == set(layer.filterable)
        assert set(coll.tile_properties) == set(layer.tile_properties)
        assert set(coll.free_text) == set(layer.free_text)
        assert coll.prefix_column == layer.prefix_filter
        assert coll.has_geometry == layer.has_geometry
        for f in layer.fields:  # every vocabulary-typed field is one the catalog declares
            assert f.vocabulary is None or f.vocabulary in V.VOCABULARIES.values()
    spec = create_app().openapi()
    for name in published:
        assert f"/api/{name}" in spec["paths"], name
        params = {p["name"]: p for p in spec["paths"][f"/api/{name}"]["get"]["parameters"]}
        for f in CATALOG[name].fields:
            if f.filterable and f.vocabulary is not None and f.name in params:
                schema = params[f.name]["schema"]
                enum = next(s["enum"] for s in schema.get("anyOf", [schema]) if "enum" in s)
                assert enum == list(f.vocabulary.codes), (name, f.name)


def test_ogc_tiles_and_exports_follow_the_catalog() -> None:
    from api.routes import exports as export_routes
    from api.routes import ogc as ogc_routes
    from api.routes import tiles as tile_routes

    ogc = [n for n, layer in CATALOG.items() if layer.publish.ogc and layer.has_geometry]
    assert list(OGC_LAYERS) == ogc
    for name in ogc:
        views = CATALOG[name].geometry_views
        assert OGC_LAYERS[name] == views
        assert all(f"{name}_{kind}" in OGC_COLLECTIONS for kind in views)
    assert len(OGC_COLLECTIONS) == len(ogc) + sum(len(OGC_LAYERS[n]) for n in ogc)
    tiled = [n for n, layer in CATALOG.items() if layer.publish.tiles and layer.has_geometry]
    assert list(LAYER_TILE_LAYERS) == tiled
    assert set(tile_routes.TILE_LAYERS) == set(tiled)
    assert tuple(tile_routes.MAP_LAYERS) == MAP_LAYERS
    assert set(ogc_routes.TILED) == set(tiled)
    exported = {n for n, layer in CATALOG.items() if layer.publish.exports}
    assert set(export_routes.EXPORT_LAYERS.split("|")) == exported


def test_visibility_edits_and_analysis_follow_the_catalog() -> None:
    reader = Principal("member", "network", networks=("RED-01",))
    for spec in registry.LAYERS.values():
        layer = spec.layer
        assert ("sensitivity" in spec.table.c) == layer.has_sensitivity
        assert generalises(spec.table, PUBLIC) == layer.generalise_points
        scoped = in_own_networks(spec.table, reader)
        assert (str(scoped) != str(sa.false())) == (layer.network_scope is not None)
        if layer.sensitive_point_kinds:
            kind = layer.field("kind").vocabulary
            assert kind is not None and set(layer.sensitive_point_kinds) <= set(kind.codes)
    tracked = {layer.table for layer in CATALOG.values() if layer.tracked_by_analysis}
    assert set(TRACKED_GEOMETRY) == tracked
    assert list(CATALOG["communities"].editable) == LEGAL_FIELDS
    assert CATALOG["communities"].editable == edits.EDITABLE


def test_no_value_label_is_a_raw_code() -> None:
    from geo.maps import labels

    for lang in ("es", "en"):
        for vocabulary in V.VOCABULARIES.values():
            for code in vocabulary.codes:
                text = labels.t(lang, vocabulary.label_key + code)
                assert text != vocabulary.label_key + code
                assert "_" not in text, (lang, code, text)


def _column_type(column: sa.Column[object]) -> str:
    if isinstance(column.type, Geometry):
        return f"geometry({column.type.geometry_type})"
    return str(column.type.compile(dialect=sa.dialects.postgresql.dialect())).lower()


def test_catalog_tables_are_the_migrated_schema(conn: Connection) -> None:
    """Column names, order, types, nullability and defaults, geometry types and SRIDs,
    and index names of every catalog table equal the migrated database's."""
    inspector = sa.inspect(conn)
    for spec in registry.LAYERS.values():
        table = spec.table
        db = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert list(db) == [c.name for c in table.columns], table.name
        for column in table.columns:
            found = db[column.name]
            assert found["nullable"] == column.nullable, (table.name, column.name)
            if isinstance(column.type, Geometry):
                geom = conn.execute(sa.text(
                    "SELECT type, srid FROM geometry_columns WHERE f_table_name = :t "
                    "AND f_geometry_column = :c"), {"t": table.name, "c": column.name}).one()
                assert (geom.type, geom.srid) == (column.type.geometry_type, 4326)
            else:
                db_type = str(found["type"].compile(dialect=conn.dialect)).lower()
                ours = _column_type(column)
                assert db_type.replace("double precision", "float") == \
                    ours.replace("double precision", "float"), (table.name, column.name)
            default = column.server_default
            if default is not None and column.name not in ("valid_from",) and \
                    isinstance(default, sa.DefaultClause) and isinstance(default.arg, str):
                assert found["default"] is not None and default.arg in found["default"], \
                    (table.name, column.name, found["default"])
        db_indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        ours = {i.name for i in table.indexes if i.name}
        assert ours <= db_indexes, (table.name, ours - db_indexes)
