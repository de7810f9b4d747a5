"""Shipments: what left the building, packed how, from which order lines and lots.

A shipment (``erp_shipment``) is built as a draft, confirmed when it ships (which is
when ``erp_sales_order_line.quantity_shipped`` moves) or cancelled. Its handling
units (``erp_package``) form a two-level hierarchy, pallets holding cartons, each
labelled with an SSCC-18 that is unique across all shipments; loose cartons have no
parent. A shipment line (``erp_shipment_line``) ships a quantity of one order line,
optionally from one production lot and packed in one package, with the serial
numbers of serialised units one per text line.

SSCC serial references come from ``erp_sscc_counter``, one row per GS1 company
prefix and extension digit, incremented under a row lock so that numbers are handed
out without gaps or duplicates (:mod:`erp_core.services.sscc`).

Like :mod:`erp_core.models_changes`, this module imports nothing from
:mod:`erp_core.models` (which imports it to register these tables): foreign keys
name their targets as text.
"""

from datetime import date, datetime
from decimal import Decimal

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
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from erp_core.types import ExactDecimal, UtcDateTime, utc_now

# The same row id type as ``erp_core.models.RowId``, spelled out because that module imports this one.
RowId = BigInteger().with_variant(Integer(), "sqlite")

SHIPMENT_STATUSES = ("draft", "shipped", "cancelled")
PACKAGE_LEVELS = ("pallet", "carton")
SHIPMENT_PARTY_ROLES = ("ship_to", "ship_from")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Shipment(SQLModel, table=True):
    """One shipment to one partner; ``shipment_number`` is our BSN02 shipment identification.

    ``package_count`` is the number of outermost handling units (TD101 lading
    quantity); ``gross_weight`` and ``weight_uom`` (X12 unit code: LB, KG) go together.
    ``asn_message_ref`` names the 856 that announced the shipment, once sent.
    """

    __tablename__ = "erp_shipment"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_shipment"),
        UniqueConstraint("shipment_number", name="uq_erp_shipment_shipment_number"),
        CheckConstraint(_in("status", SHIPMENT_STATUSES), name="ck_erp_shipment_status"),
        CheckConstraint("package_count >= 0", name="ck_erp_shipment_package_count"),
        CheckConstraint(
            "(gross_weight IS NULL) = (weight_uom IS NULL) AND (gross_weight IS NULL OR gross_weight > 0)",
            name="ck_erp_shipment_weight",
        ),
        Index("ix_erp_shipment_partner_id", "partner_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    shipment_number: str = Field(sa_column=Column("shipment_number", String(30), nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id", String(32), ForeignKey("erp_partner.id", name="fk_erp_shipment_partner_id"), nullable=False
        )
    )
    ship_date: date = Field(sa_column=Column("ship_date", Date(), nullable=False))
    carrier_scac: str | None = Field(default=None, sa_column=Column("carrier_scac", String(4), nullable=True))
    carrier_name: str | None = Field(default=None, sa_column=Column("carrier_name", String(60), nullable=True))
    tracking_number: str | None = Field(default=None, sa_column=Column("tracking_number", String(30), nullable=True))
    bill_of_lading: str | None = Field(default=None, sa_column=Column("bill_of_lading", String(30), nullable=True))
    gross_weight: Decimal | None = Field(default=None, sa_column=Column("gross_weight", ExactDecimal(), nullable=True))
    weight_uom: str | None = Field(default=None, sa_column=Column("weight_uom", String(2), nullable=True))
    package_count: int = Field(default=0, sa_column=Column("package_count", Integer(), nullable=False))
    status: str = Field(default="draft", sa_column=Column("status", String(10), nullable=False))
    asn_message_ref: str | None = Field(default=None, sa_column=Column("asn_message_ref", String(128), nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))
    shipped_at: datetime | None = Field(default=None, sa_column=Column("shipped_at", UtcDateTime(), nullable=True))


