"""What each canonical document does to the ERP core: one handler per document type.

A handler reduces a mapped document to what the ERP core takes (``prepare``, done as
soon as the set is mapped so the document need not be kept) and applies a batch of
prepared documents in the caller's transaction (``apply``). Batched handlers (orders)
are applied many at a time; the others one by one, after the orders waiting before
them, so an order change that follows its order in the same group finds it booked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from sqlmodel import Session

from edi.canonical import Document
from edi.errors import EdiError
from gateway.inbound.booking import PreparedOrder, book_batch, prepare_order
from gateway.ledger.store import SetRow

BOOKED, DUPLICATE, FAILED = "booked", "duplicate", "failed"


@dataclass(frozen=True, slots=True)
class Applied:
    """The ERP core's answer for one document."""

    status: str  # BOOKED | DUPLICATE | FAILED
    ref: str  # the document's own reference (PO number, BOM item+revision, forecast reference)
    record_id: int | None = None  # the ERP row it created or changed (order, forecast, BOM revision)
    errors: tuple[EdiError, ...] = ()
    reply: str | None = None  # the business answer it calls for: "855" (order) | "865" (change)


def source_ref(row: SetRow) -> str:
    """Where a document came from, as the ERP core records it (order history, forecasts, BOMs)."""
    if row.isa13:
        return f"isa:{row.sender}:{row.isa13}/gs:{row.gs06}/st:{row.st02}"
    return f"file:{row.file_id}/{row.set_id}:{row.doc_ref or row.offset}"


class Handler(Protocol):
    batched: bool

    def prepare(self, document: Document, partner_id: str) -> object: ...

    def apply(self, session: Session, items: Sequence[tuple[object, SetRow]]) -> list[Applied]: ...


class OrderHandler:
    """Purchase orders: booked in batches through the ERP core's bulk path."""

    batched = True

    def prepare(self, document: Document, partner_id: str) -> object:
        return prepare_order(document, partner_id)  # type: ignore[arg-type]

    def apply(self, session: Session, items: Sequence[tuple[object, SetRow]]) -> list[Applied]:
        orders = [(order, row) for order, row in items if isinstance(order, PreparedOrder)]
        results = book_batch(session, orders, source_ref)
        applied = []
        for (_order, row), result in zip(orders, results, strict=True):
            if result.status == BOOKED:
                applied.append(Applied(BOOKED, result.po_number, result.order_id, reply="855"))
            elif result.status == DUPLICATE:
                applied.append(Applied(DUPLICATE, result.po_number, result.order_id, (EdiError(
                    "BOOK_DUPLICATE_PO", f"PO {result.po_number} is already booked for partner {row.partner_id} "
                    f"(order #{result.order_id})"),)))
            else:
                error = result.error or EdiError("BOOK_FAILED", f"PO {result.po_number} was not booked")
                applied.append(Applied(FAILED, result.po_number, errors=(error,)))
        return applied


def _handlers() -> Mapping[str, Handler]:
    # Imported here: those modules build on the Applied/source_ref definitions above.
    from gateway.inbound.bom_handler import BomHandler
    from gateway.inbound.change_handler import ChangeHandler
    from gateway.inbound.fa_handler import FaHandler
    from gateway.inbound.remittance_handler import RemittanceHandler
    from gateway.inbound.schedule_handler import ScheduleHandler

    return MappingProxyType({"purchase_order": OrderHandler(), "po_change": ChangeHandler(),
                             "planning_schedule": ScheduleHandler(), "bill_of_materials": BomHandler(),
                             "functional_ack": FaHandler(), "remittance_advice": RemittanceHandler()})


#: Canonical document type -> its handler (stateless objects).
HANDLERS: Mapping[str, Handler] = _handlers()


def handler_for(document: Document) -> Handler | None:
    return HANDLERS.get(str(getattr(document, "type", "")))
