"""When a channel's inbound side is polled: its ``schedule`` against the start of its last successful poll.

A channel without a schedule is polled on every round. An interval channel is due once
its interval has passed since its last poll; a cron channel once a fire time of its cron
line (APScheduler's ``CronTrigger``, in the scheduler's time zone) lies after its last
poll and not after now. A channel never polled is due at once.

Only a poll that succeeded moves the clock: a failed one leaves the channel due, so a
transient failure never costs a cron channel a whole period; retries and the circuit
breaker pace a failing channel. The clock lives in ``channel_state.last_polled_at`` so
a restart neither polls early nor forgets a poll that is owed. Outbound sends are not
scheduled here: a document goes when it is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from gateway.ledger.models import ChannelState, aware
from gateway.ledger.transfers import update_channel_state

DEFAULT_TIMEZONE = "UTC"
# APScheduler rounds a start time up to the whole second, inclusive: a poll started exactly at a fire
# time must not find that same fire time still ahead of it.
_AFTER = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """One channel's ``schedule`` setting, ready to answer "is it due?" (``None``: every round)."""

    every: float | str | None
    timezone: str = DEFAULT_TIMEZONE

    def next_poll(self, last_polled: datetime | None) -> datetime | None:
        """The earliest moment the channel is due after a poll started at ``last_polled``.

        None when it is due on every round or was never polled (or, for a cron line
        that cannot fire again, never: APScheduler returns None then as well).
        """
        if self.every is None or last_polled is None:
            return None
        last = aware(last_polled)
        if isinstance(self.every, str):
            trigger = CronTrigger.from_crontab(self.every, timezone=self.timezone)
            return trigger.get_next_fire_time(None, last + _AFTER)
        return last + timedelta(seconds=self.every)

    def is_due(self, last_polled: datetime | None, now: datetime) -> bool:
        if self.every is None or last_polled is None:
            return True
        upcoming = self.next_poll(last_polled)
        return upcoming is not None and upcoming <= now


def last_polled(engine: Engine, channel: str) -> datetime | None:
    """When the channel's last successful inbound poll started (None: never, or before this was recorded)."""
    with Session(engine) as session:
        state = session.get(ChannelState, channel)
        moment = None if state is None else state.last_polled_at
    return None if moment is None else aware(moment)


def note_polled(engine: Engine, channel: str, started: datetime) -> None:
    """Record a successful poll that started at ``started`` (the row is created on a channel's first poll)."""
    def polled(state: ChannelState) -> None:
        state.last_polled_at = started

    update_channel_state(engine, channel, polled)
