"""erp_core: production lots, serials, consumed component lots, inspections, nonconformances,
partner alert limits and quality alerts.

Revision ID: e0005
Revises: e0004
Create Date: 2026-11-26

Hand-written, types spelled out as in e0001 (NUMERIC(18,6) on PostgreSQL, BIGINT
millionths on SQLite; BIGINT row ids on PostgreSQL, the INTEGER rowid alias on
SQLite). Only new tables: downgrading drops them, children first.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0005"
down_revision: str | None = "e0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EXACT_DECIMAL = sa.Numeric(18, 6).with_variant(sa.BigInteger(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

_TABLES_CHILDREN_FIRST = (
    "erp_quality_alert",
    "erp_alert_limit",
    "erp_nonconformance",
    "erp_inspection",
    "erp_lot_consumption",
    "erp_lot_serial",
    "erp_lot",
)


def upgrade() -> None:
    _create_lots()
    _create_inspections()
    _create_nonconformances()
    _create_alerts()


def downgrade() -> None:
    for table in _TABLES_CHILDREN_FIRST:
        op.drop_table(table)


def _create_lots() -> None:
    op.create_table(
        "erp_lot",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(20), nullable=False),
        sa.Column("order_line_id", ROW_ID, nullable=True),
        sa.Column("quantity", EXACT_DECIMAL, nullable=False),
        sa.Column("uom", sa.String(8), nullable=False),
        sa.Column("manufactured_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("bom_revision_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_lot"),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_lot_item_id"),
        sa.ForeignKeyConstraint(["order_line_id"], ["erp_sales_order_line.id"], name="fk_erp_lot_order_line_id"),
        sa.ForeignKeyConstraint(["bom_revision_id"], ["erp_bom_revision.id"], name="fk_erp_lot_bom_revision_id"),
        sa.UniqueConstraint("item_id", "lot_number", name="uq_erp_lot_item_lot_number"),
        sa.UniqueConstraint("id", "item_id", name="uq_erp_lot_id_item"),
        sa.CheckConstraint("quantity > 0", name="ck_erp_lot_quantity"),
        sa.CheckConstraint("status IN ('released', 'quarantined', 'rejected')", name="ck_erp_lot_status"),
        sa.CheckConstraint(
            "expires_on IS NULL OR manufactured_on IS NULL OR expires_on >= manufactured_on", name="ck_erp_lot_expiry"
        ),
    )
    op.create_index("ix_erp_lot_order_line_id", "erp_lot", ["order_line_id"])
    op.create_index("ix_erp_lot_bom_revision_id", "erp_lot", ["bom_revision_id"])
    op.create_index("ix_erp_lot_lot_number", "erp_lot", ["lot_number"])
    op.create_table(
        "erp_lot_serial",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(20), nullable=False),
        sa.Column("lot_id", ROW_ID, nullable=False),
        sa.PrimaryKeyConstraint("item_id", "serial", name="pk_erp_lot_serial"),
        sa.ForeignKeyConstraint(
            ["lot_id", "item_id"], ["erp_lot.id", "erp_lot.item_id"], name="fk_erp_lot_serial_lot", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_erp_lot_serial_lot_id", "erp_lot_serial", ["lot_id"])
    op.create_table(
        "erp_lot_consumption",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("lot_id", ROW_ID, nullable=False),
        sa.Column("component_lot_id", ROW_ID, nullable=False),
        sa.Column("quantity", EXACT_DECIMAL, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_lot_consumption"),
        sa.ForeignKeyConstraint(["lot_id"], ["erp_lot.id"], name="fk_erp_lot_consumption_lot_id"),
        sa.ForeignKeyConstraint(
            ["component_lot_id"], ["erp_lot.id"], name="fk_erp_lot_consumption_component_lot_id"
        ),
        sa.CheckConstraint("quantity > 0", name="ck_erp_lot_consumption_quantity"),
        sa.CheckConstraint("lot_id <> component_lot_id", name="ck_erp_lot_consumption_not_self"),
    )
    op.create_index("ix_erp_lot_consumption_lot_id", "erp_lot_consumption", ["lot_id"])
    op.create_index("ix_erp_lot_consumption_component_lot_id", "erp_lot_consumption", ["component_lot_id"])


def _create_inspections() -> None:
    op.create_table(
        "erp_inspection",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("lot_id", ROW_ID, nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("characteristic", sa.String(80), nullable=False),
        sa.Column("unit", sa.String(16), nullable=True),
        sa.Column("lower_limit", EXACT_DECIMAL, nullable=True),
        sa.Column("upper_limit", EXACT_DECIMAL, nullable=True),
        sa.Column("nominal", EXACT_DECIMAL, nullable=True),
        sa.Column("measured", EXACT_DECIMAL, nullable=True),
        sa.Column("attribute_result", sa.String(80), nullable=True),
        sa.Column("result", sa.String(4), nullable=False),
        sa.Column("inspector", sa.String(64), nullable=False),
        sa.Column("instrument", sa.String(64), nullable=True),
        sa.Column("inspected_at", TIMESTAMP, nullable=False),
        sa.Column("notes", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_inspection"),
        sa.ForeignKeyConstraint(["lot_id"], ["erp_lot.id"], name="fk_erp_inspection_lot_id"),
        sa.CheckConstraint("stage IN ('first_article', 'in_process', 'final')", name="ck_erp_inspection_stage"),
        sa.CheckConstraint("result IN ('pass', 'fail')", name="ck_erp_inspection_result"),
        sa.CheckConstraint(
            "(measured IS NULL) <> (attribute_result IS NULL)", name="ck_erp_inspection_measured_or_attribute"
        ),
        sa.CheckConstraint(
            "lower_limit IS NULL OR upper_limit IS NULL OR lower_limit <= upper_limit", name="ck_erp_inspection_limits"
        ),
    )
    op.create_index("ix_erp_inspection_lot_id", "erp_inspection", ["lot_id"])


def _create_nonconformances() -> None:
    op.create_table(
        "erp_nonconformance",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("lot_id", ROW_ID, nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("disposition", sa.String(12), nullable=True),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_nonconformance"),
        sa.ForeignKeyConstraint(["lot_id"], ["erp_lot.id"], name="fk_erp_nonconformance_lot_id"),
        sa.UniqueConstraint("number", name="uq_erp_nonconformance_number"),
        sa.CheckConstraint("severity IN ('minor', 'major', 'critical')", name="ck_erp_nonconformance_severity"),
        sa.CheckConstraint(
            "disposition IS NULL OR disposition IN ('use_as_is', 'rework', 'scrap', 'return')",
            name="ck_erp_nonconformance_disposition",
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR (disposition IS NOT NULL AND closed_at >= opened_at)",
            name="ck_erp_nonconformance_closed",
        ),
    )
    op.create_index("ix_erp_nonconformance_lot_id", "erp_nonconformance", ["lot_id"])


def _create_alerts() -> None:
    op.create_table(
        "erp_alert_limit",
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("characteristic", sa.String(80), nullable=False),
        sa.Column("lower", EXACT_DECIMAL, nullable=True),
        sa.Column("upper", EXACT_DECIMAL, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "item_id", "characteristic", name="pk_erp_alert_limit"),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["erp_partner.id"], name="fk_erp_alert_limit_partner_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_alert_limit_item_id"),
        sa.CheckConstraint("lower IS NOT NULL OR upper IS NOT NULL", name="ck_erp_alert_limit_some_limit"),
        sa.CheckConstraint("lower IS NULL OR upper IS NULL OR lower <= upper", name="ck_erp_alert_limit_order"),
    )
    op.create_index("ix_erp_alert_limit_item_id", "erp_alert_limit", ["item_id"])
    op.create_table(
        "erp_quality_alert",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("lot_id", ROW_ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("inspection_id", ROW_ID, nullable=True),
        sa.Column("nonconformance_id", ROW_ID, nullable=True),
        sa.Column("message", sa.String(255), nullable=False),
        sa.Column("raised_at", TIMESTAMP, nullable=False),
        sa.Column("sent_message_ref", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_quality_alert"),
        sa.ForeignKeyConstraint(["partner_id"], ["erp_partner.id"], name="fk_erp_quality_alert_partner_id"),
        sa.ForeignKeyConstraint(["lot_id"], ["erp_lot.id"], name="fk_erp_quality_alert_lot_id"),
        sa.ForeignKeyConstraint(["inspection_id"], ["erp_inspection.id"], name="fk_erp_quality_alert_inspection_id"),
        sa.ForeignKeyConstraint(
            ["nonconformance_id"], ["erp_nonconformance.id"], name="fk_erp_quality_alert_nonconformance_id"
        ),
        sa.UniqueConstraint("partner_id", "inspection_id", name="uq_erp_quality_alert_partner_inspection"),
        sa.UniqueConstraint("partner_id", "nonconformance_id", name="uq_erp_quality_alert_partner_nonconformance"),
        sa.CheckConstraint("kind IN ('limit', 'nonconformance')", name="ck_erp_quality_alert_kind"),
        sa.CheckConstraint(
            "(kind = 'limit' AND inspection_id IS NOT NULL AND nonconformance_id IS NULL) OR "
            "(kind = 'nonconformance' AND nonconformance_id IS NOT NULL AND inspection_id IS NULL)",
            name="ck_erp_quality_alert_source",
        ),
    )
    op.create_index("ix_erp_quality_alert_lot_id", "erp_quality_alert", ["lot_id"])
    op.create_index("ix_erp_quality_alert_inspection_id", "erp_quality_alert", ["inspection_id"])
    op.create_index("ix_erp_quality_alert_nonconformance_id", "erp_quality_alert", ["nonconformance_id"])
