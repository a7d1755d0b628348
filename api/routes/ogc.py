"""OGC API – Features – Part 1: Core (GeoJSON, CRS84) under ``/ogc``.

QGIS and GDAL (``OAPIF:`` driver) connect here directly. Items obey the same visibility and
generalisation as every other read path.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.dependencies import AsOfDep, BBoxDep, ConnDep, LangDep, ViewerDep
from api.errors import ParameterError
from api.responses import GEOJSON, GeoJSONResponse, geojson_feature
from layers import queries
from layers.queries import COLLECTIONS, Collection, Filters

router = APIRouter(prefix="/ogc", tags=["OGC API – Features"])

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
OGC_COLLECTIONS = ("communities", "concessions", "water", "consultations", "boundaries")
MAX_ITEMS = 10000
DEFAULT_ITEMS = 100

FParam = Annotated[str | None, Query(alias="f", description="json | geojson")]


def _check_f(f: str | None) -> None:
    if f not in (None, "", "json", "geojson", "application/json", "application/geo+json"):
        raise ParameterError(f"Formato '{f}' no disponible; use json / format '{f}' not "
                             f"available; use json", code="unsupported_format")


def _url(request: Request, name: str, **params: str) -> str:
    return str(request.url_for(name, **params))


def _ogc_collection(name: str) -> Collection:
    return queries.collection_among(name, OGC_COLLECTIONS, "Colección", "collection")


@router.get("", summary="Página de inicio / landing page")
@router.get("/", include_in_schema=False, name="landing_slash")
def landing(request: Request, lang: LangDep, f: FParam = None) -> JSONResponse:
    _check_f(f)
    return JSONResponse({
        "title": "Allpa – OGC API Features",
        "description": ("Territorios comunales, concesiones mineras, agua y consultas previas"
                        if lang == "es" else
                        "Community territories, mining concessions, water and prior "
                        "consultations"),
        "links": [
            {"rel": "self", "type": "application/json", "title": "this document",
             "href": _url(request, "landing")},
            {"rel": "service-desc", "type": OPENAPI_MEDIA, "title": "OpenAPI",
             "href": _url(request, "ogc_openapi")},
            {"rel": "service-doc", "type": "text/html", "title": "Swagger UI",
             "href": str(request.base_url) + "docs"},
            {"rel": "conformance", "type": "application/json", "title": "conformance",
             "href": _url(request, "conformance")},
            {"rel": "data", "type": "application/json", "title": "collections",
             "href": _url(request, "collections")},
        ],
    })


@router.get("/api", summary="OpenAPI", response_class=JSONResponse)
def ogc_openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi(), media_type=OPENAPI_MEDIA)


@router.get("/conformance", summary="Clases de conformidad / conformance")
def conformance(f: FParam = None) -> dict[str, Any]:
    _check_f(f)
    return {"conformsTo": CONFORMANCE}


def _collection_doc(request: Request, conn: Any, coll: Collection, viewer: queries.Viewer,
                    lang: str) -> dict[str, Any]:
    bbox = queries.extent(conn, coll, viewer) or (-180.0, -90.0, 180.0, 90.0)
    return {
        "id": coll.name,
        "title": coll.title(lang),
        "description": coll.description(lang),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [list(bbox)], "crs": CRS84}},
        "links": [
            {"rel": "self", "type": "application/json", "title": coll.title(lang),
             "href": _url(request, "collection", collection_id=coll.name)},
            {"rel": "items", "type": GEOJSON, "title": coll.title(lang),
             "href": _url(request, "items", collection_id=coll.name)},
        ],
    }


@router.get("/collections", summary="Colecciones / collections")
def collections(request: Request, conn: ConnDep, viewer: ViewerDep, lang: LangDep,
                f: FParam = None) -> dict[str, Any]:
    _check_f(f)
    return {
        "links": [{"rel": "self", "type": "application/json",
                   "href": _url(request, "collections")}],
        "collections": [_collection_doc(request, conn, COLLECTIONS[n], viewer, lang)
                        for n in OGC_COLLECTIONS],
    }


@router.get("/collections/{collection_id}", summary="Una colección / one collection")
def collection(collection_id: str, request: Request, conn: ConnDep, viewer: ViewerDep,
               lang: LangDep, f: FParam = None) -> dict[str, Any]:
    _check_f(f)
    return _collection_doc(request, conn, _ogc_collection(collection_id), viewer, lang)


@router.get("/collections/{collection_id}/items", response_class=GeoJSONResponse,
            summary="Entidades / features")
def items(
    collection_id: str, request: Request, conn: ConnDep, viewer: ViewerDep, bbox: BBoxDep,
    as_of: AsOfDep,
    limit: Annotated[int, Query(ge=1, le=MAX_ITEMS)] = DEFAULT_ITEMS,
    offset: Annotated[int, Query(ge=0)] = 0,
    f: FParam = None,
) -> GeoJSONResponse:
    _check_f(f)
    coll = _ogc_collection(collection_id)
    page = queries.page(conn, coll, viewer, Filters(bbox=bbox, as_of=as_of), limit=limit,
                        offset=offset)
    self_url = request.url
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": GEOJSON, "href": str(self_url)},
        {"rel": "collection", "type": "application/json",
         "href": _url(request, "collection", collection_id=coll.name)},
    ]
    if page.features and offset + len(page.features) < page.total:
        links.append({"rel": "next", "type": GEOJSON, "href": str(
            self_url.include_query_params(offset=offset + len(page.features), limit=limit))})
    if offset > 0:
        links.append({"rel": "prev", "type": GEOJSON, "href": str(
            self_url.include_query_params(offset=max(offset - limit, 0), limit=limit))})
    return GeoJSONResponse({
        "type": "FeatureCollection",
        "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "numberMatched": page.total,
        "numberReturned": len(page.features),
        "links": links,
        "features": [geojson_feature(coll, feat) for feat in page.features],
    })


@router.get("/collections/{collection_id}/items/{feature_id}", response_class=GeoJSONResponse,
            summary="Una entidad / one feature")
def item(collection_id: str, feature_id: str, request: Request, conn: ConnDep,
         viewer: ViewerDep, as_of: AsOfDep, f: FParam = None) -> GeoJSONResponse:
    _check_f(f)
    coll = _ogc_collection(collection_id)
    feat = geojson_feature(coll, queries.feature(conn, coll, viewer, feature_id, as_of=as_of))
    feat["links"] = [
        {"rel": "self", "type": GEOJSON, "href": str(request.url)},
        {"rel": "collection", "type": "application/json",
         "href": _url(request, "collection", collection_id=coll.name)},
    ]
    return GeoJSONResponse(feat)
