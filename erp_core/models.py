"""erp_core's tables (SQLModel).

Every table name starts with ``erp_`` and every constraint and index is named
explicitly: the gateway adds its own tables to the same ``SQLModel.metadata`` and the
same database, and the hand-written migrations in ``erp_core/migrations`` must be
comparable name for name with these declarations. Future tables (BOM revisions,
forecasts, lots, inspections, shipments, invoices) reference ``erp_item.id`` and
``erp_sales_order_line.id`` through the surrogate keys kept here.

Relationships are loaded lazily; services that return objects for use outside the
session load what they promise eagerly (see :func:`erp_core.services.orders.get_order`).

No ``from __future__ import annotations`` here: SQLModel resolves relationship
annotations at class creation.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, Relationship, SQLModel

from erp_core.models_billing import BILLING_TABLE_NAMES
from erp_core.models_bom import BOM_TABLE_NAMES
from erp_core.models_changes import CHANGE_TABLE_NAMES
from erp_core.models_forecasts import FORECAST_TABLE_NAMES
from erp_core.models_quality import QUALITY_TABLE_NAMES
from erp_core.models_shipping import SHIPPING_TABLE_NAMES
from erp_core.types import ExactDecimal, UtcDateTime, utc_now

AckPreference = Literal["auto", "997", "999"]
OrderPurpose = Literal["original", "replace", "change", "cancel", "confirm"]
OrderStatus = Literal["booked", "acknowledged", "cancelled", "closed"]
PartyRole = Literal["ship_to", "bill_to"]

# Row ids of high-volume tables: 64-bit on PostgreSQL; on SQLite only INTEGER is an
# alias of the 64-bit rowid (BIGINT would not autoincrement).
RowId = BigInteger().with_variant(Integer(), "sqlite")


class Partner(SQLModel, table=True):
    """A trading partner; ``id`` is our short slug for it (e.g. ``"acme"``)."""

    __tablename__ = "erp_partner"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_partner"),
        CheckConstraint("ack_preference IN ('auto', '997', '999')", name="ck_erp_partner_ack_preference"),
    )

    id: str = Field(sa_column=Column("id", String(32), nullable=False))
    name: str = Field(sa_column=Column("name", String(200), nullable=False))
    gs_id: str | None = Field(default=None, sa_column=Column("gs_id", String(15), nullable=True))
    ack_preference: str = Field(default="auto", sa_column=Column("ack_preference", String(4), nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))
    # Whether the partner is sent 855/865 answers to its orders and order changes.
    send_po_acks: bool = Field(
        default=False, sa_column=Column("send_po_acks", Boolean(), nullable=False, server_default=false())
    )
    # Over-shipment: refused unless allowed; when allowed, up to this percentage over the
    # ordered quantity (None: no limit).
    allow_overship: bool = Field(
        default=False, sa_column=Column("allow_overship", Boolean(), nullable=False, server_default=false())
    )
    overship_tolerance_percent: Decimal | None = Field(
        default=None, sa_column=Column("overship_tolerance_percent", ExactDecimal(), nullable=True)
    )

    x12_ids: list["PartnerX12Id"] = Relationship(
        back_populates="partner",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "passive_deletes": True},
    )


class PartnerX12Id(SQLModel, table=True):
    """One interchange address (ISA05 qualifier + ISA06 id) that identifies a partner."""

    __tablename__ = "erp_partner_x12_id"
    __table_args__ = (
        PrimaryKeyConstraint("qualifier", "x12_id", name="pk_erp_partner_x12_id"),
        Index("ix_erp_partner_x12_id_partner_id", "partner_id"),
    )

    qualifier: str = Field(sa_column=Column("qualifier", String(2), nullable=False))
    x12_id: str = Field(sa_column=Column("x12_id", String(15), nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id",
            String(32),
            ForeignKey("erp_partner.id", name="fk_erp_partner_x12_id_partner_id", ondelete="CASCADE"),
            nullable=False,
        )
    )

    partner: Partner = Relationship(back_populates="x12_ids")


class PartnerDocId(SQLModel, table=True):
    """An identifier that names a partner inside XML documents (cXML credential, UBL endpoint id).

    ``scheme`` is what the document says the identifier is: a cXML credential domain
    (``NetworkID``, ``DUNS``) or a UBL scheme (``0088`` for GLN, ``GLN``).
    """

    __tablename__ = "erp_partner_doc_id"
    __table_args__ = (
        PrimaryKeyConstraint("scheme", "value", name="pk_erp_partner_doc_id"),
        Index("ix_erp_partner_doc_id_partner_id", "partner_id"),
    )

    scheme: str = Field(sa_column=Column("scheme", String(40), nullable=False))
    value: str = Field(sa_column=Column("value", String(80), nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id",
            String(32),
            ForeignKey("erp_partner.id", name="fk_erp_partner_doc_id_partner_id", ondelete="CASCADE"),
            nullable=False,
        )
    )


class Item(SQLModel, table=True):
    """An item we make or sell, identified by our item number."""

    __tablename__ = "erp_item"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_item"),
        UniqueConstraint("item_number", name="uq_erp_item_item_number"),
        UniqueConstraint("gtin", name="uq_erp_item_gtin"),
        CheckConstraint("gtin IS NULL OR length(gtin) = 14", name="ck_erp_item_gtin_length"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer(), nullable=False))
    item_number: str = Field(sa_column=Column("item_number", String(48), nullable=False))
    description: str = Field(sa_column=Column("description", String(255), nullable=False))
    gtin: str | None = Field(default=None, sa_column=Column("gtin", String(14), nullable=True))
    uom: str = Field(default="EA", sa_column=Column("uom", String(8), nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))


class ItemXref(SQLModel, table=True):
    """A partner's own part number (the buyer part) for one of our items."""

    __tablename__ = "erp_item_xref"
    __table_args__ = (
        PrimaryKeyConstraint("partner_id", "customer_part", name="pk_erp_item_xref"),
        Index("ix_erp_item_xref_item_id", "item_id"),
    )

    partner_id: str = Field(
        sa_column=Column(
            "partner_id",
            String(32),
            ForeignKey("erp_partner.id", name="fk_erp_item_xref_partner_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    customer_part: str = Field(sa_column=Column("customer_part", String(48), nullable=False))
    item_id: int = Field(
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_item_xref_item_id"), nullable=False
        )
    )


class SalesOrder(SQLModel, table=True):
    """A customer purchase order as booked on our side (one row per partner + PO number)."""

    __tablename__ = "erp_sales_order"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_sales_order"),
        UniqueConstraint("partner_id", "po_number", name="uq_erp_sales_order_partner_po"),
        CheckConstraint("revision >= 1", name="ck_erp_sales_order_revision"),
        CheckConstraint(
            "purpose IN ('original', 'replace', 'change', 'cancel', 'confirm')", name="ck_erp_sales_order_purpose"
        ),
        CheckConstraint(
            "status IN ('booked', 'acknowledged', 'cancelled', 'closed')", name="ck_erp_sales_order_status"
        ),
        Index("ix_erp_sales_order_source_ref", "source_ref"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id", String(32), ForeignKey("erp_partner.id", name="fk_erp_sales_order_partner_id"), nullable=False
        )
    )
    po_number: str = Field(sa_column=Column("po_number", String(35), nullable=False))
    order_date: date = Field(sa_column=Column("order_date", Date(), nullable=False))
    purpose: str = Field(default="original", sa_column=Column("purpose", String(16), nullable=False))
    currency: str = Field(default="USD", sa_column=Column("currency", String(3), nullable=False))
    status: str = Field(default="booked", sa_column=Column("status", String(16), nullable=False))
    revision: int = Field(default=1, sa_column=Column("revision", Integer(), nullable=False))
    source_ref: str | None = Field(default=None, sa_column=Column("source_ref", String(128), nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))

    lines: list["SalesOrderLine"] = Relationship(
        back_populates="order",
        sa_relationship_kwargs={
            "order_by": "SalesOrderLine.line_no",
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
        },
    )
    parties: list["SalesOrderParty"] = Relationship(
        back_populates="order",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "passive_deletes": True},
    )

    def party(self, role: PartyRole) -> "SalesOrderParty | None":
        """The ship-to or bill-to party of this order, if the buyer sent one."""
        return next((p for p in self.parties if p.role == role), None)


