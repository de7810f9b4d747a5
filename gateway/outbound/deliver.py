"""Deliver pending outbound messages to the outbox, after the transaction that created them.

A message is marked sent only once its file is in place (written to a temporary name,
fsynced, renamed). A crash in between re-delivers the same bytes under the same name.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from gateway.context import Context
from gateway.ledger import store
from gateway.ledger.models import PENDING, SENT, Message, OutboundFile, utcnow


def deliver_pending(ctx: Context) -> list[str]:
    """Write every pending outbound file into the outbox; returns the names delivered."""
    delivered: list[str] = []
    with Session(ctx.engine) as session:
        rows = session.execute(
            select(Message, OutboundFile).join(OutboundFile, OutboundFile.message_id == Message.id)
            .where(Message.direction == "out", Message.status == PENDING).order_by(Message.id)).all()
        for message, outbound in rows:
            data = ctx.archive.path(outbound.archive_path).read_bytes()
            target = ctx.outbox.deliver(outbound.file_name, data)
            outbound.delivered_to = str(target)
            outbound.delivered_at = utcnow()
            session.add(outbound)
            store.move(session, message, SENT, detail=f"written to {target}")
            session.commit()
            delivered.append(outbound.file_name)
    return delivered
