"""Canonical purchase orders -> ERP core orders, booked in one batch.

The ERP core validates its own inputs (lengths, positive quantities, currency codes);
an order it cannot take is a coded ``BOOK_FAILED`` for that set alone, never an
exception that would sink its neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from pydantic import ValidationError
from sqlmodel import Session

from edi.canonical import Party, PurchaseOrder
from edi.errors import EdiError
from erp_core.inputs import OrderInput
from erp_core.services.booking import BookingResult, book_orders
from gateway.ledger.store import SetRow

# Canonical purpose (BEG01 through the mapping's code list) -> the ERP core's order purpose.
PURPOSES = MappingProxyType({
    "original": "original", "replace": "replace", "change": "change", "cancellation": "cancel",
    "cancel": "cancel", "confirmation": "confirm", "confirm": "confirm",
})


@dataclass(frozen=True, slots=True)
class BookOutcome:
    status: str  # "booked" | "duplicate" | "failed"
    po_number: str
    order_id: int | None = None
    error: EdiError | None = None


def _party(party: Party | None) -> dict[str, object] | None:
    if party is None:
        return None
    return {"name": party.name, "id_code": party.id, "address1": party.address1, "address2": party.address2,
            "city": party.city, "state": party.state, "postal_code": party.postal_code, "country": party.country}


@dataclass(frozen=True, slots=True)
class PreparedOrder:
    """A canonical PO reduced to the plain fields the ERP core validates when it books.

    Prepared when the set is mapped, so the canonical document need not be kept until
    its batch is booked. ``fields`` is None when the order cannot be booked at all
    (``problem`` says why).
    """

    po_number: str
    fields: dict[str, object] | None
    problem: str | None = None


def prepare_order(document: PurchaseOrder | PreparedOrder, partner_id: str) -> PreparedOrder:
    if isinstance(document, PreparedOrder):
        return document
    purpose = PURPOSES.get(document.purpose or "original")
    if purpose is None:
        return PreparedOrder(document.po_number, None, f"purpose {document.purpose!r} cannot be booked as an order")
    if document.order_date is None:
        return PreparedOrder(document.po_number, None, "the order has no order date")
    lines = [{"buyer_line_ref": line.line_no, "buyer_part": line.buyer_part, "vendor_part": line.vendor_part,
              "gtin": line.gtin, "description": line.description, "quantity": line.quantity,
              "uom": line.uom or "EA", "unit_price": line.unit_price, "requested_date": line.requested_date}
             for line in document.lines]
    return PreparedOrder(document.po_number, {
        "partner_id": partner_id, "po_number": document.po_number, "order_date": document.order_date,
        "purpose": purpose, "currency": document.currency or "USD", "ship_to": _party(document.ship_to),
        "bill_to": _party(document.bill_to), "lines": lines})


def to_order_input(order: PreparedOrder, source_ref: str) -> OrderInput:
    """Raises ValueError (pydantic's ValidationError included) when the ERP core refuses a value.

    The order is handed to pydantic as one nested mapping: a single validation call per
    order (in pydantic-core) instead of one model construction per line.
    """
    if order.fields is None:
        raise ValueError(order.problem or "the order cannot be booked")
    return OrderInput.model_validate({**order.fields, "source_ref": source_ref})


def refusal_text(exc: ValueError) -> str:
    """What the ERP core refused, in one line: the first invalid field (``lines.0.quantity: ...``) or the text."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


def _refusal(po_number: str, exc: ValueError) -> EdiError:
    return EdiError("BOOK_FAILED", f"PO {po_number} cannot be booked: {refusal_text(exc)}")


def book_batch(session: Session, items: Sequence[tuple[PreparedOrder, SetRow]],
               source_of: Callable[[SetRow], str]) -> list[BookOutcome]:
    """Book the orders of one batch; one outcome per item, in order."""
    outcomes: list[BookOutcome | None] = []
    inputs: list[OrderInput] = []
    for order, row in items:
        try:
            inputs.append(to_order_input(order, source_of(row)))
            outcomes.append(None)
        except ValueError as exc:
            outcomes.append(BookOutcome("failed", order.po_number, error=_refusal(order.po_number, exc)))
    results = iter(book_orders(session, inputs))
    return [outcome or _from_result(next(results)) for outcome in outcomes]


def _from_result(result: BookingResult) -> BookOutcome:
    return BookOutcome(result.status, result.po_number, result.order_id)
