"""One functional group in flight: its sets' outcomes, ledger rows and documents to apply.

Orders are booked in batches inside the group's savepoint, other documents one by one
in order; a group whose trailer is wrong is rolled back as a whole, so nothing of it
is half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from edi.errors import EdiError
from edi.x12.ack import GroupOutcome, SetOutcome
from edi.x12.model import GroupHeader, TransactionSet
from gateway.evaluate import Evaluation
from gateway.inbound.handlers import BOOKED as APPLIED_BOOKED
from gateway.inbound.handlers import DUPLICATE as APPLIED_DUPLICATE
from gateway.inbound.handlers import Applied, Handler, handler_for
from gateway.ledger.models import ACKNOWLEDGED, BOOKED, DUPLICATE, ERROR, RECEIVED
from gateway.ledger.store import SetRow
from gateway.outbound.po_acks import AckDue

# Functional groups we never answer with a functional acknowledgement (acks of acks).
NO_ACK_GROUPS = frozenset({"FA"})


@dataclass(slots=True)
class PendingSet:
    row: SetRow
    outcome: SetOutcome
    work: object | None  # the prepared document, held only until it is applied
    handler: Handler | None = None
    applied: Applied | None = None  # what the ERP core made of it


@dataclass(slots=True)
class GroupState:
    header: GroupHeader
    interchange_message_id: int
    file_id: int
    partner_id: str
    sets: list[PendingSet] = field(default_factory=list)
    unbooked: list[PendingSet] = field(default_factory=list)
    errors: list[EdiError] = field(default_factory=list)
    declared_count: int | None = None  # GE01 as the sender wrote it
    seen_st02: set[str] = field(default_factory=set)

    @property
    def acknowledged(self) -> bool:
        return self.header.functional_id not in NO_ACK_GROUPS

    def add(self, tx: TransactionSet, evaluation: Evaluation) -> PendingSet:
        if tx.control_number in self.seen_st02:
            evaluation = Evaluation([EdiError("ST_CONTROL_DUPLICATE", f"ST02 {tx.control_number} is used twice in "
                                              f"group {self.header.control_number}", segment_position=1,
                                              segment_id="ST", element_position=2, bad_value=tx.control_number),
                                     *evaluation.errors], reached=evaluation.reached)
        self.seen_st02.add(tx.control_number)
        isa = tx.interchange
        history = [RECEIVED] if evaluation.reached == "received" else [RECEIVED, "parsed"]
        if evaluation.reached == "mapped":
            history.append("mapped")
        if evaluation.errors:
            history.append(ERROR)
        document = evaluation.document
        row = SetRow(
            parent_id=self.interchange_message_id, file_id=self.file_id, partner_id=self.partner_id,
            sender=f"{isa.sender_qualifier}:{isa.sender_id}", receiver=f"{isa.receiver_qualifier}:{isa.receiver_id}",
            isa13=isa.control_number, gs06=self.header.control_number, st02=tx.control_number, set_id=tx.id,
            version=self.header.version, offset=tx.offset, history=history, errors=list(evaluation.errors),
            doc_ref=getattr(document, "po_number", None))
        outcome = SetOutcome(set_id=tx.id, control_number=tx.control_number,
                             implementation_ref=tx.implementation_ref or None, errors=list(evaluation.errors))
        handler = handler_for(document) if evaluation.ok and document is not None else None
        pending = PendingSet(row, outcome, None, handler)
        self.sets.append(pending)
        if handler is None and evaluation.ok:
            error = EdiError("DOC_NOT_APPLICABLE", f"{tx.id} documents are read but not applied to the ERP core")
            row.history.append(ERROR)
            row.errors.append(error)
            outcome.errors.append(error)
        elif handler is not None:
            pending.work = handler.prepare(document, self.partner_id)  # type: ignore[arg-type]
            self.unbooked.append(pending)
        return pending

    def wants_flush(self, batch_size: int) -> bool:
        """Whether the waiting documents should be applied now (a full batch, or one that is not batched)."""
        return bool(self.unbooked) and (len(self.unbooked) >= batch_size or not self.unbooked[-1].handler.batched)

    def book(self, session: Session) -> None:
        """Apply the documents waiting in this group, in arrival order, batching runs of the same handler."""
        waiting, self.unbooked = self.unbooked, []
        start = 0
        while start < len(waiting):
            handler = waiting[start].handler
            end = start + 1
            while end < len(waiting) and waiting[end].handler is handler and handler.batched:
                end += 1
            self._apply(session, handler, waiting[start:end])
            start = end

    def _apply(self, session: Session, handler: Handler, batch: list[PendingSet]) -> None:
        results = handler.apply(session, [(p.work, p.row) for p in batch])
        for pending, result in zip(batch, results, strict=True):
            pending.work = None
            pending.applied = result
            if result.status == APPLIED_BOOKED:
                pending.row.history.append(BOOKED)
                continue
            pending.row.history.append(DUPLICATE if result.status == APPLIED_DUPLICATE else ERROR)
            pending.row.errors.extend(result.errors)
            pending.outcome.errors.extend(result.errors)

    def reject_all(self, errors: list[EdiError]) -> None:
        """The group trailer is wrong: every set of the group is rejected with the group's errors."""
        self.errors.extend(errors)
        for pending in self.sets:
            pending.applied = None  # rolled back with the group
            pending.row.history = [RECEIVED, ERROR]
            pending.row.errors = [*errors, *pending.row.errors]

    def acks_due(self) -> list[AckDue]:
        """The 855/865 answers this group's booked orders and applied changes call for."""
        return [AckDue(p.applied.record_id, "order" if p.applied.reply == "855" else "change", self.header.version,
                       self.header.sender)
                for p in self.sets if p.applied is not None and p.applied.status == APPLIED_BOOKED
                and p.applied.reply and p.applied.record_id is not None]

    def outcome(self, received_count: int) -> GroupOutcome:
        return GroupOutcome(functional_id=self.header.functional_id, control_number=self.header.control_number,
                            version=self.header.version, sets=[p.outcome for p in self.sets],
                            errors=list(self.errors), received_count=received_count,
                            declared_count=self.declared_count)

    def finish_rows(self, ack_codes: list[str], acked: bool) -> list[SetRow]:
        """Final ledger rows (``ack_codes``: one per set, in order); booked and answered sets are 'acknowledged'."""
        rows = []
        for pending, ack_code in zip(self.sets, ack_codes, strict=True):
            row = pending.row
            row.ack_code = ack_code
            if acked and row.history[-1] == BOOKED:
                row.history.append(ACKNOWLEDGED)
            rows.append(row)
        return rows
