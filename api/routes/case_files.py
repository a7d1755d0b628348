"""A case's file: its documents (upload, versions, download), its deadlines (several per
case, closed as done or cancelled, never deleted) and the cadastre alerts it answers.
Editors and admins only, like every case route; cookie writes carry the session's CSRF
token (``api.dependencies.current_principal``)."""

from __future__ import annotations

import datetime as dt
import tempfile
import urllib.parse
from base64 import b64encode
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine

from api.dependencies import ConnDep, EditorDep, EngineDep, LangDep, SettingsDep
from api.models import BINARY, EditResult, Open, ok
from api.uploads import receive_upload
from geo import vocabulary as V
from layers import case_deadlines, case_documents
from layers import cases as case_store
from layers.users import Principal

router = APIRouter(prefix="/api/cases", tags=["trámites / cases"])


class DocumentVersion(Open):
    document_id: int
    version: int
    sha256: str
    file_name: str
    media_type: str
    size_bytes: int
    note: str | None = None
    uploaded_by: str
    uploaded_at: str


class CaseDocument(Open):
    id: int
    case_id: str
    title: str
    created_by: str
    created_at: str
    versions: list[DocumentVersion]
    latest: DocumentVersion | None = None


class CaseDocumentList(Open):
    case_id: str
    max_bytes: int
    accepted: list[str]
    items: list[CaseDocument]


class Deadline(Open):
    id: int
    case_id: str
    due: dt.date
    what: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    overdue: bool
    created_by: str
    created_at: str
    closed_by: str | None = None
    closed_at: str | None = None
    close_note: str | None = None
    day_off_note: str | None = Field(None, description=(
        "Si el plazo abierto cae en día inhábil del país, lo dice y da el día hábil "
        "siguiente / when an open deadline falls on a non-working day, says so"))


class DeadlineList(Open):
    case_id: str
    items: list[Deadline]


class DeadlineNew(BaseModel):
    """A new deadline of the case."""

    model_config = ConfigDict(extra="forbid")

    due: dt.date = Field(description="Fecha límite AAAA-MM-DD / due date")
    what: str = Field(min_length=1, max_length=500, description="Para qué / what is due")
    kind: str = Field("legal", description=" | ".join(V.DEADLINE_KIND.codes))


class DeadlineClose(BaseModel):
    """Close an open deadline (it is kept, with who, when and why)."""

    model_config = ConfigDict(extra="forbid")

    state: str = Field(description="done | cancelled")
    note: str | None = Field(None, max_length=1000, description="Nota / note")


class AlertLink(BaseModel):
    """A cadastre alert this case answers."""

    model_config = ConfigDict(extra="forbid")

    alert_id: int = Field(ge=1, le=2**63 - 1)
    change_note: str | None = None


def _upload_schema(with_title: bool) -> dict[str, Any]:
    props: dict[str, Any] = {
        "file": {**BINARY, "description": "PDF, PNG, JPEG, TIFF, WebP, ODT o DOCX"},
        "note": {"type": "string", "description": "Nota de esta versión / version note"},
    }
    if with_title:
        props["title"] = {"type": "string", "description": "Nombre del documento / title"}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "properties": props}}}}}


def _limit(settings: Any) -> int:
    return int(settings.case_document_max_mb * 1024 * 1024)


@router.get("/{case_id}/documents", summary="Documentos del trámite / case documents",
            response_model=None, responses=ok(CaseDocumentList))
def list_documents(case_id: str, conn: ConnDep, principal: EditorDep, settings: SettingsDep
                   ) -> JSONResponse:
    from geo.documents import ACCEPTED

    items = case_documents.list_documents(conn, principal, case_id)
    return JSONResponse({"case_id": case_id, "max_bytes": _limit(settings),
                         "accepted": [k.media_type for k in ACCEPTED], "items": items},
                        headers={"Cache-Control": "no-cache"})


def _store(engine: Engine, principal: Principal, case_id: str, path: Path,
           fields: dict[str, str], limit: int, document_id: int | None) -> dict[str, Any]:
    with engine.begin() as conn:
        return case_documents.attach(
            conn, principal, case_id, path.read_bytes(), path.name, limit_bytes=limit,
            note=fields.get("note"), title=fields.get("title"), document_id=document_id)


async def _receive(request: Request, engine: Engine, principal: Principal, case_id: str,
                   settings: Any, document_id: int | None) -> JSONResponse:
    limit = _limit(settings)
    with engine.connect() as conn:  # 404/403 before reading a byte of the body
        case_store.get_case(conn, principal, case_id)
    with tempfile.TemporaryDirectory(prefix="allpa-document-") as tmp:
        received = await receive_upload(request, Path(tmp), limit + 256 * 1024)
        request.state.user_values = [*received.fields.values(), received.path.name]
        doc = await run_in_threadpool(_store, engine, principal, case_id, received.path,
                                      received.fields, limit, document_id)
    latest = doc["latest"]
    return JSONResponse(doc, status_code=201, headers={
        "Location": f"/api/cases/{urllib.parse.quote(case_id)}/documents/{doc['id']}/file"
                    f"?version={latest['version']}"})


