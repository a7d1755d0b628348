"""Programmes and their targets (indicator, target, period, scope): data, not code.

Both tables are versioned like land records (``layers.db.lifespan_columns``): an admin's
edit or a re-import closes the old row and inserts a new one, so the target a donor report
was measured against can always be read back. Imports are atomic: every row is validated
(``geo.programme.parse_targets``) before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.programme import Target, read_targets_csv
from layers.db import as_of_clause, closed_index, current_key_index, lifespan_columns, metadata
from layers.versioning import write_snapshot

programme = sa.Table(
    "programme", metadata,
    *lifespan_columns(),
    sa.Column("id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("donor", sa.Text),
    current_key_index("programme", "id"),
    closed_index("programme"),
)

programme_target = sa.Table(
    "programme_target", metadata,
    *lifespan_columns(),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("programme_id", sa.Text, nullable=False),
    sa.Column("indicator", sa.Text, nullable=False),
    sa.Column("target", sa.Float, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("scope_kind", sa.Text, nullable=False, server_default="all"),
    sa.Column("scope_value", sa.Text, nullable=False, server_default=""),
    current_key_index("programme_target", "key"),
    closed_index("programme_target"),
)

AsOf = dt.date | dt.datetime | None


def store_targets(conn: Connection, targets: Sequence[Target], *, recorded_by: str,
                  source: str | None, change_note: str | None = None) -> dict[str, int]:
    """Write validated targets (and their programmes) as new versions, in the caller's
    transaction. Targets absent from ``targets`` are left alone (a partial update)."""
    progs: dict[str, dict[str, Any]] = {}
    current = {r.id: r for r in conn.execute(
        sa.select(programme.c.id, programme.c.name, programme.c.donor)
        .where(programme.c.valid_to.is_(None)))}
    for t in targets:
        old = current.get(t.programme)
        name = t.programme_name or (old.name if old else t.programme)
        donor = t.donor or (old.donor if old else None)
        progs[t.programme] = {"id": t.programme, "name": name, "donor": donor}
    write_snapshot(conn, programme, "id", list(progs.values()), recorded_by=recorded_by,
                   batch_id=None, source=source, close_missing=False, change_note=change_note)
    rows = [{"key": t.key, "programme_id": t.programme, "indicator": t.indicator,
             "target": float(t.target), "period_start": t.period_start,
             "period_end": t.period_end, "scope_kind": t.scope_kind,
             "scope_value": t.scope_value} for t in targets]
    counts = write_snapshot(conn, programme_target, "key", rows, recorded_by=recorded_by,
                            batch_id=None, source=source, close_missing=False,
                            change_note=change_note)
    return counts.as_dict()


def import_targets_csv(conn: Connection, text: str, *, recorded_by: str, source: str
                       ) -> dict[str, int]:
    """Validate the whole CSV, then store it: a bad row stores nothing."""
    from layers.indicators import INDICATOR_IDS

    return store_targets(conn, read_targets_csv(text, INDICATOR_IDS),
                         recorded_by=recorded_by, source=source)


def programmes(conn: Connection, *, as_of: AsOf = None) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(programme.c.id, programme.c.name, programme.c.donor,
                                  programme.c.vid)
                        .where(as_of_clause(programme, as_of)).order_by(programme.c.id))
    return [dict(r._mapping) for r in rows]


def targets(conn: Connection, programme_id: str | None = None, *, as_of: AsOf = None
            ) -> list[dict[str, Any]]:
    """Targets valid (as records) at ``as_of``, of one programme or all."""
    t = programme_target
    query = sa.select(t.c.key, t.c.vid, t.c.programme_id, t.c.indicator, t.c.target,
                      t.c.period_start, t.c.period_end, t.c.scope_kind, t.c.scope_value,
                      t.c.recorded_by, t.c.valid_from).where(as_of_clause(t, as_of))
    if programme_id is not None:
        query = query.where(t.c.programme_id == programme_id)
    query = query.order_by(t.c.programme_id, t.c.indicator, t.c.scope_kind, t.c.scope_value,
                           t.c.period_start)
    return [dict(r._mapping) for r in conn.execute(query)]


def pick_target(rows: Sequence[dict[str, Any]], indicator: str, scope: tuple[str, str],
                day: dt.date) -> dict[str, Any] | None:
    """The target of ``indicator`` for ``scope`` whose period holds ``day``; else the latest
    one that started before it (a finished period), else None."""
    mine = [r for r in rows if r["indicator"] == indicator
            and (r["scope_kind"], r["scope_value"]) == scope]
    inside = [r for r in mine if r["period_start"] <= day <= r["period_end"]]
    if inside:
        return max(inside, key=lambda r: r["period_start"])
    before = [r for r in mine if r["period_start"] <= day]
    return max(before, key=lambda r: r["period_start"]) if before else None
