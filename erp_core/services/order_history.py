"""Reading an order's revision history and its full detail (``edipulse orders show PO``).

Records are frozen dataclasses of JSON-native values (text, numbers, None, tuples):
``json.dumps(dataclasses.asdict(record))`` works as is. Quantities and prices are
plain decimal text (``"12.5"``), dates and timestamps ISO 8601.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from erp_core.errors import NotFoundError
from erp_core.models import Item, SalesOrder, SalesOrderLine, SalesOrderParty
from erp_core.models_changes import SalesOrderLineChange, SalesOrderRevision
from erp_core.services._change_plan import value_text


@dataclass(frozen=True, slots=True)
class LineChangeRecord:
    """One field of one line as a revision changed it."""

    line_no: int
    buyer_line_ref: str | None
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """One revision of an order; revision 1 (kind ``booked``) is the booking itself."""

    revision: int
    kind: str
    source_ref: str | None
    change_date: str | None
    changed_at: str
    changed_by: str
    summary: str
    changes: tuple[LineChangeRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderLineRecord:
    """An order line as it stands now."""

    line_no: int
    buyer_line_ref: str | None
    status: str
    item_number: str | None
    buyer_part: str | None
    vendor_part: str | None
    gtin: str | None
    description: str | None
    quantity: str
    quantity_shipped: str
    uom: str
    unit_price: str | None
    requested_date: str | None
    bom_revision_id: int | None


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """An order's header, parties, current lines and every revision with its line changes."""

    id: int
    partner_id: str
    po_number: str
    order_date: str
    purpose: str
    currency: str
    status: str
    revision: int
    source_ref: str | None
    created_at: str
    parties: dict[str, dict[str, str | None]]
    lines: tuple[OrderLineRecord, ...]
    revisions: tuple[RevisionRecord, ...]

    def as_dict(self) -> dict[str, Any]:
        """The whole record as nested dictionaries, ready for ``json.dumps``."""
        return asdict(self)


def order_history(session: Session, order_id: int) -> list[RevisionRecord]:
    """Every revision of the order, oldest first; ``NotFoundError`` for an unknown order id."""
    order = session.get(SalesOrder, order_id)
    if order is None:
        raise NotFoundError(f"order id {order_id} does not exist")
    return _history(session, order)


def order_detail(session: Session, partner_id: str, po_number: str) -> OrderDetail | None:
    """The partner's order ``po_number`` with lines, parties and history, or None."""
    statement = select(SalesOrder).where(SalesOrder.partner_id == partner_id, SalesOrder.po_number == po_number)
    order = session.exec(statement).first()
    if order is None or order.id is None:
        return None
    return OrderDetail(
        id=order.id,
        partner_id=order.partner_id,
        po_number=order.po_number,
        order_date=order.order_date.isoformat(),
        purpose=order.purpose,
        currency=order.currency,
        status=order.status,
        revision=order.revision,
        source_ref=order.source_ref,
        created_at=order.created_at.isoformat(),
        parties=_parties(session, order.id),
        lines=_lines(session, order.id),
        revisions=tuple(_history(session, order)),
    )


def _history(session: Session, order: SalesOrder) -> list[RevisionRecord]:
    revisions = session.exec(
        select(SalesOrderRevision)
        .where(SalesOrderRevision.order_id == order.id)
        .order_by(col(SalesOrderRevision.revision))
    ).all()
    changes = _changes_by_revision(session, [r.id for r in revisions if r.id is not None])
    added = sum(1 for per_revision in changes.values() for change in per_revision if change.action == "add")
    return [_booking_revision(session, order, added)] + [
        RevisionRecord(
            revision=r.revision,
            kind=r.kind,
            source_ref=r.source_ref,
            change_date=value_text(r.change_date),
            changed_at=r.changed_at.isoformat(),
            changed_by=r.changed_by,
            summary=r.summary,
            changes=tuple(changes.get(r.id, ())),  # type: ignore[arg-type]
        )
        for r in revisions
    ]


def _booking_revision(session: Session, order: SalesOrder, added_later: int) -> RevisionRecord:
    """Revision 1, synthesised from the order row: the booking writes no revision row."""
    statement = select(func.count()).select_from(SalesOrderLine).where(SalesOrderLine.order_id == order.id)
    booked_lines = session.exec(statement).one() - added_later
    return RevisionRecord(
        revision=1,
        kind="booked",
        source_ref=order.source_ref,
        change_date=order.order_date.isoformat(),
        changed_at=order.created_at.isoformat(),
        changed_by=order.partner_id,
        summary=f"booked with {booked_lines} line{'s' if booked_lines != 1 else ''}",
    )


def _changes_by_revision(session: Session, revision_ids: list[int]) -> dict[int, list[LineChangeRecord]]:
    if not revision_ids:
        return {}
    statement = (
        select(SalesOrderLineChange, SalesOrderLine.line_no, SalesOrderLine.buyer_line_ref)
        .join(SalesOrderLine, col(SalesOrderLine.id) == col(SalesOrderLineChange.line_id))
        .where(col(SalesOrderLineChange.revision_id).in_(revision_ids))
        .order_by(col(SalesOrderLineChange.revision_id), col(SalesOrderLine.line_no), col(SalesOrderLineChange.id))
    )
    found: dict[int, list[LineChangeRecord]] = {}
    for change, line_no, buyer_line_ref in session.exec(statement).all():
        record = LineChangeRecord(
            line_no, buyer_line_ref, change.action, change.field, change.old_value, change.new_value
        )
        found.setdefault(change.revision_id, []).append(record)
    return found


def _lines(session: Session, order_id: int) -> tuple[OrderLineRecord, ...]:
    statement = (
        select(SalesOrderLine, Item.item_number)
        .outerjoin(Item, col(Item.id) == col(SalesOrderLine.item_id))
        .where(SalesOrderLine.order_id == order_id)
        .order_by(col(SalesOrderLine.line_no))
    )
    return tuple(
        OrderLineRecord(
            line_no=line.line_no,
            buyer_line_ref=line.buyer_line_ref,
            status=line.status,
            item_number=item_number,
            buyer_part=line.buyer_part,
            vendor_part=line.vendor_part,
            gtin=line.gtin,
            description=line.description,
            quantity=value_text(line.quantity) or "0",
            quantity_shipped=value_text(line.quantity_shipped) or "0",
            uom=line.uom,
            unit_price=value_text(line.unit_price),
            requested_date=value_text(line.requested_date),
            # Set by the BOM link of another migration; absent from schemas without it.
            bom_revision_id=getattr(line, "bom_revision_id", None),
        )
        for line, item_number in session.exec(statement).all()
    )


def _parties(session: Session, order_id: int) -> dict[str, dict[str, str | None]]:
    statement = select(SalesOrderParty).where(SalesOrderParty.order_id == order_id).order_by(SalesOrderParty.role)
    return {
        party.role: party.model_dump(exclude={"order_id", "role"})
        for party in session.exec(statement).all()
    }
