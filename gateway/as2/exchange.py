"""Recording what happened to each AS2 request, after its response went out.

The web layer captures the request headers, the response (status, headers, body) and
any asynchronous MDN the receiver produced, and hands them here in a worker thread.
A stored message's row (written by ``deliver``) gets the MDN; anything refused or
answered negatively becomes a ledger message with its AS2 code. Owed asynchronous MDNs
are archived first and then posted; a failed post is retried by :mod:`gateway.as2.mdn_jobs`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import Message

from sqlmodel import Session

from gateway.as2.directory import As2Directory
from gateway.as2.inbound import stored_row
from gateway.as2.journal import add_refused_message, archive_mdn, touch
from gateway.as2.mdn_jobs import post_owed_mdn
from gateway.as2.models import DUPLICATE, MDN_PENDING, MDN_RETURNED, REFUSED, REJECTED, As2Message
from gateway.context import Context
from gateway.ledger.models import DUPLICATE as LEDGER_DUPLICATE
from gateway.ledger.models import REFUSED as LEDGER_REFUSED
from transports.as2.errors import SPECS, As2Error
from transports.as2.mdn import Disposition, MdnRequest
from transports.as2.mime import strip_angle, unquote_as2_name
from transports.as2.receiver import ERROR_HEADER, AsyncMdnJob

log = logging.getLogger(__name__)
_NOT_RECORDED = frozenset({"AS2_METHOD"})  # a stray GET is not a message
_MDN_HEADERS = ("AS2-Version", "AS2-From", "AS2-To", "Message-ID", "Date", "MIME-Version", "Content-Type")


@dataclass(frozen=True, slots=True)
class Exchange:
    """One finished AS2 request as the web layer saw it."""

    request: Message
    status: int
    response: Message
    body: bytes
    async_mdn: AsyncMdnJob | None = None

    @property
    def as2_from(self) -> str:
        return unquote_as2_name(self.request.get("AS2-From") or "")

    @property
    def as2_to(self) -> str:
        return unquote_as2_name(self.request.get("AS2-To") or "")

    @property
    def message_id(self) -> str:
        return strip_angle(self.request.get("Message-ID") or "")

    @property
    def error_code(self) -> str | None:
        code = self.response.get(ERROR_HEADER)
        return code if code in SPECS else None

    @property
    def sync_mdn(self) -> bool:
        return self.status == 200 and self.response.get_content_type().startswith("multipart/")


class ExchangeRecorder:
    def __init__(self, ctx: Context, directory: As2Directory) -> None:
        self._ctx = ctx
        self._directory = directory

    def record(self, exchange: Exchange) -> None:
        """Record ``exchange``; then post the asynchronous MDN it owes, if any."""
        code = exchange.error_code
        if code in _NOT_RECORDED:
            return
        with Session(self._ctx.engine, expire_on_commit=False) as session:
            row = self._stored(session, exchange) if code is None else self._refused(session, exchange, code)
            if row is not None:
                self._attach_mdn(row, exchange, code)
                session.add(row)
            session.commit()
        if row is not None and exchange.async_mdn is not None:
            post_owed_mdn(self._ctx, row.id or 0)

    def _stored(self, session: Session, exchange: Exchange) -> As2Message | None:
        row = stored_row(session, exchange.as2_from, exchange.message_id)
        if row is None:
            log.error("AS2 <%s> from %s was answered as stored but has no ledger row", exchange.message_id,
                      exchange.as2_from)
        return row

    def _refused(self, session: Session, exchange: Exchange, code: str) -> As2Message:
        entry = self._directory.entry_for(exchange.as2_from, exchange.as2_to)
        partner_id = entry.partner if entry else None
        text = _error_text(exchange, code)
        ledger_status = LEDGER_DUPLICATE if code == "AS2_DUPLICATE" else LEDGER_REFUSED
        message = add_refused_message(session, status=ledger_status, partner_id=partner_id,
                                      as2_message_id=exchange.message_id, code=code, message=text)
        status = DUPLICATE if code == "AS2_DUPLICATE" else REFUSED if exchange.status >= 400 else REJECTED
        return As2Message(direction="in", message_id=message.id, partner_id=partner_id,
                          as2_from=exchange.as2_from[:128], as2_to=exchange.as2_to[:128],
                          as2_message_id=exchange.message_id[:255], status=status, error_code=code,
                          error_message=text, mdn_mode="none")

    def _attach_mdn(self, row: As2Message, exchange: Exchange, code: str | None) -> None:
        request = MdnRequest.from_headers(exchange.request)
        mode = "async" if request.async_url else "sync" if request.requested else "none"
        changes: dict[str, object] = {"mdn_mode": mode}
        job = exchange.async_mdn
        if job is not None:
            changes.update(mdn_archive_path=archive_mdn(self._ctx.archive, job.headers, job.body),
                           mdn_status=MDN_PENDING, mdn_url=job.url[:512])
        elif exchange.sync_mdn:
            headers = {name: str(exchange.response[name]) for name in _MDN_HEADERS if exchange.response[name]}
            changes.update(mdn_archive_path=archive_mdn(self._ctx.archive, headers, exchange.body),
                           mdn_status=MDN_RETURNED)
        if job is not None or exchange.sync_mdn:
            disposition = Disposition.for_error(As2Error(code, "")) if code else Disposition()
            changes["mdn_disposition"] = disposition.render()[:255]
        touch(row, **changes)


def _error_text(exchange: Exchange, code: str) -> str:
    """The refusal's own text (HTTP-level answers carry it), else the catalogue's title."""
    if exchange.status >= 400 and exchange.body.startswith(code.encode() + b": "):
        return exchange.body.decode("utf-8", "replace").strip()[len(code) + 2:]
    return SPECS[code].title
