"""Manufacturing tables: BOM revisions and their components, inventory, work centres, routings.

Kept apart from :mod:`erp_core.models` (which imports this module so that one import
registers every erp_core table) and free of imports from it: foreign keys name their
target tables as text, so there is no import cycle. Naming follows the same rules:
``erp_`` tables, every constraint and index named, as the migration spells them.

Effectivity: a BOM revision applies from ``effective_from`` (inclusive) up to
``effective_to`` (exclusive, NULL = open-ended). ``effective_to`` is stored rather than
derived from the successor because it also records an item made obsolete (the last
revision ended with no successor); the BOM service keeps it consistent (a new
revision closes its predecessor on its own ``effective_from``).

No ``from __future__ import annotations`` here: SQLModel resolves relationship
annotations at class creation.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
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
from sqlmodel import Field, Relationship, SQLModel

from erp_core.types import ExactDecimal, UtcDateTime, utc_now

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MON_TO_FRI = 0b0011111
"""``working_days`` bit mask: bit 0 is Monday ... bit 6 Sunday (``date.weekday()`` order)."""

DEFAULT_LOCATION = "MAIN"


class BomRevision(SQLModel, table=True):
    """One released revision of an item's bill of materials (one level: its direct components)."""

    __tablename__ = "erp_bom_revision"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_bom_revision"),
        UniqueConstraint("item_id", "revision", name="uq_erp_bom_revision_item_revision"),
        CheckConstraint("effective_to IS NULL OR effective_to >= effective_from", name="ck_erp_bom_revision_effective"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer(), nullable=False))
    item_id: int = Field(
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_bom_revision_item_id"), nullable=False
        )
    )
    revision: str = Field(sa_column=Column("revision", String(16), nullable=False))
    effective_from: date = Field(sa_column=Column("effective_from", Date(), nullable=False))
    effective_to: date | None = Field(default=None, sa_column=Column("effective_to", Date(), nullable=True))
    description: str | None = Field(default=None, sa_column=Column("description", String(255), nullable=True))
    source_ref: str | None = Field(default=None, sa_column=Column("source_ref", String(128), nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))

    components: list["BomComponent"] = Relationship(
        back_populates="bom_revision",
        sa_relationship_kwargs={
            "order_by": "BomComponent.find_number",
            "cascade": "all, delete-orphan",
            "passive_deletes": True,
        },
    )


class BomComponent(SQLModel, table=True):
    """One component line of a BOM revision; a part appears at most once per revision (lines are merged)."""

    __tablename__ = "erp_bom_component"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_bom_component"),
        UniqueConstraint("bom_revision_id", "find_number", name="uq_erp_bom_component_find_number"),
        UniqueConstraint("bom_revision_id", "item_id", name="uq_erp_bom_component_item"),
        CheckConstraint("find_number >= 1", name="ck_erp_bom_component_find_number"),
        CheckConstraint("quantity > 0", name="ck_erp_bom_component_quantity"),
        Index("ix_erp_bom_component_item_id", "item_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer(), nullable=False))
    bom_revision_id: int | None = Field(
        default=None,
        sa_column=Column(
            "bom_revision_id",
            Integer(),
            ForeignKey("erp_bom_revision.id", name="fk_erp_bom_component_bom_revision_id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    find_number: int = Field(sa_column=Column("find_number", Integer(), nullable=False))
    item_id: int = Field(
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_bom_component_item_id"), nullable=False
        )
    )
    quantity: Decimal = Field(sa_column=Column("quantity", ExactDecimal(), nullable=False))
    uom: str = Field(sa_column=Column("uom", String(8), nullable=False))
    ref_designators: str | None = Field(
        default=None, sa_column=Column("ref_designators", Text(), nullable=True)
    )  # normalised: upper case, ranges expanded, space separated, natural order
    notes: str | None = Field(default=None, sa_column=Column("notes", String(255), nullable=True))

    bom_revision: BomRevision = Relationship(back_populates="components")


class Inventory(SQLModel, table=True):
    """Quantity on hand of an item at a stock location, in the item's unit of measure."""

    __tablename__ = "erp_inventory"
    __table_args__ = (
        PrimaryKeyConstraint("item_id", "location", name="pk_erp_inventory"),
        CheckConstraint("on_hand >= 0", name="ck_erp_inventory_on_hand"),
    )

    item_id: int = Field(
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_inventory_item_id"), nullable=False
        )
    )
    location: str = Field(default=DEFAULT_LOCATION, sa_column=Column("location", String(16), nullable=False))
    on_hand: Decimal = Field(sa_column=Column("on_hand", ExactDecimal(), nullable=False))
    updated_at: datetime = Field(default_factory=utc_now, sa_column=Column("updated_at", UtcDateTime(), nullable=False))


class WorkCentre(SQLModel, table=True):
    """A place where items are made, with a daily capacity in units per working day."""

    __tablename__ = "erp_work_centre"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_work_centre"),
        UniqueConstraint("code", name="uq_erp_work_centre_code"),
        CheckConstraint("daily_capacity > 0", name="ck_erp_work_centre_daily_capacity"),
        CheckConstraint("working_days BETWEEN 1 AND 127", name="ck_erp_work_centre_working_days"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", Integer(), nullable=False))
    code: str = Field(sa_column=Column("code", String(16), nullable=False))
    name: str = Field(sa_column=Column("name", String(100), nullable=False))
    daily_capacity: Decimal = Field(sa_column=Column("daily_capacity", ExactDecimal(), nullable=False))
    working_days: int = Field(default=MON_TO_FRI, sa_column=Column("working_days", Integer(), nullable=False))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))

    def works_on(self, day: date) -> bool:
        """True when ``day`` is one of the centre's working weekdays."""
        return bool(self.working_days >> day.weekday() & 1)


class ItemRouting(SQLModel, table=True):
    """How an item is obtained: made at a work centre, or (no work centre) bought in.

    ``units_per_day`` overrides the work centre's ``daily_capacity`` for this item.
    ``lead_time_days`` is the replenishment lead time in calendar days: for a bought
    item the supplier's lead time from today, for a made item the build time once its
    components are there. It applies when the item is short as a component; an
    ordered item made at a work centre is planned on that centre's capacity instead.
    """

    __tablename__ = "erp_item_routing"
    __table_args__ = (
        PrimaryKeyConstraint("item_id", name="pk_erp_item_routing"),
        CheckConstraint("units_per_day IS NULL OR units_per_day > 0", name="ck_erp_item_routing_units_per_day"),
        CheckConstraint(
            "units_per_day IS NULL OR work_centre_id IS NOT NULL", name="ck_erp_item_routing_rate_needs_centre"
        ),
        CheckConstraint("lead_time_days >= 0", name="ck_erp_item_routing_lead_time_days"),
        Index("ix_erp_item_routing_work_centre_id", "work_centre_id"),
    )

    item_id: int = Field(
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_item_routing_item_id"), nullable=False
        )
    )
    work_centre_id: int | None = Field(
        default=None,
        sa_column=Column(
            "work_centre_id",
            Integer(),
            ForeignKey("erp_work_centre.id", name="fk_erp_item_routing_work_centre_id"),
            nullable=True,
        ),
    )
    units_per_day: Decimal | None = Field(
        default=None, sa_column=Column("units_per_day", ExactDecimal(), nullable=True)
    )
    lead_time_days: int = Field(default=0, sa_column=Column("lead_time_days", Integer(), nullable=False))


BOM_TABLE_NAMES: frozenset[str] = frozenset(
    model.__tablename__ for model in (BomRevision, BomComponent, Inventory, WorkCentre, ItemRouting)
)
