"""The OpenAPI 3.0 description of the OGC API itself (``/ogc/api``).

The app's own document (``/openapi.json``) is OpenAPI 3.1 and covers the whole service;
OGC API – Features clients (GDAL, QGIS, OWSLib, the OGC test suite) expect 3.0 and the
OGC paths relative to the landing page, so this one is written for them.
"""

from __future__ import annotations

from typing import Any

from layers.cql import queryables
from layers.ogc_collections import OGC_COLLECTIONS

OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
PROBLEM = "application/problem+json"


def _param(name: str, where: str, schema: dict[str, Any], description: str,
           required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema, **extra}


def _ok(media: dict[str, dict[str, Any]], description: str) -> dict[str, Any]:
    return {"description": description, "content": media}


_ERRORS: dict[str, Any] = {
    "400": {"description": "Solicitud no válida / bad request",
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/problem"}}}},
    "404": {"description": "No encontrado / not found",
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/problem"}}}},
}


def _get(summary: str, op_id: str, params: list[dict[str, Any]],
         ok: dict[str, Any]) -> dict[str, Any]:
    return {"get": {"summary": summary, "operationId": op_id, "parameters": params,
                    "responses": {"200": ok, **_ERRORS}},
            }


def openapi_document(server_url: str, max_items: int, default_items: int) -> dict[str, Any]:
    """A complete OpenAPI 3.0.3 document; ``server_url`` is the landing page's URL."""
    json_ = {"application/json": {"schema": {"type": "object"}}, "text/html": {}}
    geojson = {"application/geo+json": {"schema": {"$ref": "#/components/schemas/fc"}},
               "text/html": {}}
    f = {"$ref": "#/components/parameters/f"}
    cid = {"$ref": "#/components/parameters/collectionId"}
    item_params = [cid, f,
                   {"$ref": "#/components/parameters/bbox"},
                   {"$ref": "#/components/parameters/datetime"},
                   {"$ref": "#/components/parameters/limit"},
                   {"$ref": "#/components/parameters/offset"},
                   {"$ref": "#/components/parameters/filter"},
                   {"$ref": "#/components/parameters/filter-lang"},
                   {"$ref": "#/components/parameters/filter-crs"},
                   {"$ref": "#/components/parameters/as_of"}]
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Allpa – OGC API Features", "version": "1.0.0",
                 "description": "Territorios comunales, concesiones mineras, agua y consultas "
                                "previas / community territories, mining concessions, water "
                                "and prior consultations. Bearer or Basic authentication "
                                "(token as password) shows more than the public records.",
                 "license": {"name": "AGPL-3.0-or-later"}},
        "servers": [{"url": server_url}],
        "paths": {
            "/": _get("Página de inicio / landing page", "getLandingPage", [f],
                      _ok(json_, "landing page")),
            "/conformance": _get("Clases de conformidad / conformance", "getConformance", [f],
                                 _ok(json_, "conformance classes")),
            "/collections": _get("Colecciones / collections", "getCollections", [f],
                                 _ok(json_, "collections")),
            "/collections/{collectionId}": _get("Una colección / one collection",
                                                "describeCollection", [cid, f],
                                                _ok(json_, "collection")),
            "/collections/{collectionId}/queryables": _get(
                "Propiedades filtrables / queryables", "getQueryables", [cid, f],
                _ok({"application/schema+json": {"schema": {"type": "object"}},
                     "text/html": {}}, "queryables (JSON Schema)")),
            "/collections/{collectionId}/items": _get(
                "Entidades / features", "getFeatures", item_params,
                _ok(geojson, "features")),
            "/collections/{collectionId}/items/{featureId}": _get(
                "Una entidad / one feature", "getFeature",
                [cid, _param("featureId", "path", {"type": "string"}, "feature id", True), f,
                 {"$ref": "#/components/parameters/datetime"},
                 {"$ref": "#/components/parameters/as_of"}],
                _ok({"application/geo+json": {"schema": {"type": "object"}}, "text/html": {}},
                    "feature")),
        },
        "components": {
            "parameters": {
                "f": _param("f", "query", {"type": "string", "enum": ["json", "html"]},
                            "formato / format"),
                "collectionId": _param("collectionId", "path",
                                       {"type": "string", "enum": list(OGC_COLLECTIONS)},
                                       "colección / collection", True),
                "bbox": _param("bbox", "query",
                               {"type": "array", "minItems": 4, "maxItems": 6,
                                "items": {"type": "number"}},
                               "minlon,minlat,maxlon,maxlat (CRS84)", style="form",
                               explode=False),
                "datetime": _param("datetime", "query", {"type": "string"},
                                   "RFC 3339 instant or interval start/end ('..' open): the "
                                   "records as they stood then (the end of an interval)"),
                "as_of": _param("as_of", "query", {"type": "string"},
                                "= datetime (instant), Allpa's name"),
                "limit": _param("limit", "query",
                                {"type": "integer", "minimum": 1, "maximum": max_items,
                                 "default": default_items},
                                f"larger values are served as {max_items}"),
                "offset": _param("offset", "query", {"type": "integer", "minimum": 0,
                                                     "default": 0}, "paging offset"),
                "filter": _param("filter", "query", {"type": "string"},
                                 "CQL2 filter over the collection's queryables"),
                "filter-lang": _param("filter-lang", "query",
                                      {"type": "string",
                                       "enum": ["cql2-text", "cql2-json", "cql-text"],
                                       "default": "cql2-text"},
                                      "filter language (cql-text: the draft name some clients "
                                      "such as GDAL send, read as CQL2 text)"),
                "filter-crs": _param("filter-crs", "query",
                                     {"type": "string", "enum": [
                                         "http://www.opengis.net/def/crs/OGC/1.3/CRS84"]},
                                     "CRS of filter geometries"),
            },
            "schemas": {
                "problem": {"type": "object",
                            "required": ["type", "title", "status", "code", "detail",
                                         "message_es", "message_en"],
                            "properties": {
                                "type": {"type": "string"}, "title": {"type": "string"},
                                "status": {"type": "integer"}, "detail": {"type": "string"},
                                "code": {"type": "string"}, "message_es": {"type": "string"},
                                "message_en": {"type": "string"}}},
                "fc": {"type": "object", "required": ["type", "features"], "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"type": "object"}},
                    "numberMatched": {"type": "integer"},
                    "numberReturned": {"type": "integer"},
                    "links": {"type": "array", "items": {"type": "object"}}}},
            },
        },
    }
    _per_collection_items(doc, item_params[1:])
    return _inline_items_parameters(doc)


