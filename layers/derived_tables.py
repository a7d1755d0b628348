"""Tables of derived layers: analysis runs, overlaps, flags, raster statistics.

Derived rows are versioned like land records (closed, never deleted) so a flag shown to a
court on a given day can be reproduced later.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from layers.db import metadata

analysis_run = sa.Table(
    "analysis_run", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("mode", sa.Text, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("recorded_by", sa.Text, nullable=False),
    sa.Column("input_versions", JSONB, nullable=False, server_default="{}"),
    sa.Column("communities", sa.Integer, nullable=False, server_default="0"),
    sa.Column("settings", JSONB, nullable=False, server_default="{}"),
    sa.Column("seconds", sa.Float),
)

overlap = sa.Table(
    "overlap", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_run.id"), nullable=False),
    sa.Column("community_id", sa.Text, nullable=False),
    sa.Column("other_kind", sa.Text, nullable=False),
    sa.Column("other_id", sa.Text, nullable=False),
    sa.Column("intersection_ha", sa.Float),
    sa.Column("share", sa.Float),
    sa.Column("estimate", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("details", JSONB, nullable=False, server_default="{}"),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("valid_to", sa.DateTime(timezone=True)),
    sa.Index("ix_overlap_current", "community_id", postgresql_where=sa.text("valid_to IS NULL")),
    # current rows only (0012): closing a row does not insert into it
    sa.Index("ix_overlap_other", "other_kind", "other_id",
             postgresql_where=sa.text("valid_to IS NULL")),
)

flag = sa.Table(
    "flag", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_run.id"), nullable=False),
    sa.Column("community_id", sa.Text, nullable=False),
    sa.Column("rule_id", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False, server_default="0"),
    sa.Column("message_es", sa.Text, nullable=False),
    sa.Column("message_en", sa.Text, nullable=False),
    sa.Column("action_es", sa.Text),
    sa.Column("action_en", sa.Text),
    sa.Column("legal_ref", sa.Text),
    sa.Column("evidence", JSONB, nullable=False, server_default="{}"),
    sa.Column("due_date", sa.Date),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("valid_to", sa.DateTime(timezone=True)),
    sa.Index("ix_flag_current", "community_id", postgresql_where=sa.text("valid_to IS NULL")),
)

community_stat = sa.Table(
    "community_stat", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("analysis_run.id"), nullable=False),
    sa.Column("community_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("stats", JSONB, nullable=False, server_default="{}"),
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("valid_to", sa.DateTime(timezone=True)),
    sa.Index("ix_community_stat_current", "community_id", "kind",
             postgresql_where=sa.text("valid_to IS NULL")),
)
