"""Visibility by a record's latest version: (id, vid) indexes on the sensitive layers.

Revision ID: 0003_trust
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003_trust"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("community", "water_source")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_id_vid", table, ["id", "vid"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_id_vid", table_name=table)
