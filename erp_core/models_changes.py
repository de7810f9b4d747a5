"""Order revision history: one row per applied change message, one row per changed line field.

Append-only by design (21 CFR Part 11 style audit trail): a revision records who
changed the order (``changed_by``), when (``changed_at``), through which message
(``source_ref``) and a one-line summary; its line changes record each field's old and
new value as text. Nothing here is ever updated or deleted by erp_core, and the
foreign keys have no ``ON DELETE CASCADE``, so an order with history cannot be
deleted by accident either.

Revision 1 of an order is its booking. It is not stored here: the bulk booking path
writes headers and lines only, and the order row already holds everything revision 1
would say (``created_at``, ``source_ref``, ``partner_id``);
:func:`erp_core.services.order_history.order_history` synthesises it.

This module imports nothing from :mod:`erp_core.models` (which imports it to register
these tables), so foreign keys name their targets as strings.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from erp_core.types import UtcDateTime, utc_now

# The same row id type as ``erp_core.models.RowId`` (BIGINT, INTEGER rowid alias on SQLite),
# spelled out because that module imports this one.
RowId = BigInteger().with_variant(Integer(), "sqlite")

REVISION_KINDS = ("booked", "change", "cancel", "replace")
LINE_CHANGE_ACTIONS = ("add", "cancel", "quantity", "price", "date", "uom", "part", "description")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SalesOrderRevision(SQLModel, table=True):
    """One applied change, cancellation or replacement of an order (revision 2 onwards)."""

    __tablename__ = "erp_sales_order_revision"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_sales_order_revision"),
        UniqueConstraint("order_id", "revision", name="uq_erp_sales_order_revision_order_revision"),
        UniqueConstraint("order_id", "source_ref", name="uq_erp_sales_order_revision_order_source_ref"),
        CheckConstraint("revision >= 1", name="ck_erp_sales_order_revision_revision"),
        CheckConstraint(_in("kind", REVISION_KINDS), name="ck_erp_sales_order_revision_kind"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    order_id: int = Field(
        sa_column=Column(
            "order_id",
            RowId,
            ForeignKey("erp_sales_order.id", name="fk_erp_sales_order_revision_order_id"),
            nullable=False,
        )
    )
    revision: int = Field(sa_column=Column("revision", Integer(), nullable=False))
    kind: str = Field(sa_column=Column("kind", String(8), nullable=False))
    source_ref: str = Field(sa_column=Column("source_ref", String(128), nullable=False))
    change_date: date | None = Field(default=None, sa_column=Column("change_date", Date(), nullable=True))
    changed_at: datetime = Field(default_factory=utc_now, sa_column=Column("changed_at", UtcDateTime(), nullable=False))
    changed_by: str = Field(sa_column=Column("changed_by", String(128), nullable=False))
    summary: str = Field(sa_column=Column("summary", String(255), nullable=False))


class SalesOrderLineChange(SQLModel, table=True):
    """One field of one line as a revision changed it; values are text (ISO dates, plain decimals).

    ``action`` says what kind of change it was; ``field`` names the line column whose
    value went from ``old_value`` to ``new_value``. An ``add`` has no field: the added
    line's values are on the line itself, and later changes record what they replaced.
    """

    __tablename__ = "erp_sales_order_line_change"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_sales_order_line_change"),
        CheckConstraint(_in("action", LINE_CHANGE_ACTIONS), name="ck_erp_sales_order_line_change_action"),
        Index("ix_erp_sales_order_line_change_revision_id", "revision_id"),
        Index("ix_erp_sales_order_line_change_line_id", "line_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    revision_id: int = Field(
        sa_column=Column(
            "revision_id",
            RowId,
            ForeignKey("erp_sales_order_revision.id", name="fk_erp_sales_order_line_change_revision_id"),
            nullable=False,
        )
    )
    line_id: int = Field(
        sa_column=Column(
            "line_id",
            RowId,
            ForeignKey("erp_sales_order_line.id", name="fk_erp_sales_order_line_change_line_id"),
            nullable=False,
        )
    )
    action: str = Field(sa_column=Column("action", String(12), nullable=False))
    field: str | None = Field(default=None, sa_column=Column("field", String(32), nullable=True))
    old_value: str | None = Field(default=None, sa_column=Column("old_value", String(255), nullable=True))
    new_value: str | None = Field(default=None, sa_column=Column("new_value", String(255), nullable=True))


CHANGE_TABLE_NAMES: frozenset[str] = frozenset(
    model.__tablename__ for model in (SalesOrderRevision, SalesOrderLineChange)
)
