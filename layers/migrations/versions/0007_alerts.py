"""Cadastre change sets and the alerts they raise per community.

Revision ID: 0007_alerts
Revises: 0006_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0007_alerts"
down_revision = "0006_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "concession_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("fields", ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("old_vid", sa.BigInteger(), nullable=True),
        sa.Column("new_vid", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"],
                                name=op.f("fk_concession_change_batch_id_import_batch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concession_change")),
    )
    op.create_index("ix_concession_change_batch", "concession_change", ["batch_id"])
    op.create_table(
        "alert",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("community_id", sa.Text(), nullable=False),
        sa.Column("change_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("hectares", sa.Float(), nullable=True),
        sa.Column("share", sa.Float(), nullable=True),
        sa.Column("water_source_ids", ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("consultation_id", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), server_default="nueva", nullable=False),
        sa.Column("state_by", sa.Text(), nullable=True),
        sa.Column("state_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.ForeignKeyConstraint(["change_id"], ["concession_change.id"],
                                name=op.f("fk_alert_change_id_concession_change")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index("ix_alert_community", "alert", ["community_id"])
    op.create_index("ix_alert_change", "alert", ["change_id"])


def downgrade() -> None:
    op.drop_table("alert")
    op.drop_table("concession_change")
