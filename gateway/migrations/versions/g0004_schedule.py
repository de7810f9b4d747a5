"""schedule: scheduler lease and job state, functional-ack receipts, outbound sets found by GS06

Revision ID: g0004
Revises: g0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "g0004"
down_revision = "g0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(96), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scheduler_job",
        sa.Column("name", sa.String(48), primary_key=True),
        sa.Column("job", sa.String(24), nullable=False),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_result", sa.String(8), nullable=True),
        sa.Column("last_detail", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.String(40), nullable=True),
        sa.Column("last_holder", sa.String(96), nullable=True),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
    )
    op.create_table(
        "fa_receipt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("interchange_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("ack_kind", sa.String(3), nullable=False),
        sa.Column("ack_st02", sa.String(16), nullable=False),
        sa.Column("functional_id", sa.String(2), nullable=False),
        sa.Column("group_control", sa.String(16), nullable=False),
        sa.Column("set_id", sa.String(8), nullable=True),
        sa.Column("set_control", sa.String(16), nullable=True),
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("group_code", sa.String(2), nullable=True),
        sa.Column("error_codes", sa.String(64), nullable=True),
        sa.Column("outbound_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_fa_receipt_interchange_id", "fa_receipt", ["interchange_id"])
    op.create_index("ix_fa_receipt_outbound_id", "fa_receipt", ["outbound_id"])
    op.create_index("ix_message_partner_gs06", "message", ["partner_id", "gs06"])


def downgrade() -> None:
    op.drop_index("ix_message_partner_gs06", "message")
    op.drop_index("ix_fa_receipt_outbound_id", "fa_receipt")
    op.drop_index("ix_fa_receipt_interchange_id", "fa_receipt")
    op.drop_table("fa_receipt")
    op.drop_table("scheduler_job")
    op.drop_table("scheduler_lease")
