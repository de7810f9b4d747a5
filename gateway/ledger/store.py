"""Ledger operations: record, move and look up messages; allocate control numbers.

All functions take the caller's session and never commit: the caller decides the unit
of work (an interchange is booked, logged and acknowledged in one transaction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from edi.errors import EdiError
from erp_core.bulk_insert import BulkInsert
from gateway.ledger.archive import Archived
from gateway.ledger.models import (
    PENDING,
    ControlCounter,
    InterchangeKey,
    Message,
    MessageEvent,
    OutboundFile,
    utcnow,
)

# ISA13 and GS06 are at most nine digits; ST02 we keep within nine as well.
_CONTROL_MAX = 999_999_999


def errors_json(errors: Sequence[EdiError]) -> str | None:
    return json.dumps([e.to_dict() for e in errors]) if errors else None


def add_message(session: Session, **fields: object) -> Message:
    """Insert a message row and its first event; returns it with its id."""
    message = Message(**fields)
    session.add(message)
    session.flush()
    session.add(MessageEvent(message_id=message.id, status=message.status,
                             detail=message.error_message))
    return message


def move(session: Session, message: Message, status: str, *, errors: Sequence[EdiError] = (),
         detail: str | None = None) -> None:
    """Move ``message`` to ``status`` (recording the first error, all errors, and an event).

    A move without errors clears the current error fields (a reprocessed message that now
    succeeds); the earlier errors stay in its event history.
    """
    message.status = status
    message.updated_at = utcnow()
    message.error_code = errors[0].code if errors else None
    message.error_message = str(errors[0]) if errors else None
    message.errors_json = errors_json(errors)
    session.add(message)
    session.add(MessageEvent(message_id=message.id, status=status, detail=detail or message.error_message))


def attach_file(session: Session, message: Message, file_name: str, archived: Archived) -> OutboundFile:
    """The archived bytes an outbound message (from :func:`add_message`, so it has its id) delivers."""
    row = OutboundFile(message_id=message.id, file_name=file_name, archive_path=archived.relative,
                       sha256=archived.sha256, size=archived.size)
    session.add(row)
    return row


@dataclass(slots=True)
class SetRow:
    """A transaction set's ledger row, built in memory and inserted in bulk."""

    parent_id: int
    file_id: int
    partner_id: str | None
    sender: str
    receiver: str
    isa13: str
    gs06: str
    st02: str
    set_id: str
    version: str
    offset: int
    history: list[str]  # statuses reached, in order; the last is the current one
    errors: list[EdiError]
    doc_ref: str | None = None
    ack_code: str | None = None


_MESSAGE_TABLE = Message.__table__  # type: ignore[attr-defined]
_EVENT_TABLE = MessageEvent.__table__  # type: ignore[attr-defined]
_MESSAGE_COLUMNS = tuple(c.name for c in _MESSAGE_TABLE.columns if c.name != "id")
_EVENT_COLUMNS = tuple(c.name for c in _EVENT_TABLE.columns if c.name != "id")
_INSERTS_KEY = "gateway.ledger.set_row_inserts"  # in Connection.info: compiled once per DBAPI connection


def _set_row_inserts(connection: Connection) -> tuple[BulkInsert, BulkInsert]:
    inserts = connection.info.get(_INSERTS_KEY)
    if inserts is None:
        inserts = connection.info[_INSERTS_KEY] = (BulkInsert(_MESSAGE_TABLE, _MESSAGE_COLUMNS, connection.dialect),
                                                   BulkInsert(_EVENT_TABLE, _EVENT_COLUMNS, connection.dialect))
    return inserts


def _set_row_values(row: SetRow, ack_message_id: int | None, now: datetime) -> dict[str, object]:
    return {
        "direction": "in", "kind": "set", "file_id": row.file_id, "parent_id": row.parent_id,
        "partner_id": row.partner_id, "sender": row.sender, "receiver": row.receiver, "isa13": row.isa13,
        "gs06": row.gs06, "st02": row.st02, "set_id": row.set_id, "version": row.version, "doc_ref": row.doc_ref,
        "offset": row.offset, "status": row.history[-1],
        "error_code": row.errors[0].code if row.errors else None,
        "error_message": str(row.errors[0]) if row.errors else None,
        "errors_json": errors_json(row.errors), "ack_code": row.ack_code, "ack_message_id": ack_message_id,
        "attempts": 1, "created_at": now, "updated_at": now,
    }


