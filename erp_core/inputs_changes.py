"""Validated input for order changes (X12 860, UBL OrderChange, a UI edit).

Only shape and representability are checked here: text lengths that mirror the
columns, dates, NUMERIC(18,6)-exact numbers. What depends on business rules or on
the booked order (a non-positive quantity, an unknown line, a quantity below what was
shipped) is reported by :func:`erp_core.services.changes.apply_order_change` as
coded problems, so that the caller can answer the partner line by line instead of
failing the whole message on a validation exception.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from erp_core.inputs import Gtin, InputModel, PartnerSlug, PartNumber, Price, Uom, bounded_text

ChangePurpose = Literal["change", "cancel", "replace"]
LineAction = Literal["add", "cancel", "change"]

# Any value NUMERIC(18,6) holds exactly, sign included: the sign is a business rule (see above).
ExactNumber = Annotated[Decimal, Field(max_digits=18, decimal_places=6, allow_inf_nan=False)]


class LineChangeInput(InputModel):
    """One line of a change message, named by the buyer's line reference (PO101/POC01).

    ``add`` needs ``quantity`` and ``uom``; ``change`` sets the fields given and keeps
    the others (None = unchanged); ``cancel`` needs nothing else. ``quantity`` is the
    new total ordered quantity of the line, not a difference.
    """

    buyer_line_ref: Annotated[str, bounded_text(20)]
    action: LineAction
    quantity: ExactNumber | None = None
    unit_price: Price | None = None
    requested_date: date | None = None
    uom: Uom | None = None
    buyer_part: PartNumber | None = None
    vendor_part: PartNumber | None = None
    gtin: Gtin | None = None
    description: Annotated[str, bounded_text(255)] | None = None


class OrderChangeInput(InputModel):
    """A change to a booked order, identified by the partner and its PO number.

    ``purpose``: ``change`` applies the lines one by one; ``cancel`` cancels the whole
    order (its lines, if any, are not needed and not looked at); ``replace`` makes the
    lines given the order's complete new content: lines named are changed or added,
    open lines not named are cancelled. ``source_ref`` identifies the message (for
    example ``isa:ZZ:ACME:000000123/gs:1/st:0001``): the same reference applied twice
    is reported as a duplicate. ``changed_by`` is the partner or user responsible.
    """

    partner_id: PartnerSlug
    po_number: Annotated[str, bounded_text(35)]
    purpose: ChangePurpose = "change"
    change_date: date | None = None
    source_ref: Annotated[str, bounded_text(128)]
    changed_by: Annotated[str, bounded_text(128)]
    lines: tuple[LineChangeInput, ...] = ()
