"""Deliver pending outbound messages to the outbox, after the transaction that created them.

A message is marked sent only once its file is in place (written to a temporary name,
fsynced, renamed). Each message is delivered inside its own transaction that locks the
row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite transactions take the write lock
at BEGIN), so two workers never deliver the same message. A crash between the rename
and the commit re-delivers the same bytes under the same name.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from gateway.context import Context
from gateway.ledger import store
from gateway.ledger.models import PENDING, SENT, Message, OutboundFile, utcnow


def deliver_pending(ctx: Context) -> list[str]:
    """Write every pending outbound file into the outbox; returns the names this worker delivered."""
    with Session(ctx.engine) as session:
        candidates = list(session.execute(select(Message.id).where(
            Message.direction == "out", Message.status == PENDING).order_by(Message.id)).scalars())
    return [name for message_id in candidates if (name := _deliver_one(ctx, message_id))]


def _deliver_one(ctx: Context, message_id: int) -> str | None:
    with Session(ctx.engine) as session:
        row = session.execute(
            select(Message, OutboundFile).join(OutboundFile, OutboundFile.message_id == Message.id)
            .where(Message.id == message_id, Message.status == PENDING)
            .with_for_update(skip_locked=True, of=Message)).first()
        if row is None:  # another worker has it, or has delivered it already
            return None
        message, outbound = row
        data = ctx.archive.path(outbound.archive_path).read_bytes()
        target = ctx.outbox.deliver(outbound.file_name, data)
        outbound.delivered_to = str(target)
        outbound.delivered_at = utcnow()
        session.add(outbound)
        store.move(session, message, SENT, detail=f"written to {target}")
        session.commit()
        return outbound.file_name
