"""Case files: several deadlines per case, versioned documents (bytes stored once per
SHA-256), the intake record and the alerts a case answers.

The single ``deadline``/``deadline_what`` of every version of every case become rows of
``case_deadline`` before the columns are dropped, so no history is lost: the deadline of
the current version stays open; one that a later version replaced or removed is stored as
cancelled by whoever recorded that version, when they did.

Revision ID: 0009_casefiles
Revises: 0008_delivery
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA

revision = "0009_casefiles"
down_revision = "0008_delivery"
branch_labels = None
depends_on = None

_SOURCE = "migración 0009 (plazo único del trámite)"
_APPEND_ONLY = ("document_blob", "case_document", "case_document_version", "case_deadline")


def _tables() -> None:
    op.create_table(
        "case_deadline",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="legal", nullable=False),
        sa.Column("state", sa.Text(), server_default="open", nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('open', 'done', 'cancelled')",
                           name="ck_case_deadline_state"),
        sa.CheckConstraint("(state = 'open') = (closed_at IS NULL)",
                           name="ck_case_deadline_closed_when"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_deadline")),
    )
    op.create_index("ix_case_deadline_case", "case_deadline", ["case_id"])
    op.create_index("ix_case_deadline_open_due", "case_deadline", ["due"],
                    postgresql_where=sa.text("state = 'open'"))
    op.create_table(
        "document_blob",
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("content", BYTEA(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="ck_document_blob_sha256"),
        sa.CheckConstraint("size_bytes = octet_length(content)", name="ck_document_blob_size"),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document_blob")),
    )
    op.create_table(
        "case_document",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_document")),
    )
    op.create_index("ix_case_document_case", "case_document", ["case_id"])
    op.create_table(
        "case_document_version",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("document_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("uploaded_by", sa.Text(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["case_document.id"],
                                name=op.f("fk_case_document_version_document_id_case_document")),
        sa.ForeignKeyConstraint(["sha256"], ["document_blob.sha256"],
                                name=op.f("fk_case_document_version_sha256_document_blob")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_document_version")),
        sa.UniqueConstraint("document_id", "version",
                            name="uq_case_document_version_document_id"),
    )


def _never_deleted() -> None:
    """Rows are never deleted; stored files and their versions are never changed either (a
    deadline changes only its state, by the application)."""
    op.execute("""
        CREATE FUNCTION allpa_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'allpa: % de %.% no permitido: el historial no se borra '
                          '(history is never deleted)', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
        END $$""")
    for table in _APPEND_ONLY:
        ops = "DELETE" if table == "case_deadline" else "UPDATE OR DELETE"
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE {ops} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION allpa_refuse_change()")


def _move_deadlines() -> None:
    """Every version's single deadline becomes a case_deadline row (history kept)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT id, vid, valid_from, valid_to, recorded_by, source, deadline, deadline_what "
        "FROM legal_case ORDER BY id, vid")).mappings().all()
    by_case: dict[str, list[Any]] = {}
    for r in rows:
        by_case.setdefault(r["id"], []).append(r)
    out: list[dict[str, Any]] = []
    for case_id, versions in by_case.items():
        run: dict[str, Any] | None = None
        for v in versions:
            key = (v["deadline"], v["deadline_what"])
            if run is not None and run["key"] != key:
                out.append({**run["row"], "state": "cancelled", "closed_by": v["recorded_by"],
                            "closed_at": v["valid_from"],
                            "close_note": "reemplazado en una versión posterior del trámite"})
                run = None
            if run is None and v["deadline"] is not None:
                run = {"key": key, "row": {
                    "case_id": case_id, "due": v["deadline"],
                    "what": v["deadline_what"] or "Plazo del trámite",
                    "created_by": v["recorded_by"], "created_at": v["valid_from"],
                    "source": _SOURCE}}
            last = v
        if run is not None:
            if last["valid_to"] is None:
                out.append({**run["row"], "state": "open", "closed_by": None,
                            "closed_at": None, "close_note": None})
            else:
                out.append({**run["row"], "state": "cancelled", "closed_by": "migración 0009",
                            "closed_at": last["valid_to"], "close_note": "trámite cerrado"})
    if out:
        conn.execute(sa.text(
            "INSERT INTO case_deadline (case_id, due, what, kind, state, created_by, "
            "created_at, source, closed_by, closed_at, close_note) VALUES (:case_id, :due, "
            ":what, 'legal', :state, :created_by, :created_at, :source, :closed_by, "
            ":closed_at, :close_note)"), out)


def upgrade() -> None:
    _tables()
    _never_deleted()
    _move_deadlines()
    op.drop_column("legal_case", "deadline")
    op.drop_column("legal_case", "deadline_what")
    op.add_column("legal_case", sa.Column("intake_role", sa.Text(), nullable=True))
    op.add_column("legal_case", sa.Column("intake_contact", sa.Text(), nullable=True))
    op.add_column("legal_case", sa.Column("intake_date", sa.Date(), nullable=True))
    op.add_column("legal_case", sa.Column("intake_channel", sa.Text(), nullable=True))
    op.add_column("legal_case", sa.Column("alert_ids", ARRAY(sa.Text()), server_default="{}",
                                          nullable=False))


def downgrade() -> None:
    for name in ("alert_ids", "intake_channel", "intake_date", "intake_contact",
                 "intake_role"):
        op.drop_column("legal_case", name)
    # the earliest open deadline goes back to the case's current version
    op.add_column("legal_case", sa.Column("deadline", sa.Date(), nullable=True))
    op.add_column("legal_case", sa.Column("deadline_what", sa.Text(), nullable=True))
    op.execute("""
        UPDATE legal_case c SET deadline = d.due, deadline_what = d.what
        FROM (SELECT DISTINCT ON (case_id) case_id, due, what FROM case_deadline
              WHERE state = 'open' ORDER BY case_id, due) d
        WHERE c.id = d.case_id AND c.valid_to IS NULL""")
    for table in _APPEND_ONLY:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION allpa_refuse_change()")
    op.drop_table("case_document_version")
    op.drop_table("case_document")
    op.drop_table("document_blob")
    op.drop_index("ix_case_deadline_open_due", table_name="case_deadline",
                  postgresql_where=sa.text("state = 'open'"))
    op.drop_index("ix_case_deadline_case", table_name="case_deadline")
    op.drop_table("case_deadline")
