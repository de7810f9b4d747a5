"""855/865 interchanges: the business answer to the orders and order changes of one inbound interchange.

Built in the transaction that booked the orders, like the 997, so a booked order and its
acknowledgement are committed together (or neither is). Only partners that take
acknowledgements (``send_po_acks``) get one. The templates (``x12/855.j2``,
``x12/865.j2``, partner overrides first) choose the segments; code allocates control
numbers, builds the envelope and checks every value against the partner's delimiters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from edi.canonical.order import Party
from edi.render import RenderError, render_x12_set
from edi.x12.model import Delimiters, InterchangeHeader
from edi.x12.writer import OutGroup, OutSet, effective_delimiters, render_interchange
from edi.x12.writer import Party as X12Party
from erp_core.services.partners import get_partner
from gateway.context import Context
from gateway.ledger import store
from gateway.ledger.models import ERROR, PENDING, Message
from gateway.outbound.acks import reply_delimiters, reply_isa12
from gateway.outbound.po_ack_doc import build_order_ack
from gateway.outbound.reconcile import record_sent_sets

# Acknowledgement kind -> (transaction set, GS01 functional id).
SETS = {"order": ("855", "PR"), "change": ("865", "CA")}


@dataclass(frozen=True, slots=True)
class AckDue:
    order_id: int
    kind: str  # "order" | "change"
    version: str  # GS08 of the group the order came in
    partner_application_id: str  # the inbound GS02, which our GS03 answers


def takes_po_acks(session: Session, partner_id: str | None) -> bool:
    partner = get_partner(session, partner_id) if partner_id else None
    return bool(partner is not None and partner.send_po_acks)


def create_x12_po_acks(ctx: Context, session: Session, partner_id: str, header: InterchangeHeader,
                       due: Sequence[AckDue], parent_id: int | None) -> Message | None:
    """One interchange answering ``due`` (one group per set type); None when nothing is due."""
    if not due or not takes_po_acks(session, partner_id):
        return None
    isa12 = reply_isa12(header)
    delimiters = reply_delimiters(header.delimiters, isa12)
    us = ctx.settings.gateway
    today = dt.datetime.now(dt.UTC).date()
    refs: dict[tuple[int, int], str] = {}  # (GS06, ST02) -> the PO each set answers
    try:
        groups = [_group(ctx, session, partner_id, [d for d in due if d.kind == kind], kind, delimiters, today, refs)
                  for kind in SETS if any(d.kind == kind for d in due)]
    except RenderError as exc:
        label = "-".join(SETS[k][0] for k in SETS if any(d.kind == k for d in due))
        return _render_failed(session, partner_id, parent_id, label, exc)
    isa13 = store.next_control_number(session, partner_id, "isa")
    text = render_interchange(sender=X12Party(us.qualifier, us.isa_id),
                              receiver=X12Party(header.sender_qualifier, header.sender_id), groups=groups,
                              control_number=isa13, delimiters=delimiters, usage=us.usage, version=isa12,
                              when=dt.datetime.now(dt.UTC))
    archived = ctx.archive.store_bytes(text.encode("utf-8"))
    label = "-".join(group.sets[0].set_id for group in groups)
    message = store.add_message(
        session, direction="out", kind="ack", parent_id=parent_id, partner_id=partner_id,
        sender=f"{us.qualifier}:{us.isa_id}", receiver=f"{header.sender_qualifier}:{header.sender_id}",
        isa13=f"{isa13:09d}", set_id=label, status=PENDING, doc_ref=f"{label} for ISA13 {header.control_number}")
    store.attach_file(session, message, f"{partner_id}/{label}-{isa13:09d}.x12", archived)
    record_sent_sets(session, message, groups, refs)  # each set's 997/999 is matched by GS06 + ST02
    return message


def _group(ctx: Context, session: Session, partner_id: str, due: list[AckDue], kind: str, delimiters: Delimiters,
           today: dt.date, refs: dict[tuple[int, int], str]) -> OutGroup:
    set_id, functional_id = SETS[kind]
    version = due[0].version
    templates = ctx.templates.for_partner(partner_id)
    seller = Party(name=None, id=ctx.settings.gateway.isa_id)
    sets: list[OutSet] = []
    po_numbers: dict[int, str] = {}
    for item in due:
        ack = build_order_ack(session, item.order_id, kind, today, seller)
        st02 = store.next_control_number(session, partner_id, "st")
        po_numbers[st02] = ack.po_number
        sets.append(render_x12_set(templates, f"x12/{set_id}.j2", {"ack": ack}, set_id=set_id, control_number=st02,
                                   version=version, delimiters=effective_delimiters(delimiters, version)))
    gs06 = store.next_control_number(session, partner_id, "gs")
    refs.update({(gs06, st02): po for st02, po in po_numbers.items()})
    return OutGroup(functional_id=functional_id, sender_id=ctx.settings.gateway.application_id,
                    receiver_id=due[0].partner_application_id, control_number=gs06, version=version, sets=sets)


def _render_failed(session: Session, partner_id: str, parent_id: int | None, label: str,
                   exc: RenderError) -> Message:
    """Our template is broken: the acknowledgement is recorded in error (fix the template, then reprocess)."""
    message = store.add_message(session, direction="out", kind="ack", parent_id=parent_id, partner_id=partner_id,
                                set_id=label, status=ERROR, doc_ref="purchase-order acknowledgement")
    message.error_code = exc.code
    message.error_message = str(exc)
    session.add(message)
    return message
