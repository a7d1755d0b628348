"""Response models: the shapes ``/openapi.json`` documents for every JSON answer.

They document, they do not serialise: routes build their bodies as today (pre-serialised
dicts, GeoJSON pages of thousands of features) and declare these models with
:func:`ok` in ``responses=``, so FastAPI never runs a large page through pydantic validation.
Models allow extra keys where the payload carries a layer's own columns; the fields listed are
the ones every answer has. Schemathesis (``tests/api/test_schemathesis.py``) checks live
answers against these schemas.
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import fields as dataclass_fields
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

from api.enums import codes_literal
from geo.vocabulary import SEVERITY
from layers.importer import ImportReport
from layers.queries import COLLECTIONS

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
PROBLEM = "application/problem+json"


class Open(BaseModel):
    """A JSON object that may carry more keys than the ones listed."""

    model_config = ConfigDict(extra="allow")


# --- errors ------------------------------------------------------------------------------


class ValidationIssue(Open):
    """One rejected parameter or body field."""

    loc: list[str | int] = Field(description="Dónde / where (query, path, body...)")
    msg: str
    type: str


class Problem(Open):
    """RFC 9457 problem: every 4xx/5xx answer, Spanish and English as separate fields."""

    type: str = Field(description="urn:allpa:problem:<code>")
    title: str = Field(description="Título en el idioma pedido / title in the requested "
                                   "language")
    status: int
    code: str = Field(description="Código estable / stable machine code")
    detail: str = Field(description="message_es o message_en según lang / Accept-Language")
    message_es: str = Field(description="Mensaje en español")
    message_en: str = Field(description="Message in English")
    errors: list[ValidationIssue] | None = Field(
        None, description="Parámetros rechazados / rejected parameters (400, 422)")
    details: dict[str, Any] | None = Field(None, description="Datos del error / error data")


# --- links, GeoJSON, pages ---------------------------------------------------------------


class Link(Open):
    rel: str
    href: str
    type: str | None = None
    title: str | None = None
    templated: bool | None = None


class Geometry(Open):
    """A GeoJSON geometry (coordinates, or geometries for a GeometryCollection)."""

    type: str


class Feature(Open):
    type: Literal["Feature"]
    id: str | int
    geometry: Geometry | None
    properties: dict[str, Any]
    links: list[Link] | None = None


class FeatureCollection(Open):
    """A page of features with paging links (``numberMatched`` = the whole filtered set)."""

    type: Literal["FeatureCollection"]
    numberMatched: int
    numberReturned: int
    links: list[Link]
    features: list[Feature]


class OgcFeatureCollection(FeatureCollection):
    timeStamp: str


class JsonPage(Open):
    """A page of plain JSON items (``?format=json``); ``links`` holds self / next / prev."""

    total: int
    limit: int
    offset: int
    returned: int
    links: list[Link]
    items: list[dict[str, Any]]


def _layer_item(name: str) -> type[BaseModel]:
    """The JSON item of one layer: its columns (values as stored) and its geometry."""
    coll = COLLECTIONS[name]
    columns: dict[str, Any] = {p: (Any, None) for p in coll.properties}
    model = create_model(f"{name.capitalize()}Item", __base__=Open,
                         geometry=(Geometry | None, None), **columns)
    model.__doc__ = f"{coll.title('es')} / {coll.title('en')}: {coll.description('en')}"
    return model


LAYER_ITEMS: dict[str, type[BaseModel]] = {name: _layer_item(name) for name in COLLECTIONS}


def layer_page(name: str) -> type[BaseModel]:
    """``JsonPage`` whose items are the layer's items."""
    item = LAYER_ITEMS[name]
    return create_model(f"{name.capitalize()}Page", __base__=JsonPage,
                        items=(list[item], ...))  # type: ignore[valid-type]


# --- resources ---------------------------------------------------------------------------


class FlagItem(Open):
    """A current (or as-of) alert with its text in the requested language."""

    community_id: str | None = None
    rule_id: str | None = None
    severity: str | None = None
    message: str | None = None
    action: str | None = None
    due_date: str | None = None
    due_status: str | None = Field(None, description="\"vencido hace 26 días\"")
    overdue_days: int | None = None


class FlagPage(JsonPage):
    items: list[FlagItem]  # type: ignore[assignment]


class Batch(Open):
    """An import batch (provenance of every version it wrote)."""

    id: int
    layer: str | None = None


class BatchPage(JsonPage):
    items: list[Batch]  # type: ignore[assignment]


class LegalPersonality(Open):
    status: str | None
    registry_office: str | None
    registry_entry: str | None
    registration_date: str | dt.date | None


class VersionSpan(Open):
    vid: int
    valid_from: str | None
    valid_to: str | None


class CommunityDetail(Open):
    """A community's legal file with overlaps, current flags and every version's span."""

    id: str
    vid: int
    geometry: Geometry | None
    legal_personality: LegalPersonality
    statute: dict[str, Any]
    board: dict[str, Any]
    overlaps: list[dict[str, Any]]
    flags: list[FlagItem]
    history: list[VersionSpan]


