"""Functional acknowledgements of what we send: outbound set rows, the partner's 997/999, overdue sets.

Every transaction set we send gets its own ledger row (``kind="set"``, ``direction="out"``)
below the interchange row that is delivered, with the partner, GS06 and ST02 as written:
the interchange row tracks delivery (pending -> sent), the set row the partner's answer
(awaiting-fa -> acknowledged | rejected, or overdue first). A 997/999 names our group in
AK1 (GS01, GS06) and each set in AK2 (ST01, ST02); sets a group verdict covers without an
AK2 take the group's AK901. Each verdict is kept in ``fa_receipt``; one about a set we never
sent is kept there as ``unmatched`` (FA_UNMATCHED). The interchange row itself moves to
acknowledged (or rejected, when every set was) once all its sets are answered; it is never
moved to ``overdue``, which would make the AS2 sender send it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlmodel import Session

from edi.x12.writer import OutGroup
from gateway.ledger.models import (
    ACKNOWLEDGED,
    AWAITING_FA,
    OVERDUE,
    REJECTED,
    SENT,
    FaReceipt,
    Message,
    MessageEvent,
    aware,
    utcnow,
)
from gateway.scheduler.config import FunctionalAckSettings

if TYPE_CHECKING:
    from gateway.inbound.fa_read import AckedGroup

# Stable codes of this module's findings (recorded on ledger rows, not inbound-data errors).
FA_UNMATCHED = "FA_UNMATCHED"  # a 997/999 about a set we never sent
FA_REJECTED = "FA_REJECTED"  # the partner's 997/999 rejected one of our sets
FA_OVERDUE = "FA_OVERDUE"  # no 997/999 within the set's window
ACCEPTING = frozenset({"A", "E"})  # AK501/IK501 codes that accept; M, R, W, X reject
WAITING = (AWAITING_FA, OVERDUE)
MATCHED, UNMATCHED = "matched", "unmatched"


def record_sent_sets(session: Session, parent: Message, groups: Sequence[OutGroup],
                     doc_refs: Mapping[tuple[int, int], str] | None = None) -> list[Message]:
    """One ``awaiting-fa`` row per set of an outbound interchange (``doc_refs``: (GS06, ST02) -> reference).

    Call it in the transaction that records ``parent`` (the interchange row), with the groups
    it was rendered from; GS06 and ST02 are stored as the writer writes them.
    """
    rows = []
    for group in groups:
        for out_set in group.sets:
            row = Message(direction="out", kind="set", parent_id=parent.id, partner_id=parent.partner_id,
                          sender=parent.sender, receiver=parent.receiver, isa13=parent.isa13,
                          gs06=str(group.control_number), st02=f"{out_set.control_number:04d}",
                          set_id=out_set.set_id, version=group.version, status=AWAITING_FA,
                          doc_ref=(doc_refs or {}).get((group.control_number, out_set.control_number)))
            session.add(row)
            rows.append(row)
    session.flush()
    session.add_all([MessageEvent(message_id=r.id, status=AWAITING_FA, detail=f"GS06 {r.gs06} ST02 {r.st02}")
                     for r in rows])
    return rows


def _number(value: str | None) -> str:
    """Control numbers compare as numbers: a partner may echo 0001 as 1."""
    text = (value or "").strip()
    return str(int(text)) if text.isdigit() else text


def move_coded(session: Session, message: Message, status: str, *, code: str | None = None,
               text: str | None = None, detail: str | None = None) -> None:
    """Move ``message`` (with a coded finding, or clearing the previous one) and append the event."""
    message.status = status
    message.updated_at = utcnow()
    message.error_code = code
    message.error_message = f"{code}: {text}" if code else None
    message.errors_json = json.dumps([{"code": code, "message": text}]) if code else None
    session.add(message)
    session.add(MessageEvent(message_id=message.id, status=status, detail=detail or message.error_message))


@dataclass(slots=True)
class Reconciled:
    """What one 997/999 set did: our set rows it settled, and its verdicts about sets we never sent."""

    matched: list[int] = field(default_factory=list)  # outbound set row ids
    unmatched: list[FaReceipt] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AckSource:
    """Where a 997/999 came from: its partner, the interchange row carrying it, its kind and ST02."""

    partner_id: str
    interchange_id: int
    ack_kind: str
    ack_st02: str
    isa13: str


def reconcile(session: Session, source: AckSource, group: AckedGroup) -> Reconciled:
    """Apply one AK1 group's verdicts to the set rows of the group we sent (in the caller's transaction)."""
    ours = list(session.execute(select(Message).where(
        Message.partner_id == source.partner_id, Message.gs06 == _number(group.group_control),
        Message.direction == "out", Message.kind == "set")).scalars())
    by_key = {(m.set_id, _number(m.st02)): m for m in ours}
    result = Reconciled()
    listed: set[int] = set()
    for acked in group.sets:
        row = by_key.get((acked.set_id, _number(acked.set_control)))
        receipt = _receipt(source, group, acked.set_id, acked.set_control, acked.code, ",".join(acked.error_codes))
        if row is None:
            _unmatched(session, receipt, result)
            continue
        listed.add(row.id or 0)
        _settle(session, source, row, receipt, result)
    if group.code is None:
        return result
    covered = [m for m in ours if m.id not in listed]
    for row in covered:  # sets the group verdict covers without an AK2 of their own
        code = "R" if group.code == "R" else ("E" if group.code == "E" else "A")
        _settle(session, source, row, _receipt(source, group, row.set_id, row.st02, code, ""), result)
    if not ours and not group.sets:
        _unmatched(session, _receipt(source, group, None, None, group.code, ",".join(group.error_codes)), result)
    _settle_parents(session, {m.parent_id for m in ours if m.id in result.matched and m.parent_id})
    return result


def _receipt(source: AckSource, group: AckedGroup, set_id: str | None, set_control: str | None, code: str,
             error_codes: str) -> FaReceipt:
    return FaReceipt(interchange_id=source.interchange_id, partner_id=source.partner_id, ack_kind=source.ack_kind,
                     ack_st02=source.ack_st02, functional_id=group.functional_id[:2],
                     group_control=group.group_control[:16], set_id=set_id, set_control=set_control, code=code[:2],
                     group_code=group.code, error_codes=error_codes[:64] or None, result=MATCHED)


def _unmatched(session: Session, receipt: FaReceipt, result: Reconciled) -> None:
    receipt.result, receipt.error_code = UNMATCHED, FA_UNMATCHED
    session.add(receipt)
    result.unmatched.append(receipt)


def _settle(session: Session, source: AckSource, row: Message, receipt: FaReceipt, result: Reconciled) -> None:
    receipt.outbound_id = row.id
    session.add(receipt)
    result.matched.append(row.id or 0)
    code = receipt.code
    codes = f" ({receipt.error_codes})" if receipt.error_codes else ""
    detail = f"{source.ack_kind} in ISA13 {source.isa13} (message #{source.interchange_id}): {code}{codes}"
    row.ack_code, row.ack_message_id = code, source.interchange_id
    if code in ACCEPTING:
        move_coded(session, row, ACKNOWLEDGED, detail=detail)
    else:
        move_coded(session, row, REJECTED, code=FA_REJECTED, detail=detail,
                   text=f"the partner's {source.ack_kind} rejected {row.set_id} ST02 {row.st02} (GS06 {row.gs06}): "
                        f"{code}{codes}")


def _settle_parents(session: Session, parent_ids: Iterable[int]) -> None:
    """A sent interchange whose sets are all answered: acknowledged (A, E or P), or rejected when all were."""
    for parent_id in sorted(parent_ids):
        parent = session.get(Message, parent_id)
        if parent is None or parent.status != SENT:
            continue
        codes = list(session.execute(select(Message.ack_code, Message.status).where(
            Message.parent_id == parent_id, Message.direction == "out", Message.kind == "set")).all())
        if not codes or any(status in WAITING for _code, status in codes):
            continue
        verdicts = {code for code, _status in codes}
        if verdicts <= ACCEPTING:
            parent.ack_code = "E" if "E" in verdicts else "A"
        else:
            parent.ack_code = "R" if not verdicts & ACCEPTING else "P"
        status = REJECTED if parent.ack_code == "R" else ACKNOWLEDGED
        move_coded(session, parent, status, detail=f"functional acknowledgements: {parent.ack_code}")


@dataclass(frozen=True, slots=True)
class OverdueSet:
    message: Message
    sent_at: datetime
    window: timedelta

    @property
    def due_at(self) -> datetime:
        return self.sent_at + self.window


def overdue_sets(session: Session, windows: FunctionalAckSettings, now: datetime | None = None,
                 partner_id: str | None = None) -> list[OverdueSet]:
    """Outbound sets still without a 997/999 longer than their window after their interchange was sent."""
    moment = now or utcnow()
    sent = (select(MessageEvent.message_id, func.min(MessageEvent.at).label("sent_at"))
            .where(MessageEvent.status == SENT).group_by(MessageEvent.message_id).subquery())
    query = (select(Message, sent.c.sent_at).join(sent, sent.c.message_id == Message.parent_id)
             .where(Message.direction == "out", Message.kind == "set", Message.status.in_(WAITING),
                    sent.c.sent_at < moment - windows.shortest()).order_by(Message.id))
    if partner_id:
        query = query.where(Message.partner_id == partner_id)
    found = []
    for message, sent_at in session.execute(query).all():
        item = OverdueSet(message, aware(sent_at), windows.window(message.partner_id, message.set_id))
        if item.due_at < moment:
            found.append(item)
    return found


def mark_overdue(session: Session, windows: FunctionalAckSettings, now: datetime | None = None) -> list[int]:
    """Move sets that just became overdue to ``overdue`` (once: an overdue set is not moved again)."""
    marked = []
    for item in overdue_sets(session, windows, now):
        message = item.message
        if message.status != AWAITING_FA:
            continue
        move_coded(session, message, OVERDUE, code=FA_OVERDUE,
                   text=f"no 997/999 for {message.set_id} ST02 {message.st02} (GS06 {message.gs06}) within "
                        f"{item.window.total_seconds() / 3600:g} h of sending ({item.sent_at:%Y-%m-%d %H:%M} UTC)")
        marked.append(message.id or 0)
    return marked
