"""Tables of alert subscriptions and their deliveries (derived records, not layers).

``delivery_alert`` holds one row per (subscription, alert): its primary key is what makes
an alert go out at most once per subscription, whatever happens to the delivery carrying it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from layers.db import metadata

subscription = sa.Table(
    "subscription", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    # a user name (visibility of that user's role and networks) or a bare e-mail address
    # (public visibility)
    sa.Column("subscriber", sa.Text, nullable=False),
    sa.Column("email", sa.Text),
    sa.Column("scope", sa.Text, nullable=False),          # network | community
    sa.Column("scope_id", sa.Text, nullable=False),
    sa.Column("channel", sa.Text, nullable=False),        # email | webhook
    sa.Column("webhook_url", sa.Text),
    sa.Column("secret", sa.Text),
    sa.Column("frequency", sa.Text, nullable=False, server_default="immediate"),
    sa.Column("lang", sa.Text, nullable=False, server_default="es"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
)

delivery = sa.Table(
    "delivery", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscription.id"), nullable=False),
    sa.Column("alert_ids", ARRAY(sa.BigInteger), nullable=False),
    sa.Column("state", sa.Text, nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_delivery_due", "state", "next_attempt_at"),
)

delivery_alert = sa.Table(
    "delivery_alert", metadata,
    sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscription.id"),
              primary_key=True),
    sa.Column("alert_id", sa.BigInteger, sa.ForeignKey("alert.id"), primary_key=True),
    sa.Column("delivery_id", sa.BigInteger, sa.ForeignKey("delivery.id"), nullable=False),
)