class ShipmentParty(SQLModel, table=True):
    """A named address of a shipment (ship-to, ship-from), same shape as an order's parties."""

    __tablename__ = "erp_shipment_party"
    __table_args__ = (
        PrimaryKeyConstraint("shipment_id", "role", name="pk_erp_shipment_party"),
        CheckConstraint(_in("role", SHIPMENT_PARTY_ROLES), name="ck_erp_shipment_party_role"),
    )

    shipment_id: int = Field(
        sa_column=Column(
            "shipment_id",
            RowId,
            ForeignKey("erp_shipment.id", name="fk_erp_shipment_party_shipment_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    role: str = Field(sa_column=Column("role", String(9), nullable=False))
    name: str | None = Field(default=None, sa_column=Column("name", String(60), nullable=True))
    id_qualifier: str | None = Field(default=None, sa_column=Column("id_qualifier", String(2), nullable=True))
    id_code: str | None = Field(default=None, sa_column=Column("id_code", String(80), nullable=True))
    address1: str | None = Field(default=None, sa_column=Column("address1", String(55), nullable=True))
    address2: str | None = Field(default=None, sa_column=Column("address2", String(55), nullable=True))
    city: str | None = Field(default=None, sa_column=Column("city", String(30), nullable=True))
    state: str | None = Field(default=None, sa_column=Column("state", String(2), nullable=True))
    postal_code: str | None = Field(default=None, sa_column=Column("postal_code", String(15), nullable=True))
    country: str | None = Field(default=None, sa_column=Column("country", String(3), nullable=True))


class Package(SQLModel, table=True):
    """A handling unit with its SSCC-18: a pallet, or a carton on a pallet (or loose).

    The database enforces that only cartons have a parent; that the parent is a
    pallet of the same shipment is checked by the service before inserting.
    """

    __tablename__ = "erp_package"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_package"),
        UniqueConstraint("sscc", name="uq_erp_package_sscc"),
        CheckConstraint(_in("level", PACKAGE_LEVELS), name="ck_erp_package_level"),
        CheckConstraint("length(sscc) = 18", name="ck_erp_package_sscc_length"),
        CheckConstraint("parent_package_id IS NULL OR level = 'carton'", name="ck_erp_package_parent_level"),
        CheckConstraint("weight IS NULL OR weight > 0", name="ck_erp_package_weight"),
        Index("ix_erp_package_shipment_id", "shipment_id"),
        Index("ix_erp_package_parent_package_id", "parent_package_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    shipment_id: int = Field(
        sa_column=Column(
            "shipment_id",
            RowId,
            ForeignKey("erp_shipment.id", name="fk_erp_package_shipment_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    parent_package_id: int | None = Field(
        default=None,
        sa_column=Column(
            "parent_package_id",
            RowId,
            ForeignKey("erp_package.id", name="fk_erp_package_parent_package_id", ondelete="CASCADE"),
            nullable=True,
        ),
    )
    level: str = Field(sa_column=Column("level", String(6), nullable=False))
    sscc: str = Field(sa_column=Column("sscc", String(18), nullable=False))
    weight: Decimal | None = Field(default=None, sa_column=Column("weight", ExactDecimal(), nullable=True))


class ShipmentLine(SQLModel, table=True):
    """A quantity of one order line in a shipment, in the order line's unit of measure.

    ``serials`` holds the serial numbers of serialised units, one per line of text,
    as many as the quantity; None for items that are not serialised.
    """

    __tablename__ = "erp_shipment_line"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_shipment_line"),
        CheckConstraint("quantity > 0", name="ck_erp_shipment_line_quantity"),
        Index("ix_erp_shipment_line_shipment_id", "shipment_id"),
        Index("ix_erp_shipment_line_order_line_id", "order_line_id"),
        Index("ix_erp_shipment_line_lot_id", "lot_id"),
        Index("ix_erp_shipment_line_package_id", "package_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    shipment_id: int = Field(
        sa_column=Column(
            "shipment_id",
            RowId,
            ForeignKey("erp_shipment.id", name="fk_erp_shipment_line_shipment_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    package_id: int | None = Field(
        default=None,
        sa_column=Column(
            "package_id",
            RowId,
            ForeignKey("erp_package.id", name="fk_erp_shipment_line_package_id", ondelete="CASCADE"),
            nullable=True,
        ),
    )
    order_line_id: int = Field(
        sa_column=Column(
            "order_line_id",
            RowId,
            ForeignKey("erp_sales_order_line.id", name="fk_erp_shipment_line_order_line_id"),
            nullable=False,
        )
    )
    lot_id: int | None = Field(
        default=None,
        sa_column=Column("lot_id", RowId, ForeignKey("erp_lot.id", name="fk_erp_shipment_line_lot_id"), nullable=True),
    )
    quantity: Decimal = Field(sa_column=Column("quantity", ExactDecimal(), nullable=False))
    serials: str | None = Field(default=None, sa_column=Column("serials", Text(), nullable=True))


class SsccCounter(SQLModel, table=True):
    """The last serial reference handed out for one GS1 company prefix and extension digit."""

    __tablename__ = "erp_sscc_counter"
    __table_args__ = (
        PrimaryKeyConstraint("company_prefix", "extension_digit", name="pk_erp_sscc_counter"),
        CheckConstraint("extension_digit BETWEEN 0 AND 9", name="ck_erp_sscc_counter_extension_digit"),
        CheckConstraint("last_serial >= 0", name="ck_erp_sscc_counter_last_serial"),
    )

    company_prefix: str = Field(sa_column=Column("company_prefix", String(12), nullable=False))
    extension_digit: int = Field(sa_column=Column("extension_digit", Integer(), nullable=False))
    last_serial: int = Field(default=0, sa_column=Column("last_serial", BigInteger(), nullable=False))


SHIPPING_TABLE_NAMES: frozenset[str] = frozenset(
    model.__tablename__ for model in (Shipment, ShipmentParty, Package, ShipmentLine, SsccCounter)
)
