"""Validated input for customer forecasts (X12 830/862, UBL Forecast).

As for order changes (:mod:`erp_core.inputs_changes`), only shape is checked here;
overlapping or inverted periods and negative quantities are reported by
:func:`erp_core.services.forecasts.book_forecast` as coded problems.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from erp_core.inputs import Gtin, InputModel, PartnerSlug, PartNumber, Uom, bounded_text
from erp_core.inputs_changes import ExactNumber

ForecastKind = Literal["planning", "shipping"]
BucketInterval = Literal["daily", "weekly", "monthly", "flexible", "discrete"]
Commitment = Literal["firm", "planning"]


class ForecastBucketInput(InputModel):
    """A quantity for one period; dates are inclusive.

    ``end`` may be left out where the interval implies it: a daily or discrete
    bucket is one day, a weekly one seven days, a monthly one runs to the end of the
    month ``start`` is in. A flexible bucket needs its ``end``.
    """

    start: date
    end: date | None = None
    interval: BucketInterval
    commitment: Commitment = "planning"
    quantity: ExactNumber


class ForecastInput(InputModel):
    """One item's forecast from one schedule message, for one ship-to (None: not given).

    The item is named like an order line's (partner cross-reference, our item number,
    GTIN). ``uom`` None means the item's own unit. The horizon defaults to the
    buckets' first start and last end. ``source_ref`` identifies the message and the
    item within it, so that a re-sent message is recognised as a duplicate.
    """

    partner_id: PartnerSlug
    buyer_part: PartNumber | None = None
    vendor_part: PartNumber | None = None
    gtin: Gtin | None = None
    ship_to: Annotated[str, bounded_text(80)] | None = None
    kind: ForecastKind = "planning"
    reference: Annotated[str, bounded_text(80)]
    uom: Uom | None = None
    horizon_start: date | None = None
    horizon_end: date | None = None
    issue_date: date
    source_ref: Annotated[str, bounded_text(128)]
    buckets: tuple[ForecastBucketInput, ...] = ()
