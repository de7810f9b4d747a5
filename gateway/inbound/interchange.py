"""Process the interchanges of one archived file, event by event, one set in memory at a time.

Unit of work: an interchange. Its interchange row is committed first (so the ledger shows
it even if the process dies), then its bookings, set rows and acknowledgement are
committed together. An interchange whose envelope is broken (truncated, wrong IEA) is
rolled back and rejected whole with a TA1; a broken group is rolled back alone
(AK9*R); a broken set rejects only itself (AK5*R, AK9*P).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from edi.errors import EdiError
from edi.mapping import MappingError
from edi.x12.ack import ack_status_of
from edi.x12.isa_fields import check_isa_fields
from edi.x12.model import GroupEnd, GroupHeader, InterchangeEnd, InterchangeHeader, TransactionSet
from erp_core.services import partners as erp_partners
from gateway.context import Context
from gateway.evaluate import evaluate_set
from gateway.inbound.groups import GroupState
from gateway.ledger import store
from gateway.ledger.models import ACKNOWLEDGED, DUPLICATE, ERROR, PARSED, RECEIVED, REFUSED, Message
from gateway.outbound.acks import AckGroup, AckRequest, create_ack, ta1_reply
from gateway.outbound.po_acks import create_x12_po_acks


@dataclass(slots=True)
class InterchangeRun:
    header: InterchangeHeader
    message: Message
    partner_id: str | None = None
    ack_preference: str = "auto"
    accepting: bool = False
    group: GroupState | None = None
    done_groups: list[GroupState] = field(default_factory=list)
    sets_seen: int = 0
    held: EdiError | None = None  # our own configuration is broken: hold the interchange, answer nothing


class InterchangeProcessor:
    """Feed it the reader's events for one file; it books, logs and acknowledges."""

    def __init__(self, ctx: Context, session: Session, file_id: int, file_message_id: int, *,
                 redo_finished: bool = False) -> None:
        self.ctx = ctx
        self.session = session
        self.file_id = file_id
        self.file_message_id = file_message_id
        # A worker resuming a file after a crash skips interchanges that already reached a final
        # status (they were committed with their acknowledgement); only an explicit reprocess redoes them.
        self.redo_finished = redo_finished
        self.run: InterchangeRun | None = None
        self.interchanges: list[Message] = []
        file_message = session.get(Message, file_message_id)
        # The partner the transport vouches for (its folder, SFTP channel or AS2 partnership), if any.
        self.file_partner = file_message.partner_id if file_message is not None else None

    # -- interchange ---------------------------------------------------------------
    def start(self, header: InterchangeHeader) -> None:
        existing = self.session.execute(select(Message).where(
            Message.file_id == self.file_id, Message.kind == "interchange", Message.offset == header.offset)
        ).scalar_one_or_none()
        if existing is not None and existing.status != RECEIVED and not self.redo_finished:
            self.run = InterchangeRun(header, existing)  # finished before a crash: nothing to do
            self.interchanges.append(existing)
            return
        message = self._interchange_row(header, existing)
        run = InterchangeRun(header, message)
        self.run = run
        self.interchanges.append(message)
        refusal = self._admit(run)
        if refusal is not None:
            status, errors = refusal
            store.move(self.session, message, status, errors=errors)
            if run.partner_id and status != DUPLICATE:
                self._answer_with_ta1(run, message, errors[0])
        self.session.commit()

    def _interchange_row(self, header: InterchangeHeader, existing: Message | None) -> Message:
        """The interchange's row: a re-run of the same file reuses it (attempts + 1)."""
        if existing is not None:
            existing.attempts += 1
            store.move(self.session, existing, RECEIVED, detail=f"attempt {existing.attempts}")
            return existing
        return store.add_message(
            self.session, direction="in", kind="interchange", file_id=self.file_id,
            parent_id=self.file_message_id, sender=f"{header.sender_qualifier}:{header.sender_id}",
            receiver=f"{header.receiver_qualifier}:{header.receiver_id}", isa13=header.control_number,
            version=header.version, offset=header.offset, status=RECEIVED)

    def _admit(self, run: InterchangeRun) -> tuple[str, list[EdiError]] | None:
        """Decide whether the interchange is processed; returns (status, errors) when refused."""
        header, us = run.header, self.ctx.settings.gateway
        partner = erp_partners.find_partner_by_x12(self.session, header.sender_qualifier, header.sender_id)
        if partner is None:
            return REFUSED, [EdiError("PARTNER_UNKNOWN", f"sender {header.sender_qualifier}:{header.sender_id} is "
                                      "not a configured partner (add it with 'edipulse partners add')")]
        if self.file_partner is not None and partner.id != self.file_partner:
            return REFUSED, [EdiError("PARTNER_MISMATCH", f"sender {header.sender_qualifier}:{header.sender_id} is "
                                      f"partner {partner.id}, but the file came from {self.file_partner}")]
        run.partner_id = partner.id
        run.ack_preference = partner.ack_preference
        run.message.partner_id = partner.id
        if (header.receiver_qualifier, header.receiver_id) != (us.qualifier, us.isa_id):
            return REFUSED, [EdiError("ISA_RECEIVER_UNKNOWN", f"interchange is addressed to "
                                      f"{header.receiver_qualifier}:{header.receiver_id}, we are {us.x12_id}")]
        invalid = check_isa_fields(header)
        if invalid:
            return ERROR, invalid
        earlier = store.claim_interchange(self.session, run.message.sender or "", header.control_number,
                                          run.message.id)
        if earlier is not None:
            return DUPLICATE, [EdiError("DUPLICATE_INTERCHANGE", f"ISA13 {header.control_number} from "
                                        f"{run.message.sender} was already received as message #{earlier}")]
        run.accepting = True
        return None

    def finish(self, end: InterchangeEnd) -> None:
        run = self._require_run()
        self.run = None
        if run.held is not None:
            self._hold(run, run.held)
            return
        if not run.accepting:
            return
        if end.errors:
            self._reject(run, end.errors)
            return
        outcomes = [group.outcome(len(group.sets)) for group in run.done_groups]
        request_groups = [AckGroup(outcome, group.header.sender)
                          for group, outcome in zip(run.done_groups, outcomes, strict=True) if group.acknowledged]
        ta1 = ta1_reply(run.header, None)
        ack_message = None
        if request_groups or ta1 is not None:
            ack_message = create_ack(self.session, self.ctx.archive, self.ctx.settings.gateway, AckRequest(
                run.partner_id or "", run.ack_preference, run.header, request_groups, ta1, run.message.id))
        for group, outcome in zip(run.done_groups, outcomes, strict=True):
            codes = [ack_status_of(o) for o in outcome.sets]
            rows = group.finish_rows(codes, acked=ack_message is not None and group.acknowledged)
            store.insert_set_rows(self.session, rows, ack_message.id if ack_message and group.acknowledged else None)
        due = [item for group in run.done_groups for item in group.acks_due()]
        create_x12_po_acks(self.ctx, self.session, run.partner_id or "", run.header, due, run.message.id)
        final = ACKNOWLEDGED if ack_message is not None else PARSED
        store.move(self.session, run.message, final, detail=f"{run.sets_seen} transaction set(s)")
        if ack_message is not None:
            run.message.ack_message_id = ack_message.id
        self.session.commit()

    def _reject(self, run: InterchangeRun, errors: list[EdiError]) -> None:
        """Roll back everything of the interchange and answer it with a rejecting TA1."""
        message = self._fail(run, errors)
        self._answer_with_ta1(run, message, errors[0])
        self.session.commit()

    def _hold(self, run: InterchangeRun, error: EdiError) -> None:
        """Roll back and leave the interchange in error unanswered (to be reprocessed once fixed)."""
        self._fail(run, [error])
        self.session.commit()

    def _fail(self, run: InterchangeRun, errors: list[EdiError]) -> Message:
        self.session.rollback()
        message = self.session.get(Message, run.message.id)
        if message is None:  # committed in start(); its absence is a broken database
            raise LookupError(f"interchange message #{run.message.id} vanished")
        store.move(self.session, message, ERROR, errors=errors)
        return message

    def _answer_with_ta1(self, run: InterchangeRun, message: Message, error: EdiError) -> None:
        """A rejecting TA1 with the error's note code, when the ISA allows one to be built."""
        ta1 = ta1_reply(run.header, error.spec.ta1)
        if ta1 is None or not run.partner_id:
            return
        ack = create_ack(self.session, self.ctx.archive, self.ctx.settings.gateway,
                         AckRequest(run.partner_id, run.ack_preference, run.header, [], ta1, message.id))
        message.ack_message_id = ack.id if ack else None

    # -- groups and sets ---------------------------------------------------------
    def start_group(self, header: GroupHeader) -> None:
        run = self._require_run()
        if not run.accepting:
            return
        self.session.begin_nested()
        run.group = GroupState(header, run.message.id, self.file_id, run.partner_id or "")

    def transaction_set(self, tx: TransactionSet) -> None:
        run = self._require_run()
        run.sets_seen += 1
        if not run.accepting or run.group is None:
            return
        try:
            evaluation = evaluate_set(tx, self.ctx.mappings, run.partner_id)
        except MappingError as exc:  # not the sender's fault: hold the interchange, do not reject it
            run.held = EdiError("MAPPING_INVALID", str(exc))
            run.accepting = False
            return
        run.group.add(tx, evaluation)
        if run.group.wants_flush(self.ctx.settings.limits.book_batch):
            run.group.book(self.session)

    def end_group(self, end: GroupEnd) -> None:
        run = self._require_run()
        group, run.group = run.group, None
        if not run.accepting or group is None:
            return
        if end.segment is not None and len(end.segment) > 1 and end.segment[1].strip().isdigit():
            group.declared_count = int(end.segment[1])
        if end.errors:
            self._rollback_savepoint()
            group.reject_all(list(end.errors))
        else:
            group.book(self.session)
            self._commit_savepoint()
        run.done_groups.append(group)

    def _require_run(self) -> InterchangeRun:
        if self.run is None:
            raise RuntimeError("reader event outside an interchange")  # the reader guarantees the order
        return self.run

    def _rollback_savepoint(self) -> None:
        transaction = self.session.get_nested_transaction()
        if transaction is not None:
            transaction.rollback()

    def _commit_savepoint(self) -> None:
        transaction = self.session.get_nested_transaction()
        if transaction is not None:
            transaction.commit()
