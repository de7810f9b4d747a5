"""Applying order changes (X12 860, UBL OrderChange) to booked orders, as numbered revisions.

Each applied change bumps ``erp_sales_order.revision`` and appends one
``erp_sales_order_revision`` row with a row per changed line field, so that who
changed what, when and through which message can be shown later
(:mod:`erp_core.services.order_history`). The booking itself is revision 1 and is
not stored as a revision row (see :mod:`erp_core.models_changes`).

Concurrency: the order row and its lines are read ``FOR UPDATE`` (PostgreSQL), so two
transactions changing the same order run one after the other and the second sees
the first's revision; on SQLite transactions start with ``BEGIN IMMEDIATE``
(:func:`erp_core.db.make_engine`), which serialises writers anyway. The unique
(order, revision) and (order, source_ref) constraints back this up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from erp_core.inputs_changes import LineChangeInput, OrderChangeInput
from erp_core.models import SalesOrder, SalesOrderLine
from erp_core.models_changes import SalesOrderLineChange, SalesOrderRevision
from erp_core.services._change_plan import (
    PART_FIELDS,
    ChangePlan,
    ChangeProblem,
    FieldChange,
    LineEdit,
    plan_change,
    value_text,
)
from erp_core.services.booking import match_items
from erp_core.services.order_history import LineChangeRecord

__all__ = ["AppliedChange", "ChangeProblem", "ChangeResult", "apply_order_change"]

ChangeStatus = Literal["applied", "duplicate", "rejected"]


AppliedChange = LineChangeRecord
"""One recorded line change of an applied revision: the very record the order history shows later."""


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """The outcome of one change message.

    ``applied``: ``revision`` is the order's new revision and ``changes`` what it
    changed. ``duplicate``: the message was applied before (``revision`` is the
    revision it made; 1 when it is the booking's own message). ``rejected``:
    nothing was written and ``problems`` says why; ``revision`` is the order's
    unchanged current revision, and ``order_id`` and ``revision`` are None when the
    order is unknown.
    """

    status: ChangeStatus
    order_id: int | None
    revision: int | None
    problems: tuple[ChangeProblem, ...] = ()
    changes: tuple[AppliedChange, ...] = ()


@dataclass(frozen=True, slots=True)
class _Refs:
    """A line's item identifiers after a change (what the item is re-resolved from)."""

    buyer_part: str | None
    vendor_part: str | None
    gtin: str | None


def apply_order_change(session: Session, change: OrderChangeInput) -> ChangeResult:
    """Apply ``change`` to the partner's order whole, or reject it and write nothing.

    Does not commit; the order stays locked until the caller's transaction ends.
    """
    session.flush()
    order = _locked_order(session, change.partner_id, change.po_number)
    if order is None or order.id is None:
        problem = ChangeProblem("CHANGE_ORDER_UNKNOWN", f"{change.partner_id} has no order {change.po_number}")
        return ChangeResult("rejected", None, None, (problem,))
    earlier = _revision_of_message(session, order, change.source_ref)
    if earlier is not None:
        return ChangeResult("duplicate", order.id, earlier)
    plan = plan_change(order, _locked_lines(session, order.id), change)
    if plan.problems:
        return ChangeResult("rejected", order.id, order.revision, tuple(plan.problems))
    _re_resolve_items(session, change.partner_id, plan.edits)
    with session.begin_nested():
        applied = _write(session, order, plan, change)
    session.expire(order, ["lines"])  # lines were added or changed behind the relationship
    return ChangeResult("applied", order.id, order.revision, (), applied)


def _locked_order(session: Session, partner_id: str, po_number: str) -> SalesOrder | None:
    statement = (
        select(SalesOrder)
        .where(SalesOrder.partner_id == partner_id, SalesOrder.po_number == po_number)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def _locked_lines(session: Session, order_id: int) -> list[SalesOrderLine]:
    statement = (
        select(SalesOrderLine)
        .where(SalesOrderLine.order_id == order_id)
        .order_by(col(SalesOrderLine.line_no))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.exec(statement).all())


def _revision_of_message(session: Session, order: SalesOrder, source_ref: str) -> int | None:
    """The revision ``source_ref`` made of ``order`` before, if any (1: it is the booking's message)."""
    if order.source_ref == source_ref:
        return 1
    statement = select(SalesOrderRevision.revision).where(
        SalesOrderRevision.order_id == order.id, SalesOrderRevision.source_ref == source_ref
    )
    return session.exec(statement).first()


def _re_resolve_items(session: Session, partner_id: str, edits: Sequence[LineEdit]) -> None:
    """Give each edit that changes a part identifier the item its new identifiers resolve to."""
    touched = [edit for edit in edits if any(c.field in PART_FIELDS for c in edit.changes)]
    if not touched:
        return
    refs = [_refs_after(edit) for edit in touched]
    for edit, (item_id, _matched_by) in zip(touched, match_items(session.connection(), partner_id, refs), strict=True):
        if item_id != edit.line.item_id:
            edit.changes.append(FieldChange("part", "item_id", edit.line.item_id, item_id))


def _refs_after(edit: LineEdit) -> _Refs:
    new = {c.field: c.new for c in edit.changes}
    line = edit.line
    return _Refs(
        buyer_part=new.get("buyer_part", line.buyer_part),  # type: ignore[arg-type]
        vendor_part=new.get("vendor_part", line.vendor_part),  # type: ignore[arg-type]
        gtin=new.get("gtin", line.gtin),  # type: ignore[arg-type]
    )


def _write(
    session: Session, order: SalesOrder, plan: ChangePlan, change: OrderChangeInput
) -> tuple[AppliedChange, ...]:
    for edit in plan.edits:
        for field_change in edit.changes:
            if field_change.field is not None:  # always set for edits; only ``add`` rows have none
                setattr(edit.line, field_change.field, field_change.new)
        session.add(edit.line)
    added = _add_lines(session, order, plan.adds)
    order.revision += 1
    if plan.cancel_order:
        order.status = "cancelled"
    session.add(order)
    revision = SalesOrderRevision(
        order_id=order.id,  # type: ignore[arg-type]
        revision=order.revision,
        kind=change.purpose,
        source_ref=change.source_ref,
        change_date=change.change_date,
        changed_by=change.changed_by,
        summary=_summary(plan, len(added)),
    )
    session.add(revision)
    session.flush()
    recorded = [(line, FieldChange("add", None)) for line in added]
    recorded += [(edit.line, c) for edit in plan.edits for c in edit.changes]
    session.add_all(
        SalesOrderLineChange(
            revision_id=revision.id,  # type: ignore[arg-type]
            line_id=line.id,  # type: ignore[arg-type]
            action=c.action,
            field=c.field,
            old_value=value_text(c.old),
            new_value=value_text(c.new),
        )
        for line, c in recorded
    )
    session.flush()
    return tuple(
        AppliedChange(line.line_no, line.buyer_line_ref, c.action, c.field, value_text(c.old), value_text(c.new))
        for line, c in recorded
    )


def _add_lines(session: Session, order: SalesOrder, adds: Sequence[LineChangeInput]) -> list[SalesOrderLine]:
    if not adds:
        return []
    statement = select(SalesOrderLine.line_no).where(SalesOrderLine.order_id == order.id)
    next_no = max(session.exec(statement).all(), default=0) + 1
    resolved = match_items(session.connection(), order.partner_id, adds)
    lines = [
        SalesOrderLine(
            order_id=order.id,  # type: ignore[arg-type]
            line_no=line_no,
            buyer_line_ref=spec.buyer_line_ref,
            item_id=item_id,
            buyer_part=spec.buyer_part,
            vendor_part=spec.vendor_part,
            gtin=spec.gtin,
            description=spec.description,
            quantity=spec.quantity,  # type: ignore[arg-type]  # checked by the plan
            uom=spec.uom,  # type: ignore[arg-type]
            unit_price=spec.unit_price,
            requested_date=spec.requested_date,
        )
        for line_no, (spec, (item_id, _matched_by)) in enumerate(zip(adds, resolved, strict=True), start=next_no)
    ]
    session.add_all(lines)
    session.flush()
    return lines


def _summary(plan: ChangePlan, added: int) -> str:
    """One line for listings, e.g. ``2 lines changed, 1 added, 1 cancelled; order cancelled``."""
    counts = Counter("cancelled" if edit.changes[0].action == "cancel" else "changed" for edit in plan.edits)
    parts = [f"{counts['changed']} changed"] if counts["changed"] else []
    if added:
        parts.append(f"{added} added")
    if counts["cancelled"]:
        parts.append(f"{counts['cancelled']} cancelled")
    text = f"lines: {', '.join(parts)}" if parts else "no line changes"
    return f"{text}; order cancelled" if plan.cancel_order else text
