"""The canonical fields of each layer as import profiles read them, derived from the layer
catalog (:mod:`geo.catalog`): type, required, default, what an unknown enum value does, the
vocabulary that parses it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from geo.catalog import CATALOG, Field, Layer

__all__ = ["CANONICAL_COLUMNS", "FIELDS", "KEY_COLUMNS", "LAYERS", "FieldSpec"]

LAYERS = tuple(CATALOG)

#: catalog field type -> parser kind
_KINDS = {"text": "str", "code": "code", "concession_code": "concession_code",
          "date": "date", "bool": "bool", "float": "float", "int": "int", "list": "list",
          "enum": "enum"}


@dataclass(frozen=True)
class FieldSpec:
    """One canonical column: how to parse it and what to do when it is missing or odd.

    ``on_unknown`` for enums: ``"reject"`` the row, ``"default"`` (use ``default``) or
    ``"none"`` (unknown), the last two with a warning. ``item_kind``: how the items of a
    list are parsed (the key type of the layer it references).
    """

    name: str
    kind: str  # str|code|concession_code|date|bool|float|int|list|enum
    required: bool = False
    default: Any = None
    enum: Mapping[str, str] | None = None
    on_unknown: str = "none"
    pad: int = 0
    item_kind: str | None = None


def _spec(f: Field) -> FieldSpec:
    item_kind = None
    if f.references is not None:
        other = CATALOG[f.references]
        item_kind = _KINDS[other.field(other.source_key).type]
    return FieldSpec(
        name=f.name, kind=_KINDS[f.type], required=f.required, default=f.default,
        enum=f.vocabulary.synonyms if f.type == "enum" and f.vocabulary else None,
        on_unknown=f.on_unknown, pad=f.pad, item_kind=item_kind)


def _fields(layer: Layer) -> tuple[FieldSpec, ...]:
    """Statute adoption/modification and board election are *dates* (when it happened;
    None = unknown or never); only the clauses and board registration are booleans."""
    return tuple(_spec(f) for f in layer.imported_fields)


FIELDS: dict[str, tuple[FieldSpec, ...]] = {name: _fields(lay) for name, lay in CATALOG.items()}
CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    layer: tuple(f.name for f in specs) for layer, specs in FIELDS.items()
}
KEY_COLUMNS = {name: layer.source_key for name, layer in CATALOG.items()}
