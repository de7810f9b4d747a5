"""Answers to XML and CSV orders in the partner's own format: cXML ConfirmationRequest, UBL
OrderResponse or an acknowledgement CSV, for partners that take purchase-order acknowledgements.

A booked order is answered from the ERP core's feasibility check (as the 855 is); an
order the ERP core refused gets a rejection naming the PO, so the buyer learns it at once.
Replies are outbound messages in the same transaction as the bookings they answer.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from edi.canonical.order_ack import OrderAcknowledgement
from edi.render import RenderError, render_text
from gateway.context import Context
from gateway.inbound.docfile import DocOutcome
from gateway.inbound.handlers import BOOKED, FAILED
from gateway.ledger import store
from gateway.ledger.models import ERROR, PENDING, Message
from gateway.ledger.store import SetRow
from gateway.outbound.po_ack_doc import build_order_ack
from gateway.outbound.po_acks import takes_po_acks

# Reply format -> (template, file suffix, ledger label).
FORMATS = {"cxml": ("cxml/ConfirmationRequest.xml.j2", "xml", "cXML-CR"),
           "ubl": ("ubl/OrderResponse.xml.j2", "xml", "UBL-OR"),
           "csv": ("csv/order-ack.csv.j2", "csv", "CSV-ACK")}


def reply_format(outcome: DocOutcome) -> str | None:
    if outcome.kind == "csv":
        return "csv"
    root = outcome.root_tag or ""
    if root == "cXML":
        return "cxml"
    return "ubl" if "oasis:names:specification:ubl" in root else None


def _party(text: str) -> dict[str, str]:
    domain, _, identity = text.partition(":")
    return {"domain": domain, "identity": identity} if identity else {"domain": "", "identity": text}


def _context(ack: OrderAcknowledgement, row: SetRow, now: dt.datetime, us: str) -> dict[str, object]:
    message = {"id": f"{now:%Y%m%dT%H%M%S}.{ack.po_number}@{us}", "timestamp": now.isoformat(timespec="seconds"),
               "deployment_mode": "production", "from": _party(row.receiver), "to": _party(row.sender),
               "sender": _party(row.receiver), "receiver": _party(row.sender)}
    return {"ack": ack, "message": message}


def create_doc_replies(ctx: Context, session: Session, file_message: Message, outcome: DocOutcome) -> None:
    """One reply per answered document; nothing for partners that take no acknowledgements."""
    fmt = reply_format(outcome)
    if fmt is None or not takes_po_acks(session, outcome.partner_id):
        return
    now = dt.datetime.now(dt.UTC)
    for row, applied in zip(outcome.rows, outcome.applied, strict=True):
        ack = None
        if applied is not None and applied.status == BOOKED and applied.reply and applied.record_id is not None:
            ack = build_order_ack(session, applied.record_id, "order" if applied.reply == "855" else "change",
                                  now.date())
        elif (applied is None or applied.status == FAILED) and row.doc_ref:
            ack = OrderAcknowledgement(po_number=row.doc_ref, ack_date=now.date(), ack_type="reject",
                                       partner=outcome.partner_id)
        if ack is not None:
            _store_reply(ctx, session, file_message, outcome.partner_id or "", fmt,
                         _context(ack, row, now, ctx.settings.gateway.isa_id), ack.po_number)


def _store_reply(ctx: Context, session: Session, parent: Message, partner_id: str, fmt: str,
                 context: dict[str, object], po_number: str) -> None:
    template, suffix, label = FORMATS[fmt]
    try:
        text = render_text(ctx.templates.for_partner(partner_id), template, context)
    except RenderError as exc:
        failed = store.add_message(session, direction="out", kind="ack", parent_id=parent.id, partner_id=partner_id,
                                   set_id=label[:8], status=ERROR, doc_ref=po_number[:64])
        failed.error_code, failed.error_message = exc.code, str(exc)
        return
    archived = ctx.archive.store_bytes(text.encode("utf-8"))
    message = store.add_message(session, direction="out", kind="ack", parent_id=parent.id, partner_id=partner_id,
                                set_id=label[:8], status=PENDING, doc_ref=po_number[:64])
    store.attach_file(session, message, f"{partner_id}/{label}-{po_number}-{message.id}.{suffix}", archived)
