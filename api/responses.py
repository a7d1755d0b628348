"""One response class per media type, and the JSON / GeoJSON shapes of feature pages."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from layers.queries import Collection, Page

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


class OpenAPIResponse(JSONResponse):
    """An OpenAPI 3.0 document (the OGC API's own description)."""

    media_type = "application/vnd.oai.openapi+json;version=3.0"


class MVTResponse(Response):
    media_type = MVT


def page_links(request: Request, page: Page, media_type: str) -> list[dict[str, Any]]:
    """self / next / prev links of a page (same query, other offset)."""
    links: list[dict[str, Any]] = [
        {"rel": "self", "type": media_type, "href": str(request.url)}]
    if page.offset + len(page.features) < page.total and page.features:
        nxt = request.url.include_query_params(offset=page.offset + page.limit,
                                               limit=page.limit)
        links.append({"rel": "next", "type": media_type, "href": str(nxt)})
    if page.offset > 0:
        prev = request.url.include_query_params(offset=max(page.offset - page.limit, 0),
                                                limit=page.limit)
        links.append({"rel": "prev", "type": media_type, "href": str(prev)})
    return links


def geojson_feature(coll: Collection, feat: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": feat["id"], "geometry": feat["geometry"],
            "properties": feat["properties"]}


def feature_collection(request: Request, coll: Collection, page: Page) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "numberMatched": page.total,
        "numberReturned": len(page.features),
        "links": page_links(request, page, GEOJSON),
        "features": [geojson_feature(coll, f) for f in page.features],
    }


def json_item(feat: dict[str, Any]) -> dict[str, Any]:
    return {**feat["properties"], "geometry": feat["geometry"]}


def json_page(request: Request, page: Page, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"total": page.total, "limit": page.limit, "offset": page.offset,
            "returned": len(items), "links": page_links(request, page, "application/json"),
            "items": items}


def page_response(request: Request, coll: Collection, page: Page, fmt: str) -> Response:
    if fmt == "geojson":
        return GeoJSONResponse(feature_collection(request, coll, page))
    return JSONResponse(json_page(request, page, [json_item(f) for f in page.features]))


def feature_response(coll: Collection, feat: dict[str, Any], fmt: str,
                     headers: dict[str, str] | None = None) -> Response:
    if fmt == "geojson":
        return GeoJSONResponse(geojson_feature(coll, feat), headers=headers)
    return JSONResponse(json_item(feat), headers=headers)
