"""The gateway as a library: what the CLI, the scheduler and tests call.

Each method is one unit an operator understands: ingest files, process what waits,
deliver what is due, reprocess a message. The CLI only parses arguments and prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from erp_core.services import partners as erp_partners
from gateway.as2.runner import As2Round
from gateway.channels.runner import ChannelRunner
from gateway.context import Context
from gateway.errors import GatewayError, NotFoundError
from gateway.inbound.process import FileOutcome, process_file
from gateway.inbound.receive import receive_path
from gateway.ledger import claims
from gateway.ledger.models import RECEIVED, Message, ReceivedFile
from gateway.outbound.deliver import deliver_pending
from gateway.outbound.documents import run_due

REPROCESS_WITHOUT_FORCE = frozenset({"error", "refused", "duplicate", RECEIVED})


@dataclass(slots=True)
class RunReport:
    received: list[int] = field(default_factory=list)  # file ids
    refused: list[str] = field(default_factory=list)  # names of files refused before archiving (size)
    processed: list[FileOutcome] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # outbound business documents created (message ids)


class Gateway:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.worker = claims.worker_id()
        self.lease = timedelta(seconds=ctx.settings.run.lease_seconds)
        self.channels = ChannelRunner(ctx)
        self.as2 = As2Round(ctx)

    def ingest(self, paths: Iterable[Path], source: str = "cli", partner_id: str | None = None) -> RunReport:
        """Receive the given files (kept in place) and process them (``partner_id``: who sent them)."""
        report = RunReport()
        for path in paths:
            received = receive_path(self.ctx, path, source, take=False, partner_id=partner_id)
            if received is None:
                report.refused.append(path.name)
            else:
                report.received.append(received[0].id or 0)
        self._process(report.received, report)
        report.delivered = self._deliver()
        return report

    def poll_inbox(self) -> list[int]:
        """Receive every settled file of the inbox; each is removed only after it is committed."""
        received = []
        self.ctx.inbox.release_claims(claims.is_dead_worker)
        for entry in self.ctx.inbox.ready(self.ctx.settings.run.settle_seconds):
            mine = self.ctx.inbox.claim(entry, self.worker)
            if mine is None:  # another worker took it
                continue
            result = receive_path(self.ctx, mine.path, f"inbox:{entry.relative}"[:64],
                                  partner_id=self._folder_partner(entry.relative))
            if result is not None:
                received.append(result[0].id or 0)
            self.ctx.inbox.remove(mine)
        return received

    def _folder_partner(self, relative: str) -> str | None:
        """``inbox/<partner>/file``: the folder names the partner (for files that do not name their sender)."""
        folder, sep, _ = relative.partition("/")
        if not sep:
            return None
        with Session(self.ctx.engine) as session:
            return folder if erp_partners.get_partner(session, folder) is not None else None

    def run_once(self) -> RunReport:
        """Take in the inbox, process everything waiting (also after a crash), deliver acks."""
        self.channels.start_round()
        try:
            report = RunReport(received=self.poll_inbox())
            report.received += self.channels.poll().received  # partner channels: fetched, committed, acknowledged
            self._process(claims.claimable(self.ctx.engine, self.lease), report)
            if self.ctx.settings.schedule is None:  # unscheduled: business documents go out as soon as due
                report.created = run_due(self.ctx)
            report.delivered = deliver_pending(self.ctx, self.channels)
            report.delivered += self.as2.run()  # AS2 partners: sent, MDNs tracked
        finally:
            self.channels.end_round()
        return report

    def deliver(self) -> list[str]:
        """Deliver what is pending now (the scheduler's outbound job, after creating documents)."""
        return self._deliver()

    def _deliver(self) -> list[str]:
        """Deliver what is pending (over partner channels where configured), then close the connections."""
        self.channels.start_round()
        try:
            return deliver_pending(self.ctx, self.channels)
        finally:
            self.channels.end_round()

    def _process(self, file_ids: Iterable[int], report: RunReport) -> None:
        """Process the files this worker manages to claim (another worker may take some first)."""
        for file_id in file_ids:
            if claims.claim(self.ctx.engine, file_id, self.worker, self.lease):
                report.processed.append(process_file(self.ctx, file_id, worker=self.worker))

    def reprocess(self, message_id: int, *, force: bool = False) -> FileOutcome:
        """Run a file or an interchange again from its archived bytes (a set: its interchange)."""
        with Session(self.ctx.engine) as session:
            message = session.get(Message, message_id)
            if message is None:
                raise NotFoundError(f"no message #{message_id}")
            if message.direction != "in":
                raise GatewayError(f"message #{message_id} is outbound; only received messages are reprocessed")
            if message.kind == "set" and message.parent_id is not None:
                message = session.get(Message, message.parent_id) or message
            if message.status not in REPROCESS_WITHOUT_FORCE and not force:
                raise GatewayError(f"message #{message.id} is {message.status}; use --force to process it again")
            if message.file_id is None or session.get(ReceivedFile, message.file_id) is None:
                raise NotFoundError(f"message #{message.id} has no archived file to reprocess")
            offset = message.offset if message.kind == "interchange" else None
            file_id = message.file_id
        outcome = process_file(self.ctx, file_id, only_offset=offset, worker=self.worker, redo_finished=True)
        self._deliver()
        return outcome


