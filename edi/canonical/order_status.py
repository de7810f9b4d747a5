"""The canonical order status report: where each line of a customer's order stands.

``mappings/templates/x12/870.j2`` renders it as an X12 870 Order Status Report (one
order-level HL per purchase order, one item-level HL per line). Quantities are the
factory's view of the line: ordered, in production, inspected (released by quality)
and shipped; ``status`` says in business words what the line is waiting for.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party

LineStatus = Literal["open", "in_production", "inspected", "partially_shipped", "shipped", "cancelled", "on_hold"]


class StatusLine(_Canonical):
    """One ordered line and its progress.

    Shipped and inspected quantities can exceed production only through stock, so the
    model only checks what can never be true: nothing is negative, and nothing is
    shipped beyond what was ordered unless ``over_shipment_allowed`` says the partner
    accepts it.
    """

    line_no: str | None = None
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = Field(default=None, pattern=r"^\d{8}$|^\d{12,14}$")
    uom: str = Field(pattern=r"^[A-Z0-9]{2}$")
    unit_price: ExactDecimal | None = Field(default=None, ge=0)
    ordered: ExactDecimal = Field(ge=0)
    in_production: ExactDecimal = Field(default=0, ge=0)
    inspected: ExactDecimal = Field(default=0, ge=0)
    shipped: ExactDecimal = Field(default=0, ge=0)
    status: LineStatus
    status_date: dt.date | None = None
    scheduled_ship: dt.date | None = None
    over_shipment_allowed: bool = False

    @model_validator(mode="after")
    def _not_overshipped(self) -> StatusLine:
        if self.shipped > self.ordered and not self.over_shipment_allowed:
            raise ValueError(f"line {self.line_no}: shipped {self.shipped} exceeds ordered {self.ordered}")
        return self


class StatusOrder(_Canonical):
    """One purchase order in the report with its lines."""

    po_number: str = Field(min_length=1, max_length=22)
    po_date: dt.date | None = None
    order_reference: str | None = None  # our sales-order number
    lines: list[StatusLine] = Field(min_length=1)


class OrderStatusReport(Document):
    """An order status report to one customer, over one or more of its orders.

    ``report_number`` identifies the report (BSR03); ``report_kind`` says why it was
    sent: ``periodic`` (scheduled), ``exception`` (something changed) or ``inquiry``
    (the buyer asked). ``envelope`` stays empty for outbound documents.
    """

    type: Literal["order_status"] = "order_status"
    partner: str | None = None
    report_number: str = Field(min_length=1, max_length=30)
    report_kind: Literal["periodic", "exception", "inquiry"] = "periodic"
    report_date: dt.date
    seller: Party | None = None
    buyer: Party | None = None
    orders: list[StatusOrder] = Field(min_length=1)
    envelope: Envelope | None = None
