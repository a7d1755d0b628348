"""Alert subscriptions and their deliveries (e-mail digests, signed webhooks).

Revision ID: 0008_delivery
Revises: 0007_alerts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = "0008_delivery"
down_revision = "0007_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("subscriber", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("scope_id", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("frequency", sa.Text(), server_default="immediate", nullable=False),
        sa.Column("lang", sa.Text(), server_default="es", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("alert_ids", ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("state", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"],
                                name=op.f("fk_delivery_subscription_id_subscription")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    op.create_index("ix_delivery_due", "delivery", ["state", "next_attempt_at"])
    op.create_table(
        "delivery_alert",
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscription.id"],
                                name=op.f("fk_delivery_alert_subscription_id_subscription")),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"],
                                name=op.f("fk_delivery_alert_alert_id_alert")),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"],
                                name=op.f("fk_delivery_alert_delivery_id_delivery")),
        sa.PrimaryKeyConstraint("subscription_id", "alert_id", name=op.f("pk_delivery_alert")),
    )


def downgrade() -> None:
    op.drop_table("delivery_alert")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
    op.drop_table("subscription")
