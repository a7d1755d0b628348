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

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail", "message_es", "message_en"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "code": {"type": "string"},
        "detail": {"type": "string"}, "message_es": {"type": "string"},
        "message_en": {"type": "string"},
    },
    "additionalProperties": True,
}

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


def install(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so every operation lists the problem answers."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        doc.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        content = {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"}}}
        for path_item in doc.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                for status, text in ERROR_STATUSES.items():
                    operation["responses"][status] = {"description": text, "content": content}
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
