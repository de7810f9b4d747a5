"""The canonical nonconformance report: a quality alert to a customer about one lot.

The gateway raises one when a lot of the customer's product had a nonconformance or
a result outside the partner's alert limits; ``mappings/templates/x12/842.j2``
renders it as an X12 842 Nonconformance Report for partners that take it. Each
:class:`Nonconformance` is one finding (an NCD loop) with the actions taken on it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.certificate import ItemRef
from edi.canonical.order import Party

Purpose = Literal["original", "replace", "cancellation"]
Severity = Literal["minor", "major", "critical"]


class Nonconformance(_Canonical):
    """One finding: what does not conform, how much of the lot, and what was done about it.

    ``reference`` is our nonconformance record's number; ``characteristic`` the
    inspected characteristic when the finding comes from an inspection (with the
    ``measured`` value and its ``unit`` and limits); ``actions`` the containment and
    corrective actions in the order taken (disposition, rework, scrap, ...).
    """

    reference: str = Field(min_length=1, max_length=20)
    description: str = Field(min_length=1)
    severity: Severity = "major"
    characteristic: str | None = None
    measured: ExactDecimal | None = None
    unit: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$")
    lower: ExactDecimal | None = None
    upper: ExactDecimal | None = None
    quantity_affected: ExactDecimal | None = Field(default=None, ge=0)
    detected_on: dt.date
    actions: list[str] = []


class NonconformanceReport(Document):
    """A nonconformance report about one lot of one item, independent of its format.

    ``report_number`` is the report's own identifier (BNR02). ``envelope`` stays empty
    for outbound documents.
    """

    type: Literal["nonconformance_report"] = "nonconformance_report"
    partner: str | None = None
    report_number: str = Field(min_length=1, max_length=30)
    purpose: Purpose = "original"
    report_date: dt.date
    issuer: Party
    customer: Party | None = None
    po_number: str | None = Field(default=None, max_length=22)
    order_reference: str | None = None
    item: ItemRef
    lot_number: str = Field(min_length=1, max_length=20)
    quantity: ExactDecimal | None = Field(default=None, gt=0)
    uom: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$")
    nonconformances: list[Nonconformance] = Field(min_length=1)
    envelope: Envelope | None = None
