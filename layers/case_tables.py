"""Tables under a case (trámite): its deadlines and its documents (child records, not layers).

Nothing here is ever deleted: migration 0009 adds triggers that refuse ``DELETE`` on every
one of these tables and any ``UPDATE`` of stored bytes or document versions. A deadline
changes only its state (open → done | cancelled, with who, when and a note); a document gets
new versions, the earlier ones stay. File bytes are stored once per SHA-256
(``document_blob``, content-addressed: the same file attached twice is stored once), inside
PostgreSQL so a backup (``allpa db backup``) and a transaction hold metadata and bytes
together.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import BYTEA

from layers.db import metadata

case_deadline = sa.Table(
    "case_deadline", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", sa.Text, nullable=False),
    sa.Column("due", sa.Date, nullable=False),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False, server_default="legal"),
    sa.Column("state", sa.Text, nullable=False, server_default="open"),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("source", sa.Text),
    sa.Column("closed_by", sa.Text),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("close_note", sa.Text),
    sa.CheckConstraint("state IN ('open', 'done', 'cancelled')", name="ck_case_deadline_state"),
    sa.CheckConstraint("(state = 'open') = (closed_at IS NULL)",
                       name="ck_case_deadline_closed_when"),
    sa.Index("ix_case_deadline_case", "case_id"),
    sa.Index("ix_case_deadline_open_due", "due", postgresql_where=sa.text("state = 'open'")),
)

document_blob = sa.Table(
    "document_blob", metadata,
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("content", BYTEA, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="ck_document_blob_sha256"),
    sa.CheckConstraint("size_bytes = octet_length(content)", name="ck_document_blob_size"),
)

case_document = sa.Table(
    "case_document", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("case_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Index("ix_case_document_case", "case_id"),
)

case_document_version = sa.Table(
    "case_document_version", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("document_id", sa.BigInteger, sa.ForeignKey("case_document.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("sha256", sa.Text, sa.ForeignKey("document_blob.sha256"), nullable=False),
    sa.Column("file_name", sa.Text, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("uploaded_by", sa.Text, nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("source", sa.Text),
    sa.UniqueConstraint("document_id", "version", name="uq_case_document_version_document_id"),
)

#: Tables whose rows are never deleted nor updated (case_deadline: never deleted; only its
#: state changes), enforced by triggers of migration 0009.
APPEND_ONLY = ("document_blob", "case_document", "case_document_version")
