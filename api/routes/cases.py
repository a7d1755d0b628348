"""``/api/cases`` (trámites: list, open with an intake record and first deadlines, read,
edit with If-Match, history; documents and deadlines in :mod:`api.routes.case_files`),
``/api/agenda`` (every open deadline across communities, JSON or CSV) and
``/api/agenda.ics`` (a user's secret iCalendar feed). Editors and admins only: the public and
network members never see cases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.dependencies import ConnDep, EditorDep, EngineDep, LangDep
from api.errors import AuthenticationError, error
from api.models import EditResult, Open, binary, ok
from api.routes.case_files import DeadlineNew
from api.versioned_edits import edit_answer, edit_request
from geo import vocabulary as V
from geo.errors import NotFoundError
from layers import agenda as agenda_store
from layers import calendar_keys, case_deadlines
from layers import cases as case_store

router = APIRouter(prefix="/api", tags=["trámites / cases"])


class Case(Open):
    id: str
    community_id: str
    type: str
    type_label: str
    stage: str
    stage_label: str
    vid: int


class CaseList(Open):
    items: list[Case]


class CaseHistory(Open):
    id: str
    versions: list[Case]


class AgendaItem(Open):
    source: Literal["case", "alert"] = Field(
        description="case: plazo de un trámite / a case's deadline; alert: plazo de respuesta "
                    "a una alerta del catastro / response deadline of a cadastre alert")
    deadline_id: int | None = Field(description="Plazo del trámite (vacío en alertas) / the "
                                                "case deadline's id (empty for alerts)")
    case_id: str | None
    alert_id: int | None
    reference: str | None = Field(description="Referencia legal orientativa (alertas) / "
                                              "indicative legal reference (alerts)")
    community_id: str
    community_name: str
    type_label: str
    stage_label: str
    deadline: dt.date
    deadline_what: str
    deadline_note: str | None = Field(None, description=(
        "Traslado del último día inhábil o advertencia del calendario (alertas) / move off "
        "a non-working last day or calendar warning (alerts)"))
    kind: str
    kind_label: str
    overdue: bool
    days_overdue: int


class Agenda(Open):
    today: dt.date
    items: list[AgendaItem]


_TYPES = " | ".join(V.CASE_TYPE.codes)
_STAGES = " | ".join(V.CASE_STAGE.codes)


class _CaseFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority: str | None = Field(None, description="Autoridad / authority")
    stage: str | None = Field(None, description=_STAGES)
    stage_date: dt.date | None = None
    lawyer: str | None = Field(None, description="Abogado/a responsable / lawyer")
    opened: dt.date | None = None
    closed: dt.date | None = None
    intake_who: str | None = Field(None, description="Quién lo pidió / who asked")
    intake_role: str | None = Field(None, description="Su cargo en la comunidad / role")
    intake_contact: str | None = Field(None, description="Contacto / contact")
    intake_date: dt.date | None = Field(None, description="Fecha del pedido / asked on")
    intake_channel: str | None = Field(None, description=" | ".join(V.CASE_CHANNEL.codes))
    intake_need: str | None = Field(None, description="La necesidad en sus palabras / the "
                                                      "need in their words")
    rule_id: str | None = Field(None, description="Alerta que atiende / flag rule addressed")
    alert_ids: list[str] | None = Field(None, description="Alertas del catastro que atiende "
                                                          "/ cadastre alerts answered")
    note: str | None = None
    change_note: str | None = Field(None, description="Motivo del cambio / change note")


class CaseNew(_CaseFields):
    """A new case of a community (its id is ``TR-nnnn`` when not given)."""

    id: str | None = None
    community_id: str
    type: str = Field(description=_TYPES)
    deadlines: list[DeadlineNew] = Field(default_factory=list, description="Plazos iniciales "
                                         "/ first deadlines")


class CaseEdit(_CaseFields):
    """Fields of a case an editor may change, and the version read."""

    type: str | None = Field(None, description=_TYPES)
    expected_vid: int | None = Field(None, description="Versión leída (alternativa a "
                                                       "If-Match) / version read")


@router.get("/cases", summary="Trámites / cases", response_model=None, responses=ok(CaseList))
def list_cases(conn: ConnDep, principal: EditorDep, lang: LangDep,
               community: Annotated[str | None, Query(
                   description="Código de comunidad / community id")] = None,
               ) -> dict[str, Any]:
    return {"items": case_store.list_cases(conn, principal, community_id=community, lang=lang)}


@router.post("/cases", summary="Abrir un trámite / open a case", response_model=None,
             status_code=201, responses=ok(Case, status=201))
def create_case(new: Annotated[CaseNew, Body()], engine: EngineDep, principal: EditorDep,
                lang: LangDep) -> JSONResponse:
    body = new.model_dump(exclude_unset=True)
    note = body.pop("change_note", None)
    body.pop("deadlines", None)
    with engine.begin() as conn:  # the case and its first deadlines, or nothing
        case_id = case_store.create_case(conn, body, principal=principal, change_note=note)
        for d in new.deadlines:
            case_deadlines.add_deadline(conn, principal, case_id, due=d.due, what=d.what,
                                        kind=d.kind)
        case = case_store.get_case(conn, principal, case_id, lang=lang)
    return JSONResponse(case, status_code=201, headers={"ETag": f'"{case["vid"]}"',
                                                        "Location": f"/api/cases/{case_id}"})


@router.get("/cases/{case_id}", summary="Un trámite / one case", response_model=None,
            responses=ok(Case))
def case_detail(case_id: str, conn: ConnDep, principal: EditorDep, lang: LangDep
                ) -> JSONResponse:
    case = case_store.get_case(conn, principal, case_id, lang=lang)
    return JSONResponse(case, headers={"ETag": f'"{case["vid"]}"', "Cache-Control": "no-cache"})


@router.get("/cases/{case_id}/history", summary="Etapas (versiones) / stages (versions)",
            response_model=None, responses=ok(CaseHistory))
def case_history(case_id: str, conn: ConnDep, principal: EditorDep, lang: LangDep
                 ) -> dict[str, Any]:
    versions = case_store.case_history(conn, principal, case_id, lang=lang)
    if not versions:
        case_store.get_case(conn, principal, case_id)  # raises the 404
    return {"id": case_id, "versions": versions}


@router.patch("/cases/{case_id}", summary="Editar un trámite / edit a case",
              response_model=None, responses=ok(EditResult))
def edit_case(case_id: str, edit: Annotated[CaseEdit, Body()], engine: EngineDep,
              principal: EditorDep,
              if_match: Annotated[str | None, Header()] = None) -> JSONResponse:
    """Cierra la versión vigente e inserta una nueva (la historia de etapas queda). Requiere
    la versión leída en ``If-Match: "<vid>"`` o ``expected_vid``; si otra persona editó: 409."""
    req = edit_request(edit, if_match)
    with engine.begin() as conn:
        result = case_store.edit_case(conn, case_id, req.changes, expected_vid=req.expected_vid,
                                      principal=principal, change_note=req.change_note)
    return edit_answer(result.case_id, result.old_vid, result.new_vid, result.changed)


_AGENDA_ANSWERS = ok(Agenda)
_AGENDA_ANSWERS[200]["content"]["text/csv"] = {"schema": {"type": "string"}}


@router.get("/agenda", summary="Mis plazos / deadlines", response_model=None,
            responses=_AGENDA_ANSWERS)
def agenda(conn: ConnDep, principal: EditorDep, lang: LangDep,
           lawyer: Annotated[str | None, Query(description="Abogado/a / lawyer")] = None,
           network: Annotated[str | None, Query(description="id de red / network id")] = None,
           district: Annotated[str | None, Query(
               description="Prefijo de ubigeo / admin code prefix")] = None,
           format: Annotated[Literal["json", "csv"], Query(
               description="json | csv")] = "json",
           ) -> Response:
    today = dt.date.today()
    items = agenda_store.agenda(conn, principal, lawyer=lawyer, network=network,
                                district=district, today=today, lang=lang)
    if format == "csv":
        return Response(agenda_store.to_csv(items), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="plazos.csv"'})
    return JSONResponse({"today": today.isoformat(), "items": items})


class CalendarNotFoundError(NotFoundError):
    code = "calendar_not_found"


@router.get("/agenda.ics", summary="Calendario de plazos (iCalendar) / deadline feed",
            response_class=Response, responses=binary("text/calendar"))
def agenda_ics(request: Request, conn: ConnDep,
               key: Annotated[str | None, Query(
                   description="Clave secreta del calendario (allpa users calendar-key) / "
                               "secret feed key")] = None,
               everyone: Annotated[bool, Query(
                   alias="all", description="Todos los plazos, no solo los míos / every "
                                            "deadline, not only mine")] = False,
               ) -> Response:
    """Los plazos de la persona dueña de la clave (``lawyer`` = su usuario), o todos con
    ``all=true``; una fecha de día completo por plazo."""
    if not key:
        raise AuthenticationError("Falta la clave del calendario (?key=...) / the calendar "
                                  "key is missing")
    principal = calendar_keys.principal_for_calendar_key(conn, key)
    if principal is None or not principal.sees_restricted:
        raise error(CalendarNotFoundError, "Clave de calendario desconocida o revocada",
                    "unknown or revoked calendar key")
    items = agenda_store.agenda(conn, principal,
                                lawyer=None if everyone else principal.name, lang="es")
    body = agenda_store.to_ics(items, calendar_name=f"Allpa · plazos de {principal.name}")
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, no-store"})
