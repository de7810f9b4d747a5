"""as2: AS2 transfers (received messages, send attempts, MDNs) and stored Message-IDs

Revision ID: g0003
Revises: g0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "g0003"
down_revision = "g0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "as2_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("partner_id", sa.String(64), nullable=True),
        sa.Column("as2_from", sa.String(128), nullable=False),
        sa.Column("as2_to", sa.String(128), nullable=False),
        sa.Column("as2_message_id", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("mic", sa.String(128), nullable=True),
        sa.Column("mic_digest", sa.String(16), nullable=True),
        sa.Column("mdn_mode", sa.String(8), nullable=False),
        sa.Column("mdn_disposition", sa.String(255), nullable=True),
        sa.Column("mdn_archive_path", sa.String(255), nullable=True),
        sa.Column("mdn_status", sa.String(16), nullable=True),
        sa.Column("mdn_url", sa.String(512), nullable=True),
        sa.Column("mdn_attempts", sa.Integer(), nullable=False),
        sa.Column("mdn_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_as2_message_message_id", "as2_message", ["message_id"])
    op.create_index("ix_as2_message_as2_message_id", "as2_message", ["as2_message_id"])
    op.create_table(
        "as2_received_id",
        sa.Column("as2_from", sa.String(128), primary_key=True),
        sa.Column("as2_message_id", sa.String(255), primary_key=True),
        sa.Column("as2_row_id", sa.Integer(), sa.ForeignKey("as2_message.id"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("as2_received_id")
    op.drop_index("ix_as2_message_as2_message_id", "as2_message")
    op.drop_index("ix_as2_message_message_id", "as2_message")
    op.drop_table("as2_message")
