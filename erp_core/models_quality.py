"""Factory-side quality tables: production lots, serials, consumed component lots,
inspections, nonconformances, partner alert limits and the alerts they raise.

Kept apart from :mod:`erp_core.models` (which imports this module so that one import
registers every erp_core table) and free of imports from it: foreign keys name their
target tables as text. Naming follows the same rules: ``erp_`` tables, every
constraint and index named exactly as migration ``e0005`` spells them.

Design notes:

* A lot is identified by (item, lot number), as GS1 identifies a batch by GTIN + AI
  (10): two items may well share a lot number. Serials carry their lot's ``item_id``
  so that "a serial is unique per item" is a database constraint; a composite foreign
  key to ``erp_lot (id, item_id)`` keeps that copy honest.
* Consumptions are append-only events (an MES reports material issues as they
  happen); traceability sums them per component lot.
* Alerts are unique per (partner, inspection) and (partner, nonconformance): raising
  them again is a no-op, which is what makes re-recording idempotent.

No ``from __future__ import annotations`` here: SQLModel resolves annotations at
class creation.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from erp_core.types import ExactDecimal, UtcDateTime, utc_now

# The same row id type as ``erp_core.models.RowId``, spelled out because that module imports this one.
RowId = BigInteger().with_variant(Integer(), "sqlite")

LOT_STATUSES = ("released", "quarantined", "rejected")
INSPECTION_STAGES = ("first_article", "in_process", "final")
INSPECTION_RESULTS = ("pass", "fail")
DISPOSITIONS = ("use_as_is", "rework", "scrap", "return")
SEVERITIES = ("minor", "major", "critical")
ALERT_KINDS = ("limit", "nonconformance")

LOT_NUMBER_MAX = 20
"""GS1 AI (10) batch/lot and AI (21) serial numbers are at most 20 characters."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _row_id_fk(name: str, target: str, constraint: str, *, nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(name, RowId, ForeignKey(target, name=constraint), nullable=nullable)


class Lot(SQLModel, table=True):
    """A production lot (or a received lot of component material) of one item."""

    __tablename__ = "erp_lot"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_lot"),
        UniqueConstraint("item_id", "lot_number", name="uq_erp_lot_item_lot_number"),
        UniqueConstraint("id", "item_id", name="uq_erp_lot_id_item"),  # target of erp_lot_serial's composite key
        CheckConstraint("quantity > 0", name="ck_erp_lot_quantity"),
        CheckConstraint(_in("status", LOT_STATUSES), name="ck_erp_lot_status"),
        CheckConstraint(
            "expires_on IS NULL OR manufactured_on IS NULL OR expires_on >= manufactured_on",
            name="ck_erp_lot_expiry",
        ),
        Index("ix_erp_lot_order_line_id", "order_line_id"),
        Index("ix_erp_lot_bom_revision_id", "bom_revision_id"),
        Index("ix_erp_lot_lot_number", "lot_number"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    item_id: int = Field(
        sa_column=Column("item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_lot_item_id"), nullable=False)
    )
    lot_number: str = Field(sa_column=Column("lot_number", String(LOT_NUMBER_MAX), nullable=False))
    # Make-to-order lots name the order line they were built for; stock lots do not.
    order_line_id: int | None = Field(
        default=None,
        sa_column=_row_id_fk("order_line_id", "erp_sales_order_line.id", "fk_erp_lot_order_line_id", nullable=True),
    )
    quantity: Decimal = Field(sa_column=Column("quantity", ExactDecimal(), nullable=False))
    uom: str = Field(sa_column=Column("uom", String(8), nullable=False))
    manufactured_on: date | None = Field(default=None, sa_column=Column("manufactured_on", Date(), nullable=True))
    expires_on: date | None = Field(default=None, sa_column=Column("expires_on", Date(), nullable=True))
    bom_revision_id: int | None = Field(
        default=None,
        sa_column=Column(
            "bom_revision_id",
            Integer(),
            ForeignKey("erp_bom_revision.id", name="fk_erp_lot_bom_revision_id"),
            nullable=True,
        ),
    )
    status: str = Field(default="quarantined", sa_column=Column("status", String(12), nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))


class LotSerial(SQLModel, table=True):
    """One serial number of a serialised lot; unique per item (not merely per lot)."""

    __tablename__ = "erp_lot_serial"
    __table_args__ = (
        PrimaryKeyConstraint("item_id", "serial", name="pk_erp_lot_serial"),
        ForeignKeyConstraint(
            ["lot_id", "item_id"], ["erp_lot.id", "erp_lot.item_id"], name="fk_erp_lot_serial_lot", ondelete="CASCADE"
        ),
        Index("ix_erp_lot_serial_lot_id", "lot_id"),
    )

    item_id: int = Field(sa_column=Column("item_id", Integer(), nullable=False))
    serial: str = Field(sa_column=Column("serial", String(LOT_NUMBER_MAX), nullable=False))
    lot_id: int = Field(sa_column=Column("lot_id", RowId, nullable=False))


