"""Analysis speed (issue 16 part 5): ``ix_overlap_other`` indexes current overlaps only.

The reverse lookup (which communities overlap concession X) is a question about current
rows; indexing every closed version made each full run pay an index entry twice per
overlap (the COPY'd row and the closed version the UPDATE writes), in a btree that grew
with the history. Partial on ``valid_to IS NULL`` like ``ix_overlap_current``: closing a
row no longer inserts into it, and it stays the size of one run.

Revision ID: 0012_analysis_speed
Revises: 0011_actors_conflicts
Create Date: 2026-11-28 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_analysis_speed'
down_revision: str | None = '0011_actors_conflicts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_overlap_other", table_name="overlap")
    op.create_index("ix_overlap_other", "overlap", ["other_kind", "other_id"], unique=False,
                    postgresql_where=sa.text("valid_to IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_overlap_other", table_name="overlap")
    op.create_index("ix_overlap_other", "overlap", ["other_kind", "other_id"], unique=False)
