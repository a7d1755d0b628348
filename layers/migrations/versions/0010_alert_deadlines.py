"""Response deadlines of cadastre alerts (rule data, computed when the alert is raised).

Revision ID: 0010_alert_deadlines
Revises: 0009_casefiles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010_alert_deadlines"
down_revision = "0009_casefiles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alert", sa.Column("response_due", sa.Date(), nullable=True))
    op.add_column("alert", sa.Column("response", JSONB(), nullable=True))
    op.create_index("ix_alert_response_due", "alert", ["response_due"],
                    postgresql_where=sa.text("response_due IS NOT NULL"))
    op.create_index("ix_alert_created", "alert", [sa.text("created_at DESC"),
                                                  sa.text("id DESC")])


def downgrade() -> None:
    op.drop_index("ix_alert_created", table_name="alert")
    op.drop_index("ix_alert_response_due", table_name="alert")
    op.drop_column("alert", "response")
    op.drop_column("alert", "response_due")
