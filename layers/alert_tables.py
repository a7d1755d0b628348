"""Tables of cadastre change sets and the alerts they raise (derived records, not layers).

A change row says what one concessions import did to one mining right; an alert ties a
change to a community it touches. Both are written once, inside the import's transaction;
only an alert's state (and who set it, when) is updated afterwards.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from layers.db import metadata

concession_change = sa.Table(
    "concession_change", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batch.id"), nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("fields", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("old_vid", sa.BigInteger),
    sa.Column("new_vid", sa.BigInteger),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Index("ix_concession_change_batch", "batch_id"),
)

alert = sa.Table(
    "alert", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("community_id", sa.Text, nullable=False),
    sa.Column("change_id", sa.BigInteger, sa.ForeignKey("concession_change.id"),
              nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("code", sa.Text, nullable=False),
    sa.Column("hectares", sa.Float),
    sa.Column("share", sa.Float),
    sa.Column("water_source_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("consultation_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False, server_default="nueva"),
    sa.Column("state_by", sa.Text),
    sa.Column("state_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    # the response deadline a rule file gives this kind of change (geo.deadlines): its last
    # day, and what to do, the reference and how it was counted, as they stood when raised
    sa.Column("response_due", sa.Date),
    sa.Column("response", JSONB),
    sa.Index("ix_alert_community", "community_id"),
    sa.Index("ix_alert_change", "change_id"),
    sa.Index("ix_alert_response_due", "response_due",
             postgresql_where=sa.text("response_due IS NOT NULL")),
)

#: /alertas and /api/alerts page newest first
sa.Index("ix_alert_created", alert.c.created_at.desc(), alert.c.id.desc())
