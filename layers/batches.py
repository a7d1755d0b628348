"""Import batches: the provenance of every stored version (file, SHA-256, CRS, counts, who)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection

from layers.db import metadata

import_batch = sa.Table(
    "import_batch", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("layer", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("source_note", sa.Text),
    sa.Column("profile", sa.Text),
    sa.Column("driver", sa.Text),
    sa.Column("crs_declared", sa.Text),
    sa.Column("crs_used", sa.Text),
    sa.Column("n_read", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_stored", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_closed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_repaired", sa.Integer, nullable=False, server_default="0"),
    sa.Column("n_rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("report", JSONB, nullable=False, server_default="{}"),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Index("ix_import_batch_layer_sha", "layer", "sha256"),
)


def create_batch(conn: Connection, **values: Any) -> int:
    row = conn.execute(sa.insert(import_batch).values(**values).returning(import_batch.c.id))
    return int(row.scalar_one())


def update_batch(conn: Connection, batch_id: int, **values: Any) -> None:
    conn.execute(sa.update(import_batch).where(import_batch.c.id == batch_id).values(**values))


def find_identical(conn: Connection, layer: str, sha256: str, options: dict[str, Any]
                   ) -> int | None:
    """The latest batch of this layer and source, if it stored exactly this file with exactly
    these options (CRS, profile, mapping, encoding, source layer...).

    Only the latest import of the source counts: after another file of the same source (or
    the same file with other options, e.g. a corrected CRS) re-importing an older file is a
    real change, not a repetition.
    """
    b = import_batch
    row = conn.execute(
        sa.select(b.c.id, b.c.sha256, b.c.report["options"])
        .where(b.c.layer == layer,
               b.c.report["options"]["source"].astext == str(options.get("source")))
        .order_by(b.c.id.desc()).limit(1)
    ).first()
    if row is None or row[1] != sha256 or row[2] != options:
        return None
    return int(row[0])


def get_batch(conn: Connection, batch_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(import_batch).where(import_batch.c.id == batch_id)).mappings()
    first = row.first()
    return dict(first) if first else None


def list_batches(conn: Connection, layer: str | None = None, limit: int = 50
                 ) -> list[dict[str, Any]]:
    query = sa.select(import_batch).order_by(import_batch.c.id.desc()).limit(limit)
    if layer:
        query = query.where(import_batch.c.layer == layer)
    return [dict(r) for r in conn.execute(query).mappings()]