class RecordHistory(Open):
    """Every version of one record the reader may see, oldest first."""

    id: str
    versions: list[dict[str, Any]] = Field(description="Cada versión con su geometría / every "
                                                       "version with its geometry")


class EditResult(Open):
    id: str
    old_vid: int
    vid: int
    changed: bool


def _import_report() -> type[BaseModel]:
    """The import report, field for field from :class:`layers.importer.ImportReport`."""
    hints = typing.get_type_hints(ImportReport)
    columns: dict[str, Any] = {
        f.name: (hints[f.name], ...) for f in dataclass_fields(ImportReport)}
    model = create_model("ImportReport", __base__=Open, n_stored=(int, ...),
                         n_repaired=(int, ...), n_rejected=(int, ...), **columns)
    model.__doc__ = "Lo mismo que ``allpa import --json`` / the same as ``allpa import --json``"
    return model


ImportReportModel = _import_report()


class ServiceIndex(Open):
    name: str
    description: str
    links: list[Link]


class Health(Open):
    status: Literal["ok"]


class Ready(Health):
    database: Literal["ok"]


# --- OGC API – Features ------------------------------------------------------------------


class OgcLanding(Open):
    title: str
    description: str
    links: list[Link]


class Conformance(Open):
    conformsTo: list[str]
    links: list[Link] | None = None


class OgcExtent(Open):
    spatial: dict[str, Any]
    temporal: dict[str, Any] | None = None


class OgcCollection(Open):
    id: str
    title: str
    description: str | None = None
    itemType: str
    crs: list[str]
    storageCrs: str | None = None
    extent: OgcExtent
    links: list[Link]
    geometryType: str | None = None


class OgcCollections(Open):
    links: list[Link]
    collections: list[OgcCollection]


class Queryables(Open):
    """JSON Schema of the properties a CQL2 filter may use."""

    type: Literal["object"]
    title: str | None = None
    properties: dict[str, dict[str, Any]]


class OpenAPIDocument(Open):
    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


# --- declaring answers -------------------------------------------------------------------

BINARY: dict[str, Any] = {"type": "string", "format": "binary"}


#: Models referenced by :func:`ok` for other media types; FastAPI registers only the main
#: one, :mod:`api.openapi_problems` adds these to the document's components.
ALTERNATIVES: dict[str, type[BaseModel]] = {}


def _ref(model: type[BaseModel]) -> dict[str, Any]:
    ALTERNATIVES[model.__name__] = model
    return {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}


def ok(model: type[BaseModel], *, html: bool = False,
       alternatives: dict[str, type[BaseModel]] | None = None,
       description: str = "OK", status: int = 200) -> dict[int | str, Any]:
    """``responses=`` for a 200 documented by ``model`` (in the route's media type) without
    validating the answer (use with ``response_model=None``).

    ``alternatives``: other media types of the same URL and their models (``?format=geojson``,
    ``application/schema+json``); ``html``: it also answers an HTML page (OGC ``f=html``).
    """
    content = {media: _ref(alt) for media, alt in (alternatives or {}).items()}
    if html:
        content[HTML] = {"schema": {"type": "string"}}
    return {status: {"model": model, "description": description, "content": content}}


def binary(*media_types: str, description: str = "OK") -> dict[int | str, Any]:
    """``responses=`` for a 200 that is a file (export, map, dossier)."""
    return {200: {"description": description,
                  "content": {m: {"schema": {"type": "string"} if m == HTML else BINARY}
                              for m in media_types}}}


# --- Programme indicators ---------------------------------------------------------------


class IndicatorPeriod(Open):
    start: str
    end: str
    counted_until: str


class Indicator(Open):
    """One programme indicator as of a date, with its target (``null`` when none is set)."""

    id: str
    name_es: str
    name_en: str
    unit_es: str
    unit_en: str
    value: int | None = Field(description="Número de registros detrás; null si es reservado "
                                          "/ records behind the number; null when reserved")
    reserved: bool = Field(False, description="La fuente es reservada al equipo legal: sin "
                                              "número / source visible to the legal team "
                                              "only: no number")
    target: float | None
    progress: float | None
    period: IndicatorPeriod
    communities: int | None
    evidence: dict[str, Any] | None = None
    communities_list: list[dict[str, Any]] | None = None


class IndicatorReport(Open):
    as_of: str
    as_of_day: str
    generated_at: str
    programme: dict[str, Any] | None
    scope: dict[str, Any]
    visibility: dict[str, str]
    indicators: list[Indicator]


class IndicatorCommunities(Open):
    id: str
    value: int | None
    reserved: bool = False
    as_of: str
    items: list[dict[str, Any]]
    communities: list[dict[str, Any]]


class ProgrammeTargets(Open):
    programmes: list[dict[str, Any]]
    targets: list[dict[str, Any]]


class StoredTargets(Open):
    stored: dict[str, Any]


class SessionInfo(Open):
    """Who the session cookie belongs to (``signed_in`` false without one)."""

    signed_in: bool
    name: str | None = None
    role: str | None = None
    csrf: str | None = Field(None, description="Token para X-CSRF-Token / token for "
                                               "X-CSRF-Token")


