"""partial indexes on closed versions (change detection of incremental analysis)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 21:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("community", "concession", "water_source", "consultation")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_closed", table, ["valid_to"], unique=False,
                        postgresql_where=sa.text("valid_to IS NOT NULL"))


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_closed", table_name=table,
                      postgresql_where=sa.text("valid_to IS NOT NULL"))
