"""erp_core: shipments with packages and SSCC counters, invoices and credit notes, payments.

Revision ID: e0006
Revises: e0005
Create Date: 2026-11-26

Hand-written, types spelled out as in e0001 (NUMERIC(18,6) / BIGINT millionths,
BIGINT / INTEGER row ids, timestamptz / UTC wall time). The partner gains
``allow_overship`` (false) and ``overship_tolerance_percent`` (null) as plain
``ADD COLUMN``: no table is rebuilt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0006"
down_revision: str | None = "e0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EXACT_DECIMAL = sa.Numeric(18, 6).with_variant(sa.BigInteger(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

_TABLES = (
    "erp_payment_application",
    "erp_payment",
    "erp_invoice_charge",
    "erp_invoice_line",
    "erp_invoice",
    "erp_shipment_line",
    "erp_package",
    "erp_shipment_party",
    "erp_shipment",
    "erp_sscc_counter",
)
_INDEXES = (
    ("ix_erp_payment_application_invoice_id", "erp_payment_application"),
    ("ix_erp_invoice_charge_invoice_id", "erp_invoice_charge"),
    ("ix_erp_invoice_line_order_line_id", "erp_invoice_line"),
    ("ix_erp_invoice_partner_id", "erp_invoice"),
    ("ix_erp_invoice_credit_of", "erp_invoice"),
    ("ix_erp_shipment_line_shipment_id", "erp_shipment_line"),
    ("ix_erp_shipment_line_order_line_id", "erp_shipment_line"),
    ("ix_erp_shipment_line_lot_id", "erp_shipment_line"),
    ("ix_erp_shipment_line_package_id", "erp_shipment_line"),
    ("ix_erp_package_shipment_id", "erp_package"),
    ("ix_erp_package_parent_package_id", "erp_package"),
    ("ix_erp_shipment_partner_id", "erp_shipment"),
)


def upgrade() -> None:
    op.add_column("erp_partner", sa.Column("allow_overship", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("erp_partner", sa.Column("overship_tolerance_percent", EXACT_DECIMAL, nullable=True))
    _create_shipments()
    _create_packages_and_lines()
    _create_invoices()
    _create_payments()
    for name, table in _INDEXES:
        op.create_index(name, table, [_indexed_column(name, table)])


def downgrade() -> None:
    for name, table in _INDEXES:
        op.drop_index(name, table_name=table)
    for table in _TABLES:
        op.drop_table(table)
    op.drop_column("erp_partner", "overship_tolerance_percent")
    op.drop_column("erp_partner", "allow_overship")


def _indexed_column(index_name: str, table: str) -> str:
    """The column an ``ix_<table>_<column>`` index covers (every index here has one column)."""
    return index_name.removeprefix(f"ix_{table}_")


def _party_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    lengths = (
        ("name", 60),
        ("id_qualifier", 2),
        ("id_code", 80),
        ("address1", 55),
        ("address2", 55),
        ("city", 30),
        ("state", 2),
        ("postal_code", 15),
        ("country", 3),
    )
    return [sa.Column(name, sa.String(length), nullable=True) for name, length in lengths]


def _create_shipments() -> None:
    op.create_table(
        "erp_shipment",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("shipment_number", sa.String(30), nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("ship_date", sa.Date(), nullable=False),
        sa.Column("carrier_scac", sa.String(4), nullable=True),
        sa.Column("carrier_name", sa.String(60), nullable=True),
        sa.Column("tracking_number", sa.String(30), nullable=True),
        sa.Column("bill_of_lading", sa.String(30), nullable=True),
        sa.Column("gross_weight", EXACT_DECIMAL, nullable=True),
        sa.Column("weight_uom", sa.String(2), nullable=True),
        sa.Column("package_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("asn_message_ref", sa.String(128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("shipped_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_shipment"),
        sa.ForeignKeyConstraint(["partner_id"], ["erp_partner.id"], name="fk_erp_shipment_partner_id"),
        sa.UniqueConstraint("shipment_number", name="uq_erp_shipment_shipment_number"),
        sa.CheckConstraint("status IN ('draft', 'shipped', 'cancelled')", name="ck_erp_shipment_status"),
        sa.CheckConstraint("package_count >= 0", name="ck_erp_shipment_package_count"),
        sa.CheckConstraint(
            "(gross_weight IS NULL) = (weight_uom IS NULL) AND (gross_weight IS NULL OR gross_weight > 0)",
            name="ck_erp_shipment_weight",
        ),
    )
    op.create_table(
        "erp_shipment_party",
        sa.Column("shipment_id", ROW_ID, nullable=False),
        sa.Column("role", sa.String(9), nullable=False),
        *_party_columns(),
        sa.PrimaryKeyConstraint("shipment_id", "role", name="pk_erp_shipment_party"),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["erp_shipment.id"], name="fk_erp_shipment_party_shipment_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint("role IN ('ship_to', 'ship_from')", name="ck_erp_shipment_party_role"),
    )
    op.create_table(
        "erp_sscc_counter",
        sa.Column("company_prefix", sa.String(12), nullable=False),
        sa.Column("extension_digit", sa.Integer(), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("company_prefix", "extension_digit", name="pk_erp_sscc_counter"),
        sa.CheckConstraint("extension_digit BETWEEN 0 AND 9", name="ck_erp_sscc_counter_extension_digit"),
        sa.CheckConstraint("last_serial >= 0", name="ck_erp_sscc_counter_last_serial"),
    )


def _create_packages_and_lines() -> None:
    op.create_table(
        "erp_package",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("shipment_id", ROW_ID, nullable=False),
        sa.Column("parent_package_id", ROW_ID, nullable=True),
        sa.Column("level", sa.String(6), nullable=False),
        sa.Column("sscc", sa.String(18), nullable=False),
        sa.Column("weight", EXACT_DECIMAL, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_package"),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["erp_shipment.id"], name="fk_erp_package_shipment_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["parent_package_id"], ["erp_package.id"], name="fk_erp_package_parent_package_id", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("sscc", name="uq_erp_package_sscc"),
        sa.CheckConstraint("level IN ('pallet', 'carton')", name="ck_erp_package_level"),
        sa.CheckConstraint("length(sscc) = 18", name="ck_erp_package_sscc_length"),
        sa.CheckConstraint("parent_package_id IS NULL OR level = 'carton'", name="ck_erp_package_parent_level"),
        sa.CheckConstraint("weight IS NULL OR weight > 0", name="ck_erp_package_weight"),
    )
    op.create_table(
        "erp_shipment_line",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("shipment_id", ROW_ID, nullable=False),
        sa.Column("package_id", ROW_ID, nullable=True),
        sa.Column("order_line_id", ROW_ID, nullable=False),
        sa.Column("lot_id", ROW_ID, nullable=True),
        sa.Column("quantity", EXACT_DECIMAL, nullable=False),
        sa.Column("serials", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_shipment_line"),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["erp_shipment.id"], name="fk_erp_shipment_line_shipment_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["package_id"], ["erp_package.id"], name="fk_erp_shipment_line_package_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["erp_sales_order_line.id"], name="fk_erp_shipment_line_order_line_id"
        ),
        sa.ForeignKeyConstraint(["lot_id"], ["erp_lot.id"], name="fk_erp_shipment_line_lot_id"),
        sa.CheckConstraint("quantity > 0", name="ck_erp_shipment_line_quantity"),
    )


def _create_invoices() -> None:
    op.create_table(
        "erp_invoice",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("invoice_number", sa.String(22), nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(11), nullable=False),
        sa.Column("shipment_id", ROW_ID, nullable=True),
        sa.Column("credit_of", ROW_ID, nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("terms_net_days", sa.Integer(), nullable=True),
        sa.Column("terms_discount_percent", EXACT_DECIMAL, nullable=True),
        sa.Column("terms_discount_days", sa.Integer(), nullable=True),
        sa.Column("subtotal", EXACT_DECIMAL, nullable=False),
        sa.Column("charges_total", EXACT_DECIMAL, nullable=False),
        sa.Column("tax_total", EXACT_DECIMAL, nullable=False),
        sa.Column("total", EXACT_DECIMAL, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.String(255), nullable=True),
        sa.Column("message_ref", sa.String(128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_invoice"),
        sa.ForeignKeyConstraint(["partner_id"], ["erp_partner.id"], name="fk_erp_invoice_partner_id"),
        sa.ForeignKeyConstraint(["shipment_id"], ["erp_shipment.id"], name="fk_erp_invoice_shipment_id"),
        sa.ForeignKeyConstraint(["credit_of"], ["erp_invoice.id"], name="fk_erp_invoice_credit_of"),
        sa.UniqueConstraint("invoice_number", name="uq_erp_invoice_invoice_number"),
        sa.UniqueConstraint("shipment_id", name="uq_erp_invoice_shipment_id"),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="ck_erp_invoice_kind_values"),
        sa.CheckConstraint(
            "(kind = 'invoice' AND shipment_id IS NOT NULL AND credit_of IS NULL)"
            " OR (kind = 'credit_note' AND shipment_id IS NULL AND credit_of IS NOT NULL)",
            name="ck_erp_invoice_kind",
        ),
        sa.CheckConstraint("status IN ('open', 'paid', 'short_paid', 'cancelled')", name="ck_erp_invoice_status"),
        sa.CheckConstraint(
            "(terms_discount_percent IS NULL) = (terms_discount_days IS NULL)", name="ck_erp_invoice_terms_discount"
        ),
        sa.CheckConstraint("subtotal >= 0 AND tax_total >= 0 AND total >= 0", name="ck_erp_invoice_amounts"),
    )
    op.create_table(
        "erp_invoice_line",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("invoice_id", ROW_ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("order_line_id", ROW_ID, nullable=False),
        sa.Column("quantity", EXACT_DECIMAL, nullable=False),
        sa.Column("unit_price", EXACT_DECIMAL, nullable=False),
        sa.Column("amount", EXACT_DECIMAL, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_invoice_line"),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["erp_invoice.id"], name="fk_erp_invoice_line_invoice_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["erp_sales_order_line.id"], name="fk_erp_invoice_line_order_line_id"
        ),
        sa.UniqueConstraint("invoice_id", "line_no", name="uq_erp_invoice_line_invoice_line_no"),
        sa.CheckConstraint("line_no >= 1", name="ck_erp_invoice_line_line_no"),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0 AND amount >= 0", name="ck_erp_invoice_line_amounts"),
    )
    op.create_table(
        "erp_invoice_charge",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("invoice_id", ROW_ID, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("description", sa.String(80), nullable=False),
        sa.Column("amount", EXACT_DECIMAL, nullable=False),
        sa.Column("rate", EXACT_DECIMAL, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_invoice_charge"),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["erp_invoice.id"], name="fk_erp_invoice_charge_invoice_id", ondelete="CASCADE"
        ),
        sa.CheckConstraint("kind IN ('tax', 'freight', 'handling', 'discount')", name="ck_erp_invoice_charge_kind"),
        sa.CheckConstraint("amount >= 0 AND (rate IS NULL OR rate >= 0)", name="ck_erp_invoice_charge_amounts"),
    )


def _create_payments() -> None:
    op.create_table(
        "erp_payment",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("trace_number", sa.String(50), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("amount", EXACT_DECIMAL, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("method", sa.String(3), nullable=True),
        sa.Column("message_ref", sa.String(128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_payment"),
        sa.ForeignKeyConstraint(["partner_id"], ["erp_partner.id"], name="fk_erp_payment_partner_id"),
        sa.UniqueConstraint("partner_id", "trace_number", name="uq_erp_payment_partner_trace"),
        sa.CheckConstraint("amount >= 0", name="ck_erp_payment_amount"),
    )
    op.create_table(
        "erp_payment_application",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("payment_id", ROW_ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("invoice_id", ROW_ID, nullable=True),
        sa.Column("invoice_number", sa.String(50), nullable=False),
        sa.Column("amount_paid", EXACT_DECIMAL, nullable=False),
        sa.Column("discount_taken", EXACT_DECIMAL, nullable=False, server_default=sa.text("0")),
        sa.Column("adjustment_amount", EXACT_DECIMAL, nullable=True),
        sa.Column("adjustment_reason", sa.String(2), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_payment_application"),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["erp_payment.id"], name="fk_erp_payment_application_payment_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["erp_invoice.id"], name="fk_erp_payment_application_invoice_id"),
        sa.UniqueConstraint("payment_id", "line_no", name="uq_erp_payment_application_payment_line_no"),
        sa.CheckConstraint(
            "status IN ('matched', 'short_paid', 'unmatched')", name="ck_erp_payment_application_status"
        ),
        sa.CheckConstraint("(status = 'unmatched') = (invoice_id IS NULL)", name="ck_erp_payment_application_match"),
        sa.CheckConstraint("discount_taken >= 0", name="ck_erp_payment_application_discount"),
    )
