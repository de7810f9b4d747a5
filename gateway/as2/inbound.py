"""Receiving AS2 messages into the ledger: the callables the AS2 receiver is built with.

``deliver`` archives the payload and commits its ledger rows through the same path as a
file from the inbox (:func:`gateway.inbound.receive.receive_stream`), then records the
AS2 row and the Message-ID key. It returns only after both commits, so the positive MDN
built afterwards never promises a message we could still lose. A crash between the two
commits leaves the payload received without its Message-ID key: the partner's resend is
stored again and the interchange's own duplicate check (sender + ISA13) keeps it from
being booked twice.
"""

from __future__ import annotations

import io
import logging
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.as2.directory import As2Directory
from gateway.as2.models import STORED, As2Message, As2ReceivedId
from gateway.context import Context
from gateway.inbound.receive import receive_stream
from transports.as2.config import Partnership
from transports.as2.receiver import ReceivedMeta

log = logging.getLogger(__name__)


def _name(meta: ReceivedMeta) -> str:
    if meta.filename:
        return meta.filename
    return f"as2-{meta.message_id}"


class As2Intake:
    """Duplicate check, durable delivery and the async-MDN URL policy for one gateway."""

    def __init__(self, ctx: Context, directory: As2Directory) -> None:
        self._ctx = ctx
        self._directory = directory

    def is_duplicate(self, as2_from: str, message_id: str) -> bool:
        with Session(self._ctx.engine) as session:
            return session.get(As2ReceivedId, (as2_from, message_id)) is not None

    def deliver(self, payload: bytes, meta: ReceivedMeta) -> None:
        """Archive + ledger commit, then the AS2 row and its Message-ID key (see the module docstring)."""
        entry = self._directory.entry_for(meta.as2_from, meta.as2_to)
        partner_id = entry.partner if entry else None
        _file, file_message_id = receive_stream(self._ctx, io.BytesIO(payload), _name(meta),
                                                f"as2:{partner_id or meta.as2_from}"[:64], partner_id)
        with Session(self._ctx.engine) as session:
            row = As2Message(direction="in", message_id=file_message_id, partner_id=partner_id,
                             as2_from=meta.as2_from, as2_to=meta.as2_to, as2_message_id=meta.message_id,
                             status=STORED, mic=meta.mic, mic_digest=meta.mic_digest, mdn_mode="none")
            session.add(row)
            session.flush()
            session.add(As2ReceivedId(as2_from=meta.as2_from, as2_message_id=meta.message_id, as2_row_id=row.id))
            try:
                session.commit()
            except IntegrityError:
                # The same Message-ID was stored concurrently; this copy is already archived and
                # received, and the interchange duplicate check keeps it from being booked twice.
                session.rollback()
                log.warning("AS2 <%s> from %s was stored twice concurrently", meta.message_id, meta.as2_from)

    def async_url_allowed(self, partnership: Partnership, url: str) -> bool:
        """An asynchronous MDN only goes to the host of the partner's registered URL.

        The receipt URL is chosen by whoever sent the request; pinning it to the partner's
        own host keeps us from posting signed receipts to arbitrary addresses.
        """
        registered = partnership.url
        if not registered:
            return False
        return _origin(url) is not None and _origin(url) == _origin(registered)


def _origin(url: str) -> tuple[str, str, int] | None:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    if default is None or not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), parts.port or default


def stored_row(session: Session, as2_from: str, as2_message_id: str) -> As2Message | None:
    """The row written by :meth:`As2Intake.deliver` for this Message-ID (the latest, if stored twice)."""
    return session.execute(select(As2Message).where(
        As2Message.direction == "in", As2Message.as2_from == as2_from, As2Message.as2_message_id == as2_message_id,
        As2Message.status == STORED).order_by(As2Message.id.desc())).scalars().first()
