"""erp_core: BOM revisions, inventory, work-centre capacity and the order line's BOM link.

Revision ID: e0003
Revises: e0002
Create Date: 2026-11-25

Hand-written, types spelled out as in e0001 (NUMERIC(18,6) on PostgreSQL, BIGINT
millionths on SQLite). Downgrading drops the order line's new column with
``batch_alter_table``: SQLite cannot drop a column that carries a foreign key, so
there the table is rebuilt; PostgreSQL gets plain ALTERs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e0003"
down_revision: str | None = "e0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXACT_DECIMAL = sa.Numeric(18, 6).with_variant(sa.BigInteger(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_boms()
    _create_stock_and_capacity()
    _link_order_lines_to_boms()


def downgrade() -> None:
    op.drop_index("ix_erp_sales_order_line_bom_revision_id", table_name="erp_sales_order_line")
    if op.get_context().dialect.name != "sqlite":  # SQLite's rebuild below drops the column's inline key
        op.drop_constraint("fk_erp_sales_order_line_bom_revision_id", "erp_sales_order_line", type_="foreignkey")
    with op.batch_alter_table("erp_sales_order_line") as batch:
        batch.drop_column("bom_revision_id")
    for table in ("erp_item_routing", "erp_work_centre", "erp_inventory", "erp_bom_component", "erp_bom_revision"):
        op.drop_table(table)


def _link_order_lines_to_boms() -> None:
    """Add ``erp_sales_order_line.bom_revision_id`` with its named foreign key and index.

    SQLite can add a column with an inline, named REFERENCES clause but no separate
    constraint; Alembic's batch mode would rebuild the (large) table instead and
    cannot render offline (``--sql``) DDL for SQLite. The statement is constant.
    """
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            sa.text(
                "ALTER TABLE erp_sales_order_line ADD COLUMN bom_revision_id INTEGER "
                "CONSTRAINT fk_erp_sales_order_line_bom_revision_id REFERENCES erp_bom_revision (id)"
            )
        )
    else:
        op.add_column("erp_sales_order_line", sa.Column("bom_revision_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_erp_sales_order_line_bom_revision_id",
            "erp_sales_order_line",
            "erp_bom_revision",
            ["bom_revision_id"],
            ["id"],
        )
    op.create_index("ix_erp_sales_order_line_bom_revision_id", "erp_sales_order_line", ["bom_revision_id"])


def _create_boms() -> None:
    op.create_table(
        "erp_bom_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.String(16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("description", sa.String(255), nullable=True),
        sa.Column("source_ref", sa.String(128), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_bom_revision"),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_bom_revision_item_id"),
        sa.UniqueConstraint("item_id", "revision", name="uq_erp_bom_revision_item_revision"),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="ck_erp_bom_revision_effective"
        ),
    )
    op.create_table(
        "erp_bom_component",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bom_revision_id", sa.Integer(), nullable=False),
        sa.Column("find_number", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("quantity", EXACT_DECIMAL, nullable=False),
        sa.Column("uom", sa.String(8), nullable=False),
        sa.Column("ref_designators", sa.Text(), nullable=True),
        sa.Column("notes", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_erp_bom_component"),
        sa.ForeignKeyConstraint(
            ["bom_revision_id"],
            ["erp_bom_revision.id"],
            name="fk_erp_bom_component_bom_revision_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_bom_component_item_id"),
        sa.UniqueConstraint("bom_revision_id", "find_number", name="uq_erp_bom_component_find_number"),
        sa.UniqueConstraint("bom_revision_id", "item_id", name="uq_erp_bom_component_item"),
        sa.CheckConstraint("find_number >= 1", name="ck_erp_bom_component_find_number"),
        sa.CheckConstraint("quantity > 0", name="ck_erp_bom_component_quantity"),
    )
    op.create_index("ix_erp_bom_component_item_id", "erp_bom_component", ["item_id"])


def _create_stock_and_capacity() -> None:
    op.create_table(
        "erp_inventory",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(16), nullable=False),
        sa.Column("on_hand", EXACT_DECIMAL, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("item_id", "location", name="pk_erp_inventory"),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_inventory_item_id"),
        sa.CheckConstraint("on_hand >= 0", name="ck_erp_inventory_on_hand"),
    )
    op.create_table(
        "erp_work_centre",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("daily_capacity", EXACT_DECIMAL, nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_work_centre"),
        sa.UniqueConstraint("code", name="uq_erp_work_centre_code"),
        sa.CheckConstraint("daily_capacity > 0", name="ck_erp_work_centre_daily_capacity"),
        sa.CheckConstraint("working_days BETWEEN 1 AND 127", name="ck_erp_work_centre_working_days"),
    )
    op.create_table(
        "erp_item_routing",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("work_centre_id", sa.Integer(), nullable=True),
        sa.Column("units_per_day", EXACT_DECIMAL, nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name="pk_erp_item_routing"),
        sa.ForeignKeyConstraint(["item_id"], ["erp_item.id"], name="fk_erp_item_routing_item_id"),
        sa.ForeignKeyConstraint(["work_centre_id"], ["erp_work_centre.id"], name="fk_erp_item_routing_work_centre_id"),
        sa.CheckConstraint("units_per_day IS NULL OR units_per_day > 0", name="ck_erp_item_routing_units_per_day"),
        sa.CheckConstraint(
            "units_per_day IS NULL OR work_centre_id IS NOT NULL", name="ck_erp_item_routing_rate_needs_centre"
        ),
        sa.CheckConstraint("lead_time_days >= 0", name="ck_erp_item_routing_lead_time_days"),
    )
    op.create_index("ix_erp_item_routing_work_centre_id", "erp_item_routing", ["work_centre_id"])
