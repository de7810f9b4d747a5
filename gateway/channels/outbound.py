"""Outbound over a channel: a pending message is sent to the partner and marked sent only once it is in place.

The message row is locked for the send (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; the
SQLite transaction holds the write lock), so two workers never send one message. The
transport writes a temporary name and renames it (done only when the rename
succeeded); then the message moves to ``sent`` and the ``ok`` transfer row is written
in one commit. A crash between the rename and the commit sends the same bytes under
the same name again, which replaces the earlier copy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from gateway.channels.errors import STICKY_FILE_CODES, ChannelError
from gateway.channels.inbound import printable
from gateway.channels.settings import ChannelSettings
from gateway.context import Context
from gateway.ledger import store, transfers
from gateway.ledger.models import SENT, Message, OutboundFile, utcnow
from transports.base import SendReceipt, Transport, TransportError


@dataclass(frozen=True, slots=True)
class SendFailure:
    """A send that failed; the message stays pending. ``error`` is what the runner counts and retries."""

    error: TransportError | ChannelError
    remote_name: str
    size: int
    sha256: str


def remote_name(outbound: OutboundFile, partner_id: str | None) -> str:
    """The name at the partner: the outbox file name without its ``<partner>/`` folder (the channel is the folder).

    Anything else is passed on whole, so that a name with a separator is refused by the
    transport's name check instead of being shortened into something that looks safe.
    """
    prefix = f"{partner_id}/"
    return outbound.file_name[len(prefix):] if partner_id and outbound.file_name.startswith(prefix) \
        else outbound.file_name


def refused_before(ctx: Context, channel: ChannelSettings, message_id: int) -> bool:
    """A message whose last send was refused for good (e.g. an unsafe name) is not tried again every round."""
    return transfers.send_refused_before(ctx.engine, channel.name, message_id, STICKY_FILE_CODES)


def send_one(ctx: Context, channel: ChannelSettings, transport: Transport, message_id: int,
             now: Callable[[], datetime]) -> str | SendFailure | None:
    """Send one pending message; its remote name when sent, a :class:`SendFailure`, or None (not pending now)."""
    started, clock = now(), time.monotonic()
    with Session(ctx.engine) as session:
        row = store.lock_outbound(session, message_id)
        if row is None:  # another worker has it, or has sent it already
            return None
        message, outbound = row
        name = remote_name(outbound, message.partner_id)
        try:
            data = ctx.archive.path(outbound.archive_path).read_bytes()
        except OSError as exc:
            return SendFailure(ChannelError("CHANNEL_OUTBOUND_MISSING", f"archived bytes of message #{message_id} "
                                            f"cannot be read: {exc.strerror}"), name, outbound.size, outbound.sha256)
        try:
            receipt = transport.send(name, data)
        except (TransportError, ChannelError) as exc:
            session.rollback()
            return SendFailure(exc, name, len(data), outbound.sha256)
        _mark_sent(session, channel, message, outbound, receipt, started, clock)
        session.commit()
        return name


def _mark_sent(session: Session, channel: ChannelSettings, message: Message, outbound: OutboundFile,
               receipt: SendReceipt, started: datetime, clock: float) -> None:
    where = f"{channel.name}:{receipt.path}"
    outbound.delivered_to = where[:255]
    outbound.delivered_at = utcnow()
    session.add(outbound)
    store.move(session, message, SENT, detail=f"sent over channel {where}")
    transfers.add_attempt(session, channel=channel.name, partner_id=channel.partner, direction="out",
                          remote_name=receipt.name[:255], size=receipt.size, sha256=receipt.sha256,
                          started_at=started, duration_ms=int((time.monotonic() - clock) * 1000),
                          result=transfers.OK, message_id=message.id)


def record_send_failure(ctx: Context, channel: ChannelSettings, message_id: int, failure: SendFailure,
                        started: datetime, duration_ms: int) -> None:
    transfers.record_attempt(ctx.engine, channel=channel.name, partner_id=channel.partner, direction="out",
                             remote_name=printable(failure.remote_name), size=failure.size, sha256=failure.sha256,
                             started_at=started, duration_ms=duration_ms, result=transfers.ERROR,
                             error_code=failure.error.code, error_message=failure.error.message,
                             message_id=message_id)
