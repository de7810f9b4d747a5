"""ledger: transfer attempts over partner channels, and each channel's circuit-breaker state

Revision ID: g0002
Revises: g0001
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "g0002"
down_revision = "g0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.String(48), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("remote_name", sa.String(255), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
    )
    op.create_index("ix_transfer_attempt_channel", "transfer_attempt", ["channel"])
    op.create_index("ix_transfer_attempt_message_id", "transfer_attempt", ["message_id"])
    op.create_index("ix_transfer_attempt_lookup", "transfer_attempt", ["channel", "direction", "remote_name", "size"])
    op.create_table(
        "channel_state",
        sa.Column("channel", sa.String(48), primary_key=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("open_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error_code", sa.String(40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_state")
    op.drop_table("transfer_attempt")
