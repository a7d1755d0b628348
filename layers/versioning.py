"""Write a snapshot of records as versions: close what changed or vanished, insert the new.

Nothing is updated in place except ``valid_to`` (closing a version) and nothing is deleted,
so every past state stays queryable (see ``layers.db.as_of_clause``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import shapely
import sqlalchemy as sa
from geoalchemy2 import Geometry
from shapely import wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from layers.db import SRID
from layers.pgcopy import copy_text, text_column

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


_encode_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses


def _json_value(value: object) -> str:
    """``json.dumps`` of one value exactly as :func:`row_hash` writes it inside its payload,
    with the common scalar types short-cut."""
    kind = type(value)
    if value is None:
        return "null"
    if kind is str:
        return str(_encode_str(cast(str, value)))
    if kind is int:
        return int.__repr__(cast(int, value))
    if kind is bool:
        return "true" if value else "false"
    if kind is float and value == value and value not in (math.inf, -math.inf):
        return float.__repr__(cast(float, value))
    return json.dumps(_jsonable(value), sort_keys=True, ensure_ascii=False, default=str)


def _json_column(values: list[object]) -> list[str]:
    """:func:`_json_value` of a column; text and integer columns (with NULLs) in one pass."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {str}:
        texts = cast("list[str | None]", values)
        return ["null" if v is None else _encode_str(v) for v in texts]
    if kinds <= {int}:
        numbers = cast("list[int | None]", values)
        return ["null" if v is None else int.__repr__(v) for v in numbers]
    if kinds <= {dt.date, dt.datetime}:  # ISO text is ASCII: nothing for JSON to escape
        dates = cast("list[dt.date | None]", values)
        return ["null" if v is None else '"' + v.isoformat() + '"' for v in dates]
    return [_json_value(v) for v in values]


def row_hashes(rows: Sequence[Mapping[str, object]]) -> list[str]:
    """:func:`row_hash` of every row, built column by column (the same hashes, several times
    faster for the 10,000s of rows of an import: one JSON text per value, no dict per row)."""
    if not rows:
        return []
    first = rows[0].keys()
    if any(row.keys() != first for row in rows):
        return [row_hash(row) for row in rows]
    return column_hashes({k: [row[k] for row in rows] for k in first}, len(rows))


def column_hashes(columns: Mapping[str, Sequence[object]], n: int) -> list[str]:
    """:func:`row_hash` of the ``n`` rows whose values are ``columns`` ({name: values}, every
    row having every column)."""
    keys = sorted(k for k in columns if k not in LIFESPAN)
    if not keys:
        return [row_hash({})] * n
    # each value with its '"name": ' prefix, column by column; then one join per row
    parts = [[prefix + v for v in _json_column(list(columns[k]))]
             for k, prefix in ((k, _encode_str(k) + ": ") for k in keys)]
    sha = hashlib.sha256
    return [sha(("{" + ", ".join(values) + "}").encode("utf-8")).hexdigest()
            for values in zip(*parts, strict=True)]


def _content_columns(table: sa.Table) -> list[str]:
    return [c.name for c in table.columns if c.name not in LIFESPAN]


def _copy_field(value: object) -> object:
    """A record's value as COPY receives it (geometries as hex EWKB, dicts as JSON)."""
    if isinstance(value, BaseGeometry):
        return wkb.dumps(value, hex=True, srid=SRID)
    if isinstance(value, dict):
        return json.dumps(_jsonable(value), ensure_ascii=False)
    return value


def encode_geometries(rows: Sequence[dict[str, Any]], columns: Iterable[str]) -> None:
    """Replace the geometries in ``columns`` of ``rows`` by their hex EWKB, in place
    (:func:`encode_column`)."""
    for column in columns:
        encoded = encode_column([row.get(column) for row in rows])
        for row, value in zip(rows, encoded, strict=True):
            if column in row:
                row[column] = value


def encode_column(values: Sequence[object]) -> list[object]:
    """The column with its geometries as hex EWKB, by one vectorised shapely call.

    The hex EWKB is exactly what :func:`_jsonable` hashes and what COPY sends, so encoding
    once up front gives the same row hashes as encoding row by row, at a fraction of the
    cost (one GEOS call instead of two Python calls per feature).
    """
    out = list(values)
    array = np.empty(len(out), dtype=object)
    array[:] = out
    is_geom = np.fromiter((isinstance(v, BaseGeometry) for v in out), dtype=bool,
                          count=len(out))
    if not is_geom.any():
        return out
    encoded = shapely.to_wkb(shapely.set_srid(array[is_geom], SRID), include_srid=True)
    # bytes.hex is ~3x faster than GEOS's hex writer, and gives the same (upper-cased) text
    for pos, data in zip(np.flatnonzero(is_geom).tolist(), encoded.tolist(), strict=True):
        out[pos] = data.hex().upper()
    return out


def copy_records(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]],
                 columns: Sequence[str]) -> None:
    """Bulk insert records (dicts) as one COPY text payload built column by column, inside
    the open transaction."""
    copy_columns(conn, table, {c: [row.get(c) for row in rows] for c in columns})


