"""The canonical planning schedule: what every inbound 830 (forecast) and 862 (shipping
schedule) becomes after mapping.

Both transaction sets say the same thing at different horizons: for each item, how
much the buyer expects to need in which time bucket, and how firm that is. One model
serves both; ``kind`` tells them apart ("planning" for an 830, "shipping" for an
862) because the ERP treats a shipping schedule as a release to ship and a planning
schedule as a forecast. Codes are translated to canonical words by the mapping; the
key order below is the JSON contract (golden files, ledger, --explain).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party


class ForecastBucket(_Canonical):
    """One FST segment: a quantity in a time bucket.

    ``commitment`` is how firm the quantity is (firm, planning, ...: FST02);
    ``interval`` the bucket kind (discrete, daily, weekly, monthly, flexible, ...:
    FST03) starting at ``start``; ``end`` closes a flexible interval.
    """

    quantity: ExactDecimal
    commitment: str
    interval: str
    start: dt.date
    end: dt.date | None = None


class ScheduleItem(_Canonical):
    """One scheduled item (a LIN loop) with its buckets in the order sent.

    ``ship_to`` is the item's own destination when the schedule gives one (an N1
    loop inside the LIN loop); otherwise the schedule's ``ship_to`` applies.
    ``po_number`` is the blanket order the item is released against, when the LIN
    segment names it.
    """

    line_no: str | None = None
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = None
    po_number: str | None = None
    description: str | None = None
    uom: str | None = None
    ship_to: Party | None = None
    buckets: list[ForecastBucket]


class PlanningSchedule(Document):
    """A planning (830) or shipping (862) schedule in canonical form.

    ``reference`` is the schedule's own identifier (BFR02 / BSS02), ``release`` the
    release number (BFR03 / BSS07), ``issue_date`` the date the schedule was made
    (BFR08 / BSS03); ``horizon_start``/``horizon_end`` bound the buckets.
    """

    type: Literal["planning_schedule"] = "planning_schedule"
    partner: str | None = None
    kind: str
    reference: str | None = None
    release: str | None = None
    purpose: str
    schedule_type: str | None = None
    quantity_type: str | None = None
    issue_date: dt.date | None = None
    horizon_start: dt.date | None = None
    horizon_end: dt.date | None = None
    ship_to: Party | None = None
    items: list[ScheduleItem]
    envelope: Envelope
