"""Drive the configured channels in polling rounds: schedules, retries with backoff, a circuit breaker each.

A round polls the inbound channels that are due by their own ``schedule``
(:mod:`gateway.channels.schedule`; without one, every round); sends are never held back by it.

A try that fails is recorded in the transfer ledger and counted on the channel's
breaker (``channel_state``). A failure a later try can cure is tried again in the same
round after ``retry.delay`` seconds, up to ``retry.attempts`` tries; after
``breaker.failures`` consecutive failed tries the breaker opens and the channel is left
alone (no connection at all) until ``breaker.cool_off_seconds`` have passed; the next
try then decides (success closes it, failure opens it again). A failing channel never
stops the round: the other channels are polled as usual.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlmodel import Session

from erp_core.services import partners as erp_partners
from gateway.channels.errors import ChannelError, failure_of
from gateway.channels.inbound import InboundHandoff, InboundReport, printable
from gateway.channels.local import LocalChannelTransport
from gateway.channels.outbound import SendFailure, record_send_failure, refused_before, send_one
from gateway.channels.schedule import DEFAULT_TIMEZONE, PollSchedule, last_polled, note_polled
from gateway.channels.settings import ChannelSettings
from gateway.context import Context
from gateway.ledger import transfers
from gateway.ledger.models import utcnow
from transports.base import Transport, TransportError
from transports.sftp import SftpTransport

log = logging.getLogger(__name__)
T = TypeVar("T")
TransportFactory = Callable[[ChannelSettings], Transport]


def build_transport(channel: ChannelSettings) -> Transport:
    """The transport a channel's settings describe (an ``as2`` branch joins here)."""
    if channel.sftp is not None:
        return SftpTransport(channel.sftp, channel.name)
    if channel.local is not None:
        local = channel.local
        outbox = local.outbox_path or local.path
        return LocalChannelTransport(channel.name, local.path, outbox, max_file_bytes=channel.max_file_bytes,
                                     settle_seconds=local.settle_seconds, temp_patterns=local.temp_patterns)
    raise ValueError(f"channel {channel.name}: no transport section")  # prevented by the settings validator


class _Failed(Exception):
    """A failed try with the ledger context of what was being moved."""

    def __init__(self, error: TransportError | ChannelError, *, remote_name: str | None = None,
                 size: int | None = None, sha256: str | None = None, message_id: int | None = None) -> None:
        super().__init__(str(error))
        self.error, self.remote_name, self.size, self.sha256 = error, remote_name, size, sha256
        self.message_id = message_id


