"""erp_core: identifiers that name a partner inside XML documents (cXML credentials, UBL endpoint ids).

Revision ID: e0004
Revises: e0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0004"
down_revision: str | None = "e0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erp_partner_doc_id",
        sa.Column("scheme", sa.String(40), nullable=False),
        sa.Column("value", sa.String(80), nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["erp_partner.id"], name="fk_erp_partner_doc_id_partner_id",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("scheme", "value", name="pk_erp_partner_doc_id"),
    )
    op.create_index("ix_erp_partner_doc_id_partner_id", "erp_partner_doc_id", ["partner_id"])


def downgrade() -> None:
    op.drop_index("ix_erp_partner_doc_id_partner_id", table_name="erp_partner_doc_id")
    op.drop_table("erp_partner_doc_id")
