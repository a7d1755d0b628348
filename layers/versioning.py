"""Write a snapshot of records as versions: close what changed or vanished, insert the new.

Nothing is updated in place except ``valid_to`` (closing a version) and nothing is deleted,
so every past state stays queryable (see ``layers.db.as_of_clause``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from shapely import wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from layers.db import SRID

LIFESPAN = ("vid", "valid_from", "valid_to", "recorded_by", "import_batch_id", "source",
            "change_note", "row_hash")


@dataclass
class VersionCounts:
    """What a snapshot write did, per key."""

    inserted: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    #: Keys absent from the rows that were kept open because the caller said so (rejected).
    kept: list[str] = field(default_factory=list)
    #: How many current rows were in the closing scope before the write.
    n_scope: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"inserted": len(self.inserted), "changed": len(self.changed),
                "unchanged": len(self.unchanged), "closed": len(self.closed)}


def _jsonable(value: object) -> object:
    if isinstance(value, BaseGeometry):
        return wkb.dumps(value, hex=True, srid=SRID)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items())}
    return value


def row_hash(row: Mapping[str, object]) -> str:
    """Content hash of a record: equal hashes mean an identical version."""
    payload = {k: _jsonable(v) for k, v in sorted(row.items()) if k not in LIFESPAN}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content_columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns if c.name not in LIFESPAN]


def _copy_value(value: object) -> object:
    if isinstance(value, BaseGeometry):
        return wkb.dumps(value, hex=True, srid=SRID)
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return value


def copy_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]],
              columns: Sequence[str]) -> None:
    """Bulk insert through COPY (what geopandas' to_postgis does), inside the open transaction."""
    if not rows:
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    cols = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_copy_value(row.get(c)) for c in columns])


def close_versions(conn: Connection, table: sa.Table, key: str, keys: Iterable[str],
                   *, note: str | None = None) -> int:
    """Close the current version of ``keys`` (their history stays)."""
    keys = list(keys)
    if not keys:
        return 0
    values: dict[str, object] = {"valid_to": sa.func.now()}
    result = conn.execute(
        sa.update(table)
        .where(table.c[key].in_(keys), table.c.valid_to.is_(None))
        .values(**values)
    )
    _ = note
    return int(result.rowcount or 0)


def current_hashes(conn: Connection, table: sa.Table, key: str,
                   scope: sa.ColumnElement[bool] | None = None) -> dict[str, str]:
    query = sa.select(table.c[key], table.c.row_hash).where(table.c.valid_to.is_(None))
    if scope is not None:
        query = query.where(scope)
    return {str(k): str(h) for k, h in conn.execute(query)}


def write_snapshot(
    conn: Connection,
    table: sa.Table,
    key: str,
    rows: Sequence[dict[str, Any]],
    *,
    recorded_by: str,
    batch_id: int | None,
    source: str | None,
    close_missing: bool,
    scope: sa.ColumnElement[bool] | None = None,
    change_note: str | None = None,
    keep: Iterable[str] = (),
) -> VersionCounts:
    """Store ``rows`` as the new state of ``table``.

    ``close_missing`` closes current rows (within ``scope``) whose key is absent from ``rows``:
    a full re-import of a source. Without it, absent keys are left alone (a partial update).
    Keys in ``keep`` are never closed as missing (features the import could not read).
    """
    counts = VersionCounts()
    existing = current_hashes(conn, table, key)
    in_scope = current_hashes(conn, table, key, scope) if scope is not None else existing
    to_insert: list[dict[str, Any]] = []
    to_close: list[str] = []
    seen: set[str] = set()
    for row in rows:
        k = str(row[key])
        seen.add(k)
        h = row_hash(row)
        old = existing.get(k)
        if old is None:
            counts.inserted.append(k)
        elif old == h:
            counts.unchanged.append(k)
            continue
        else:
            counts.changed.append(k)
            to_close.append(k)
        to_insert.append({**row, "row_hash": h, "recorded_by": recorded_by,
                          "import_batch_id": batch_id, "source": source,
                          "change_note": change_note})
    counts.n_scope = len(in_scope)
    if close_missing:
        kept = set(in_scope) & (set(map(str, keep)) - seen)
        counts.kept.extend(sorted(kept))
        vanished = sorted(set(in_scope) - seen - kept)
        counts.closed.extend(vanished)
        to_close.extend(vanished)
    close_versions(conn, table, key, to_close)
    columns = [*_content_columns(table), "row_hash", "recorded_by", "import_batch_id",
               "source", "change_note"]
    copy_rows(conn, table, to_insert, columns)
    return counts
