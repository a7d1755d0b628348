"""OGC API – Features under ``/ogc``: Part 1 (core, GeoJSON, HTML, OpenAPI 3.0) and Part 3
(queryables, CQL2 ``filter``).

QGIS, GDAL (``OAPIF:``), OWSLib and browsers connect here. Items obey the same visibility
and generalisation as every other read path: filters, geometry-type views and ``datetime``
are extra WHERE clauses of the one query (:mod:`layers.queries`). Layers that mix geometry
types are also published one type per collection (:mod:`layers.ogc_collections`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.dependencies import AsOfDep, BBoxDep, ConnDep, LangDep, ViewerDep
from api.errors import ParameterError, error
from api.models import (
    Conformance,
    Feature,
    OgcCollections,
    OgcFeatureCollection,
    OgcLanding,
    OpenAPIDocument,
    Queryables,
    ok,
)
from api.models import OgcCollection as OgcCollectionDoc
from api.ogc import html
from api.ogc.openapi import OPENAPI_MEDIA, openapi_document
from api.ogc.params import (
    DEFAULT_ITEMS,
    MAX_ITEMS,
    OgcFormat,
    capped_limit,
    datetime_as_of,
    negotiate,
)
from api.responses import GEOJSON, MVT, GeoJSONResponse, OpenAPIResponse, geojson_feature
from geo.catalog import CATALOG
from layers import cql, queries
from layers.ogc_collections import OGC_COLLECTIONS, OgcCollection, get_ogc_collection
from layers.queries import Filters

router = APIRouter(prefix="/ogc", tags=["OGC API – Features"])

GET_HEAD = ["GET", "HEAD"]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONTENT_CRS = {"Content-Crs": f"<{CRS84}>"}
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
]
#: Tile layers (``/tiles/{layer}``) a collection can link to.
TILED = tuple(name for name, layer in CATALOG.items() if layer.publish.tiles)

FParam = Annotated[str | None, Query(alias="f", description="json | html")]
DatetimeParam = Annotated[str | None, Query(
    description="RFC 3339 instant or interval start/end ('..' open)")]


def _url(request: Request, name: str, **params: str) -> str:
    return str(request.url_for(name, **params))


def _answer(request: Request, fmt: OgcFormat, kind: str, doc: dict[str, Any], lang: str,
            media_type: str = "application/json") -> Response:
    if fmt == "html":
        json_href = str(request.url.include_query_params(f="json"))
        return html.page(kind, doc, lang, json_href)
    return JSONResponse(doc, media_type=media_type)


@router.api_route("", methods=GET_HEAD, summary="Página de inicio / landing page",
                  response_model=None, responses=ok(OgcLanding, html=True))
@router.api_route("/", methods=GET_HEAD, include_in_schema=False, name="landing_slash")
def landing(request: Request, lang: LangDep, f: FParam = None) -> Response:
    fmt = negotiate(request, f)
    doc = {
        "title": "Allpa – OGC API Features",
        "description": ("Territorios comunales, concesiones mineras, agua y consultas previas"
                        if lang == "es" else
                        "Community territories, mining concessions, water and prior "
                        "consultations"),
        "links": [
            {"rel": "self", "type": "application/json", "title": "this document",
             "href": _url(request, "landing")},
            {"rel": "alternate", "type": "text/html", "title": "HTML",
             "href": _url(request, "landing") + "?f=html"},
            {"rel": "service-desc", "type": OPENAPI_MEDIA, "title": "OpenAPI 3.0",
             "href": _url(request, "ogc_openapi")},
            {"rel": "service-doc", "type": "text/html", "title": "Swagger UI",
             "href": str(request.base_url) + "docs"},
            {"rel": "conformance", "type": "application/json", "title": "conformance",
             "href": _url(request, "conformance")},
            {"rel": "data", "type": "application/json", "title": "collections",
             "href": _url(request, "collections")},
        ],
    }
    return _answer(request, fmt, "landing", doc, lang)


@router.api_route("/api", methods=GET_HEAD, summary="OpenAPI 3.0 de la API OGC / of the OGC API",
                  response_model=None, response_class=OpenAPIResponse,
                  responses=ok(OpenAPIDocument))
def ogc_openapi(request: Request) -> JSONResponse:
    server = _url(request, "landing")
    return JSONResponse(openapi_document(server, MAX_ITEMS, DEFAULT_ITEMS),
                        media_type=OPENAPI_MEDIA)


@router.api_route("/conformance", methods=GET_HEAD,
                  summary="Clases de conformidad / conformance", response_model=None,
                  responses=ok(Conformance, html=True))
def conformance(request: Request, lang: LangDep, f: FParam = None) -> Response:
    fmt = negotiate(request, f)
    doc = {"title": "Conformance", "conformsTo": CONFORMANCE,
           "links": [{"rel": "self", "type": "application/json",
                      "href": _url(request, "conformance")}]}
    return _answer(request, fmt, "conformance", doc, lang)


def _collection_doc(request: Request, conn: Any, coll: OgcCollection, viewer: queries.Viewer,
                    lang: str) -> dict[str, Any]:
    filters = Filters(extra=coll.predicates())
    bbox = queries.extent(conn, coll.base, viewer, filters) or (-180.0, -90.0, 180.0, 90.0)
    title = coll.title(lang)
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": "application/json", "title": title,
         "href": _url(request, "collection", collection_id=coll.id)},
        {"rel": "alternate", "type": "text/html", "title": title,
         "href": _url(request, "collection", collection_id=coll.id) + "?f=html"},
        {"rel": "items", "type": GEOJSON, "title": title,
         "href": _url(request, "items", collection_id=coll.id)},
        {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
         "type": "application/schema+json", "title": "queryables",
         "href": _url(request, "queryables", collection_id=coll.id)},
        # the short rel GDAL's OAPIF driver looks for
        {"rel": "queryables", "type": "application/schema+json", "title": "queryables",
         "href": _url(request, "queryables", collection_id=coll.id)},
    ]
    if coll.base.name in TILED:
        tile = _url(request, "tile", layer=coll.base.name, z="{z}", x="{x}", y="{y}")
        links += [
            {"rel": "tiles", "type": "application/json", "title": "TileJSON 3.0 (" +
             ("teselas vectoriales de toda la capa" if lang == "es"
              else "vector tiles of the whole layer") + ")",
             "href": _url(request, "tilejson", layer=coll.base.name)},
            {"rel": "item", "type": MVT, "templated": True, "title": "Mapbox Vector Tile",
             "href": tile.replace("%7B", "{").replace("%7D", "}")},
        ]
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": title,
        "description": coll.description(lang),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(bbox)], "crs": CRS84},
                   "temporal": {"interval": [[None, None]],
                                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        "links": links,
    }
    if coll.geometry_type:
        doc["geometryType"] = coll.geometry_type
    return doc


@router.api_route("/collections", methods=GET_HEAD, summary="Colecciones / collections",
                  response_model=None, responses=ok(OgcCollections, html=True))
def collections(request: Request, conn: ConnDep, viewer: ViewerDep, lang: LangDep,
                f: FParam = None) -> Response:
    fmt = negotiate(request, f)
    doc = {
        "title": "Colecciones" if lang == "es" else "Collections",
        "links": [{"rel": "self", "type": "application/json",
                   "href": _url(request, "collections")}],
        "collections": [_collection_doc(request, conn, c, viewer, lang)
                        for c in OGC_COLLECTIONS.values()],
    }
    return _answer(request, fmt, "collections", doc, lang)


@router.api_route("/collections/{collection_id}", methods=GET_HEAD,
                  summary="Una colección / one collection", response_model=None,
                  responses=ok(OgcCollectionDoc, html=True))
def collection(collection_id: str, request: Request, conn: ConnDep, viewer: ViewerDep,
               lang: LangDep, f: FParam = None) -> Response:
    fmt = negotiate(request, f)
    doc = _collection_doc(request, conn, get_ogc_collection(collection_id), viewer, lang)
    return _answer(request, fmt, "collection", doc, lang)


@router.api_route("/collections/{collection_id}/queryables", methods=GET_HEAD,
                  summary="Propiedades filtrables / queryables", response_model=None,
                  responses=ok(Queryables, html=True,
                               alternatives={"application/schema+json": Queryables}))
def queryables(collection_id: str, request: Request, lang: LangDep, viewer: ViewerDep,
               f: FParam = None) -> Response:
    fmt = negotiate(request, f)
    coll = get_ogc_collection(collection_id)
    doc = cql.queryables_document(coll.base, _url(request, "queryables",
                                                  collection_id=coll.id), coll.title(lang),
                                  viewer)
    # JSON Schema's own media type when asked for; plain JSON otherwise (GDAL accepts only
    # application/json or geo+json and would otherwise ignore the queryables)
    accept = request.headers.get("accept", "")
    media = "application/schema+json" if "schema+json" in accept else "application/json"
    return _answer(request, fmt, "queryables", doc, lang, media)


def _filters(coll: OgcCollection, viewer: queries.Viewer, *, bbox: queries.BBox | None,
             as_of: queries.AsOf, filter_text: str | None, filter_lang: str | None,
             filter_crs: str | None, params: Mapping[str, str] | None = None) -> Filters:
    if filter_crs not in (None, "", CRS84):
        raise error(ParameterError, f"filter-crs '{filter_crs}' no admitido; use {CRS84}",
                    f"unsupported filter-crs '{filter_crs}'; use {CRS84}",
                    code="invalid_filter")
    try:
        extra = cql.filter_clause(filter_text, coll.base, viewer, filter_lang)
        extra += cql.equality_clauses(coll.base, params or {}, viewer)
    except cql.FilterError as exc:
        raise ParameterError(exc.message, code=exc.code) from None
    return Filters(bbox=bbox, as_of=as_of, extra=(*coll.predicates(), *extra))


@router.api_route("/collections/{collection_id}/items", methods=GET_HEAD,
                  response_class=GeoJSONResponse, summary="Entidades / features",
                  response_model=None, responses=ok(OgcFeatureCollection, html=True))
def items(
    collection_id: str, request: Request, conn: ConnDep, viewer: ViewerDep, bbox: BBoxDep,
    as_of: AsOfDep, lang: LangDep,
    datetime: DatetimeParam = None,
    limit: Annotated[int, Query(ge=1, description=f"máx./max {MAX_ITEMS} (más se reduce / "
                                                  f"more is lowered)")] = DEFAULT_ITEMS,
    offset: Annotated[int, Query(ge=0)] = 0,
    filter: Annotated[str | None, Query(description="CQL2")] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang")] = None,
    filter_crs: Annotated[str | None, Query(alias="filter-crs")] = None,
    f: FParam = None,
) -> Response:
    fmt = negotiate(request, f)
    coll = get_ogc_collection(collection_id)
    limit = capped_limit(limit)
    filters = _filters(coll, viewer, bbox=bbox, as_of=datetime_as_of(datetime, as_of),
                       filter_text=filter, filter_lang=filter_lang, filter_crs=filter_crs,
                       params=request.query_params)
    page = queries.page(conn, coll.base, viewer, filters, limit=limit, offset=offset)
    self_url = request.url
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": GEOJSON, "href": str(self_url)},
        {"rel": "alternate", "type": "text/html",
         "href": str(self_url.include_query_params(f="html"))},
        {"rel": "collection", "type": "application/json",
         "href": _url(request, "collection", collection_id=coll.id)},
    ]
    if page.features and offset + len(page.features) < page.total:
        links.append({"rel": "next", "type": GEOJSON, "href": str(
            self_url.include_query_params(offset=offset + len(page.features), limit=limit))})
    if offset > 0:
        links.append({"rel": "prev", "type": GEOJSON, "href": str(
            self_url.include_query_params(offset=max(offset - limit, 0), limit=limit))})
    features = [geojson_feature(coll.base, feat) for feat in page.features]
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "numberMatched": page.total,
        "numberReturned": len(page.features),
        "links": links,
        "features": features,
    }
    if fmt == "html":
        for feat in features:
            feat["href"] = _url(request, "item", collection_id=coll.id,
                                feature_id=str(feat["id"])) + "?f=html"
        doc["title"] = coll.title(lang)
        return html.page("items", doc, lang, str(self_url.include_query_params(f="json")))
    return GeoJSONResponse(doc, headers=CONTENT_CRS)


@router.api_route("/collections/{collection_id}/items/{feature_id}", methods=GET_HEAD,
                  response_class=GeoJSONResponse, summary="Una entidad / one feature",
                  response_model=None, responses=ok(Feature, html=True))
def item(collection_id: str, feature_id: str, request: Request, conn: ConnDep,
         viewer: ViewerDep, as_of: AsOfDep, lang: LangDep, datetime: DatetimeParam = None,
         f: FParam = None) -> Response:
    fmt = negotiate(request, f)
    coll = get_ogc_collection(collection_id)
    when = datetime_as_of(datetime, as_of)
    if coll.kind is None:
        found = queries.feature(conn, coll.base, viewer, feature_id, as_of=when)
    else:  # a geometry-type view holds only its own type
        key = coll.base.table.c[coll.base.key]
        page = queries.page(conn, coll.base, viewer,
                            Filters(as_of=when, extra=(*coll.predicates(), key == feature_id)),
                            limit=1, offset=0)
        if not page.features:
            raise error(queries.FeatureNotFoundError, f"No existe '{feature_id}' en {coll.id}",
                        f"'{feature_id}' not found in {coll.id}")
        found = page.features[0]
    feat = geojson_feature(coll.base, found)
    feat["links"] = [
        {"rel": "self", "type": GEOJSON, "href": str(request.url)},
        {"rel": "collection", "type": "application/json",
         "href": _url(request, "collection", collection_id=coll.id)},
    ]
    if fmt == "html":
        feat["title"] = f"{coll.title(lang)}: {feature_id}"
        return html.page("item", feat, lang, str(request.url.include_query_params(f="json")))
    return GeoJSONResponse(feat, headers=CONTENT_CRS)
