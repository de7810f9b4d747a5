"""erp_core initial schema: partners, items, cross-references, sales orders.

Revision ID: e0001
Revises:
Create Date: 2025-11-25

Hand-written. The types are spelled out here rather than imported from
``erp_core.types`` so that this revision keeps meaning the same DDL when the
application types evolve:
  * money and quantities: NUMERIC(18,6) on PostgreSQL, BIGINT millionths on SQLite
    (see ``erp_core.types.ExactDecimal``);
  * high-volume row ids: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite;
  * timestamps: timestamptz on PostgreSQL, UTC wall time on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EXACT_DECIMAL = sa.Numeric(18, 6).with_variant(sa.BigInteger(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_partners()
    _create_items()
    _create_sales_orders()


def downgrade() -> None:
    for table in (
        "erp_sales_order_line",
        "erp_sales_order_party",
        "erp_sales_order",
        "erp_item_xref",
        "erp_item",
        "erp_partner_x12_id",
        "erp_partner",
    ):
        op.drop_table(table)


def _create_partners() -> None:
    op.create_table(
        "erp_partner",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("gs_id", sa.String(15), nullable=True),
        sa.Column("ack_preference", sa.String(4), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_partner"),
        sa.CheckConstraint("ack_preference IN ('auto', '997', '999')", name="ck_erp_partner_ack_preference"),
    )
    op.create_table(
        "erp_partner_x12_id",
        sa.Column("qualifier", sa.String(2), nullable=False),
        sa.Column("x12_id", sa.String(15), nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("qualifier", "x12_id", name="pk_erp_partner_x12_id"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["erp_partner.id"], name="fk_erp_partner_x12_id_partner_id", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_erp_partner_x12_id_partner_id", "erp_partner_x12_id", ["partner_id"])


def _create_items() -> None:
    op.create_table(
        "erp_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_number", sa.String(48), nullable=False),
        sa.Column("description", sa.String(255), nullable=False),
        sa.Column("gtin", sa.String(14), nullable=True),
        sa.Column("uom", sa.String(8), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_item"),
        sa.UniqueConstraint("item_number", name="uq_erp_item_item_number"),
        sa.UniqueConstraint("gtin", name="uq_erp_item_gtin"),
        sa.CheckConstraint("gtin IS NULL OR length(gtin) = 14", name="ck_erp_item_gtin_length"),
    )
    op.create_table(
        "erp_item_xref",
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("customer_part", sa.String(48), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "customer_part", name="pk_erp_item_xref"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["erp_partner.id"], name="fk_erp_item_xref_partner_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_item_xref_item_id"),
    )
    op.create_index("ix_erp_item_xref_item_id", "erp_item_xref", ["item_id"])


def _create_sales_orders() -> None:
    op.create_table(
        "erp_sales_order",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("po_number", sa.String(35), nullable=False),
        sa.Column("order_date", sa.Date(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source_ref", sa.String(128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_sales_order"),
        sa.ForeignKeyConstraint(["partner_id"], ["erp_partner.id"], name="fk_erp_sales_order_partner_id"),
        sa.UniqueConstraint("partner_id", "po_number", name="uq_erp_sales_order_partner_po"),
        sa.CheckConstraint("revision >= 1", name="ck_erp_sales_order_revision"),
        sa.CheckConstraint(
            "purpose IN ('original', 'replace', 'change', 'cancel', 'confirm')", name="ck_erp_sales_order_purpose"
        ),
        sa.CheckConstraint(
            "status IN ('booked', 'acknowledged', 'cancelled', 'closed')", name="ck_erp_sales_order_status"
        ),
    )
    op.create_index("ix_erp_sales_order_source_ref", "erp_sales_order", ["source_ref"])
    op.create_table(
        "erp_sales_order_party",
        sa.Column("order_id", ROW_ID, nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("name", sa.String(60), nullable=True),
        sa.Column("id_qualifier", sa.String(2), nullable=True),
        sa.Column("id_code", sa.String(80), nullable=True),
        sa.Column("address1", sa.String(55), nullable=True),
        sa.Column("address2", sa.String(55), nullable=True),
        sa.Column("city", sa.String(30), nullable=True),
        sa.Column("state", sa.String(2), nullable=True),
        sa.Column("postal_code", sa.String(15), nullable=True),
        sa.Column("country", sa.String(3), nullable=True),
        sa.PrimaryKeyConstraint("order_id", "role", name="pk_erp_sales_order_party"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["erp_sales_order.id"], name="fk_erp_sales_order_party_order_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint("role IN ('ship_to', 'bill_to')", name="ck_erp_sales_order_party_role"),
    )
    op.create_table(
        "erp_sales_order_line",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("order_id", ROW_ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("buyer_line_ref", sa.String(20), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("buyer_part", sa.String(48), nullable=True),
        sa.Column("vendor_part", sa.String(48), nullable=True),
        sa.Column("gtin", sa.String(14), nullable=True),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("quantity", EXACT_DECIMAL, nullable=False),
        sa.Column("uom", sa.String(8), nullable=False),
        sa.Column("unit_price", EXACT_DECIMAL, nullable=True),
        sa.Column("requested_date", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_sales_order_line"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["erp_sales_order.id"], name="fk_erp_sales_order_line_order_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_sales_order_line_item_id"),
        sa.UniqueConstraint("order_id", "line_no", name="uq_erp_sales_order_line_order_line_no"),
        sa.CheckConstraint("line_no >= 1", name="ck_erp_sales_order_line_line_no"),
        sa.CheckConstraint("quantity >= 0", name="ck_erp_sales_order_line_quantity"),
        sa.CheckConstraint("unit_price IS NULL OR unit_price >= 0", name="ck_erp_sales_order_line_unit_price"),
        sa.CheckConstraint("gtin IS NULL OR length(gtin) = 14", name="ck_erp_sales_order_line_gtin_length"),
    )
    op.create_index("ix_erp_sales_order_line_item_id", "erp_sales_order_line", ["item_id"])
