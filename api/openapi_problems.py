"""Every operation's error answers documented in ``/openapi.json``: RFC 9457 problems.

The handlers in :mod:`api.errors` answer 400/401/403/404/405/409/413/422/428/429/503 with
``application/problem+json``; FastAPI documents only 200 and its own 422 shape, so clients and
schema-driven testers (schemathesis) would see undocumented codes. This adds them, once, to
the generated document.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api.models import ALTERNATIVES, BINARY, PROBLEM, Problem

ERROR_STATUSES = {
    "400": "Parámetro no válido / invalid parameter",
    "401": "Se requiere autenticación / authentication required",
    "403": "Permiso denegado / permission denied",
    "404": "No encontrado / not found",
    "405": "Método no permitido / method not allowed",
    "409": "Conflicto / conflict",
    "413": "Demasiado grande / too large",
    "422": "Datos no procesables / unprocessable content",
    "428": "Se requiere precondición / precondition required",
    "429": "Demasiados intentos / too many attempts",
    "503": "Base de datos no disponible / database unavailable",
}


def _schemas(models: dict[str, type[BaseModel]]) -> dict[str, Any]:
    """Components for ``models`` (and the models they use)."""
    out: dict[str, Any] = {}
    for name, model in models.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[name] = schema
    return out


def _document_bodies(operation: dict[str, Any]) -> None:
    """A 200 media type without a schema is a file or a page: say so (binary / string)."""
    for media, spec in operation["responses"].get("200", {}).get("content", {}).items():
        if not spec.get("schema") and "json" not in media:
            spec["schema"] = {"type": "string"} if media.startswith("text/") else BINARY


def _own_operation_id(operation: dict[str, Any], method: str) -> None:
    """A route serving GET and HEAD gets one generated id for both: end it in its method
    (operation ids must be unique in a document)."""
    op_id = operation.get("operationId")
    if isinstance(op_id, str) and op_id.endswith(("_get", "_head")):
        operation["operationId"] = f"{op_id.rsplit('_', 1)[0]}_{method}"


def install(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so every operation lists the problem answers."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        wanted: dict[str, type[BaseModel]] = {**ALTERNATIVES, "Problem": Problem}
        missing = {n: m for n, m in wanted.items() if n not in schemas}
        schemas.update({k: v for k, v in _schemas(missing).items() if k not in schemas})
        content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path_item in doc.get("paths", {}).values():
            for method, operation in path_item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                _document_bodies(operation)
                _own_operation_id(operation, method)
                for status, text in ERROR_STATUSES.items():
                    operation["responses"][status] = {"description": text, "content": content}
        for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, replaced
            doc["components"]["schemas"].pop(unused, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
