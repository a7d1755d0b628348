"""``GET /api/alerts`` (filters by community, network, district, state, since; pages of
``limit`` alerts from ``offset``, newest first, the next page in ``next`` and a ``Link:
<…>; rel="next"`` header) and ``PATCH /api/alerts/{id}`` (editors move an alert through its
states)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, TypeAlias

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.dependencies import ConnDep, EditorDep, EngineDep, LangDep, PrincipalDep
from api.enums import codes_literal, enum_query
from api.models import AlertList, AlertStateChange, ok
from geo import vocabulary
from layers import alerts, cases

router = APIRouter(prefix="/api/alerts", tags=["alertas / alerts"])

#: Alerts per page when the request does not say.
PAGE_SIZE = 100

#: The alert states, from the vocabulary (OpenAPI ``enum``).
if TYPE_CHECKING:
    StateCode: TypeAlias = str
    StateQ: TypeAlias = str | None
else:
    StateCode = codes_literal(vocabulary.ALERT_STATE)
    StateQ = enum_query(vocabulary.ALERT_STATE)


class AlertStateEdit(BaseModel):
    """The new state of an alert."""

    model_config = ConfigDict(extra="forbid")

    state: StateCode = Field(description="nueva | vista | verificada | descartada")


@router.get("", summary="Alertas del catastro minero / cadastre alerts", response_model=None,
            responses=ok(AlertList))
def list_alerts(
    request: Request,
    conn: ConnDep,
    principal: PrincipalDep,
    lang: LangDep,
    community: Annotated[str | None, Query(max_length=64, description="id de comunidad")]
    = None,
    network: Annotated[str | None, Query(max_length=64, description="id de red")] = None,
    district: Annotated[str | None, Query(max_length=20, pattern=r"^\d+$",
                                          description="Prefijo de ubigeo / admin code prefix")]
    = None,
    state: StateQ = None,
    since: Annotated[dt.date | None, Query(description="Desde (AAAA-MM-DD) / since")] = None,
    limit: Annotated[int, Query(ge=0, le=alerts.MAX_ALERTS, description=(
        "Alertas por página (0: solo el total) / alerts per page (0: the total only)"))]
    = PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=10**9, description=(
        "Saltar las N más recientes / skip the N newest"))] = 0,
) -> JSONResponse:
    """Alertas visibles para quien pregunta (las de comunidades que puede ver), recientes
    primero, por páginas; ``total`` cuenta todas las que cumplen los filtros; a editores, con
    los trámites que las atienden (``cases``)."""
    chosen = alerts.AlertFilter(community=community, network=network, district=district,
                                state=state, since=since)
    total = alerts.count_alerts(conn, principal, chosen)
    rows = alerts.list_alerts(conn, principal, chosen, lang=lang, limit=limit,
                              offset=offset) if limit else []
    if principal.sees_restricted:  # the cases answering each alert: editors only
        answered = cases.cases_by_alert(conn, principal, [r["id"] for r in rows], lang)
        for row in rows:
            row["cases"] = answered.get(row["id"], [])
    following = None
    if limit and offset + len(rows) < total:
        following = str(request.url.include_query_params(offset=offset + limit, limit=limit))
    body = {"alerts": rows, "count": len(rows), "total": total, "limit": limit,
            "offset": offset, "next": following}
    headers = {"Link": f'<{following}>; rel="next"'} if following else None
    return JSONResponse(body, headers=headers)


@router.patch("/{alert_id}", summary="Cambiar el estado de una alerta / set an alert's state",
              response_model=None, responses=ok(AlertStateChange))
def set_alert_state(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    edit: Annotated[AlertStateEdit, Body()],
    engine: EngineDep,
    principal: EditorDep,
) -> JSONResponse:
    """Guarda el nuevo estado con quién y cuándo / keeps who and when."""
    with engine.begin() as conn:
        return JSONResponse(alerts.set_state(conn, alert_id, edit.state, principal))
