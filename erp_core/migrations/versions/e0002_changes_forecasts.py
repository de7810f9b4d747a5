"""erp_core: order revisions, line change history and forecasts.

Revision ID: e0002
Revises: e0001
Create Date: 2026-11-25

Hand-written; types spelled out as in e0001 (NUMERIC(18,6) / BIGINT millionths,
BIGINT / INTEGER row ids, timestamptz / UTC wall time).

The order line gains ``status`` and ``quantity_shipped`` with server defaults, so
existing lines become open and unshipped, and the bulk booking path need not insert
them; the partner gains ``send_po_acks`` (false). All three are plain ``ADD COLUMN``
on both backends, with their CHECK constraints inline: no table is rebuilt (SQLite's
batch mode would copy every order line, and could not render offline ``--sql``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0002"
down_revision: str | None = "e0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EXACT_DECIMAL = sa.Numeric(18, 6).with_variant(sa.BigInteger(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "erp_partner", sa.Column("send_po_acks", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # Column-level CHECKs: the one form of named CHECK constraint that SQLite's ADD COLUMN accepts.
    op.add_column(
        "erp_sales_order_line",
        sa.Column(
            "status",
            sa.String(16),
            sa.CheckConstraint("status IN ('open', 'cancelled')", name="ck_erp_sales_order_line_status"),
            nullable=False,
            server_default="open",
        ),
    )
    op.add_column(
        "erp_sales_order_line",
        sa.Column(
            "quantity_shipped",
            EXACT_DECIMAL,
            sa.CheckConstraint("quantity_shipped >= 0", name="ck_erp_sales_order_line_quantity_shipped"),
            nullable=False,
            server_default=sa.text("0"),
        ),
    )
    _create_revisions()
    _create_forecasts()


def downgrade() -> None:
    for table in ("erp_forecast_bucket", "erp_forecast", "erp_sales_order_line_change", "erp_sales_order_revision"):
        op.drop_table(table)
    # Batch mode: a later migration may have rebuilt the line table on SQLite, turning the
    # column CHECKs into table CHECKs that SQLite's DROP COLUMN refuses to drop around.
    with op.batch_alter_table("erp_sales_order_line") as batch:
        batch.drop_constraint("ck_erp_sales_order_line_quantity_shipped", type_="check")
        batch.drop_constraint("ck_erp_sales_order_line_status", type_="check")
        batch.drop_column("quantity_shipped")
        batch.drop_column("status")
    op.drop_column("erp_partner", "send_po_acks")


def _create_revisions() -> None:
    op.create_table(
        "erp_sales_order_revision",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("order_id", ROW_ID, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("source_ref", sa.String(128), nullable=False),
        sa.Column("change_date", sa.Date(), nullable=True),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        sa.Column("changed_by", sa.String(128), nullable=False),
        sa.Column("summary", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_sales_order_revision"),
        sa.ForeignKeyConstraint(["order_id"], ["erp_sales_order.id"], name="fk_erp_sales_order_revision_order_id"),
        sa.UniqueConstraint("order_id", "revision", name="uq_erp_sales_order_revision_order_revision"),
        sa.UniqueConstraint("order_id", "source_ref", name="uq_erp_sales_order_revision_order_source_ref"),
        sa.CheckConstraint("revision >= 1", name="ck_erp_sales_order_revision_revision"),
        sa.CheckConstraint(
            "kind IN ('booked', 'change', 'cancel', 'replace')", name="ck_erp_sales_order_revision_kind"
        ),
    )
    op.create_table(
        "erp_sales_order_line_change",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("revision_id", ROW_ID, nullable=False),
        sa.Column("line_id", ROW_ID, nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("field", sa.String(32), nullable=True),
        sa.Column("old_value", sa.String(255), nullable=True),
        sa.Column("new_value", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_sales_order_line_change"),
        sa.ForeignKeyConstraint(
            ["revision_id"], ["erp_sales_order_revision.id"], name="fk_erp_sales_order_line_change_revision_id"
        ),
        sa.ForeignKeyConstraint(
            ["line_id"], ["erp_sales_order_line.id"], name="fk_erp_sales_order_line_change_line_id"
        ),
        sa.CheckConstraint(
            "action IN ('add', 'cancel', 'quantity', 'price', 'date', 'uom', 'part', 'description')",
            name="ck_erp_sales_order_line_change_action",
        ),
    )
    op.create_index(
        "ix_erp_sales_order_line_change_revision_id", "erp_sales_order_line_change", ["revision_id"]
    )
    op.create_index("ix_erp_sales_order_line_change_line_id", "erp_sales_order_line_change", ["line_id"])


def _create_forecasts() -> None:
    op.create_table(
        "erp_forecast",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("partner_id", sa.String(32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("ship_to", sa.String(80), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(80), nullable=False),
        sa.Column("uom", sa.String(8), nullable=False),
        sa.Column("horizon_start", sa.Date(), nullable=False),
        sa.Column("horizon_end", sa.Date(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("source_ref", sa.String(128), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("superseded_by", ROW_ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_forecast"),
        sa.ForeignKeyConstraint(["partner_id"], ["erp_partner.id"], name="fk_erp_forecast_partner_id"),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_forecast_item_id"),
        sa.ForeignKeyConstraint(["superseded_by"], ["erp_forecast.id"], name="fk_erp_forecast_superseded_by"),
        sa.CheckConstraint("kind IN ('planning', 'shipping')", name="ck_erp_forecast_kind"),
        sa.CheckConstraint(
            "(status = 'current' AND superseded_by IS NULL) OR (status = 'superseded' AND superseded_by IS NOT NULL)",
            name="ck_erp_forecast_status",
        ),
        sa.CheckConstraint("horizon_end >= horizon_start", name="ck_erp_forecast_horizon"),
    )
    op.create_index("ix_erp_forecast_item_partner_kind", "erp_forecast", ["item_id", "partner_id", "kind"])
    op.create_index("ix_erp_forecast_superseded_by", "erp_forecast", ["superseded_by"])
    op.create_index("ix_erp_forecast_source_ref", "erp_forecast", ["source_ref"])
    op.create_table(
        "erp_forecast_bucket",
        sa.Column("id", ROW_ID, nullable=False),
        sa.Column("forecast_id", ROW_ID, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("interval", sa.String(10), nullable=False),
        sa.Column("commitment", sa.String(8), nullable=False),
        sa.Column("quantity", EXACT_DECIMAL, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_forecast_bucket"),
        sa.ForeignKeyConstraint(
            ["forecast_id"], ["erp_forecast.id"], name="fk_erp_forecast_bucket_forecast_id", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("forecast_id", "period_start", name="uq_erp_forecast_bucket_forecast_start"),
        sa.CheckConstraint("period_end >= period_start", name="ck_erp_forecast_bucket_period"),
        sa.CheckConstraint("quantity >= 0", name="ck_erp_forecast_bucket_quantity"),
        sa.CheckConstraint(
            "interval IN ('daily', 'weekly', 'monthly', 'flexible', 'discrete')", name="ck_erp_forecast_bucket_interval"
        ),
        sa.CheckConstraint("commitment IN ('firm', 'planning')", name="ck_erp_forecast_bucket_commitment"),
    )
