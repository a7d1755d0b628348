"""CQL2 filters (OGC API – Features – Part 3) as SQL over a collection's queryables.

``pygeofilter`` parses CQL2 text (or JSON) into an AST; this module turns the AST into a
SQLAlchemy expression itself instead of using pygeofilter's SQL backends, because the
filter must go through the same query as every other read (visibility, lifespan,
generalised coordinates): it becomes one more WHERE clause of
:func:`layers.queries.where_clauses`. Only whitelisted queryables (the published properties
and the provenance columns) can be named; every literal is a bound parameter, never pasted
into SQL text. The geometry a filter sees is the geometry the reader is shown (springs on
the public grid), so a spatial filter cannot probe a hidden exact position.

Supported (and declared in the conformance classes): comparisons, ``LIKE``, ``BETWEEN``,
``IN``, ``IS [NOT] NULL``, ``AND``/``OR``/``NOT``, ``CASEI``, and the spatial functions
``S_INTERSECTS``, ``S_DISJOINT``, ``S_CONTAINS``, ``S_WITHIN``, ``S_TOUCHES``,
``S_CROSSES``, ``S_OVERLAPS``, ``S_EQUALS`` with WKT, ``BBOX(...)``/``ENVELOPE`` literals.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pygeofilter import ast
from pygeofilter import values as cql_values
from pygeofilter.parsers.cql2_json import parse as parse_json
from pygeofilter.parsers.cql2_text import parse as parse_text

from geo.errors import InputError
from layers.db import SRID
from layers.queries import LIFESPAN_OUT, Collection, Viewer

GEOMETRY = "geometry"
FILTER_LANGS = ("cql2-text", "cql2-json")
#: Draft names still sent by clients: GDAL's OAPIF driver (up to 3.12 at least) detects
#: ``cql-text`` in the OpenAPI ``filter-lang`` enum and sends simple CQL that is CQL2 text.
LANG_ALIASES = {"cql-text": "cql2-text"}


class FilterError(InputError):
    """A CQL2 filter that cannot be parsed or does not fit the collection."""

    code = "invalid_filter"


@dataclass(frozen=True)
class Queryable:
    """A property a filter may name, with its JSON-schema type."""

    name: str
    kind: str  # string | integer | number | boolean | date | date-time | geometry

    def schema(self) -> dict[str, Any]:
        if self.kind == "geometry":
            return {"format": "geometry-any", "title": "geometry",
                    "x-ogc-role": "primary-geometry"}
        if self.kind in ("date", "date-time"):
            return {"type": "string", "format": self.kind, "title": self.name}
        return {"type": self.kind, "title": self.name}


def column_kind(column: sa.Column[Any]) -> str | None:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return None
    if python_type is bool:
        return "boolean"
    if python_type is int:
        return "integer"
    if python_type in (float, decimal.Decimal):
        return "number"
    if python_type is dt.datetime:
        return "date-time"
    if python_type is dt.date:
        return "date"
    if python_type is str:
        return "string"
    return None  # arrays, JSON: not filterable


def queryables(coll: Collection, viewer: Viewer | None = None) -> dict[str, Queryable]:
    """The properties of ``coll`` a filter may use (scalar columns only), plus geometry.

    Free text that is redacted for ``viewer`` (a procedure naming a hidden neighbour) is not
    filterable by them: a LIKE on the unredacted text would reveal what the output hides.
    """
    hidden_text = set(coll.free_text) if viewer is None or \
        not viewer.principal.sees_restricted else set()
    out: dict[str, Queryable] = {}
    for name in (*coll.properties, *LIFESPAN_OUT):
        if name in hidden_text:
            continue
        if name in coll.table.c and (kind := column_kind(coll.table.c[name])) is not None:
            out[name] = Queryable(name, kind)
    if coll.has_geometry:
        out[GEOMETRY] = Queryable(GEOMETRY, "geometry")
    return out


def queryables_document(coll: Collection, url: str, title: str,
                        viewer: Viewer | None = None) -> dict[str, Any]:
    """The ``/queryables`` JSON Schema (draft 2020-12) of a collection for ``viewer``."""
    found = queryables(coll, viewer)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": title,
        "properties": {name: q.schema() for name, q in found.items()},
        "additionalProperties": False,
        # the draft form GDAL's OAPIF driver reads to know what it may filter on the server
        "queryables": [{"id": name, "type": q.kind} for name, q in found.items()],
    }


def parse(text: str, lang: str = "cql2-text") -> ast.Node:
    """Parse a filter, or raise :class:`FilterError` with the parser's reason."""
    lang = LANG_ALIASES.get(lang, lang)
    if lang not in FILTER_LANGS:
        raise FilterError(f"filter-lang '{lang}' no admitido; use {' | '.join(FILTER_LANGS)} / "
                          f"unsupported filter-lang '{lang}'; use {' | '.join(FILTER_LANGS)}")
    try:
        if lang == "cql2-json":
            return parse_json(json.loads(text))
        return parse_text(text)
    except Exception as exc:  # lark and json raise many kinds; all mean "bad filter"
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise FilterError(f"Filtro CQL2 no válido: {reason} / invalid CQL2 filter: {reason}"
                          ) from None


