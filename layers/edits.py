"""Edits of a community's legal file, versioned (close + insert) with optimistic concurrency.

The caller names the version it read (``expected_vid``, the ETag of the detail response).
The current row is locked (``FOR UPDATE``); if it is not that version any more the edit is
refused with a :class:`StaleVersionError` and nothing is written. Otherwise the version is
closed and a new one inserted through :func:`layers.versioning.write_snapshot`, recorded by
the editor with their change note. The old version stays readable (history, ``as_of``).

A change leaves an analysis job in the same transaction (:mod:`layers.jobs`): the flags
follow the record without anyone running ``allpa analyze``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from shapely import wkb
from sqlalchemy.engine import Connection

from geo.catalog import COMMUNITIES
from geo.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from layers import communities, jobs
from layers.users import Principal
from layers.versioning import LIFESPAN, write_snapshot
from layers.visibility import visible

#: The legal file: title, sensitivity, legal personality, statute, board, procedure
#: (the catalog's editable fields of a community).
EDITABLE = COMMUNITIES.editable

#: From the catalog's editable fields: their vocabularies and types.
_EDITABLE_FIELDS = [COMMUNITIES.field(name) for name in EDITABLE]
ENUMS: dict[str, tuple[str, ...]] = {
    f.name: f.vocabulary.codes for f in _EDITABLE_FIELDS if f.vocabulary is not None}
DATES = tuple(f.name for f in _EDITABLE_FIELDS if f.type == "date")
BOOLS = tuple(f.name for f in _EDITABLE_FIELDS if f.type == "bool")
#: Fields that may not be emptied (the table requires them).
REQUIRED = tuple(f.name for f in _EDITABLE_FIELDS if not f.nullable)
NUMBERS = tuple(f.name for f in _EDITABLE_FIELDS if f.type == "float")


class StaleVersionError(ConflictError):
    code = "stale_version"


class CommunityNotFoundError(NotFoundError):
    code = "community_not_found"


@dataclass(frozen=True)
class EditResult:
    community_id: str
    old_vid: int
    new_vid: int
    changed: bool


def _check(changes: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in EDITABLE:
            raise InputError(
                f"El campo '{name}' no se puede editar; editables: {', '.join(EDITABLE)} / "
                f"field '{name}' is not editable", field=name)
        if value is not None and name in ENUMS and value not in ENUMS[name]:
            raise InputError(f"Valor no válido para {name}: {value!r}; use "
                             f"{'|'.join(ENUMS[name])} / invalid value for {name}", field=name)
        if value is not None and name in DATES and not isinstance(value, dt.date):
            raise InputError(f"{name} debe ser una fecha / {name} must be a date", field=name)
        if value is None and name in REQUIRED:
            raise InputError(f"{name} no puede quedar vacío / {name} cannot be empty",
                             field=name)
        if value is not None and name in NUMBERS and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
            raise InputError(f"{name} debe ser un número positivo / {name} must be a "
                             f"positive number", field=name)
        if value is not None and name in BOOLS and not isinstance(value, bool):
            raise InputError(f"{name} debe ser verdadero o falso / {name} must be a boolean",
                             field=name)
        clean[name] = value
    if not clean:
        raise InputError("No hay cambios que guardar / nothing to change")
    return clean


def edit_community(conn: Connection, community_id: str, changes: Mapping[str, Any], *,
                   expected_vid: int, principal: Principal, change_note: str | None = None
                   ) -> EditResult:
    """Close the current version of a community and store a new one with ``changes``."""
    if not principal.can_edit:
        raise PermissionDeniedError("Se requiere rol de editor / editor role required")
    clean = _check(changes)
    t = communities.community
    content = [c for c in t.columns if c.name not in LIFESPAN]
    geoms = ("territory", "location")
    cols = [c if c.name not in geoms else sa.func.ST_AsBinary(c).label(c.name)
            for c in content]
    current = (sa.select(t.c.vid, *cols)
               .where(t.c.id == community_id, t.c.valid_to.is_(None), visible(t, principal))
               .with_for_update())
    row = conn.execute(current).mappings().first()
    if row is None:
        # a concurrent edit may have closed the row we waited for: the next statement sees
        # its new version, and the loser gets a 409 (stale), not a 404
        row = conn.execute(current).mappings().first()
    if row is None:
        raise CommunityNotFoundError(f"No existe la comunidad '{community_id}' / "
                                     f"community '{community_id}' not found")
    current_vid = int(row["vid"])
    if current_vid != expected_vid:
        raise StaleVersionError(
            f"La comunidad fue modificada por otra persona (versión vigente {current_vid}, "
            f"usted editó la {expected_vid}); recargue y vuelva a intentar / stale version: "
            f"current is {current_vid}, you edited {expected_vid}",
            current_vid=current_vid, expected_vid=expected_vid)
    record = {k: v for k, v in row.items() if k != "vid"}
    for g in geoms:
        record[g] = wkb.loads(bytes(record[g])) if record[g] is not None else None
    record.update(clean)
    counts = write_snapshot(conn, t, "id", [record], recorded_by=principal.name, batch_id=None,
                            source="api", close_missing=False, change_note=change_note)
    if not counts.changed:
        return EditResult(community_id, current_vid, current_vid, changed=False)
    new_vid = conn.execute(sa.select(t.c.vid).where(t.c.id == community_id,
                                                    t.c.valid_to.is_(None))).scalar_one()
    jobs.enqueue(conn, reason=f"edit {community_id} v{new_vid}", requested_by=principal.name,
                 community_ids=[community_id])
    return EditResult(community_id, current_vid, int(new_vid), changed=True)