def copy_columns(conn: Connection, table: sa.Table,
                 columns: Mapping[str, Sequence[Any]]) -> None:
    """Bulk insert rows given column by column ({name: values}, equal lengths) as one COPY
    text payload, inside the open transaction."""
    if not columns or not len(next(iter(columns.values()))):
        return
    fields = []
    for values in columns.values():
        if any(issubclass(k, dict | BaseGeometry) for k in set(map(type, values))):
            values = [_copy_field(v) for v in values]
        fields.append(text_column(values))
    copy_text(conn, table.name, list(columns),
              "".join(["\t".join(line) + "\n" for line in zip(*fields, strict=True)]))


def close_versions(conn: Connection, table: sa.Table, key: str, keys: Iterable[str],
                   *, note: str | None = None) -> int:
    """Close the current version of ``keys`` (their history stays)."""
    keys = list(keys)
    if not keys:
        return 0
    values: dict[str, object] = {"valid_to": sa.func.now()}
    # one array parameter (= ANY), not one bind parameter per key: a re-import can close
    # thousands of versions
    result = conn.execute(
        sa.update(table)
        .where(table.c[key] == sa.any_(sa.bindparam("close_keys", keys, type_=ARRAY(sa.Text))),
               table.c.valid_to.is_(None))
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


def _current(conn: Connection, table: sa.Table, key: str,
             scope: sa.ColumnElement[bool] | None) -> tuple[dict[str, str], dict[str, str]]:
    """Current hashes of every key, and of the keys within ``scope``, in one query."""
    if scope is None:
        existing = current_hashes(conn, table, key)
        return existing, existing
    query = sa.select(table.c[key], table.c.row_hash, scope.label("in_scope")) \
        .where(table.c.valid_to.is_(None))
    existing, in_scope = {}, {}
    for k, h, inside in conn.execute(query):
        existing[str(k)] = str(h)
        if inside:
            in_scope[str(k)] = str(h)
    return existing, in_scope


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
    n = len(rows)
    uniform = all(row.keys() == rows[0].keys() for row in rows)
    names = list(rows[0].keys()) if n and uniform else sorted({k for row in rows for k in row})
    if n and not all(key in row for row in rows):
        raise KeyError(key)
    # column by column: one list per field, no copy of each record
    values: dict[str, list[Any]] = {k: [row.get(k) for row in rows] for k in names}
    return write_columns(
        conn, table, key, values, n, recorded_by=recorded_by, batch_id=batch_id,
        source=source, close_missing=close_missing, scope=scope, change_note=change_note,
        keep=keep, row_keys=None if uniform else [list(row) for row in rows])


def write_columns(
    conn: Connection,
    table: sa.Table,
    key: str,
    values: dict[str, list[Any]],
    n: int,
    *,
    recorded_by: str,
    batch_id: int | None,
    source: str | None,
    close_missing: bool,
    scope: sa.ColumnElement[bool] | None = None,
    change_note: str | None = None,
    keep: Iterable[str] = (),
    row_keys: Sequence[Sequence[str]] | None = None,
) -> VersionCounts:
    """:func:`write_snapshot` of ``n`` records given column by column ({name: values}, every
    record having every column, ``key`` among them), as an import builds them: no dict per
    record. ``row_keys`` (for records that do not all have the same fields) names the fields
    each record really has, which is what its hash covers. ``values`` is consumed (its
    geometries are replaced by their hex EWKB)."""
    counts = VersionCounts()
    if n and key not in values:
        raise KeyError(key)
    for col in table.columns:
        if isinstance(col.type, Geometry) and col.name not in LIFESPAN and col.name in values:
            values[col.name] = encode_column(values[col.name])
    hashes = column_hashes(values, n) if row_keys is None else [
        row_hash({k: values[k][i] for k in keys}) for i, keys in enumerate(row_keys)]
    existing, in_scope = _current(conn, table, key, scope)
    to_insert: list[int] = []
    to_close: list[str] = []
    seen: set[str] = set()
    for i, (k, h) in enumerate(zip(map(str, values.get(key, [])), hashes, strict=True)):
        seen.add(k)
        old = existing.get(k)
        if old is None:
            counts.inserted.append(k)
        elif old == h:
            counts.unchanged.append(k)
            continue
        else:
            counts.changed.append(k)
            to_close.append(k)
        to_insert.append(i)
    counts.n_scope = len(in_scope)
    if close_missing:
        kept = set(in_scope) & (set(map(str, keep)) - seen)
        counts.kept.extend(sorted(kept))
        vanished = sorted(set(in_scope) - seen - kept)
        counts.closed.extend(vanished)
        to_close.extend(vanished)
    close_versions(conn, table, key, to_close)
    m = len(to_insert)
    everything = m == n
    copied: dict[str, list[Any]] = {}
    for name in _content_columns(table):
        column = values.get(name)
        copied[name] = [None] * m if column is None else column if everything else [
            column[i] for i in to_insert]
    copied["row_hash"] = hashes if everything else [hashes[i] for i in to_insert]
    lifespan = {"recorded_by": recorded_by, "import_batch_id": batch_id, "source": source,
                "change_note": change_note}
    copied.update({name: [v] * m for name, v in lifespan.items()})
    copy_columns(conn, table, copied)
    return counts