# --- Alerts on cadastre changes (issue 13) ----------------------------------------------


class AlertDeadline(Open):
    """The response deadline a rule file gives this kind of change (orientative)."""

    due: dt.date = Field(description="Último día / last day")
    what: str = Field(description="Qué hacer / what to do")
    reference: str = Field(description="Referencia legal orientativa / indicative legal "
                                       "reference")
    counted: str = Field(description="Cómo se contó / how it was counted")
    rule: str = Field(description="id del plazo en el archivo de reglas / rule file id")
    days: int
    day_type: str = Field(description="calendar | business")
    counts_from: str = Field(description="filing | detection")
    from_: dt.date = Field(alias="from", description="Fecha desde la que se cuenta / "
                                                     "counted from")
    window_end: dt.date | None = Field(None, description=(
        "Último día contado, antes de trasladarlo si era inhábil / last counted day, before "
        "moving it off a non-working day"))
    moved: str | None = Field(None, description=(
        "Traslado al día hábil siguiente, si lo hubo / move to the next business day, if any"))
    calendar_warning: str | None = Field(None, description=(
        "Advertencia si el calendario de feriados no cubre el cómputo / warning when the "
        "holiday calendar does not cover the count"))
class CaseBrief(Open):
    """A case named beside a flag or an alert (editors only)."""
    id: str
    type: str
    type_label: str
    stage: str
    stage_label: str


class Alert(Open):
    """A change of the mining cadastre that touches a community."""

    id: int
    community_id: str
    community_name: str | None
    kind: str = Field(description="new | changed | extinguished | vanished")
    kind_label: str
    code: str = Field(description="Código del derecho minero / mining right code")
    fields: list[str] = Field(description="Campos cambiados / changed fields")
    hectares: float | None
    share: float | None = Field(description="Parte del territorio / share of the territory")
    water_source_ids: list[str]
    consultation_id: str | None
    state: str = Field(description="nueva | vista | verificada | descartada")
    state_label: str
    state_by: str | None
    state_at: str | None
    created_at: str
    batch_id: int
    summary: str
    deadline: AlertDeadline | None = Field(description="Plazo de respuesta, si una regla lo "
                                                       "da / response deadline, if any")
    cases: list[CaseBrief] | None = Field(
        None, description="Trámites que atienden la alerta (solo editores) / cases "
                          "answering it (editors only)")


class AlertList(Open):
    alerts: list[Alert]
    count: int = Field(description="Alertas en esta página / alerts on this page")
    total: int = Field(description="Alertas con estos filtros (todas las páginas) / alerts "
                                   "matching the filters (all pages)")
    limit: int
    offset: int
    next: str | None = Field(description="Página siguiente (más antiguas), también en el "
                                         "encabezado Link rel=next / next (older) page")


class AlertStateChange(Open):
    id: int
    state: str
    state_by: str | None
    state_at: str | None


# --- the browser map's JSON helpers (``/map/...``) -----------------------------------------


class SearchHit(Open):
    """A community found by name or id, with where it is (namesakes told apart)."""

    id: str
    name: str | None
    country: str | None
    admin_code: str | None
    district: str | None = Field(description="Nombre del distrito / district name")


class SearchResults(Open):
    items: list[SearchHit]


#: A flag severity code (``geo.vocabulary.SEVERITY``): an OpenAPI enum.
Severity = codes_literal(SEVERITY)


class SeverityMap(RootModel[dict[str, Severity]]):  # type: ignore[valid-type]
    """Gravedad máxima por comunidad (solo las marcadas) / highest flag severity by
    community (flagged ones only): community id → severity code."""





class AnalysisState(Open):
    """Whether the flags shown were computed from the record shown (else they are withheld)."""

    state: Literal["current", "recalculating", "failed", "outdated"]
    record_vid: int | None
    analysed_vid: int | None


class PanelConcession(Open):
    code: str
    name: str | None
    holder: str | None
    state: str | None
    official_ha: float | None
    overlap_ha: float | None
    share: float | None


class PanelWater(Open):
    id: str
    name: str | None
    kind: str | None
    use: str | None
    in_concession: bool | None


class PanelItem(Open):
    """A consultation or a neighbouring community touching this one."""

    id: str
    name: str | None


class CommunityPanel(Open):
    """The community's file for the map's side panel: legal file, overlaps, water at risk
    and flags (withheld, ``flags: []``, while ``analysis.state`` is not ``current``)."""

    id: str
    name: str | None
    kind: str | None
    country: str | None
    district: str | None
    vid: int
    legal_personality: LegalPersonality
    statute: dict[str, Any]
    board: dict[str, Any]
    procedure: dict[str, Any]
    severity: Severity | None  # type: ignore[valid-type]
    flags: list[FlagItem]
    concessions: list[PanelConcession]
    water: list[PanelWater]
    consultations: list[PanelItem]
    neighbours: list[PanelItem]
    share_union: float | None
    point_only: bool
    bbox: list[float] | None = Field(description="minlon, minlat, maxlon, maxlat")
    analysis: AnalysisState
