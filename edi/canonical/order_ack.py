"""The canonical purchase-order acknowledgement: what the gateway answers an order (or an order change) with.

The gateway fills it from the ERP's feasibility check; templates under
``mappings/templates/`` render it as an X12 855 (``kind="order"``) or 865
(``kind="change"``), a cXML ConfirmationRequest, a UBL OrderResponse or CSV. The model
speaks business terms (``accept``, ``backorder`` ...), never one format's codes: each
template owns the code table that turns them into its format's codes, so a partner
with other codes overrides one template, not this contract.

Quantities and prices are :class:`~decimal.Decimal` (fixed-point strings in JSON);
units of measure are X12 unit codes (``EA``, ``BX``), as in the purchase order.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party

AckKind = Literal["order", "change"]
Purpose = Literal["original", "cancellation", "change", "replace", "confirmation", "duplicate"]
AckType = Literal["accept", "accept_with_changes", "reject"]
LineStatus = Literal[
    "accept", "accept_changed", "backorder", "reject", "date_changed", "quantity_changed", "price_changed",
]


class AckLine(_Canonical):
    """The seller's answer for one ordered line (a PO1/POC loop with its ACK segment).

    ``ordered_quantity`` and ``unit_price`` echo the order (as the buyer sent them, or
    as changed when ``status`` says so); ``scheduled_quantity`` / ``scheduled_date`` are
    what the seller commits to ship and when. ``change_type`` is only meaningful for an
    order-change acknowledgement: the buyer's change request this line answers (X12 670
    code, e.g. ``QI`` quantity increase); the 865 template falls back to ``CA``.
    """

    line_no: str | None = None
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = None
    description: str | None = None
    ordered_quantity: ExactDecimal = Field(ge=0)
    uom: str | None = None
    unit_price: ExactDecimal | None = Field(default=None, ge=0)
    status: LineStatus
    scheduled_quantity: ExactDecimal | None = Field(default=None, ge=0)
    scheduled_date: dt.date | None = None
    reason: str | None = None
    change_type: str | None = None

    @model_validator(mode="after")
    def _status_has_its_data(self) -> AckLine:
        """A line that says what changed must carry the changed value: templates write it."""
        needs = {"quantity_changed": "scheduled_quantity", "date_changed": "scheduled_date",
                 "price_changed": "unit_price"}
        field = needs.get(self.status)
        if field is not None and getattr(self, field) is None:
            raise ValueError(f"status {self.status!r} needs {field}")
        return self


class OrderAcknowledgement(Document):
    """A purchase-order acknowledgement in canonical form, independent of the format it is sent in.

    ``ack_type`` is the whole-order answer; ``lines`` may be empty (an acknowledgement
    without detail). ``envelope`` stays empty for outbound documents: the gateway
    allocates control numbers when it writes the interchange.
    """

    type: Literal["order_ack"] = "order_ack"
    partner: str | None = None
    kind: AckKind = "order"
    po_number: str = Field(min_length=1)
    po_date: dt.date | None = None
    ack_date: dt.date
    purpose: Purpose = "original"
    ack_type: AckType
    reference: str | None = None  # our (the seller's) order number
    currency: str | None = None
    buyer: Party | None = None
    seller: Party | None = None
    lines: list[AckLine] = []
    envelope: Envelope | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OrderAcknowledgement:
        """An accepted order has no rejected line, and a rejected one no accepted line."""
        statuses = {line.status for line in self.lines}
        if self.ack_type == "accept" and statuses - {"accept"}:
            raise ValueError(f"ack_type 'accept' but line statuses {sorted(statuses - {'accept'})}: "
                             "use 'accept_with_changes'")
        if self.ack_type == "reject" and statuses - {"reject"}:
            raise ValueError(f"ack_type 'reject' but line statuses {sorted(statuses - {'reject'})}")
        return self
