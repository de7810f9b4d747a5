"""The gateway's lot trace: the ERP core's trace of a lot plus every EDI message that touched it.

:func:`erp_core.services.trace.trace_lot` knows the lot, its order with revisions, BOM
revision, component lots, inspections, nonconformances, alerts, shipments and invoices,
but nothing of the ledger (``erp_core`` never imports the gateway). This module adds:

* ``messages``: the ledger rows about the lot, each with ``about`` saying why it is
  listed and ``document`` naming the business document it carried, if any:

  - the order's own documents: rows whose ``doc_ref`` is the PO number, for the order's
    partner (the 850, its 860 changes, XML/CSV orders and their replies);
  - the answers to the interchanges that carried them: outbound rows whose parent is
    the same interchange (997/999, 855/865) or that the inbound rows name as their
    acknowledgement;
  - the business documents owed for the lot's order, shipments, the lot itself and its
    alerts (870, 856, 810, 863, PDF certificate, 842), as ``outbound_document`` records
    which message carried each (:mod:`gateway.outbound.documents.ledger`);

* ``documents``: those ``outbound_document`` rows, including the ones that failed to
  build (``status`` ``error`` with the code), so the trace also shows what is owed;
* ``certificates``: the messages that carried quality certificates (X12 863, PDF).

Everything is read in the caller's session; nothing is written.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, or_, select

from erp_core.models import Item
from erp_core.models_quality import Lot
from erp_core.services.trace import trace_lot
from gateway.ledger.models import Message, OutboundDocument
from gateway.outbound.documents.ledger import documents_for

__all__ = ["CERTIFICATE_KINDS", "message_record", "trace_lot_messages"]

CERTIFICATE_KINDS = frozenset({"863", "certificate"})
"""``outbound_document.kind`` of quality certificates."""

_Found = dict[int, tuple[str, str | None]]  # message id -> (about, document kind)


def trace_lot_messages(session: Session, lot_number: str, item_number: str | None = None) -> dict[str, Any]:
    """The ERP trace of the lot as JSON-native values, with ``messages``, ``documents`` and ``certificates``.

    Raises the ERP core's ``QualityError`` (``TRACE_LOT_UNKNOWN`` / ``TRACE_LOT_AMBIGUOUS``).
    """
    trace = trace_lot(session, lot_number, item_number).as_dict()
    found: _Found = {}
    order = trace.get("order")
    if order is not None:
        found.update(_order_messages(session, order["partner_id"], order["po_number"]))
    documents = _documents(session, trace)
    for document, about in documents:
        if document.message_id is not None:
            found[document.message_id] = (about, document.kind)
    rows = session.exec(select(Message).where(col(Message.id).in_(found)).order_by(col(Message.id))) if found else []
    messages = [message_record(m, *found[m.id]) for m in rows]  # type: ignore[index]
    trace["messages"] = messages
    trace["documents"] = [_document_record(document, about) for document, about in documents]
    trace["certificates"] = [m for m in messages if m["document"] in CERTIFICATE_KINDS]
    return trace


def message_record(message: Message, about: str, document: str | None = None) -> dict[str, Any]:
    """A ledger row as the trace shows it; ``about`` names what of the lot's story it carried."""
    return {
        "id": message.id,
        "direction": message.direction,
        "kind": message.kind,
        "set_id": message.set_id,
        "document": document,
        "partner_id": message.partner_id,
        "doc_ref": message.doc_ref,
        "isa13": message.isa13,
        "st02": message.st02,
        "status": message.status,
        "ack_code": message.ack_code,
        "error_code": message.error_code,
        "created_at": message.created_at.isoformat(),
        "about": about,
    }


def _order_messages(session: Session, partner_id: str, po_number: str) -> _Found:
    """The order's own documents and the answers to the interchanges that carried them."""
    own = list(session.exec(
        select(Message).where(Message.doc_ref == po_number, Message.partner_id == partner_id)
        .where(col(Message.kind) != "file").order_by(col(Message.id))))
    inbound = [m for m in own if m.direction == "in"]
    carriers = {m.parent_id for m in inbound if m.parent_id is not None}
    acks = {m.ack_message_id for m in inbound if m.ack_message_id is not None}
    found: _Found = {m.id: (f"order {po_number}", None) for m in own}  # type: ignore[misc]
    if carriers or acks:
        answers = session.exec(
            select(Message.id).where(Message.direction == "out")
            .where(or_(col(Message.parent_id).in_(carriers), col(Message.id).in_(acks))))
        found.update({message_id: (f"answer to order {po_number}", None) for message_id in answers})
    # An answer found both as its interchange and as the set naming this PO is listed once, as the set.
    for envelope_id in {m.parent_id for m in own if m.direction == "out" and m.kind == "set"}:
        found.pop(envelope_id, None)  # type: ignore[arg-type]
    return found


def _documents(session: Session, trace: dict[str, Any]) -> list[tuple[OutboundDocument, str]]:
    """The ``outbound_document`` rows about the lot's order, shipments, the lot and its alerts."""
    order = trace.get("order")
    shipments = {s["shipment_id"]: s["shipment_number"] for s in trace.get("shipments", ())}
    about_ids: list[tuple[str, dict[int, str]]] = [
        ("erp_sales_order", {order["id"]: f"order {order['po_number']}"} if order else {}),
        ("erp_shipment", {sid: f"shipment {number}" for sid, number in shipments.items()}),
        ("erp_lot", {_lot_id(session, trace): f"lot {trace['lot']['lot_number']}"}),
        ("erp_quality_alert", {a["id"]: f"alert {a['id']} ({a['kind']})" for a in trace.get("alerts", ())}),
    ]
    found = []
    for table, labels in about_ids:
        found += [(document, labels[document.erp_id]) for document in documents_for(session, table, sorted(labels))]
    return sorted(found, key=lambda pair: pair[0].id or 0)


def _lot_id(session: Session, trace: dict[str, Any]) -> int:
    statement = select(Lot.id).join(Item, col(Item.id) == col(Lot.item_id)).where(
        Lot.lot_number == trace["lot"]["lot_number"], Item.item_number == trace["item"]["item_number"])
    return session.exec(statement).one()  # type: ignore[return-value]


def _document_record(document: OutboundDocument, about: str) -> dict[str, Any]:
    return {
        "kind": document.kind,
        "about": about,
        "partner_id": document.partner_id,
        "period": document.period or None,
        "status": document.status,
        "message_id": document.message_id,
        "error_code": document.error_code,
        "error_message": document.error_message,
        "updated_at": document.updated_at.isoformat(),
    }