class LotConsumption(SQLModel, table=True):
    """A quantity of a component lot issued into a lot (one row per reported issue)."""

    __tablename__ = "erp_lot_consumption"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_lot_consumption"),
        CheckConstraint("quantity > 0", name="ck_erp_lot_consumption_quantity"),
        CheckConstraint("lot_id <> component_lot_id", name="ck_erp_lot_consumption_not_self"),
        Index("ix_erp_lot_consumption_lot_id", "lot_id"),
        Index("ix_erp_lot_consumption_component_lot_id", "component_lot_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    lot_id: int = Field(sa_column=_row_id_fk("lot_id", "erp_lot.id", "fk_erp_lot_consumption_lot_id"))
    component_lot_id: int = Field(
        sa_column=_row_id_fk("component_lot_id", "erp_lot.id", "fk_erp_lot_consumption_component_lot_id")
    )
    quantity: Decimal = Field(sa_column=Column("quantity", ExactDecimal(), nullable=False))
    recorded_at: datetime = Field(
        default_factory=utc_now, sa_column=Column("recorded_at", UtcDateTime(), nullable=False)
    )


class Inspection(SQLModel, table=True):
    """One inspected characteristic of a lot: a measured value against limits, or an attribute verdict.

    Exactly one of ``measured`` and ``attribute_result`` is set. For a measurement
    ``result`` is computed from the limits (inclusive) by the inspection service.
    """

    __tablename__ = "erp_inspection"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_inspection"),
        CheckConstraint(_in("stage", INSPECTION_STAGES), name="ck_erp_inspection_stage"),
        CheckConstraint(_in("result", INSPECTION_RESULTS), name="ck_erp_inspection_result"),
        CheckConstraint(
            "(measured IS NULL) <> (attribute_result IS NULL)", name="ck_erp_inspection_measured_or_attribute"
        ),
        CheckConstraint(
            "lower_limit IS NULL OR upper_limit IS NULL OR lower_limit <= upper_limit",
            name="ck_erp_inspection_limits",
        ),
        Index("ix_erp_inspection_lot_id", "lot_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    lot_id: int = Field(sa_column=_row_id_fk("lot_id", "erp_lot.id", "fk_erp_inspection_lot_id"))
    stage: str = Field(sa_column=Column("stage", String(16), nullable=False))
    characteristic: str = Field(sa_column=Column("characteristic", String(80), nullable=False))
    unit: str | None = Field(default=None, sa_column=Column("unit", String(16), nullable=True))
    lower_limit: Decimal | None = Field(default=None, sa_column=Column("lower_limit", ExactDecimal(), nullable=True))
    upper_limit: Decimal | None = Field(default=None, sa_column=Column("upper_limit", ExactDecimal(), nullable=True))
    nominal: Decimal | None = Field(default=None, sa_column=Column("nominal", ExactDecimal(), nullable=True))
    measured: Decimal | None = Field(default=None, sa_column=Column("measured", ExactDecimal(), nullable=True))
    attribute_result: str | None = Field(
        default=None, sa_column=Column("attribute_result", String(80), nullable=True)
    )
    result: str = Field(sa_column=Column("result", String(4), nullable=False))
    inspector: str = Field(sa_column=Column("inspector", String(64), nullable=False))
    instrument: str | None = Field(default=None, sa_column=Column("instrument", String(64), nullable=True))
    inspected_at: datetime = Field(sa_column=Column("inspected_at", UtcDateTime(), nullable=False))
    notes: str | None = Field(default=None, sa_column=Column("notes", String(255), nullable=True))


class Nonconformance(SQLModel, table=True):
    """A nonconformance report against a lot; closing it requires a disposition."""

    __tablename__ = "erp_nonconformance"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_nonconformance"),
        UniqueConstraint("number", name="uq_erp_nonconformance_number"),
        CheckConstraint(_in("severity", SEVERITIES), name="ck_erp_nonconformance_severity"),
        CheckConstraint(
            f"disposition IS NULL OR {_in('disposition', DISPOSITIONS)}", name="ck_erp_nonconformance_disposition"
        ),
        CheckConstraint(
            "closed_at IS NULL OR (disposition IS NOT NULL AND closed_at >= opened_at)",
            name="ck_erp_nonconformance_closed",
        ),
        Index("ix_erp_nonconformance_lot_id", "lot_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    lot_id: int = Field(sa_column=_row_id_fk("lot_id", "erp_lot.id", "fk_erp_nonconformance_lot_id"))
    number: str = Field(sa_column=Column("number", String(32), nullable=False))
    description: str = Field(sa_column=Column("description", String(500), nullable=False))
    severity: str = Field(sa_column=Column("severity", String(8), nullable=False))
    disposition: str | None = Field(default=None, sa_column=Column("disposition", String(12), nullable=True))
    opened_at: datetime = Field(default_factory=utc_now, sa_column=Column("opened_at", UtcDateTime(), nullable=False))
    closed_at: datetime | None = Field(default=None, sa_column=Column("closed_at", UtcDateTime(), nullable=True))


class AlertLimit(SQLModel, table=True):
    """A partner's alert limits for one characteristic of one item (usually tighter than spec)."""

    __tablename__ = "erp_alert_limit"
    __table_args__ = (
        PrimaryKeyConstraint("partner_id", "item_id", "characteristic", name="pk_erp_alert_limit"),
        CheckConstraint("lower IS NOT NULL OR upper IS NOT NULL", name="ck_erp_alert_limit_some_limit"),
        CheckConstraint("lower IS NULL OR upper IS NULL OR lower <= upper", name="ck_erp_alert_limit_order"),
        Index("ix_erp_alert_limit_item_id", "item_id"),
    )

    partner_id: str = Field(
        sa_column=Column(
            "partner_id",
            String(32),
            ForeignKey("erp_partner.id", name="fk_erp_alert_limit_partner_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    item_id: int = Field(
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_alert_limit_item_id"), nullable=False
        )
    )
    characteristic: str = Field(sa_column=Column("characteristic", String(80), nullable=False))
    lower: Decimal | None = Field(default=None, sa_column=Column("lower", ExactDecimal(), nullable=True))
    upper: Decimal | None = Field(default=None, sa_column=Column("upper", ExactDecimal(), nullable=True))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column("updated_at", UtcDateTime(), nullable=False))


class QualityAlert(SQLModel, table=True):
    """An alert owed to a partner: a result outside its alert limits, or a nonconformance on its product.

    ``sent_message_ref`` is None until the alert went out (e.g. as an X12 842).
    """

    __tablename__ = "erp_quality_alert"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_quality_alert"),
        UniqueConstraint("partner_id", "inspection_id", name="uq_erp_quality_alert_partner_inspection"),
        UniqueConstraint("partner_id", "nonconformance_id", name="uq_erp_quality_alert_partner_nonconformance"),
        CheckConstraint(_in("kind", ALERT_KINDS), name="ck_erp_quality_alert_kind"),
        CheckConstraint(
            "(kind = 'limit' AND inspection_id IS NOT NULL AND nonconformance_id IS NULL) OR "
            "(kind = 'nonconformance' AND nonconformance_id IS NOT NULL AND inspection_id IS NULL)",
            name="ck_erp_quality_alert_source",
        ),
        Index("ix_erp_quality_alert_lot_id", "lot_id"),
        Index("ix_erp_quality_alert_inspection_id", "inspection_id"),
        Index("ix_erp_quality_alert_nonconformance_id", "nonconformance_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id",
            String(32),
            ForeignKey("erp_partner.id", name="fk_erp_quality_alert_partner_id"),
            nullable=False,
        )
    )
    lot_id: int = Field(sa_column=_row_id_fk("lot_id", "erp_lot.id", "fk_erp_quality_alert_lot_id"))
    kind: str = Field(sa_column=Column("kind", String(16), nullable=False))
    inspection_id: int | None = Field(
        default=None,
        sa_column=_row_id_fk("inspection_id", "erp_inspection.id", "fk_erp_quality_alert_inspection_id", nullable=True),
    )
    nonconformance_id: int | None = Field(
        default=None,
        sa_column=_row_id_fk(
            "nonconformance_id", "erp_nonconformance.id", "fk_erp_quality_alert_nonconformance_id", nullable=True
        ),
    )
    message: str = Field(sa_column=Column("message", String(255), nullable=False))
    raised_at: datetime = Field(default_factory=utc_now, sa_column=Column("raised_at", UtcDateTime(), nullable=False))
    sent_message_ref: str | None = Field(
        default=None, sa_column=Column("sent_message_ref", String(128), nullable=True)
    )


QUALITY_TABLE_NAMES: frozenset[str] = frozenset(
    model.__tablename__
    for model in (Lot, LotSerial, LotConsumption, Inspection, Nonconformance, AlertLimit, QualityAlert)
)
