"""``/api/flags`` (current or as-of alerts) and ``/api/batches`` (import provenance)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from api.dependencies import MAX_INT32, AsOfDep, ConnDep, LangDep, PagingDep, ViewerDep
from api.models import Batch, BatchPage, FlagPage, ok
from api.responses import json_page
from geo.errors import NotFoundError
from geo.maps.labels import with_due_status
from layers import queries

router = APIRouter(prefix="/api")


@router.get("/flags", tags=["alertas / flags"], summary="Alertas / flags",
            response_model=None, responses=ok(FlagPage))
def list_flags(
    request: Request, conn: ConnDep, viewer: ViewerDep, paging: PagingDep, as_of: AsOfDep,
    lang: LangDep,
    community: Annotated[str | None, Query(description="id de comunidad")] = None,
    severity: Annotated[str | None, Query(description="info|low|medium|high|critical")] = None,
    rule: Annotated[str | None, Query(description="id de regla / rule id")] = None,
) -> dict[str, Any]:
    page = queries.flags(conn, viewer, lang=lang, community_id=community, severity=severity,
                         rule_id=rule, as_of=as_of, limit=paging.limit, offset=paging.offset)
    # every deadline says how it stands today ("vencido hace N días")
    return json_page(request, page, [with_due_status(f, lang) for f in page.features])


@router.get("/batches", tags=["lotes / batches"], summary="Lotes de importación / batches",
            response_model=None, responses=ok(BatchPage))
def list_batches(
    request: Request, conn: ConnDep, viewer: ViewerDep, paging: PagingDep,
    layer: Annotated[str | None, Query()] = None,
) -> dict[str, Any]:
    page = queries.batch_list(conn, viewer, layer=layer, limit=paging.limit,
                              offset=paging.offset)
    return json_page(request, page, page.features)


@router.get("/batches/{batch_id}", tags=["lotes / batches"], summary="Un lote / one batch",
            response_model=None, responses=ok(Batch))
def get_batch(batch_id: Annotated[int, Path(ge=1, le=MAX_INT32)], conn: ConnDep,
              viewer: ViewerDep) -> dict[str, Any]:
    page = queries.batch_list(conn, viewer, batch_id=batch_id, limit=1)
    if not page.features:
        raise NotFoundError(f"No existe el lote {batch_id} / batch {batch_id} not found",
                            code="batch_not_found")
    return page.features[0]
