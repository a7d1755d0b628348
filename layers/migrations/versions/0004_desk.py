"""The lawyer's desk: browser sign-in (password hashes, server-side sessions) and the durable
queue of analysis jobs that edits and imports feed.

Revision ID: 0004_desk
Revises: 0003_trust
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0004_desk"
down_revision = "0003_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("password_hash", sa.Text))
    op.create_table(
        "app_session",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("csrf_token", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "analysis_job",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("state", sa.Text, nullable=False, server_default="pending"),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("community_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_run.id")),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_analysis_job_open", "analysis_job", ["id"],
                    postgresql_where=sa.text("state IN ('pending', 'running')"))


def downgrade() -> None:
    op.drop_index("ix_analysis_job_open", table_name="analysis_job")
    op.drop_table("analysis_job")
    op.drop_table("app_session")
    op.drop_column("app_user", "password_hash")