def to_sql(node: ast.Node, coll: Collection, viewer: Viewer) -> sa.ColumnElement[bool]:
    """The SQL predicate of a parsed filter over ``coll`` as ``viewer`` sees it."""
    return _Builder(coll, viewer).predicate(node)


def filter_clause(text: str | None, coll: Collection, viewer: Viewer,
                  lang: str | None = None) -> tuple[sa.ColumnElement[bool], ...]:
    """``filter`` + ``filter-lang`` query parameters as extra WHERE clauses (none if empty)."""
    if text is None or not text.strip():
        return ()
    return (to_sql(parse(text, lang or "cql2-text"), coll, viewer),)


def equality_clauses(coll: Collection, params: Mapping[str, str], viewer: Viewer | None = None
                     ) -> tuple[sa.ColumnElement[bool], ...]:
    """``?legal_status=registered``-style query parameters (OGC API – Features Part 3,
    "queryables as query parameters"): one equality per parameter that names a queryable.
    QGIS 3.22 and older GDAL send simple layer filters this way."""
    found = queryables(coll, viewer)
    clauses: list[sa.ColumnElement[bool]] = []
    for name, text in params.items():
        q = found.get(name)
        if q is None or q.kind == "geometry":
            continue
        value: Any = text
        if q.kind == "integer":
            value = _number(text, int)
        elif q.kind == "number":
            value = _number(text, float)
        clauses.append(coll.table.c[name] == sa.literal(_coerce(value, q.kind)))
    return tuple(clauses)


def _number(text: str, kind: type) -> Any:
    try:
        return kind(text)
    except ValueError:
        return text  # _coerce then reports the type mismatch


_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Equal: lambda a, b: a == b,
    ast.NotEqual: lambda a, b: a != b,
    ast.LessThan: lambda a, b: a < b,
    ast.LessEqual: lambda a, b: a <= b,
    ast.GreaterThan: lambda a, b: a > b,
    ast.GreaterEqual: lambda a, b: a >= b,
}

_SPATIAL: dict[type, str] = {
    ast.GeometryIntersects: "ST_Intersects",
    ast.GeometryDisjoint: "ST_Disjoint",
    ast.GeometryContains: "ST_Contains",
    ast.GeometryWithin: "ST_Within",
    ast.GeometryTouches: "ST_Touches",
    ast.GeometryCrosses: "ST_Crosses",
    ast.GeometryOverlaps: "ST_Overlaps",
    ast.GeometryEquals: "ST_Equals",
}


def _unsupported(what: str) -> FilterError:
    return FilterError(f"Operación CQL2 no admitida: {what} / unsupported CQL2 operation: {what}")