class ChannelRunner:
    """The channels of one gateway; keeps each channel's transport (and its settle state) across rounds."""

    def __init__(self, ctx: Context, *, factory: TransportFactory = build_transport,
                 sleep: Callable[[float], None] = time.sleep, now: Callable[[], datetime] = utcnow) -> None:
        self.ctx = ctx
        self.channels = [c.resolved(ctx.settings.base_dir) for c in ctx.settings.channels]
        self._factory, self._sleep, self._now = factory, sleep, now
        self._transports: dict[str, Transport] = {}
        self._connected: set[str] = set()
        self._looked: set[str] = set()  # channels whose transport has taken its first look
        self._down: set[str] = set()  # channels given up on for this round
        self._known_partners: set[str] = set()
        timezone = ctx.settings.schedule.timezone if ctx.settings.schedule is not None else DEFAULT_TIMEZONE
        self._schedules = {c.name: PollSchedule(c.schedule, timezone) for c in self.channels}

    # -- rounds -----------------------------------------------------------------------------------------------
    def start_round(self) -> None:
        """A new round: channels given up on in the previous one are tried again (breakers permitting)."""
        self._down = set()

    def poll(self) -> InboundReport:
        """Take in the ready files of every inbound channel that is due (each acknowledged after its commit)."""
        report = InboundReport()
        for channel in self.channels:
            if channel.inbound and self.is_due(channel):
                self._poll_due(channel, report)
        return report

    def is_due(self, channel: ChannelSettings) -> bool:
        """Whether the channel's schedule asks for an inbound poll now (see :mod:`gateway.channels.schedule`)."""
        schedule = self._schedules[channel.name]
        if schedule.every is None:
            return True
        return schedule.is_due(last_polled(self.ctx.engine, channel.name), self._now())

    def _poll_due(self, channel: ChannelSettings, report: InboundReport) -> None:
        """Poll one channel; only a poll that succeeded restarts its schedule from the moment it started."""
        started = self._now()
        polled = self._attempt(channel, "in", lambda transport: self._poll_channel(channel, transport, report))
        if polled:
            note_polled(self.ctx.engine, channel.name, started)

    def end_round(self) -> None:
        """Close the connections opened this round (transports, and what they remember, stay)."""
        for name in sorted(self._connected):
            self._disconnect(name)

    def close(self) -> None:
        self.end_round()
        self._transports.clear()

    def channel_for(self, partner_id: str | None) -> ChannelSettings | None:
        """The first outbound channel of a partner; its messages go there instead of the outbox."""
        return next((c for c in self.channels if c.outbound and c.partner == partner_id), None)

    def deliver(self, channel: ChannelSettings, message_id: int) -> str | None:
        """Send one pending message over ``channel``; its remote name once sent, else None (it stays pending)."""
        if channel.name in self._down or refused_before(self.ctx, channel, message_id):
            return None
        return self._attempt(channel, "out", lambda transport: self._send(channel, transport, message_id))

    # -- one try, retries, breaker ------------------------------------------------------------------------------
    def _attempt(self, channel: ChannelSettings, direction: str, work: Callable[[Transport], T]) -> T | None:
        for attempt in range(1, channel.retry.attempts + 1):
            if channel.name in self._down:
                return None
            reopens = transfers.breaker_open_until(self.ctx.engine, channel.name, self._now())
            if reopens is not None:
                log.info("channel %s: circuit breaker open until %s; not tried", channel.name, reopens.isoformat())
                self._down.add(channel.name)
                return None
            started, clock = self._now(), time.monotonic()
            try:
                self._check_partner(channel)
                result = work(self._transport(channel))
            except (TransportError, ChannelError) as exc:
                failed = _Failed(exc)
            except _Failed as exc:
                failed = exc
            else:
                transfers.note_success(self.ctx.engine, channel.name, self._now())
                return result
            self._disconnect(channel.name)
            opened = self._record_failure(channel, direction, failed, started, clock)
            if opened or not failed.error.retryable or attempt == channel.retry.attempts:
                self._down.add(channel.name)
                return None
            self._sleep(channel.retry.delay(attempt))
        return None

    def _record_failure(self, channel: ChannelSettings, direction: str, failed: _Failed, started: datetime,
                        clock: float) -> bool:
        """Write the failed try to the ledger and count it on the breaker; True when the breaker is now open."""
        coded = failure_of(failed.error)
        opened = transfers.note_failure(self.ctx.engine, channel.name, coded.code, self._now(),
                                        threshold=channel.breaker.failures,
                                        cool_off=timedelta(seconds=channel.breaker.cool_off_seconds))
        message = coded.message if opened is None else f"{coded.message}; circuit breaker open until " \
            f"{opened.isoformat(timespec='seconds')}"
        transfers.record_attempt(self.ctx.engine, channel=channel.name, partner_id=channel.partner,
                                 direction=direction, remote_name=failed.remote_name, size=failed.size,
                                 sha256=failed.sha256, started_at=started,
                                 duration_ms=int((time.monotonic() - clock) * 1000), result=transfers.ERROR,
                                 error_code=coded.code, error_message=message, message_id=failed.message_id)
        log.warning("channel %s: %s", channel.name, message)
        return opened is not None

    # -- work ---------------------------------------------------------------------------------------------------
    def _poll_channel(self, channel: ChannelSettings, transport: Transport, report: InboundReport) -> bool:
        handoff = InboundHandoff(self.ctx, channel, transport, self._now, report)
        try:
            ready = transport.list_ready()
            if channel.name not in self._looked:  # a new transport's first look only records what it sees
                self._looked.add(channel.name)
                self._sleep(channel.settle_seconds)
                ready = transport.list_ready()
            handoff.run(ready)
        except (TransportError, ChannelError) as exc:
            raise _Failed(exc, remote_name=handoff.current) from exc
        return True

    def _send(self, channel: ChannelSettings, transport: Transport, message_id: int) -> str | None:
        started, clock = self._now(), time.monotonic()
        outcome = send_one(self.ctx, channel, transport, message_id, self._now)
        if not isinstance(outcome, SendFailure):
            return outcome
        if outcome.error.code in ("CHANNEL_OUTBOUND_MISSING", "SFTP_PATH_UNSAFE"):  # the message's fault, not the
            record_send_failure(self.ctx, channel, message_id, outcome, started,  # channel's: no retry, no breaker
                                int((time.monotonic() - clock) * 1000))
            return None
        raise _Failed(outcome.error, remote_name=printable(outcome.remote_name), size=outcome.size,
                      sha256=outcome.sha256, message_id=message_id)

    def _check_partner(self, channel: ChannelSettings) -> None:
        if channel.partner in self._known_partners:
            return
        with Session(self.ctx.engine) as session:
            if erp_partners.get_partner(session, channel.partner) is None:
                raise ChannelError("CHANNEL_PARTNER_UNKNOWN", f"channel {channel.name} belongs to partner "
                                   f"{channel.partner!r}, which does not exist (see 'edipulse partners')")
        self._known_partners.add(channel.partner)

    def _transport(self, channel: ChannelSettings) -> Transport:
        transport = self._transports.get(channel.name)
        if transport is None:
            transport = self._transports[channel.name] = self._factory(channel)
        if channel.name not in self._connected:
            transport.connect()
            self._connected.add(channel.name)
        return transport

    def _disconnect(self, name: str) -> None:
        transport = self._transports.get(name)
        self._connected.discard(name)
        if transport is not None:
            transport.close()
