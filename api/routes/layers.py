"""``/api/concessions``, ``/api/water``, ``/api/consultations``, ``/api/boundaries``,
``/api/networks``: lists (JSON or GeoJSON) with filters, paging and ``as_of``; one item."""

# No ``from __future__ import annotations``: the endpoints are built in a closure and FastAPI
# must see their real annotation objects (the filter dependency is a local variable).

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from api.dependencies import AsOfDep, BBoxDep, ConnDep, FormatDep, PagingDep, ViewerDep
from api.models import GEOJSON, LAYER_ITEMS, Feature, FeatureCollection, layer_page, ok
from api.responses import feature_response, page_response
from layers import queries
from layers.queries import COLLECTIONS, Filters

router = APIRouter(prefix="/api")

Equals = dict[str, str]
Q = Annotated[str | None, Query(description="Busca en nombre o código (sin tildes) / "
                                            "name or code search")]


def _only(**values: str | None) -> Equals:
    return {k: v for k, v in values.items() if v}


def concession_filters(
    state: Annotated[str | None, Query(description="titled|in_process|extinguished|other")] =
    None,
    substance: Annotated[str | None, Query(description="metallic|non_metallic")] = None,
    holder: Annotated[str | None, Query(description="Titular exacto / exact holder")] = None,
) -> Equals:
    return _only(state=state, substance=substance, holder=holder)


def water_filters(
    kind: Annotated[str | None, Query(
        description="spring|river|stream|lake|wetland|well|canal|glacier")] = None,
    use: Annotated[str | None, Query(description="human|irrigation|livestock|mixed")] = None,
) -> Equals:
    return _only(kind=kind, use=use)


def consultation_filters(
    stage: Annotated[str | None, Query(description="announced|planning|information|"
                                                   "internal_evaluation|dialogue|decision|"
                                                   "closed")] = None,
    promoter: Annotated[str | None, Query()] = None,
) -> Equals:
    return _only(stage=stage, promoter=promoter)


def boundary_filters(
    level: Annotated[str | None, Query(
        description="department|province|district|bo_department|municipality")] = None,
    country: Annotated[str | None, Query(description="PE|BO")] = None,
    parent_code: Annotated[str | None, Query()] = None,
) -> Equals:
    return _only(level=level, country=country, parent_code=parent_code)


def no_filters() -> Equals:
    return {}


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

    list_items.__name__ = f"list_{name}"
    get_item.__name__ = f"get_{name}_item"
    router.add_api_route(f"/{name}", list_items, methods=["GET"], tags=[tag],
                         response_model=None, responses=ok(
                             layer_page(name), alternatives={GEOJSON: FeatureCollection}),
                         summary=f"{coll.title('es')} / {coll.title('en')}",
                         description=f"{coll.description('es')} / {coll.description('en')}")
    router.add_api_route(f"/{name}/{{key}}", get_item, methods=["GET"], tags=[tag],
                         response_model=None, responses=ok(
                             LAYER_ITEMS[name], alternatives={GEOJSON: Feature}),
                         summary=f"Un elemento / one item: {coll.title('en')}")


_register("concessions", "concesiones / concessions", concession_filters)
_register("water", "agua / water", water_filters)
_register("consultations", "consultas / consultations", consultation_filters)
_register("boundaries", "límites / boundaries", boundary_filters, prefix_filter=True)
_register("networks", "redes / networks", no_filters)
