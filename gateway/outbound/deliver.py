"""Deliver pending outbound messages to the outbox, after the transaction that created them.

A message is marked sent only once its file is in place (written to a temporary name,
fsynced, renamed). Each message is delivered inside its own transaction that locks the
row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite transactions take the write lock
at BEGIN), so two workers never deliver the same message. A crash between the rename
and the commit re-delivers the same bytes under the same name.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select
from sqlmodel import Session

from gateway.as2.config import as2_out_partners
from gateway.context import Context
from gateway.ledger import store
from gateway.ledger.models import PENDING, SENT, Message, utcnow


class ChannelRoutes(Protocol):
    """Partner channels that take over delivery for their partners (``gateway.channels.runner.ChannelRunner``)."""

    def channel_for(self, partner_id: str | None) -> Any | None: ...

    def deliver(self, channel: Any, message_id: int) -> str | None: ...


def deliver_pending(ctx: Context, routes: ChannelRoutes | None = None) -> list[str]:
    """Deliver every pending outbound file; returns the names this worker delivered.

    A message for a partner with an outbound channel goes over that channel only (it
    stays pending while the channel is down); every other one is written into the outbox.
    """
    with Session(ctx.engine) as session:
        candidates = session.execute(select(Message.id, Message.partner_id).where(
            Message.direction == "out", Message.status == PENDING).order_by(Message.id)).all()
    delivered = []
    as2_partners = as2_out_partners(ctx.settings.as2)  # sent by gateway.as2.outbound, not here
    for message_id, partner_id in candidates:
        if partner_id in as2_partners:
            continue
        channel = routes.channel_for(partner_id) if routes is not None else None
        name = _deliver_one(ctx, message_id) if channel is None else routes.deliver(channel, message_id)
        if name:
            delivered.append(name)
    return delivered


def _deliver_one(ctx: Context, message_id: int) -> str | None:
    with Session(ctx.engine) as session:
        row = store.lock_outbound(session, message_id)
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
