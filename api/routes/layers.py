"""``/api/<layer>``, ``/api/<layer>/{key}`` and ``/api/<layer>/{key}/history`` for every
catalog layer published in the API without routes of its own (concessions, water,
consultations, boundaries, networks, actors, conflicts…): lists (JSON or GeoJSON) with the
layer's filters (enums from the vocabulary), paging and ``as_of``; one item; every version of
one item with who/when/source (the evidence of what changed, e.g. a concession re-imported
with a larger area)."""

# No ``from __future__ import annotations``: the endpoints are built in a closure and FastAPI
# must see their real annotation objects (the filter dependency is a local variable).

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.dependencies import AsOfDep, BBoxDep, ConnDep, FormatDep, PagingDep, ViewerDep
from api.enums import Equals, filter_dependency
from api.models import (
    GEOJSON,
    LAYER_ITEMS,
    Feature,
    FeatureCollection,
    RecordHistory,
    layer_page,
    ok,
)
from api.responses import feature_response, page_response
from geo.catalog import CATALOG
from layers import queries
from layers.queries import COLLECTIONS, Filters

router = APIRouter(prefix="/api")

Q = Annotated[str | None, Query(description="Busca en nombre o código (sin tildes) / "
                                            "name or code search")]


def _register(name: str, tag: str, filter_dep: Callable[..., Equals],
              prefix_filter: bool = False) -> None:
    coll = COLLECTIONS[name]

    def list_items(
        request: Request, conn: ConnDep, viewer: ViewerDep, bbox: BBoxDep, paging: PagingDep,
        as_of: AsOfDep, fmt: FormatDep, equals: Annotated[Equals, Depends(filter_dep)],
        q: Q = None,
        district: Annotated[str | None, Query(
            description="Prefijo de código / code prefix")] = None,
    ) -> Response:
        filters = Filters(bbox=bbox, as_of=as_of, q=q, equals=equals,
                          prefix=district if prefix_filter else None)
        page = queries.page(conn, coll, viewer, filters, limit=paging.limit,
                            offset=paging.offset)
        return page_response(request, coll, page, fmt)

    def get_item(key: str, conn: ConnDep, viewer: ViewerDep, as_of: AsOfDep,
                 fmt: FormatDep) -> Response:
        return feature_response(coll, queries.feature(conn, coll, viewer, key, as_of=as_of),
                                fmt)

    def get_history(key: str, conn: ConnDep, viewer: ViewerDep) -> dict[str, Any]:
        versions = queries.history(conn, coll, viewer, key)
        return {"id": key, "versions": [{**v["properties"], "geometry": v["geometry"]}
                                        for v in versions]}

    list_items.__name__ = f"list_{name}"
    get_item.__name__ = f"get_{name}_item"
    get_history.__name__ = f"get_{name}_history"
    router.add_api_route(f"/{name}", list_items, methods=["GET"], tags=[tag],
                         response_model=None, responses=ok(
                             layer_page(name), alternatives={GEOJSON: FeatureCollection}),
                         summary=f"{coll.title('es')} / {coll.title('en')}",
                         description=f"{coll.description('es')} / {coll.description('en')}")
    router.add_api_route(f"/{name}/{{key}}", get_item, methods=["GET"], tags=[tag],
                         response_model=None, responses=ok(
                             LAYER_ITEMS[name], alternatives={GEOJSON: Feature}),
                         summary=f"Un elemento / one item: {coll.title('en')}")
    router.add_api_route(f"/{name}/{{key}}/history", get_history, methods=["GET"], tags=[tag],
                         response_model=None, responses=ok(RecordHistory),
                         summary=f"Versiones de un elemento / every version of one item: "
                                 f"{coll.title('en')}")


for _layer in CATALOG.values():
    if _layer.publish.api and not _layer.publish.own_routes:
        _register(_layer.name, f"{_layer.tag_es} / {_layer.name}", filter_dependency(_layer),
                  prefix_filter=_layer.prefix_filter is not None)
