"""``outbound_document`` rows: claimed before a document is built, so no document goes out twice.

A claim inserts the row inside a SAVEPOINT: a unique-key conflict means another run (or a
concurrent worker: PostgreSQL makes the second insert wait for the first transaction) has
the document, and it is skipped. A row in ``error`` is claimed again by a conditional
UPDATE, so a document that failed (a template fixed, a lot released since) is retried by
the next run, and by one worker only. All functions work in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.ledger.models import Message, OutboundDocument, utcnow

CREATED, ERROR = "created", "error"
ERROR_MESSAGE_MAX = 2000


@dataclass(frozen=True, slots=True)
class DocKey:
    """What a document is about: the unique key of its ``outbound_document`` row."""

    partner_id: str
    kind: str
    erp_table: str
    erp_id: int
    period: str = ""


def _where(key: DocKey) -> tuple[object, ...]:
    return (OutboundDocument.partner_id == key.partner_id, OutboundDocument.kind == key.kind,
            OutboundDocument.erp_table == key.erp_table, OutboundDocument.erp_id == key.erp_id,
            OutboundDocument.period == key.period)


def claim(session: Session, key: DocKey) -> OutboundDocument | None:
    """The row for this run to build the document under; None when it was built (or is being built)."""
    existing = session.execute(select(OutboundDocument).where(*_where(key))).scalar_one_or_none()
    if existing is None:
        row = OutboundDocument(**asdict(key), status=CREATED)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another worker claimed it between our look and our insert
            return None
        return row
    if existing.status != ERROR:
        return None
    retried = session.execute(update(OutboundDocument)
                              .where(OutboundDocument.id == existing.id, OutboundDocument.status == ERROR)
                              .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    if retried.rowcount != 1:  # a concurrent run built it meanwhile
        return None
    session.refresh(existing)
    return existing


def mark_created(session: Session, row: OutboundDocument, message_id: int) -> None:
    row.status, row.message_id, row.error_code, row.error_message = CREATED, message_id, None, None
    row.updated_at = utcnow()
    session.add(row)


def mark_error(session: Session, row: OutboundDocument, code: str, message: str) -> None:
    row.status, row.message_id, row.error_code = ERROR, None, code
    row.error_message = message[:ERROR_MESSAGE_MAX]
    row.updated_at = utcnow()
    session.add(row)


def documents_for(session: Session, erp_table: str, ids: Sequence[int]) -> list[OutboundDocument]:
    """Every document row about these ERP records (created and in error), oldest first."""
    if not ids:
        return []
    return list(session.execute(select(OutboundDocument).where(
        OutboundDocument.erp_table == erp_table, OutboundDocument.erp_id.in_(list(ids)))
        .order_by(OutboundDocument.id)).scalars())


def messages_for(session: Session, erp_table: str, ids: Sequence[int]) -> list[Message]:
    """The outbound messages (set rows, PDF file rows) that carried documents about these records."""
    if not ids:
        return []
    carried = select(OutboundDocument.message_id).where(
        OutboundDocument.erp_table == erp_table, OutboundDocument.erp_id.in_(list(ids)),
        OutboundDocument.message_id.is_not(None))
    return list(session.execute(select(Message).where(Message.id.in_(carried)).order_by(Message.id)).scalars())
