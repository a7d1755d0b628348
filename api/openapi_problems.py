"""Every operation's error answers documented in ``/openapi.json``: RFC 9457 problems, and
only the ones the operation can actually give.

The handlers in :mod:`api.errors` answer 4xx and 503 with ``application/problem+json``;
FastAPI documents only 200 and its own 422 shape. Which statuses an operation can answer
follows from what it is built of, so they are derived from the route, never listed by hand:

* its dependencies: one marked with :func:`answers` (the caller's token: 401/429; an editor
  or admin role: 401/403; a parsed bbox / as_of / tile address: 400; the database: 503)
  lends its statuses to every operation that uses it, directly or through another;
* its parameters: one that can be refused (required, typed, an enum, bounded) can be
  malformed or missing (400); a path parameter that is not an enum can name nothing (404);
* its body: a JSON body can fail validation (422); a ``multipart/form-data`` one can be too
  large (413); an ``If-Match`` header means an optimistic edit (400 unreadable, 409 stale
  version, 428 no version named; a stale version is a 409, the service never answers 412);
* a state-changing method resolving the caller also checks a session's CSRF token (403);
* :data:`EXTRA` / :data:`NEVER`: what the route's own code adds or rules out (each with why).

``tests/api/test_error_statuses.py`` sends every operation the requests that provoke each
status and checks the two agree both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from api.models import ALTERNATIVES, BINARY, PROBLEM, Problem
from geo.catalog import CATALOG

ERROR_STATUSES = {
    "400": "Parámetro no válido / invalid parameter",
    "401": "Se requiere autenticación o el token no es válido / authentication required or "
           "invalid token",
    "403": "Permiso denegado (rol, token CSRF) / permission denied (role, CSRF token)",
    "404": "No encontrado (o no visible para usted) / not found (or not visible to you)",
    "409": "Conflicto: otra persona editó antes / conflict: someone else edited first",
    "413": "Demasiado grande / too large",
    "422": "Datos no procesables / unprocessable content",
    "428": "Falta la versión editada (If-Match) / the edited version is missing (If-Match)",
    "429": "Demasiados intentos fallidos / too many failed attempts",
    "503": "Base de datos no disponible / database unavailable",
}

F = TypeVar("F", bound=Callable[..., Any])
_MARK = "__allpa_answers__"


def answers(*statuses: int) -> Callable[[F], F]:
    """Mark a dependency: every operation using it can answer ``statuses``."""

    def mark(fn: F) -> F:
        setattr(fn, _MARK, frozenset(str(s) for s in statuses))
        return fn

    return mark


#: Statuses a route's own code answers beyond its structure, by (method, path), with why.
EXTRA: dict[tuple[str, str], set[str]] = {
    # the tiles' hot path reads z/x/y and resolves the caller itself (async, no dependency)
    ("get", "/tiles/map/{z}/{x}/{y}.pbf"): {"400", "401", "429", "503"},
    ("get", "/tiles/{layer}/{z}/{x}/{y}.pbf"): {"400", "401", "429", "503"},
    # a format or filter the layer does not support: InputError
    ("get", "/api/{layer}/export"): {"422"},
    # the calendar feed's own key (?key=): missing 401, unknown or revoked 404
    ("get", "/api/agenda.ics"): {"401", "404"},
    # a bbox on a layer without geometry (networks, actors, positions...): InputError, in
    # the list route api.routes.layers registers for each such layer
    **{("get", f"/api/{layer.name}"): {"422"} for layer in CATALOG.values()
       if not layer.geometry and layer.publish.api and not layer.publish.own_routes},
    # ?programme= naming no programme
    ("get", "/api/programme/indicators"): {"404"},
    ("get", "/programa"): {"404"},
    ("get", "/programa/informe.{ext}"): {"404"},
    # the relationship view: neither or both of ?community= / ?conflict= is an InputError;
    # one the reader may not see (or that does not exist) is not found
    ("get", "/api/relations"): {"404", "422"},
    # a scope (community, network, district) the subscriber may not see or that does not exist
    ("post", "/api/subscriptions"): {"404"},
    # a deadline already closed (done or cancelled) is not closed again
    ("patch", "/api/cases/{case_id}/deadlines/{deadline_id}"): {"409"},
    # the delivery log names subscribers and addresses: admins only (layers.subscriptions)
    ("get", "/api/deliveries"): {"403"},
    # an import that would close most of a layer without allow_mass_close
    ("post", "/api/layers/{layer}/imports"): {"409"},
}
#: Statuses the structure suggests that the route cannot answer, by (method, path), and why.
NEVER: dict[tuple[str, str], set[str]] = {
    # an unknown layer is a refused input (422), not a missing record
    ("post", "/api/layers/{layer}/imports"): {"404"},
    # the map page's route answers ``/`` first and reads ?lang= leniently (else Spanish)
    ("get", "/"): {"400"},
}
_CONSTRAINTS = ("enum", "pattern", "minLength", "maxLength", "minimum", "maximum",
                "exclusiveMinimum", "exclusiveMaximum", "format")


def _refusable(param: dict[str, Any]) -> bool:
    """Whether a value of ``param`` can be refused (400): required, or not any string."""
    schema = param.get("schema", {})
    variants = [schema, *schema.get("anyOf", [])]
    return bool(param.get("required")) or any(
        any(k in v for k in _CONSTRAINTS) or v.get("type") in ("integer", "number", "boolean",
                                                                "array")
        for v in variants)


def _dependencies(dependant: Any) -> Iterator[Any]:
    for dep in getattr(dependant, "dependencies", []):
        yield dep
        yield from _dependencies(dep)


def _routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    """(method, path, dependant) of every documented operation."""
    for ctx in fastapi_routing.iter_route_contexts(app.routes):
        original = ctx.original_route
        if not isinstance(original, fastapi_routing.APIRoute) or not original.include_in_schema:
            continue
        dependant = getattr(ctx, "dependant", None) or original.dependant
        for method in ctx.methods or ():
            yield method.lower(), str(ctx.path_format), dependant


def statuses(method: str, path: str, dependant: Any, operation: dict[str, Any]) -> set[str]:
    """The error statuses ``operation`` can answer (see the module docstring)."""
    out: set[str] = set()
    for dep in _dependencies(dependant):
        out |= getattr(dep.call, _MARK, frozenset())
    params = operation.get("parameters", [])
    # a path parameter is always required: only its type or enum makes it refusable
    if any(_refusable({**p, "required": p["in"] != "path" and p.get("required")})
           for p in params):
        out.add("400")
    if any(p["in"] == "path" and "enum" not in p.get("schema", {}) for p in params):
        out.add("404")
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        out.add("422")
    if "multipart/form-data" in body:
        out |= {"413", "422"}
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in params):
        out |= {"400", "409", "428"}  # unreadable, stale, missing version
    if method not in ("get", "head") and "401" in out:
        out.add("403")  # a session cookie without its CSRF token
    same = "get" if method == "head" else method  # HEAD answers as GET does
    return (out | EXTRA.get((same, path), set())) - NEVER.get((same, path), set())


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
    """Wrap ``app.openapi`` so every operation lists the problem answers it can give."""

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
        for method, path, dependant in _routes(app):
            operation = doc["paths"][path][method]
            _document_bodies(operation)
            _own_operation_id(operation, method)
            operation["responses"].pop("422", None)  # FastAPI's own shape: ours is a Problem
            for status in sorted(statuses(method, path, dependant, operation)):
                operation["responses"][status] = {"description": ERROR_STATUSES[status],
                                                  "content": content}
        for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, replaced
            doc["components"]["schemas"].pop(unused, None)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
