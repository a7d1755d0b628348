"""``POST /api/layers/{layer}/imports``: upload a file into a layer (editor; atomic)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from api.dependencies import EditorDep, EngineDep, SettingsDep
from api.errors import ParameterError
from api.models import ImportReportModel, ok
from api.uploads import receive_upload
from geo.constants import parse_set
from layers import jobs
from layers.importer import import_file
from layers.registry import get_layer
from layers.users import Principal

router = APIRouter(prefix="/api/layers", tags=["importación / uploads"])

UPLOAD_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object",
            "required": ["file"],
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "GeoJSON, GeoPackage, Shapefile .zip, KML/KMZ, CSV"},
                "crs": {"type": "string", "description": "p. ej. EPSG:32719"},
                "source": {"type": "string", "description": "Fuente / source note"},
                "profile": {"type": "string",
                            "description": "ingemmet|inei_boundaries|allpa_community|…"},
                "strict": {"type": "boolean",
                           "description": "Rechaza todo si algo se rechaza / all or nothing"},
                "encoding": {"type": "string"},
                "source_layer": {"type": "string",
                                 "description": "Capa dentro del archivo / layer in the file"},
                "set": {"type": "array", "items": {"type": "string"},
                        "description": "CAMPO=VALOR constante para un campo que falta, "
                                       "repetible (p. ej. country=BO) / constant FIELD=VALUE "
                                       "for a missing field, repeatable"},
                "dry_run": {"type": "boolean",
                            "description": "Solo informa, no escribe / report only"},
                "allow_mass_close": {"type": "boolean",
                                     "description": "Permite cerrar > 20 % de la fuente / "
                                                    "allow closing > 20 % of the source"},
            },
        }}},
    },
}


def _bool(value: str | None, name: str = "strict") -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if text in ("1", "true", "yes", "si", "sí", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise ParameterError(f"{name} debe ser true o false / {name} must be true or false")


def _import(engine: Engine, layer: str, path: Path, fields: dict[str, str],
            principal: Principal, sets: list[str] | None = None) -> dict[str, Any]:
    constants = parse_set(s for s in (sets or []) if s.strip()) or None
    with engine.begin() as conn:
        report = import_file(
            conn, layer, path, recorded_by=principal.name, crs=fields.get("crs") or None,
            profile=fields.get("profile") or None, source=fields.get("source") or None,
            encoding=fields.get("encoding") or None, strict=_bool(fields.get("strict")),
            source_layer=fields.get("source_layer") or None, constants=constants,
            dry_run=_bool(fields.get("dry_run"), "dry_run"),
            allow_mass_close=_bool(fields.get("allow_mass_close"), "allow_mass_close"))
        # the flags follow the import: a job in the import's own transaction
        jobs.enqueue_import(conn, layer, report.batch_id, requested_by=principal.name)
    return report.as_dict()


@router.post("/{layer}/imports", status_code=201, openapi_extra=UPLOAD_SCHEMA,
             summary="Importar un archivo / import a file", response_model=None,
             responses={**ok(ImportReportModel, description="Guardado / stored", status=201),
                        **ok(ImportReportModel, description="Sin cambios o simulación / "
                                                            "unchanged or dry run")})
async def upload(layer: str, request: Request, principal: EditorDep, engine: EngineDep,
                 settings: SettingsDep) -> JSONResponse:
    """Mismo informe que ``allpa import --json``; atómico: si falla, no se guarda nada."""
    spec = get_layer(layer)
    cap = int(settings.max_upload_mb * 1024 * 1024)
    with tempfile.TemporaryDirectory(prefix="allpa-upload-") as tmp:
        received = await receive_upload(request, Path(tmp), cap)
        # an import error may quote these: the problem keeps them out of its es/en split
        request.state.user_values = [*received.fields.values(), received.path.name]
        report = await run_in_threadpool(_import, engine, spec.name, received.path,
                                         received.fields, principal,
                                         received.lists.get("set", []))
    request.app.state.versions.invalidate()
    unchanged = report.get("identical_to_batch") is not None or report.get("dry_run")
    status = 200 if unchanged else 201
    return JSONResponse(report, status_code=status)