class _Builder:
    def __init__(self, coll: Collection, viewer: Viewer) -> None:
        self.coll = coll
        self.viewer = viewer
        self.queryables = queryables(coll, viewer)

    # --- predicates ---------------------------------------------------------------------
    def predicate(self, node: Any) -> sa.ColumnElement[bool]:
        if isinstance(node, ast.And):
            return sa.and_(self.predicate(node.lhs), self.predicate(node.rhs))
        if isinstance(node, ast.Or):
            return sa.or_(self.predicate(node.lhs), self.predicate(node.rhs))
        if isinstance(node, ast.Not):
            return sa.not_(self.predicate(node.sub_node))
        if isinstance(node, ast.Include):
            return sa.false() if node.not_ else sa.true()
        if isinstance(node, bool):
            return sa.true() if node else sa.false()
        if type(node) in _COMPARE:
            kind = self._kind_of(node.lhs) or self._kind_of(node.rhs)
            return _COMPARE[type(node)](self.operand(node.lhs, kind),
                                        self.operand(node.rhs, kind))
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.Between):
            kind = self._kind_of(node.lhs)
            expr = self.operand(node.lhs, kind).between(self.operand(node.low, kind),
                                                        self.operand(node.high, kind))
            return sa.not_(expr) if node.not_ else expr
        if isinstance(node, ast.In):
            kind = self._kind_of(node.lhs)
            lhs = self.operand(node.lhs, kind)
            options = [self.operand(v, kind) for v in node.sub_nodes]
            expr = lhs.in_(options)
            return sa.not_(expr) if node.not_ else expr
        if isinstance(node, ast.IsNull):
            lhs = self.operand(node.lhs, None)
            return lhs.is_not(None) if node.not_ else lhs.is_(None)
        if type(node) in _SPATIAL:
            fn = getattr(sa.func, _SPATIAL[type(node)])
            result: sa.ColumnElement[bool] = fn(self.spatial(node.lhs), self.spatial(node.rhs))
            return result
        raise _unsupported(type(node).__name__)

    def _like(self, node: ast.Like) -> sa.ColumnElement[bool]:
        if self._kind_of(node.lhs) not in ("string", None):
            raise FilterError("LIKE solo se aplica a texto / LIKE applies to text only")
        lhs = self.operand(node.lhs, "string")
        if not isinstance(node.pattern, (str, ast.Function)):
            raise FilterError("El patrón de LIKE debe ser texto / the LIKE pattern must be text")
        # CQL2 wildcards are SQL's own (% and _), escaped with a backslash
        pattern = self.operand(node.pattern, "string")
        expr = (lhs.ilike(pattern, escape="\\") if node.nocase
                else lhs.like(pattern, escape="\\"))
        return sa.not_(expr) if node.not_ else expr

    # --- operands -----------------------------------------------------------------------
    def _kind_of(self, node: Any) -> str | None:
        if isinstance(node, ast.Attribute):
            return self._queryable(node.name).kind
        if isinstance(node, ast.Function) and node.name.lower() in ("lower", "upper", "casei"):
            return "string"
        return None

    def _queryable(self, name: str) -> Queryable:
        q = self.queryables.get(name)
        if q is None:
            names = ", ".join(self.queryables)
            raise FilterError(f"Propiedad desconocida '{name}' en el filtro; use: {names} / "
                              f"unknown property '{name}' in the filter; use: {names}")
        return q

    def column(self, name: str) -> sa.ColumnElement[Any]:
        if self._queryable(name).kind == "geometry":
            raise FilterError("La geometría solo se compara con funciones espaciales (S_...) / "
                              "geometry is only compared with spatial functions (S_...)")
        return self.coll.table.c[name]

    def operand(self, node: Any, kind: str | None) -> sa.ColumnElement[Any]:
        if isinstance(node, ast.Attribute):
            return self.column(node.name)
        if isinstance(node, ast.Function):
            name = node.name.lower()
            if name in ("lower", "casei", "upper") and len(node.arguments) == 1:
                inner = self.operand(node.arguments[0], "string")
                return sa.func.upper(inner) if name == "upper" else sa.func.lower(inner)
            raise _unsupported(f"{node.name}()")
        if isinstance(node, (ast.Node, cql_values.Geometry, cql_values.Envelope)):
            raise _unsupported(type(node).__name__)
        return sa.literal(_coerce(node, kind))

    def spatial(self, node: Any) -> sa.ColumnElement[Any]:
        if isinstance(node, ast.Attribute):
            if self._queryable(node.name).kind != "geometry":
                raise FilterError(f"'{node.name}' no es una geometría / is not a geometry")
            display = self.coll.display_geometry(self.viewer)
            assert display is not None
            return display
        if isinstance(node, cql_values.Geometry):
            return sa.func.ST_SetSRID(sa.func.ST_GeomFromGeoJSON(
                sa.literal(json.dumps(node.geometry))), SRID)
        if isinstance(node, cql_values.Envelope):
            return sa.func.ST_MakeEnvelope(*(sa.literal(float(v)) for v in (
                node.x1, node.y1, node.x2, node.y2)), SRID)
        if isinstance(node, ast.Function) and node.name.lower() == "bbox":
            coords = [float(v) for v in node.arguments]
            if len(coords) == 6:
                coords = [coords[0], coords[1], coords[3], coords[4]]
            if len(coords) != 4:
                raise FilterError("BBOX necesita 4 o 6 números / BBOX needs 4 or 6 numbers")
            return sa.func.ST_MakeEnvelope(*(sa.literal(v) for v in coords), SRID)
        raise _unsupported(f"spatial operand {type(node).__name__}")


def _coerce(value: Any, kind: str | None) -> Any:
    """A literal as the type of the property it is compared with (or a clear 400)."""
    if kind is None or value is None:
        return value
    wrong = FilterError(f"El valor {value!r} no es del tipo '{kind}' de la propiedad / value "
                        f"{value!r} does not match the property's type '{kind}'")
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):  # OGR SQL booleans (GDAL)
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise wrong
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise wrong
        return value
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value[:10])
            except ValueError:
                raise wrong from None
        raise wrong
    if kind == "date-time":
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time.min, tzinfo=dt.UTC)
        if isinstance(value, str):
            try:  # GDAL writes a bare date as "2024-05-01T"
                parsed = dt.datetime.fromisoformat(value.rstrip("T").replace("Z", "+00:00"))
            except ValueError:
                raise wrong from None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        raise wrong
    if kind == "string":
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise wrong
    return value