@router.post("/{case_id}/documents", status_code=201, openapi_extra=_upload_schema(True),
             summary="Adjuntar un documento / attach a document", response_model=None,
             responses=ok(CaseDocument, status=201))
async def attach(case_id: str, request: Request, principal: EditorDep, engine: EngineDep,
                 settings: SettingsDep) -> JSONResponse:
    """Versión 1 de un documento nuevo (multipart: ``file``, ``title``, ``note``)."""
    return await _receive(request, engine, principal, case_id, settings, None)


@router.get("/{case_id}/documents/{document_id}", summary="Un documento y sus versiones / "
            "a document and its versions", response_model=None, responses=ok(CaseDocument))
def document(case_id: str, document_id: int, conn: ConnDep, principal: EditorDep
             ) -> JSONResponse:
    return JSONResponse(case_documents.get_document(conn, principal, case_id, document_id),
                        headers={"Cache-Control": "no-cache"})


@router.post("/{case_id}/documents/{document_id}/versions", status_code=201,
             openapi_extra=_upload_schema(False), response_model=None,
             summary="Subir una nueva versión / upload a new version",
             responses=ok(CaseDocument, status=201))
async def new_version(case_id: str, document_id: int, request: Request,
                      principal: EditorDep, engine: EngineDep, settings: SettingsDep
                      ) -> JSONResponse:
    """La versión n+1; las anteriores se conservan / earlier versions are kept."""
    return await _receive(request, engine, principal, case_id, settings, document_id)


def _disposition(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return (f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{urllib.parse.quote(name, safe='')}")


@router.get("/{case_id}/documents/{document_id}/file", response_class=Response,
            summary="Descargar un documento / download a document",
            responses={200: {"description": "El archivo / the file",
                             "content": {"application/octet-stream": {"schema": BINARY}}},
                       304: {"description": "Sin cambios (If-None-Match) / not modified"}})
def download(case_id: str, document_id: int, request: Request, conn: ConnDep,
             principal: EditorDep,
             version: Annotated[int | None, Query(ge=1, le=2**31 - 1, description=(
                 "Versión (por defecto la última) / version (default: the latest)"))] = None,
             ) -> Response:
    """El archivo tal como se subió; ``ETag`` es su SHA-256."""
    stored = case_documents.read_file(conn, principal, case_id, document_id, version)
    etag = f'"{stored.sha256}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache",
               "Repr-Digest": f"sha-256=:{b64encode(bytes.fromhex(stored.sha256)).decode()}:",
               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox",
               "Content-Disposition": _disposition(stored.file_name),
               "X-Allpa-Document-Version": str(stored.version)}
    sent = request.headers.get("if-none-match", "")
    if etag in [t.strip() for t in sent.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(stored.content, media_type=stored.media_type, headers=headers)


@router.get("/{case_id}/deadlines", summary="Plazos del trámite / case deadlines",
            response_model=None, responses=ok(DeadlineList))
def list_deadlines(case_id: str, conn: ConnDep, principal: EditorDep, lang: LangDep
                   ) -> dict[str, Any]:
    return {"case_id": case_id,
            "items": case_deadlines.list_deadlines(conn, principal, case_id, lang=lang)}


@router.post("/{case_id}/deadlines", summary="Añadir un plazo / add a deadline",
             status_code=201, response_model=None, responses=ok(Deadline, status=201))
def add_deadline(case_id: str, new: Annotated[DeadlineNew, Body()], engine: EngineDep,
                 principal: EditorDep) -> JSONResponse:
    with engine.begin() as conn:
        row = case_deadlines.add_deadline(conn, principal, case_id, due=new.due,
                                          what=new.what, kind=new.kind)
    return JSONResponse(row, status_code=201)


@router.patch("/{case_id}/deadlines/{deadline_id}", response_model=None,
              summary="Cumplir o anular un plazo / mark a deadline done or cancelled",
              responses=ok(Deadline))
def close_deadline(case_id: str, deadline_id: int, change: Annotated[DeadlineClose, Body()],
                   engine: EngineDep, principal: EditorDep) -> JSONResponse:
    """El plazo se conserva con quién, cuándo y por qué / the deadline is kept."""
    with engine.begin() as conn:
        row = case_deadlines.close_deadline(conn, principal, case_id, deadline_id,
                                            state=change.state, note=change.note)
    return JSONResponse(row)


@router.post("/{case_id}/alerts", summary="Vincular una alerta al trámite / link an alert",
             response_model=None, responses=ok(EditResult))
def link_alert(case_id: str, link: Annotated[AlertLink, Body()], engine: EngineDep,
               principal: EditorDep) -> JSONResponse:
    """Una nueva versión del trámite que atiende la alerta / a new version of the case."""
    with engine.begin() as conn:
        result = case_store.link_alert(conn, principal, case_id, link.alert_id,
                                       change_note=link.change_note)
    return JSONResponse({"id": result.case_id, "old_vid": result.old_vid,
                         "vid": result.new_vid, "changed": result.changed},
                        headers={"ETag": f'"{result.new_vid}"'})