def insert_set_rows(session: Session, rows: Sequence[SetRow], ack_message_id: int | None) -> None:
    """Bulk-insert set rows and their events (one event per status reached).

    Rows go through the driver's bulk path; their ids are read back as the rows of this
    interchange above the highest id it had before (only the worker holding the
    interchange's file writes rows under it, and ids are assigned in insertion order).
    """
    if not rows:
        return
    parent_id = rows[0].parent_id
    if any(r.parent_id != parent_id for r in rows):
        raise ValueError("set rows of one call must belong to one interchange")
    connection = session.connection()
    messages, events = _set_row_inserts(connection)
    before = connection.execute(select(func.coalesce(func.max(Message.id), 0))
                                .where(Message.parent_id == parent_id)).scalar_one()
    now = utcnow()
    values = [_set_row_values(r, ack_message_id, now) for r in rows]
    messages.execute(connection, [[v[c] for v in values] for c in _MESSAGE_COLUMNS])
    ids = connection.execute(select(Message.id).where(Message.parent_id == parent_id, Message.id > before)
                             .order_by(Message.id)).scalars().all()
    if len(ids) != len(rows):
        raise RuntimeError(f"interchange #{parent_id}: wrote {len(rows)} set rows, found {len(ids)}")
    event_rows = [(message_id, status, str(row.errors[0]) if row.errors and i == len(row.history) - 1 else None, now)
                  for message_id, row in zip(ids, rows, strict=True) for i, status in enumerate(row.history)]
    events.execute(connection, [list(column) for column in zip(*event_rows, strict=True)])


def claim_interchange(session: Session, sender: str, isa13: str, message_id: int) -> int | None:
    """Register (sender, ISA13); returns the id of the earlier message when it is a resubmission."""
    owner = select(InterchangeKey.message_id).where(InterchangeKey.sender == sender, InterchangeKey.isa13 == isa13)
    existing = session.execute(owner).scalar_one_or_none()
    if existing is not None:
        return existing if existing != message_id else None
    try:
        with session.begin_nested():
            session.add(InterchangeKey(sender=sender, isa13=isa13, message_id=message_id))
    except IntegrityError:  # another worker registered it between our look and our insert
        return session.execute(owner).scalar_one()
    return None


def next_control_number(session: Session, partner_id: str, kind: str) -> int:
    """Allocate the next control number of ``kind`` for a partner, inside the caller's transaction.

    The counter row is updated in place (row-locked on PostgreSQL, the single writer on
    SQLite), so numbers are unique and gap-free: a rolled-back transaction gives its
    number back with it.
    """
    bump = (update(ControlCounter)
            .where(ControlCounter.partner_id == partner_id, ControlCounter.kind == kind)
            .values(last_value=ControlCounter.last_value % _CONTROL_MAX + 1)
            .returning(ControlCounter.last_value))
    value = session.execute(bump).scalar_one_or_none()
    if value is not None:
        return value
    try:
        with session.begin_nested():
            session.add(ControlCounter(partner_id=partner_id, kind=kind, last_value=1))
    except IntegrityError:
        return session.execute(bump).scalar_one()
    return 1


def get_message(session: Session, message_id: int) -> Message | None:
    return session.get(Message, message_id)


def lock_outbound(session: Session, message_id: int, statuses: Sequence[str] = (PENDING,)
                  ) -> tuple[Message, OutboundFile] | None:
    """The outbound message and its file, row-locked for sending while it is in one of ``statuses``.

    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite's transaction holds the write lock), so
    two workers never send one message; None when another worker has it or it moved on.
    """
    row = session.execute(
        select(Message, OutboundFile).join(OutboundFile, OutboundFile.message_id == Message.id)
        .where(Message.id == message_id, Message.status.in_(statuses))
        .with_for_update(skip_locked=True, of=Message)).first()
    return None if row is None else (row[0], row[1])


def list_messages(session: Session, *, status: str | None = None, kind: str | None = None,
                  partner_id: str | None = None, limit: int = 100) -> list[Message]:
    query = select(Message).order_by(Message.id.desc()).limit(limit)
    if status:
        query = query.where(Message.status == status)
    if kind:
        query = query.where(Message.kind == kind)
    if partner_id:
        query = query.where(Message.partner_id == partner_id)
    return list(session.execute(query).scalars())


def children(session: Session, message_id: int) -> list[Message]:
    return list(session.execute(select(Message).where(Message.parent_id == message_id)
                                .order_by(Message.id)).scalars())


def events(session: Session, message_id: int) -> list[MessageEvent]:
    return list(session.execute(select(MessageEvent).where(MessageEvent.message_id == message_id)
                                .order_by(MessageEvent.id)).scalars())


PROBLEM_STATUSES = ("error", "refused", "duplicate")


def problems_of_files(session: Session, file_ids: Sequence[int]) -> list[Message]:
    """Inbound messages of these files that ended in error, refused or duplicate, in order."""
    if not file_ids:
        return []
    return list(session.execute(select(Message).where(
        Message.file_id.in_(list(file_ids)), Message.direction == "in",
        Message.status.in_(PROBLEM_STATUSES)).order_by(Message.id)).scalars())
