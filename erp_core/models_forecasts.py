"""Customer forecasts (X12 830 planning, 862 shipping schedules) and their quantity buckets.

A forecast is for one partner, item, ship-to and kind. A newer one for the same
four supersedes the current one: the old row stays (status ``superseded``,
``superseded_by`` pointing at its successor) so that every forecast ever received
and the change between consecutive ones can be shown later.

This module imports nothing from :mod:`erp_core.models` (which imports it to register
these tables), so foreign keys name their targets as strings.
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
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from erp_core.models_changes import RowId
from erp_core.types import ExactDecimal, UtcDateTime, utc_now

FORECAST_KINDS = ("planning", "shipping")
FORECAST_STATUSES = ("current", "superseded")
BUCKET_INTERVALS = ("daily", "weekly", "monthly", "flexible", "discrete")
COMMITMENTS = ("firm", "planning")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Forecast(SQLModel, table=True):
    """One received forecast for a partner + item + ship-to + kind (``ship_to`` None: not given)."""

    __tablename__ = "erp_forecast"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_forecast"),
        CheckConstraint(_in("kind", FORECAST_KINDS), name="ck_erp_forecast_kind"),
        CheckConstraint(
            "(status = 'current' AND superseded_by IS NULL) OR (status = 'superseded' AND superseded_by IS NOT NULL)",
            name="ck_erp_forecast_status",
        ),
        CheckConstraint("horizon_end >= horizon_start", name="ck_erp_forecast_horizon"),
        Index("ix_erp_forecast_item_partner_kind", "item_id", "partner_id", "kind"),
        Index("ix_erp_forecast_superseded_by", "superseded_by"),
        Index("ix_erp_forecast_source_ref", "source_ref"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id", String(32), ForeignKey("erp_partner.id", name="fk_erp_forecast_partner_id"), nullable=False
        )
    )
    item_id: int = Field(
        sa_column=Column(
            "item_id", Integer(), ForeignKey("erp_item.id", name="fk_erp_forecast_item_id"), nullable=False
        )
    )
    ship_to: str | None = Field(default=None, sa_column=Column("ship_to", String(80), nullable=True))
    kind: str = Field(sa_column=Column("kind", String(8), nullable=False))
    reference: str = Field(sa_column=Column("reference", String(80), nullable=False))
    uom: str = Field(sa_column=Column("uom", String(8), nullable=False))
    horizon_start: date = Field(sa_column=Column("horizon_start", Date(), nullable=False))
    horizon_end: date = Field(sa_column=Column("horizon_end", Date(), nullable=False))
    issue_date: date = Field(sa_column=Column("issue_date", Date(), nullable=False))
    source_ref: str = Field(sa_column=Column("source_ref", String(128), nullable=False))
    received_at: datetime = Field(
        default_factory=utc_now, sa_column=Column("received_at", UtcDateTime(), nullable=False)
    )
    status: str = Field(default="current", sa_column=Column("status", String(12), nullable=False))
    superseded_by: int | None = Field(
        default=None,
        sa_column=Column(
            "superseded_by", RowId, ForeignKey("erp_forecast.id", name="fk_erp_forecast_superseded_by"), nullable=True
        ),
    )


class ForecastBucket(SQLModel, table=True):
    """A quantity for one period of a forecast; periods of one forecast never overlap."""

    __tablename__ = "erp_forecast_bucket"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_forecast_bucket"),
        UniqueConstraint("forecast_id", "period_start", name="uq_erp_forecast_bucket_forecast_start"),
        CheckConstraint("period_end >= period_start", name="ck_erp_forecast_bucket_period"),
        CheckConstraint("quantity >= 0", name="ck_erp_forecast_bucket_quantity"),
        CheckConstraint(_in("interval", BUCKET_INTERVALS), name="ck_erp_forecast_bucket_interval"),
        CheckConstraint(_in("commitment", COMMITMENTS), name="ck_erp_forecast_bucket_commitment"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    forecast_id: int = Field(
        sa_column=Column(
            "forecast_id",
            RowId,
            ForeignKey("erp_forecast.id", name="fk_erp_forecast_bucket_forecast_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    period_start: date = Field(sa_column=Column("period_start", Date(), nullable=False))
    period_end: date = Field(sa_column=Column("period_end", Date(), nullable=False))
    interval: str = Field(sa_column=Column("interval", String(10), nullable=False))
    commitment: str = Field(sa_column=Column("commitment", String(8), nullable=False))
    quantity: Decimal = Field(sa_column=Column("quantity", ExactDecimal(), nullable=False))


FORECAST_TABLE_NAMES: frozenset[str] = frozenset(model.__tablename__ for model in (Forecast, ForecastBucket))
