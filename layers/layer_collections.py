"""The layers as the service exposes them, derived from the catalog (``geo.catalog``).

A :class:`Collection` is a catalog layer plus its table: which properties lists and tiles
carry, which equality filters it accepts, which text is scrubbed of hidden names, which
geometry is shown (the first non-NULL of its geometry columns). ``get_collection`` is the
one lookup every route, tile and export uses.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from geo.catalog import CATALOG, Layer
from geo.errors import InputError, NotFoundError
from layers.base import LayerSpec
from layers.registry import LAYERS
from layers.users import Principal
from layers.visibility import display_geometry

AsOf = dt.date | dt.datetime | None
BBox = tuple[float, float, float, float]

LIFESPAN_OUT = ("vid", "valid_from", "valid_to", "recorded_by", "import_batch_id", "source",
                "change_note")


@dataclass(frozen=True)
class Viewer:
    """Who reads, and how coarse public sensitive points are."""

    principal: Principal
    grid_deg: float = 0.01


@dataclass(frozen=True)
class Collection:
    """A catalog layer as the service exposes it."""

    spec: LayerSpec

    @property
    def layer(self) -> Layer:
        return self.spec.layer

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def properties(self) -> tuple[str, ...]:
        return self.layer.field_names

    @property
    def tile_properties(self) -> tuple[str, ...]:
        return self.layer.tile_properties

    @property
    def equals(self) -> tuple[str, ...]:
        """The equality filters it accepts (``filterable`` fields)."""
        return self.layer.filterable

    @property
    def prefix_column(self) -> str | None:
        return self.layer.prefix_filter

    @property
    def free_text(self) -> tuple[str, ...]:
        return self.layer.free_text

    @property
    def geometry_type(self) -> str | None:
        """``polygon`` when it holds only polygons, ``geometry`` when it mixes kinds, None
        without geometry."""
        if not self.layer.kinds:
            return None
        return "polygon" if self.layer.kinds == ("polygons",) else "geometry"

    @property
    def table(self) -> sa.Table:
        return self.spec.table

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def has_geometry(self) -> bool:
        return self.geometry() is not None

    def title(self, lang: str) -> str:
        return self.layer.title_en if lang == "en" else self.layer.title_es

    def description(self, lang: str) -> str:
        return self.layer.description_en if lang == "en" else self.layer.description_es

    def geometry(self) -> sa.ColumnElement[Any] | None:
        """The stored geometry: the first non-NULL of the layer's geometry columns
        (communities: territory, else location point)."""
        columns = [self.table.c[g.name] for g in self.layer.geometry]
        if not columns:
            return None
        return columns[0] if len(columns) == 1 else sa.func.coalesce(*columns)

    def index_filter(self, envelope: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """An ``&&`` test on the indexed 4326 column(s) (the envelope is transformed, not
        the column, so the GiST index is used); with several columns, the one shown."""
        columns = [self.table.c[g.name] for g in self.layer.geometry]
        assert columns
        if len(columns) == 1:
            return columns[0].op("&&")(envelope)
        tests: list[sa.ColumnElement[bool]] = []
        for i, column in enumerate(columns):
            earlier_null = [c.is_(None) for c in columns[:i]]
            tests.append(sa.and_(*earlier_null, column.op("&&")(envelope))
                         if earlier_null else column.op("&&")(envelope))
        return sa.or_(*tests)

    def display_geometry(self, viewer: Viewer) -> sa.ColumnElement[Any] | None:
        geom = self.geometry()
        if geom is None:
            return None
        return display_geometry(self.table, geom, viewer.principal, viewer.grid_deg)


#: Every layer the API publishes, in catalog order.
COLLECTIONS: dict[str, Collection] = {
    name: Collection(LAYERS[name]) for name, layer in CATALOG.items() if layer.publish.api
}

GEOMETRY_COLLECTIONS = tuple(n for n, c in COLLECTIONS.items() if c.has_geometry)


class UnknownCollectionError(NotFoundError):
    code = "unknown_collection"


class FeatureNotFoundError(NotFoundError):
    code = "feature_not_found"


class PagingError(InputError):
    """``limit``/``offset`` outside what a query can take (guarded here for every caller)."""

    code = "invalid_paging"


#: Largest offset any read accepts (also well inside PostgreSQL's bigint).
MAX_OFFSET = 10_000_000


def check_paging(limit: int, offset: int) -> None:
    if not (0 <= offset <= MAX_OFFSET) or not (0 <= limit <= 2**31 - 1):
        raise PagingError(
            f"limit/offset fuera de rango (offset 0..{MAX_OFFSET}) / limit/offset out of range "
            f"(offset 0..{MAX_OFFSET})")


def get_collection(name: str, *, geometry: bool = False) -> Collection:
    coll = COLLECTIONS.get(name)
    if coll is None or (geometry and not coll.has_geometry):
        names = ", ".join(GEOMETRY_COLLECTIONS if geometry else COLLECTIONS)
        raise UnknownCollectionError(
            f"Capa desconocida '{name}'; use una de: {names} / unknown layer '{name}'; "
            f"use one of: {names}")
    return coll


def collection_among(name: str, allowed: Iterable[str], what_es: str, what_en: str
                     ) -> Collection:
    """A geometry collection that one interface (OGC, tiles) publishes, or a clear 404."""
    allowed = list(allowed)
    if name not in allowed:
        names = ", ".join(allowed)
        raise UnknownCollectionError(
            f"{what_es} desconocida '{name}'; use una de: {names} / unknown {what_en} "
            f"'{name}'; use one of: {names}")
    return get_collection(name, geometry=True)



def jsonable(value: Any) -> Any:
    """Database values as JSON values (dates as ISO 8601 strings)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


@dataclass
class Page:
    """One page of features plus the total matching the filters."""

    features: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

