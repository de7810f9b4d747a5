"""Asynchronous MDNs we owe partners: archived first, posted after the exchange, retried until delivered.

A partner that asked for an asynchronous receipt is told "received" on the HTTP response
and gets the MDN by a separate POST. The MDN is archived before that POST, so a partner
that is briefly unreachable still gets it: each gateway round posts the MDNs still owed,
up to :data:`MAX_MDN_ATTEMPTS` times.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from gateway.as2.journal import load_mdn, touch
from gateway.as2.models import MDN_FAILED, MDN_PENDING, MDN_POSTED, As2Message
from gateway.context import Context
from gateway.ledger.models import utcnow
from transports.as2.errors import As2Error
from transports.as2.receiver import AsyncMdnJob, post_async_mdn

log = logging.getLogger(__name__)
MAX_MDN_ATTEMPTS = 5
MDN_POST_TIMEOUT = 30.0
UNPOSTED_GRACE = timedelta(minutes=2)  # an MDN still pending this long was never posted (crash)


def post_owed_mdn(ctx: Context, row_id: int) -> bool:
    """POST the archived MDN of AS2 row ``row_id``; True when the partner took it."""
    with Session(ctx.engine, expire_on_commit=False) as session:
        row = session.get(As2Message, row_id)
        if row is None or row.mdn_status not in (MDN_PENDING, MDN_FAILED) or not row.mdn_url \
                or not row.mdn_archive_path:
            return False
        headers, body = load_mdn(ctx.archive, row.mdn_archive_path)
        job = AsyncMdnJob(row.mdn_url, headers, body, row.as2_message_id, row.as2_from)
    try:
        post_async_mdn(job, timeout=MDN_POST_TIMEOUT)
    except As2Error as exc:
        log.warning("async MDN for <%s> not delivered: %s", job.original_message_id, exc)
        _mark(ctx, row_id, MDN_FAILED)
        return False
    _mark(ctx, row_id, MDN_POSTED)
    return True


def _mark(ctx: Context, row_id: int, status: str) -> None:
    with Session(ctx.engine) as session:
        row = session.get(As2Message, row_id)
        if row is None:
            return
        touch(row, mdn_status=status, mdn_attempts=row.mdn_attempts + 1)
        session.add(row)
        session.commit()


def post_owed_mdns(ctx: Context, now: datetime | None = None) -> int:
    """Post every owed MDN whose earlier POST failed, or that a crash left unposted; returns how many went out."""
    stale = (now or utcnow()) - UNPOSTED_GRACE
    with Session(ctx.engine) as session:
        ids = list(session.execute(select(As2Message.id).where(
            As2Message.direction == "in", As2Message.mdn_attempts < MAX_MDN_ATTEMPTS,
            or_(As2Message.mdn_status == MDN_FAILED,
                and_(As2Message.mdn_status == MDN_PENDING, As2Message.updated_at < stale)))
            .order_by(As2Message.id)).scalars())
    return sum(post_owed_mdn(ctx, row_id) for row_id in ids)
