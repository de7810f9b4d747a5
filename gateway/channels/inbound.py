"""Inbound hand-off: a partner's ready files become received files, each acknowledged only after its commit.

For every ready file: fetch (bounded by the channel's size limit), archive the bytes
and commit the received-file row *together with* its ``ok`` transfer row, and only
then acknowledge the file at the partner (delete or move). A crash between the
commit and the acknowledgement leaves the file in place; when it is fetched again the
ledger already holds these bytes under this name on this channel, so the file is only
acknowledged and recorded as a ``duplicate`` transfer, never received twice.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from gateway.channels.errors import FILE_LEVEL_CODES, STICKY_FILE_CODES, ChannelError, failure_of
from gateway.channels.settings import ChannelSettings
from gateway.context import Context
from gateway.inbound.receive import receive_stream
from gateway.ledger import transfers
from gateway.ledger.archive import FileTooLarge
from gateway.ledger.models import ReceivedFile
from transports.base import ReceivedBytes, RemoteFile, Transport, TransportError

log = logging.getLogger(__name__)
ChannelFailure = TransportError | ChannelError


@dataclass(slots=True)
class InboundReport:
    received: list[int] = field(default_factory=list)  # received-file ids
    duplicates: list[str] = field(default_factory=list)  # names re-fetched after a crash, only acknowledged
    refused: list[str] = field(default_factory=list)  # names recorded as file-level errors


def printable(name: str) -> str:
    """A remote name as the ledger keeps it: control characters escaped (a name must not forge output lines)."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name)[:255]


@dataclass(slots=True)
class InboundHandoff:
    """Takes one channel's ready files into the ledger; channel-level failures propagate to the caller."""

    ctx: Context
    channel: ChannelSettings
    transport: Transport
    now: Callable[[], datetime]
    report: InboundReport = field(default_factory=InboundReport)
    current: str | None = None  # the file being taken, named in the ledger when the channel fails meanwhile

    def run(self, ready: list[RemoteFile]) -> InboundReport:
        self._record_unsafe_names()
        for remote in ready:
            if transfers.refused_before(self.ctx.engine, self.channel.name, printable(remote.name), remote.size,
                                        STICKY_FILE_CODES):
                continue
            self._take(remote)
        return self.report

    def _record_unsafe_names(self) -> None:
        """Names the transport's listing refused (path separators, control characters, links)."""
        for name, exc in getattr(self.transport, "unsafe", ()):
            shown = printable(name)
            if transfers.refused_before(self.ctx.engine, self.channel.name, shown, None, STICKY_FILE_CODES):
                continue
            self._record(shown, None, None, self.now(), time.monotonic(), failure=exc)
            self.report.refused.append(shown)

    def _take(self, remote: RemoteFile) -> None:
        self.current = printable(remote.name)
        started, clock = self.now(), time.monotonic()
        try:
            got = self.transport.fetch(remote)
        except (TransportError, ChannelError) as exc:
            if exc.code not in FILE_LEVEL_CODES:
                raise
            self._record(printable(remote.name), remote.size, None, started, clock, failure=exc)
            self.report.refused.append(remote.name)
            return
        with Session(self.ctx.engine) as session:
            earlier = transfers.find_received(session, self.channel.name, printable(remote.name), len(got.data),
                                              got.sha256)
            earlier_message = earlier.message_id if earlier is not None else None
        if earlier is not None:
            self.transport.acknowledge(remote)
            self._record(printable(remote.name), len(got.data), got.sha256, started, clock,
                         result=transfers.DUPLICATE, message_id=earlier_message)
            self.report.duplicates.append(remote.name)
            return
        file_id = self._receive(remote, got, started, clock)
        if file_id is None:
            return
        self.report.received.append(file_id)
        self.transport.acknowledge(remote)  # a failure here: the next fetch finds the ok row and only acknowledges

    def _receive(self, remote: RemoteFile, got: ReceivedBytes, started: datetime, clock: float) -> int | None:
        """Archive and commit the file with its ``ok`` transfer row; None when the gateway's own limit refuses it."""
        name = printable(remote.name)

        def add_transfer_row(session: Session, _row: ReceivedFile, message_id: int) -> None:
            transfers.add_attempt(session, channel=self.channel.name, partner_id=self.channel.partner,
                                  direction="in", remote_name=name, size=len(got.data), sha256=got.sha256,
                                  started_at=started, duration_ms=_ms(clock), result=transfers.OK,
                                  message_id=message_id)

        source = f"{self.channel.transport}:{self.channel.name}/{name}"[:64]
        try:
            row, _message_id = receive_stream(self.ctx, io.BytesIO(got.data), name, source,
                                              partner_id=self.channel.partner, also=add_transfer_row)
        except FileTooLarge as exc:
            limit = TransportError("FILE_TOO_LARGE", f"{name}: {exc} (limits.max_file_bytes)")
            self._record(name, len(got.data), got.sha256, started, clock, failure=limit)
            self.report.refused.append(remote.name)
            return None
        except OSError as exc:  # the archive's disk: full, read-only, gone
            raise ChannelError("CHANNEL_ARCHIVE_FAILED", f"cannot archive {name}: {exc}") from exc
        return row.id

    def _record(self, name: str | None, size: int | None, sha256: str | None, started: datetime, clock: float, *,
                failure: ChannelFailure | None = None, result: str = transfers.ERROR,
                message_id: int | None = None) -> None:
        coded = failure_of(failure) if failure is not None else None
        message = None if coded is None else coded.message
        transfers.record_attempt(self.ctx.engine, channel=self.channel.name, partner_id=self.channel.partner,
                                 direction="in", remote_name=name, size=size, sha256=sha256, started_at=started,
                                 duration_ms=_ms(clock), result=result if coded is None else transfers.ERROR,
                                 error_code=None if coded is None else coded.code, error_message=message,
                                 message_id=message_id)


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)
