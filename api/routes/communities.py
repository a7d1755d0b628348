"""``/api/communities``: list with filters, detail (legal file, overlaps, flags, history),
history, and versioned edits with optimistic concurrency (If-Match / expected_vid)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, create_model

from api.dependencies import (
    AsOfDep,
    BBoxDep,
    ConnDep,
    EditorDep,
    EngineDep,
    FormatDep,
    LangDep,
    PagingDep,
    ViewerDep,
)
from api.enums import enum_query
from api.models import (
    GEOJSON,
    CommunityDetail,
    EditResult,
    Feature,
    FeatureCollection,
    RecordHistory,
    layer_page,
    ok,
)
from api.responses import GeoJSONResponse, geojson_feature, page_response
from api.versioned_edits import edit_answer, edit_request
from geo import vocabulary as V
from geo.catalog import COMMUNITIES
from layers import edits, queries
from layers.queries import COLLECTIONS, Filters

router = APIRouter(prefix="/api/communities", tags=["comunidades / communities"])
COLL = COLLECTIONS["communities"]
#: Coded filters: the allowed codes come from the vocabulary (OpenAPI ``enum``).
if TYPE_CHECKING:
    LegalStatusQ: TypeAlias = str | None
    KindQ: TypeAlias = str | None
    TitleStatusQ: TypeAlias = str | None
    CountryQ: TypeAlias = str | None
else:
    LegalStatusQ = enum_query(V.LEGAL_STATUS)
    KindQ = enum_query(V.KIND)
    TitleStatusQ = enum_query(V.TITLE_STATUS)
    CountryQ = enum_query(V.COUNTRY)


@router.get("", summary="Comunidades / communities", response_model=None,
            responses=ok(layer_page("communities"), alternatives={GEOJSON: FeatureCollection}))
def list_communities(
    request: Request, conn: ConnDep, viewer: ViewerDep, bbox: BBoxDep, paging: PagingDep,
    as_of: AsOfDep, fmt: FormatDep, lang: LangDep,
    district: Annotated[str | None, Query(
        description="Prefijo de ubigeo / código municipal (departamento, provincia o "
                    "distrito) / admin code prefix")] = None,
    network: Annotated[str | None, Query(description="id de red / network id")] = None,
    legal_status: LegalStatusQ = None,
    kind: KindQ = None,
    title_status: TitleStatusQ = None,
    country: CountryQ = None,
    flagged: Annotated[bool | None, Query(
        description="Con alertas vigentes / has current flags")] = None,
    q: Annotated[str | None, Query(
        description="Busca en el nombre sin distinguir mayúsculas ni tildes / name search, "
                    "case and accent insensitive")] = None,
) -> Response:
    equals = {k: v for k, v in (("legal_status", legal_status), ("kind", kind),
                                ("title_status", title_status), ("country", country)) if v}
    filters = Filters(bbox=bbox, as_of=as_of, q=q, equals=equals, prefix=district,
                      network=network, flagged=flagged)
    page = queries.page(conn, COLL, viewer, filters, limit=paging.limit, offset=paging.offset)
    return page_response(request, COLL, page, fmt)


@router.get("/{community_id}", summary="Ficha de una comunidad / community detail",
            response_model=None, responses=ok(CommunityDetail, alternatives={GEOJSON: Feature}))
def community_detail(
    community_id: str, conn: ConnDep, viewer: ViewerDep, as_of: AsOfDep, lang: LangDep,
    fmt: FormatDep,
) -> Response:
    detail = queries.community_detail(conn, viewer, community_id, as_of=as_of, lang=lang)
    headers = {"ETag": f'"{detail["vid"]}"', "Cache-Control": "no-cache"}
    if fmt == "geojson":
        feat = geojson_feature(COLL, detail)
        feat["properties"] = {**feat["properties"],
                              **{k: v for k, v in detail.items()
                                 if k not in ("id", "properties", "geometry")}}
        return GeoJSONResponse(feat, headers=headers)
    body = {k: v for k, v in detail.items() if k != "properties"}
    body = {**detail["properties"], **body}
    return JSONResponse(body, headers=headers)


@router.get("/{community_id}/history", summary="Versiones / every version",
            response_model=None, responses=ok(RecordHistory))
def community_history(community_id: str, conn: ConnDep, viewer: ViewerDep) -> dict[str, Any]:
    versions = queries.community_history(conn, viewer, community_id)
    if not versions:
        queries.feature(conn, COLL, viewer, community_id)  # raises the 404
    return {"id": community_id, "versions": [
        {**v["properties"], "geometry": v["geometry"]} for v in versions]}


_EDIT_TYPES: dict[str, Any] = {"date": dt.date, "bool": bool, "float": float}


def _edit_model() -> type[BaseModel]:
    """The PATCH body: one optional field per editable field of the catalog (values are
    checked against the vocabulary by :mod:`layers.edits`), the change note and the version."""
    fields: dict[str, Any] = {}
    for name in COMMUNITIES.editable:
        spec = COMMUNITIES.field(name)
        kind = _EDIT_TYPES.get(spec.type, str)
        described = " | ".join(spec.vocabulary.codes) if spec.vocabulary else None
        fields[name] = (kind | None, Field(None, description=described))
    fields["change_note"] = (str | None, Field(None, description="Motivo del cambio / change "
                                                                 "note"))
    fields["expected_vid"] = (int | None, Field(
        None, description="Versión leída (alternativa a If-Match) / version read"))
    return create_model("CommunityEdit", __config__=ConfigDict(extra="forbid"),
                        __doc__="Fields of the legal file an editor may change (others are "
                                "refused).", **fields)


if TYPE_CHECKING:
    CommunityEdit: TypeAlias = BaseModel
else:
    CommunityEdit = _edit_model()


@router.patch("/{community_id}", summary="Editar la ficha legal / edit the legal file",
              response_model=None, responses=ok(EditResult))
def edit_community(
    community_id: str,
    edit: Annotated[CommunityEdit, Body()],
    engine: EngineDep,
    principal: EditorDep,
    request: Request,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Cierra la versión vigente e inserta una nueva (historial intacto). Requiere la versión
    leída en ``If-Match: "<vid>"`` o ``expected_vid``; si otra persona editó antes: 409."""
    req = edit_request(edit, if_match)
    with engine.begin() as conn:
        result = edits.edit_community(conn, community_id, req.changes,
                                      expected_vid=req.expected_vid, principal=principal,
                                      change_note=req.change_note)
    request.app.state.versions.invalidate()
    return edit_answer(result.community_id, result.old_vid, result.new_vid, result.changed)
