"""documents: the business documents owed to partners per ERP record (outbound_document)

Revision ID: g0005
Revises: g0004
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "g0005"
down_revision = "g0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbound_document",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("erp_table", sa.String(32), nullable=False),
        sa.Column("erp_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("partner_id", "kind", "erp_table", "erp_id", "period", name="uq_outbound_document"),
    )
    op.create_index("ix_outbound_document_erp", "outbound_document", ["erp_table", "erp_id"])
    op.create_index("ix_outbound_document_message_id", "outbound_document", ["message_id"])


def downgrade() -> None:
    op.drop_index("ix_outbound_document_message_id", "outbound_document")
    op.drop_index("ix_outbound_document_erp", "outbound_document")
    op.drop_table("outbound_document")
