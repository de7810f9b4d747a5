"""The canonical purchase order: what every inbound 850 becomes after mapping.

Mappings (``edi.mapping``) fill these models from X12 segments; the ERP core books
them. The JSON shape produced by :meth:`PurchaseOrder.to_json_dict` is a contract
(golden files, the ledger and the --explain view store it), so its key names and
order are fixed here, once. Quantities and prices are :class:`~decimal.Decimal`
and serialise as fixed-point strings ("12.50"): a float would silently change an
order's money. Dates serialise as ISO strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical


class Party(_Canonical):
    """A ship-to / bill-to party (an N1 loop in X12)."""

    name: str | None = None
    id: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Line(_Canonical):
    """One ordered item (a PO1 loop)."""

    line_no: str | None = None
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = None
    description: str | None = None
    quantity: ExactDecimal
    uom: str | None = None
    unit_price: ExactDecimal | None = None
    requested_date: dt.date | None = None


class PurchaseOrder(Document):
    """A purchase order in canonical form, independent of the X12 version it came in."""

    type: Literal["purchase_order"] = "purchase_order"
    partner: str | None = None
    po_number: str
    order_date: dt.date | None = None
    purpose: str | None = None
    currency: str | None = None
    ship_to: Party | None = None
    bill_to: Party | None = None
    lines: list[Line]
    envelope: Envelope
