"""Programmes and their targets (versioned like land records).

Revision ID: 0005_programme
Revises: 0004_desk
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_programme"
down_revision = "0004_desk"
branch_labels = None
depends_on = None


def _lifespan(table: str) -> list[sa.Column[object]]:
    return [
        sa.Column("vid", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("change_note", sa.Text(), nullable=True),
        sa.Column("row_hash", sa.Text(), nullable=False),
    ]


def _indexes(table: str, key: str) -> None:
    op.create_index(f"uq_{table}_current_{key}", table, [key], unique=True,
                    postgresql_where=sa.text("valid_to IS NULL"))
    op.create_index(f"ix_{table}_closed", table, ["valid_to"], unique=False,
                    postgresql_where=sa.text("valid_to IS NOT NULL"))


def upgrade() -> None:
    op.create_table(
        "programme", *_lifespan("programme"),
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("donor", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["import_batch_id"], ["import_batch.id"],
                                name=op.f("fk_programme_import_batch_id_import_batch")),
        sa.PrimaryKeyConstraint("vid", name=op.f("pk_programme")),
    )
    _indexes("programme", "id")
    op.create_table(
        "programme_target", *_lifespan("programme_target"),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("programme_id", sa.Text(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("scope_kind", sa.Text(), server_default="all", nullable=False),
        sa.Column("scope_value", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["import_batch_id"], ["import_batch.id"],
                                name=op.f("fk_programme_target_import_batch_id_import_batch")),
        sa.PrimaryKeyConstraint("vid", name=op.f("pk_programme_target")),
    )
    _indexes("programme_target", "key")


def downgrade() -> None:
    op.drop_table("programme_target")
    op.drop_table("programme")
