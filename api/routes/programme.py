"""The programme: indicators as of a date (JSON), targets (admins edit them), the programme
page (server-rendered HTML with SVG bars, no script) and the donor report (PDF, XLSX, CSV).

Every output is built from ``layers.programme_report.compute`` for the caller's role, so a
public reader gets totals over public communities only (see ``layers.indicators``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api import csp
from api.dependencies import AsOfDep, ConnDep, EngineDep, PrincipalDep, ViewerDep
from api.errors import AuthenticationError
from api.models import (
    IndicatorCommunities,
    IndicatorReport,
    ProgrammeTargets,
    StoredTargets,
    binary,
    ok,
)
from api.openapi_problems import answers
from api.routes.web import asset_url, templates
from geo.errors import PermissionDeniedError
from geo.maps import programme_report as report_files
from geo.programme import fmt_number, parse_targets, progress_svg
from layers import indicators, maps, programme, programme_report
from layers.users import ANONYMOUS, Principal

router = APIRouter(tags=["programa / programme"])

Lang = Literal["es", "en"]


def scope_param(
    district: Annotated[str | None, Query(description="Prefijo de ubigeo / admin code prefix",
                                          max_length=20)] = None,
    network: Annotated[str | None, Query(description="id de red / network id",
                                         max_length=64)] = None,
    country: Annotated[str | None, Query(description="PE | BO", max_length=2)] = None,
) -> indicators.Scope:
    return indicators.Scope(country=country or None, district=district or None,
                            network=network or None)


ScopeDep = Annotated[indicators.Scope, Depends(scope_param)]
ProgrammeQ = Annotated[str | None, Query(description="id del programa / programme id",
                                         max_length=64)]
SinceQ = Annotated[dt.date | None, Query(
    description="Inicio del periodo cuando no hay meta / period start without a target")]


@answers(401, 403)
def require_admin(principal: PrincipalDep) -> Principal:
    if principal is ANONYMOUS:
        raise AuthenticationError("Inicie sesión con un token de administrador / sign in "
                                  "with an admin token")
    if principal.role != "admin":
        raise PermissionDeniedError(f"El rol '{principal.role}' no puede cambiar metas; se "
                                    f"requiere admin / role '{principal.role}' cannot change "
                                    "targets; admin required")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def _public_indicator(ind: dict[str, Any], detail: bool) -> dict[str, Any]:
    out = {k: v for k, v in ind.items() if k != "items"}
    if detail:
        out["communities_list"] = _communities(ind)
    else:
        out["evidence"] = {k: v for k, v in ind["evidence"].items() if k != "versions"}
    return out


def _communities(ind: dict[str, Any]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in ind["items"]:
        entry = seen.setdefault(item["community_id"], {
            "id": item["community_id"], "name": item["community"],
            "district": item["district"], "vid": item["vid"], "details": []})
        if item["detail"]:
            entry["details"].append(item["detail"])
    return list(seen.values())


@router.get("/api/programme/indicators", summary="Indicadores a una fecha / indicators",
            response_model=None, responses=ok(IndicatorReport))
def get_indicators(
    conn: ConnDep, viewer: ViewerDep, as_of: AsOfDep, scope: ScopeDep,
    programme_id: Annotated[str | None, Query(alias="programme", max_length=64)] = None,
    since: SinceQ = None,
    detail: Annotated[bool, Query(
        description="Incluir las comunidades detrás de cada número / include the "
                    "communities behind each number")] = False,
) -> JSONResponse:
    data = programme_report.compute(conn, viewer.principal, as_of=as_of, scope=scope,
                                    programme_id=programme_id, since=since)
    data["indicators"] = [_public_indicator(i, detail) for i in data["indicators"]]
    return JSONResponse(data, headers={"Cache-Control": "no-cache",
                                       "Vary": "Authorization"})


@router.get("/api/programme/indicators/{indicator_id}/communities",
            summary="Comunidades detrás de un indicador / drill-down",
            response_model=None, responses=ok(IndicatorCommunities))
def indicator_communities(
    indicator_id: str, conn: ConnDep, viewer: ViewerDep, as_of: AsOfDep, scope: ScopeDep,
    programme_id: Annotated[str | None, Query(alias="programme", max_length=64)] = None,
    since: SinceQ = None,
) -> dict[str, Any]:
    if indicator_id not in indicators.BY_ID:
        from geo.errors import NotFoundError

        raise NotFoundError(f"Indicador desconocido '{indicator_id}' / unknown indicator "
                            f"'{indicator_id}'", code="indicator_not_found")
    data = programme_report.compute(conn, viewer.principal, as_of=as_of, scope=scope,
                                    programme_id=programme_id, since=since)
    ind = next(i for i in data["indicators"] if i["id"] == indicator_id)
    return {"id": indicator_id, "value": ind["value"], "reserved": ind["reserved"],
            "as_of": data["as_of"],
            "items": ind["items"], "communities": _communities(ind)}


class TargetIn(BaseModel):
    """One target as an admin sends it (same fields and checks as the CSV import)."""

    model_config = ConfigDict(extra="forbid")

    programme: str = Field(max_length=64)
    programme_name: str | None = Field(None, max_length=200)
    donor: str | None = Field(None, max_length=200)
    indicator: str = Field(max_length=64)
    target: float
    period_start: str = Field(max_length=10)
    period_end: str = Field(max_length=10)
    scope: str = Field("todo", max_length=90)


@router.get("/api/programme/targets", summary="Metas / targets", response_model=None,
            responses=ok(ProgrammeTargets))
def list_targets(conn: ConnDep, as_of: AsOfDep,
                 programme_id: Annotated[str | None, Query(alias="programme",
                                                           max_length=64)] = None
                 ) -> dict[str, Any]:
    rows = programme.targets(conn, programme_id, as_of=as_of)
    return {"programmes": programme.programmes(conn, as_of=as_of),
            "targets": [{**r, "period_start": r["period_start"].isoformat(),
                         "period_end": r["period_end"].isoformat(),
                         "valid_from": r["valid_from"].isoformat()} for r in rows]}


@router.put("/api/programme/targets", summary="Guardar metas (admin) / store targets",
            response_model=None, responses=ok(StoredTargets))
def put_targets(engine: EngineDep, principal: AdminDep,
                body: Annotated[list[TargetIn], Body(max_length=2000)]) -> dict[str, Any]:
    """Valida todas las metas y las guarda como nuevas versiones (historial intacto); una
    meta mala rechaza todas / all-or-nothing, old versions kept."""
    rows = [{k: ("" if v is None else str(v)) for k, v in t.model_dump().items()}
            for t in body]
    parsed = parse_targets(rows, indicators.INDICATOR_IDS)
    with engine.begin() as conn:
        counts = programme.store_targets(conn, parsed, recorded_by=principal.name,
                                         source="API")
    return {"stored": counts}


def _query(request: Request, **changes: str | None) -> str:
    params = {k: v for k, v in request.query_params.items() if v}
    params.update({k: v for k, v in changes.items() if v is not None})
    return urlencode({k: v for k, v in params.items() if v})


def draw_indicators(data: dict[str, Any], lang: str) -> None:
    """Give every indicator of ``data`` its SVG bar against the target and its figures as
    text (the programme page and the network page draw them alike)."""
    for ind in data["indicators"]:
        name = ind["name_en" if lang == "en" else "name_es"]
        # reserved (source the reader may not see): no number, no bar, no drill-down
        ind["svg"] = "" if ind["reserved"] else progress_svg(
            ind["value"], ind["target"], label=name, lower_is_better=ind["better"] == "lower")
        ind["value_text"] = fmt_number(ind["value"])
        ind["reserved_text"] = report_files.strings(lang)["reserved"] if ind["reserved"] \
            else ""
        ind["target_text"] = fmt_number(ind["target"])
        ind["community_list"] = _communities(ind)


@router.get("/programa", summary="Página del programa / programme page",
            response_class=HTMLResponse)
def programme_page(
    request: Request, conn: ConnDep, viewer: ViewerDep, as_of: AsOfDep, scope: ScopeDep,
    programme_id: Annotated[str | None, Query(alias="programme", max_length=64)] = None,
    since: SinceQ = None, lang: Lang = "es",
) -> HTMLResponse:
    data = programme_report.compute(conn, viewer.principal, as_of=as_of, scope=scope,
                                    programme_id=programme_id, since=since)
    draw_indicators(data, lang)
    other = "en" if lang == "es" else "es"
    html = templates().get_template("programme.html").render(
        lang=lang, t=report_files.strings(lang) | PAGE[lang], data=data, asset=asset_url,
        fictional=maps.sample_loaded(conn), as_of_value=data["as_of_day"],
        scope=scope, other_lang=other, other_lang_href="?" + _query(request, lang=other),
        downloads={ext: f"/programa/informe.{ext}?{_query(request)}"
                   for ext in ("pdf", "xlsx", "csv")})
    return HTMLResponse(html, headers={"Content-Language": lang, "Cache-Control": "no-cache",
                                       "Vary": "Authorization",
                                       "Content-Security-Policy": csp.map_page_policy()})


PDF_MEDIA = "application/pdf"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA = "text/csv; charset=utf-8"

PAGE = {
    "es": {"page_title": "Avance del programa", "date": "Fecha de corte",
           "district": "Distrito (ubigeo)", "network": "Red", "show": "Ver",
           "download": "Informe al financiador", "communities_behind": "Comunidades",
           "no_items": "Ninguna comunidad detrás de este número.",
           "map": "Mapa", "other_lang": "English", "of": "de",
           "no_target": "sin meta", "ceiling": "máx."},
    "en": {"page_title": "Programme progress", "date": "Cut-off date",
           "district": "District (admin code)", "network": "Network", "show": "Show",
           "download": "Donor report", "communities_behind": "Communities",
           "no_items": "No community behind this number.", "map": "Map",
           "other_lang": "Español", "of": "of", "no_target": "no target",
           "ceiling": "max."},
}


@router.get("/programa/informe.{ext}", summary="Informe al financiador / donor report",
            response_class=Response, responses=binary(PDF_MEDIA, XLSX_MEDIA, "text/csv"))
def donor_report(
    ext: Literal["pdf", "xlsx", "csv"], conn: ConnDep, viewer: ViewerDep, as_of: AsOfDep,
    scope: ScopeDep,
    programme_id: Annotated[str | None, Query(alias="programme", max_length=64)] = None,
    since: SinceQ = None, lang: Lang = "es",
) -> Response:
    data = programme_report.compute(conn, viewer.principal, as_of=as_of, scope=scope,
                                    programme_id=programme_id, since=since)
    fictional = maps.sample_loaded(conn)
    name = f"informe_programa_{data['as_of_day']}.{ext}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "Cache-Control": "no-cache", "Vary": "Authorization"}
    if ext == "pdf":
        return Response(report_files.report_pdf(data, lang, fictional=fictional),
                        media_type=PDF_MEDIA, headers=headers)
    if ext == "xlsx":
        return Response(report_files.report_xlsx(data, lang, fictional=fictional),
                        media_type=XLSX_MEDIA, headers=headers)
    return Response(report_files.report_csv(data, lang), media_type=CSV_MEDIA, headers=headers)