class SalesOrderParty(SQLModel, table=True):
    """A named address of an order (ship-to, bill-to), one row per role.

    A child table rather than ``ship_to_*``/``bill_to_*`` column pairs: shipments and
    invoices will need the same shape with other roles (ship-from, remit-to).
    """

    __tablename__ = "erp_sales_order_party"
    __table_args__ = (
        PrimaryKeyConstraint("order_id", "role", name="pk_erp_sales_order_party"),
        CheckConstraint("role IN ('ship_to', 'bill_to')", name="ck_erp_sales_order_party_role"),
    )

    order_id: int = Field(
        sa_column=Column(
            "order_id",
            RowId,
            ForeignKey("erp_sales_order.id", name="fk_erp_sales_order_party_order_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    role: str = Field(sa_column=Column("role", String(8), nullable=False))
    name: str | None = Field(default=None, sa_column=Column("name", String(60), nullable=True))
    id_qualifier: str | None = Field(default=None, sa_column=Column("id_qualifier", String(2), nullable=True))
    id_code: str | None = Field(default=None, sa_column=Column("id_code", String(80), nullable=True))
    address1: str | None = Field(default=None, sa_column=Column("address1", String(55), nullable=True))
    address2: str | None = Field(default=None, sa_column=Column("address2", String(55), nullable=True))
    city: str | None = Field(default=None, sa_column=Column("city", String(30), nullable=True))
    state: str | None = Field(default=None, sa_column=Column("state", String(2), nullable=True))
    postal_code: str | None = Field(default=None, sa_column=Column("postal_code", String(15), nullable=True))
    country: str | None = Field(default=None, sa_column=Column("country", String(3), nullable=True))

    order: SalesOrder = Relationship(back_populates="parties")


class SalesOrderLine(SQLModel, table=True):
    """One ordered line; ``item_id`` is set when the buyer's identifiers resolved to an item."""

    __tablename__ = "erp_sales_order_line"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_sales_order_line"),
        UniqueConstraint("order_id", "line_no", name="uq_erp_sales_order_line_order_line_no"),
        CheckConstraint("line_no >= 1", name="ck_erp_sales_order_line_line_no"),
        CheckConstraint("quantity >= 0", name="ck_erp_sales_order_line_quantity"),
        CheckConstraint("unit_price IS NULL OR unit_price >= 0", name="ck_erp_sales_order_line_unit_price"),
        CheckConstraint("gtin IS NULL OR length(gtin) = 14", name="ck_erp_sales_order_line_gtin_length"),
        CheckConstraint("status IN ('open', 'cancelled')", name="ck_erp_sales_order_line_status"),
        CheckConstraint("quantity_shipped >= 0", name="ck_erp_sales_order_line_quantity_shipped"),
        Index("ix_erp_sales_order_line_item_id", "item_id"),
        Index("ix_erp_sales_order_line_bom_revision_id", "bom_revision_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    order_id: int = Field(
        sa_column=Column(
            "order_id",
            RowId,
            ForeignKey("erp_sales_order.id", name="fk_erp_sales_order_line_order_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    line_no: int = Field(sa_column=Column("line_no", Integer(), nullable=False))
    buyer_line_ref: str | None = Field(default=None, sa_column=Column("buyer_line_ref", String(20), nullable=True))
    item_id: int | None = Field(
        default=None,
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_sales_order_line_item_id"), nullable=True
        ),
    )
    buyer_part: str | None = Field(default=None, sa_column=Column("buyer_part", String(48), nullable=True))
    vendor_part: str | None = Field(default=None, sa_column=Column("vendor_part", String(48), nullable=True))
    gtin: str | None = Field(default=None, sa_column=Column("gtin", String(14), nullable=True))
    description: str | None = Field(default=None, sa_column=Column("description", String(255), nullable=True))
    quantity: Decimal = Field(sa_column=Column("quantity", ExactDecimal(), nullable=False))
    uom: str = Field(sa_column=Column("uom", String(8), nullable=False))
    unit_price: Decimal | None = Field(default=None, sa_column=Column("unit_price", ExactDecimal(), nullable=True))
    requested_date: date | None = Field(default=None, sa_column=Column("requested_date", Date(), nullable=True))
    # Server defaults: the bulk booking path inserts neither column (erp_core.services._booking_rows).
    status: str = Field(default="open", sa_column=Column("status", String(16), nullable=False, server_default="open"))
    quantity_shipped: Decimal = Field(
        default=Decimal(0),
        sa_column=Column("quantity_shipped", ExactDecimal(), nullable=False, server_default=text("0")),
    )
    # The BOM revision effective on the requested date (else the order date) when booked: traceability.
    bom_revision_id: int | None = Field(
        default=None,
        sa_column=Column(
            "bom_revision_id",
            Integer(),
            ForeignKey("erp_bom_revision.id", name="fk_erp_sales_order_line_bom_revision_id"),
            nullable=True,
        ),
    )

    order: SalesOrder = Relationship(back_populates="lines")


ERP_TABLE_NAMES: frozenset[str] = frozenset(
    model.__tablename__
    for model in (Partner, PartnerX12Id, PartnerDocId, Item, ItemXref, SalesOrder, SalesOrderParty, SalesOrderLine)
) | CHANGE_TABLE_NAMES | FORECAST_TABLE_NAMES | BOM_TABLE_NAMES | QUALITY_TABLE_NAMES | (
    SHIPPING_TABLE_NAMES | BILLING_TABLE_NAMES
)
