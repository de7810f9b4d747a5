"""Sending pending outbound messages to AS2 partners, and tracking their MDNs.

A message moves ``pending -> awaiting-mdn -> sent``. It becomes ``awaiting-mdn`` in the
same commit that records the AS2 Message-ID and MIC, *before* the POST, so no database
transaction stays open while the partner answers (two gateways posting to each other
would otherwise wait on each other's locks) and a worker that dies mid-POST leaves a
message that simply becomes overdue. It is ``sent`` only once a synchronous MDN verified
or an asynchronous one matched (:mod:`gateway.as2.receipts`). Without an MDN within the
partner's ``mdn_window_minutes`` it becomes ``overdue`` (code ``AS2_MDN_OVERDUE``) and is
sent again after ``retry_minutes``, up to ``max_attempts`` sends; a retryable HTTP failure
puts it back to ``pending`` on the same schedule; anything else is an ``error`` for a person.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import PurePosixPath

import httpx
from sqlalchemy import func, select
from sqlmodel import Session

from gateway.as2.directory import As2Directory, As2Route
from gateway.as2.journal import archive_mdn, move_message, touch
from gateway.as2.mdn_jobs import post_owed_mdns
from gateway.as2.models import AWAITING, CONFIRMED, FAILED, POSTING, UNCONFIRMED, As2Message
from gateway.as2.post import post_message, verify_sync_mdn
from gateway.context import Context
from gateway.ledger.models import AWAITING_MDN, ERROR, OVERDUE, PENDING, SENT, Message, OutboundFile, aware, utcnow
from transports.as2.errors import As2Error
from transports.as2.message import OutboundMessage, build_message

log = logging.getLogger(__name__)
OVERDUE_CODE = "AS2_MDN_OVERDUE"
_OPEN = (POSTING, AWAITING)


def _attempts(session: Session, message_id: int) -> tuple[int, As2Message | None]:
    count = session.execute(select(func.count()).select_from(As2Message).where(
        As2Message.direction == "out", As2Message.message_id == message_id)).scalar_one()
    last = session.execute(select(As2Message).where(As2Message.direction == "out", As2Message.message_id == message_id)
                           .order_by(As2Message.id.desc())).scalars().first()
    return count, last


class As2Sender:
    """One gateway's AS2 sending round: overdue checks, due sends, owed MDNs."""

    def __init__(self, ctx: Context, directory: As2Directory) -> None:
        self._ctx = ctx
        self._directory = directory
        self.directory = directory

    def run(self, now: datetime | None = None, http: httpx.Client | None = None) -> list[str]:
        """One round; returns a line per message confirmed sent in it."""
        moment = now or utcnow()
        self.mark_overdue(moment)
        due = self.due(moment)
        done: list[str] = []
        if due:
            with httpx.Client() if http is None else nullcontext(http) as client:
                done = [line for message_id in due if (line := self.send_one(message_id, client, moment))]
        post_owed_mdns(self._ctx, moment)
        return done

    def mark_overdue(self, now: datetime) -> list[int]:
        """Messages whose MDN did not come within the window become overdue; returns their ids."""
        overdue = []
        with Session(self._ctx.engine) as session:
            rows = session.execute(select(As2Message, Message).join(Message, Message.id == As2Message.message_id)
                                   .where(As2Message.direction == "out", As2Message.status.in_(_OPEN),
                                          Message.status == AWAITING_MDN)).all()
            for row, message in rows:
                if row.mdn_due_at is None or aware(row.mdn_due_at) > now:
                    continue
                touch(row, status=UNCONFIRMED, error_code=OVERDUE_CODE, error_message="no MDN within the window")
                session.add(row)
                move_message(session, message, OVERDUE, code=OVERDUE_CODE,
                             text=f"no MDN for AS2 <{row.as2_message_id}> by {row.mdn_due_at:%Y-%m-%d %H:%M}")
                overdue.append(message.id or 0)
            session.commit()
        return overdue

    def due(self, now: datetime) -> list[int]:
        """Outbound messages of AS2 partners that may be sent now (first send, or retry by policy)."""
        routes = {route.entry.partner: route for route in self._directory.routes() if route.entry.url}
        if not routes:
            return []
        with Session(self._ctx.engine) as session:
            candidates = session.execute(select(Message).where(
                Message.direction == "out", Message.status.in_((PENDING, OVERDUE)),
                Message.partner_id.in_(list(routes))).order_by(Message.id)).scalars().all()
            return [m.id for m in candidates if m.id is not None and self._may_send(session, m, routes, now)]

    @staticmethod
    def _may_send(session: Session, message: Message, routes: dict[str, As2Route], now: datetime) -> bool:
        entry = routes[message.partner_id or ""].entry
        count, last = _attempts(session, message.id or 0)
        if last is None:
            return True
        waited = now - aware(last.updated_at) >= timedelta(minutes=entry.retry_minutes)
        return count < entry.max_attempts and waited

    def send_one(self, message_id: int, http: httpx.Client, now: datetime) -> str | None:
        """Claim, build, POST and settle one message; returns a summary line once it is confirmed sent."""
        claimed = self._claim(message_id, now)
        if claimed is None:
            return None
        route, built, row_id = claimed
        try:
            result = post_message(http, route.partnership, built)
        except As2Error as exc:
            self._failed(row_id, route, exc, None)
            return None
        if route.partnership.mdn != "sync":
            return self._posted(row_id, route)
        mdn_path = archive_mdn(self._ctx.archive, result.headers, result.body) if result.body else None
        try:
            report = verify_sync_mdn(result, route.partnership, built)
        except As2Error as exc:
            self._failed(row_id, route, exc, mdn_path)
            return None
        return self._confirmed(row_id, report.disposition.render(), mdn_path)

    def _claim(self, message_id: int, now: datetime) -> tuple[As2Route, OutboundMessage, int] | None:
        """Build the AS2 message and commit its id, MIC and the awaiting-mdn status before the POST."""
        with Session(self._ctx.engine) as session:
            found = session.execute(
                select(Message, OutboundFile).join(OutboundFile, OutboundFile.message_id == Message.id)
                .where(Message.id == message_id, Message.status.in_((PENDING, OVERDUE)))
                .with_for_update(skip_locked=True, of=Message)).first()
            if found is None:  # another worker has it, or it was settled meanwhile
                return None
            message, outbound = found
            route = self._directory.route(message.partner_id or "")
            if route is None:
                return None
            payload = self._ctx.archive.path(outbound.archive_path).read_bytes()
            built = build_message(payload, route.partnership, filename=PurePosixPath(outbound.file_name).name,
                                  subject=f"EDI {message.set_id or message.kind} #{message.id}",
                                  domain=self._directory.settings.domain)
            count, _last = _attempts(session, message_id)
            window = max(route.entry.mdn_window_minutes * 60, route.entry.timeout_seconds)
            row = As2Message(direction="out", message_id=message_id, partner_id=route.entry.partner,
                             as2_from=route.partnership.local_id, as2_to=route.partnership.partner_id,
                             as2_message_id=built.message_id, status=POSTING, mic=built.mic,
                             mic_digest=built.mic_digest, mdn_mode=route.partnership.mdn,
                             mdn_due_at=now + timedelta(seconds=window))
            session.add(row)
            message.attempts = count + 1
            move_message(session, message, AWAITING_MDN,
                         detail=f"AS2 <{built.message_id}> to {route.partnership.url} (send {count + 1})")
            session.commit()
            return route, built, row.id or 0

    def _settle(self, row_id: int, row_status: str, message_status: str | None, *,
                row_fields: dict[str, object] | None = None, code: str | None = None, text: str | None = None,
                detail: str | None = None) -> None:
        """Update the attempt row; move its message only while it still waits on this very attempt."""
        with Session(self._ctx.engine) as session:
            row = session.get(As2Message, row_id)
            if row is None:
                return
            if row.status in _OPEN:
                touch(row, status=row_status, **(row_fields or {}))
                session.add(row)
            message = session.get(Message, row.message_id)
            last = _attempts(session, row.message_id or 0)[1]
            if message_status and message is not None and message.status == AWAITING_MDN and last is not None \
                    and last.id == row_id:
                move_message(session, message, message_status, code=code, text=text, detail=detail)
            session.commit()

    def _failed(self, row_id: int, route: As2Route, exc: As2Error, mdn_path: str | None) -> None:
        log.warning("AS2 send to %s failed: %s", route.entry.partner, exc)
        with Session(self._ctx.engine) as session:
            row = session.get(As2Message, row_id)
            count = _attempts(session, row.message_id or 0)[0] if row else 0
        retry = exc.retryable and count < route.entry.max_attempts
        self._settle(row_id, FAILED, PENDING if retry else ERROR, code=exc.code, text=exc.message,
                     row_fields={"error_code": exc.code, "error_message": exc.message, "mdn_archive_path": mdn_path})

    def _posted(self, row_id: int, route: As2Route) -> str | None:
        if route.partnership.mdn == "async":
            self._settle(row_id, AWAITING, None)
            return None
        self._settle(row_id, CONFIRMED, SENT, detail=f"posted to {route.partnership.url} (no MDN requested)")
        return f"{route.entry.partner}: sent over AS2 (no MDN)"

    def _confirmed(self, row_id: int, disposition: str, mdn_path: str | None) -> str:
        self._settle(row_id, CONFIRMED, SENT, row_fields={"mdn_disposition": disposition[:255],
                                                          "mdn_archive_path": mdn_path},
                     detail=f"MDN verified: {disposition}")
        return f"AS2 attempt #{row_id}: MDN verified"

