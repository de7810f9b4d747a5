"""One functional group in flight: its sets' outcomes, ledger rows and orders to book.

Orders are booked in batches inside the group's savepoint; a group whose trailer is
wrong is rolled back as a whole, so nothing of it is half-applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from edi.errors import EdiError
from edi.x12.ack import GroupOutcome, SetOutcome
from edi.x12.model import GroupHeader, TransactionSet
from gateway.evaluate import Evaluation
from gateway.inbound.booking import PreparedOrder, book_batch, prepare_order
from gateway.ledger.models import ACKNOWLEDGED, BOOKED, DUPLICATE, ERROR, RECEIVED
from gateway.ledger.store import SetRow

# Functional groups we never answer with a functional acknowledgement (acks of acks).
NO_ACK_GROUPS = frozenset({"FA"})


@dataclass(slots=True)
class PendingSet:
    row: SetRow
    outcome: SetOutcome
    order: PreparedOrder | None  # held only until the set is booked


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
        order = prepare_order(document, self.partner_id) if evaluation.ok and document is not None else None
        pending = PendingSet(row, outcome, order)
        self.sets.append(pending)
        if order is not None:
            self.unbooked.append(pending)
        return pending

    def book(self, session: Session) -> None:
        """Book the orders waiting in this group (one batch)."""
        if not self.unbooked:
            return
        batch, self.unbooked = self.unbooked, []
        results = book_batch(session, [(p.order, p.row) for p in batch if p.order is not None])
        for pending, result in zip(batch, results, strict=True):
            pending.order = None
            if result.status == "booked":
                pending.row.history.append(BOOKED)
                continue
            if result.status == "duplicate":
                error = EdiError("BOOK_DUPLICATE_PO", f"PO {result.po_number} is already booked for partner "
                                 f"{self.partner_id} (order #{result.order_id})")
                pending.row.history.append(DUPLICATE)
            else:
                error = result.error or EdiError("BOOK_FAILED", f"PO {result.po_number} was not booked")
                pending.row.history.append(ERROR)
            pending.row.errors.append(error)
            pending.outcome.errors.append(error)

    def reject_all(self, errors: list[EdiError]) -> None:
        """The group trailer is wrong: every set of the group is rejected with the group's errors."""
        self.errors.extend(errors)
        for pending in self.sets:
            pending.row.history = [RECEIVED, ERROR]
            pending.row.errors = [*errors, *pending.row.errors]

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
