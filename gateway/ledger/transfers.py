"""The transfer ledger: every try to move a file over a partner channel, and each channel's breaker.

Functions that take a session never commit (the caller's unit of work: an inbound
``ok`` row is committed together with the received file it belongs to). Functions
that take an engine are their own small transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.ledger.models import ChannelState, TransferAttempt

OK, ERROR, DUPLICATE = "ok", "error", "duplicate"
RESULTS = (OK, ERROR, DUPLICATE)


@dataclass(frozen=True, slots=True)
class Failure:
    """A coded failure as the ledger stores it (from a transport or from the gateway's channel code)."""

    code: str
    message: str
    retryable: bool


def add_attempt(session: Session, **fields: object) -> TransferAttempt:
    """Insert one attempt row (not committed); ``result`` must be one of :data:`RESULTS`."""
    if fields.get("result") not in RESULTS:
        raise ValueError(f"transfer result must be one of {RESULTS}, not {fields.get('result')!r}")
    row = TransferAttempt(**fields)
    session.add(row)
    return row


def record_attempt(engine: Engine, **fields: object) -> TransferAttempt:
    """Insert and commit one attempt row (failures and duplicates, which belong to no other unit of work)."""
    with Session(engine, expire_on_commit=False) as session:
        row = add_attempt(session, **fields)
        session.commit()
        return row


def find_received(session: Session, channel: str, remote_name: str, size: int, sha256: str) -> TransferAttempt | None:
    """The ``ok`` inbound row of these exact bytes under this name on this channel, if they were taken before."""
    query = (select(TransferAttempt)
             .where(TransferAttempt.channel == channel, TransferAttempt.direction == "in",
                    TransferAttempt.remote_name == remote_name, TransferAttempt.size == size,
                    TransferAttempt.sha256 == sha256, TransferAttempt.result == OK)
             .order_by(TransferAttempt.id).limit(1))
    return session.execute(query).scalars().first()


def refused_before(engine: Engine, channel: str, remote_name: str, size: int | None,
                   codes: Collection[str]) -> bool:
    """True when the latest try of this inbound file (same name and size) ended in one of ``codes``.

    A file refused for a reason that does not go away by itself (too large, unsafe name)
    is recorded once; it is looked at again only when it changes (its size differs).
    """
    return _latest_ended_in(engine, codes, TransferAttempt.channel == channel, TransferAttempt.direction == "in",
                            TransferAttempt.remote_name == remote_name, TransferAttempt.size == size)


def send_refused_before(engine: Engine, channel: str, message_id: int, codes: Collection[str]) -> bool:
    """True when the latest send of this message over this channel ended in one of ``codes`` (not retried)."""
    return _latest_ended_in(engine, codes, TransferAttempt.channel == channel, TransferAttempt.direction == "out",
                            TransferAttempt.message_id == message_id)


def _latest_ended_in(engine: Engine, codes: Collection[str], *where: ColumnElement[bool]) -> bool:
    """Whether the latest attempt matching ``where`` is an error with one of ``codes``."""
    query = (select(TransferAttempt.result, TransferAttempt.error_code).where(*where)
             .order_by(TransferAttempt.id.desc()).limit(1))
    with Session(engine) as session:
        last = session.execute(query).first()
    return last is not None and last.result == ERROR and last.error_code in codes


def list_transfers(session: Session, *, channel: str | None = None, result: str | None = None,
                   limit: int = 100) -> list[TransferAttempt]:
    """Attempts, newest first (what ``edipulse transfers`` lists)."""
    query = select(TransferAttempt).order_by(TransferAttempt.id.desc()).limit(limit)
    if channel:
        query = query.where(TransferAttempt.channel == channel)
    if result:
        query = query.where(TransferAttempt.result == result)
    return list(session.execute(query).scalars())


# -- circuit breaker ------------------------------------------------------------------------------------------
def breaker_open_until(engine: Engine, channel: str, now: datetime) -> datetime | None:
    """When the channel's breaker is open at ``now``: the moment it closes again; else None."""
    with Session(engine) as session:
        state = session.get(ChannelState, channel)
    if state is None or state.open_until is None or state.open_until <= now:
        return None
    return state.open_until


def note_success(engine: Engine, channel: str, now: datetime) -> None:
    """A try succeeded: the failure count starts again (written only when there was one)."""
    with Session(engine) as session:
        state = session.get(ChannelState, channel)
        if state is None or (state.consecutive_failures == 0 and state.open_until is None):
            return
        state.consecutive_failures = 0
        state.open_until = None
        state.updated_at = now
        session.add(state)
        session.commit()


def update_channel_state(engine: Engine, channel: str, change: Callable[[ChannelState], None]) -> ChannelState:
    """Apply ``change`` to the channel's state row, creating it on first use, and commit.

    Two processes creating the row at once: the loser's insert fails and is retried as an update.
    """
    for attempt in range(2):
        with Session(engine, expire_on_commit=False) as session:
            state = session.get(ChannelState, channel) or ChannelState(channel=channel)
            change(state)
            session.add(state)
            try:
                session.commit()
                return state
            except IntegrityError:
                session.rollback()
                if attempt:
                    raise
    raise AssertionError("unreachable")  # the loop returns or raises


def note_failure(engine: Engine, channel: str, code: str, now: datetime, *, threshold: int,
                 cool_off: timedelta) -> datetime | None:
    """Count one failed try; returns the reopening time when the breaker is (still or newly) open.

    Reaching ``threshold`` consecutive failures opens the breaker; a failed try after
    the cool-off (half-open) opens it again at once, since the count is still above it.
    """
    def failed(state: ChannelState) -> None:
        state.consecutive_failures += 1
        state.last_error_code = code[:40]
        state.updated_at = now
        if state.consecutive_failures >= threshold:
            state.open_until = now + cool_off

    return update_channel_state(engine, channel, failed).open_until


def channel_states(session: Session) -> list[ChannelState]:
    return list(session.execute(select(ChannelState).order_by(ChannelState.channel)).scalars())


def transfer_record(row: TransferAttempt) -> dict[str, object]:
    """One attempt as a JSON-ready record (for listings)."""
    return row.model_dump(mode="json")

