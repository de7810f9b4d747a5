"""Asynchronous MDNs partners post to us (``/as2/mdn``): verify, match, settle the message they confirm.

The MDN must be signed by the partner named in its AS2-From (when the partnership asks
for signed receipts), answer a Message-ID we sent to that partner, be positive and carry
our MIC. A late MDN for an overdue message still confirms it. A matched MDN that reports
a failure, or whose MIC differs, moves the message to ``error``; an MDN we cannot match
is answered 400 and only logged, since nothing of ours can carry it.
"""

from __future__ import annotations

import logging
from email.message import Message as MimeHeaders

from sqlalchemy import select
from sqlmodel import Session

from gateway.as2.directory import As2Directory
from gateway.as2.journal import archive_mdn, move_message, touch
from gateway.as2.models import AWAITING, CONFIRMED, FAILED, POSTING, UNCONFIRMED, As2Message
from gateway.context import Context
from gateway.ledger.models import AWAITING_MDN, ERROR, OVERDUE, SENT
from gateway.ledger.models import Message as LedgerMessage
from transports.as2.client import PendingMdn, match_async_mdn
from transports.as2.errors import As2Error
from transports.as2.receiver import ERROR_HEADER, HttpResponse

log = logging.getLogger(__name__)
_MATCHABLE = (POSTING, AWAITING, UNCONFIRMED)
_WAITING = (AWAITING_MDN, OVERDUE)


def _answer(status: int, text: str, code: str | None = None) -> HttpResponse:
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if code:
        headers[ERROR_HEADER] = code
    return HttpResponse(status, headers, (text + "\n").encode())


class MdnReceiver:
    """The ``on_mdn`` callable of the AS2 app."""

    def __init__(self, ctx: Context, directory: As2Directory) -> None:
        self._ctx = ctx
        self._directory = directory

    def __call__(self, headers: MimeHeaders, body: bytes) -> HttpResponse:
        matched_rows: list[int] = []

        def find_pending(original_message_id: str) -> PendingMdn | None:
            with Session(self._ctx.engine) as session:
                row = session.execute(select(As2Message).where(
                    As2Message.direction == "out", As2Message.as2_message_id == original_message_id,
                    As2Message.status.in_(_MATCHABLE))).scalars().first()
            if row is None or row.mic is None or row.mic_digest is None:
                return None
            matched_rows.append(row.id or 0)
            return PendingMdn(row.as2_message_id, row.as2_to, row.as2_from, row.mic, row.mic_digest,
                              True, row.created_at)

        try:
            matched = match_async_mdn(headers, body, self._directory.lookup, find_pending)
        except As2Error as exc:
            if not matched_rows:
                log.warning("asynchronous MDN refused: %s", exc)
                return _answer(400, f"{exc.code}: {exc.message}", exc.code)
            self._settle(matched_rows[0], headers, body, FAILED, ERROR, exc.code, exc.message, None)
            return _answer(200, f"MDN received; it reports a problem: {exc.code}", exc.code)
        disposition = matched.report.disposition.render()
        self._settle(matched_rows[0], headers, body, CONFIRMED, SENT, None, None, disposition)
        return _answer(200, "MDN received")

    def _settle(self, row_id: int, headers: MimeHeaders, body: bytes, row_status: str, message_status: str,
                code: str | None, text: str | None, disposition: str | None) -> None:
        mdn_path = archive_mdn(self._ctx.archive, {k: str(v) for k, v in headers.items()}, body)
        with Session(self._ctx.engine) as session:
            row = session.get(As2Message, row_id)
            if row is None:
                return
            touch(row, status=row_status, error_code=code, error_message=text, mdn_archive_path=mdn_path,
                  mdn_disposition=disposition[:255] if disposition else None)
            session.add(row)
            message = session.get(LedgerMessage, row.message_id)
            if message is not None and message.status in _WAITING:
                detail = f"asynchronous MDN for AS2 <{row.as2_message_id}>: {disposition or code}"
                move_message(session, message, message_status, code=code, text=text, detail=detail)
            session.commit()