def _per_collection_items(doc: dict[str, Any], shared: list[dict[str, Any]]) -> None:
    """``/collections/<id>/items`` for each collection, listing its queryables as query
    parameters (Part 3 "queryables-query-parameters"): QGIS 3.22 and GDAL send simple
    equality filters as such parameters when the API lists them."""
    for coll in OGC_COLLECTIONS.values():
        own = [_param(name, "query", {k: v for k, v in q.schema().items() if k != "title"},
                      f"= {name}")
               for name, q in queryables(coll.base).items() if q.kind != "geometry"]
        doc["paths"][f"/collections/{coll.id}/items"] = {"get": {
            "summary": coll.title("es"), "operationId": f"getFeatures_{coll.id}",
            "parameters": [*shared, *own],
            "responses": doc["paths"]["/collections/{collectionId}/items"]["get"]["responses"],
        }}


def _inline_items_parameters(doc: dict[str, Any]) -> dict[str, Any]:
    """Items parameters written out in full (not ``$ref``): GDAL's OAPIF driver looks for
    ``filter-lang`` among them to decide that it may send CQL2 filters to the server."""
    shared = doc["components"]["parameters"]
    for path in doc["paths"].values():
        op = path["get"]
        op["parameters"] = [shared[p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
                            for p in op["parameters"]]
    return doc
