"""The canonical purchase order change: what every inbound 860 becomes after mapping.

A change names the order it changes (``po_number``) and, per line, what happens to
it. The X12 change type (POC02) is kept as sent (``change_code``) next to the
canonical ``action`` the mapping derives from it, so the ERP core can act on a small
closed vocabulary while a person can still see exactly what the partner sent. The
key order below is the JSON contract (golden files, ledger, --explain).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party


class ChangeLine(_Canonical):
    """One changed line (a POC loop).

    ``action`` is one of: add, cancel, quantity_increase, quantity_decrease,
    price_change, date_change, change, replace, no_change. ``quantity`` is the new
    quantity ordered (POC03); ``quantity_left_to_receive`` (POC04) is what the buyer
    still expects after this change, not a difference.
    """

    line_no: str | None = None
    change_code: str
    action: str
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = None
    description: str | None = None
    quantity: ExactDecimal | None = None
    quantity_left_to_receive: ExactDecimal | None = None
    uom: str | None = None
    unit_price: ExactDecimal | None = None
    requested_date: dt.date | None = None


class PurchaseOrderChange(Document):
    """A buyer's change to an existing purchase order, independent of the X12 version.

    ``purpose`` is the canonical word of the whole change (change, cancellation,
    replace, ...); a header-only change (a whole-order cancellation) has no lines.
    ``change_sequence`` is the buyer's change order number (BCH05): it orders
    several changes to one purchase order.
    """

    type: Literal["po_change"] = "po_change"
    partner: str | None = None
    po_number: str
    purpose: str
    change_sequence: str | None = None
    po_date: dt.date | None = None
    change_date: dt.date | None = None
    currency: str | None = None
    ship_to: Party | None = None
    bill_to: Party | None = None
    lines: list[ChangeLine]
    envelope: Envelope
