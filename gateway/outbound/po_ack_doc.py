"""The purchase-order acknowledgement of a booked (or changed) order, from the ERP core's feasibility check.

The ERP core says, per line, whether the order can be made as asked (BOM explosion against
component stock, work-centre capacity) and when; this module turns that into the
canonical :class:`~edi.canonical.order_ack.OrderAcknowledgement` every format's template renders.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import MappingProxyType

from sqlmodel import Session

from edi.canonical.order import Party
from edi.canonical.order_ack import AckLine, OrderAcknowledgement
from erp_core.models import SalesOrderLine
from erp_core.services.feasibility import LineCheck, check_order
from erp_core.services.order_history import LineChangeRecord, order_history
from erp_core.services.orders import get_order_by_id

# What the latest revision changed on a line -> the X12 670 change type its 865 line answers.
SINGLE_CHANGES = MappingProxyType({"add": "AI", "cancel": "DI", "price": "PC", "date": "RS"})
PAIRED_CHANGES = MappingProxyType({frozenset({"price", "quantity"}): "PQ", frozenset({"date", "quantity"}): "RQ",
                                   frozenset({"date", "price"}): "PR"})
CHANGED = "CA"  # anything else (part numbers, several fields)


def change_type(changes: list[LineChangeRecord]) -> str:
    """The 670 code of one line's changes in a revision (QI/QD by the direction of a quantity change)."""
    actions = frozenset(c.action for c in changes)
    if actions == {"quantity"}:
        old, new = (Decimal(changes[0].old_value or "0"), Decimal(changes[0].new_value or "0"))
        return "QI" if new > old else "QD"
    if len(actions) == 1:
        return SINGLE_CHANGES.get(next(iter(actions)), CHANGED)
    return PAIRED_CHANGES.get(actions, CHANGED)


def _latest_changes(session: Session, order_id: int) -> dict[int, list[LineChangeRecord]]:
    """Line number -> what the order's latest revision changed on it."""
    history = order_history(session, order_id)
    by_line: dict[int, list[LineChangeRecord]] = {}
    for record in history[-1].changes if history else ():
        by_line.setdefault(record.line_no, []).append(record)
    return by_line


def _line_status(check: LineCheck) -> str:
    if check.status == "accept_changed":
        if check.promised_quantity != check.quantity:
            return "quantity_changed"
        return "date_changed"
    return check.status


def _ack_line(line: SalesOrderLine, check: LineCheck | None, change: str | None) -> AckLine:
    status = _line_status(check) if check is not None else "accept"
    if line.status == "cancelled":  # the buyer's cancellation, accepted: nothing will ship
        return AckLine(line_no=line.buyer_line_ref or str(line.line_no), buyer_part=line.buyer_part,
                       vendor_part=line.vendor_part, gtin=line.gtin, description=line.description,
                       ordered_quantity=line.quantity, uom=line.uom, unit_price=line.unit_price, status="accept",
                       scheduled_quantity=Decimal(0), change_type=change)
    return AckLine(
        line_no=line.buyer_line_ref or str(line.line_no), buyer_part=line.buyer_part, vendor_part=line.vendor_part,
        gtin=line.gtin, description=line.description, ordered_quantity=line.quantity, uom=line.uom,
        unit_price=line.unit_price, status=status,  # type: ignore[arg-type]
        scheduled_quantity=check.promised_quantity if check is not None else line.quantity,
        scheduled_date=check.promised_date if check is not None else line.requested_date,
        reason="; ".join(check.reasons) if check and check.reasons else None,
        change_type=change)


def _ack_type(lines: list[AckLine]) -> str:
    statuses = {line.status for line in lines}
    if statuses <= {"accept"}:
        return "accept"
    if statuses == {"reject"}:
        return "reject"
    return "accept_with_changes"


def build_order_ack(session: Session, order_id: int, kind: str, today: dt.date,
                    seller: Party | None = None) -> OrderAcknowledgement:
    """The acknowledgement of order #``order_id`` (``kind``: "order" for an 855, "change" for an 865)."""
    order = get_order_by_id(session, order_id)
    if order is None:
        raise LookupError(f"order #{order_id} vanished before its acknowledgement was built")
    checks = {c.line_id: c for c in check_order(session, order_id, today).lines}
    changed = _latest_changes(session, order_id) if kind == "change" else {}
    answered = [line for line in order.lines if line.status != "cancelled" or line.line_no in changed]
    lines = [_ack_line(line, checks.get(line.id or 0), change_type(changed[line.line_no])
                       if line.line_no in changed else ("NC" if kind == "change" else None))
             for line in answered]
    ship_to = next((p for p in order.parties if p.role == "ST"), None)
    buyer = Party(name=ship_to.name, id=ship_to.id_code) if ship_to is not None and ship_to.name else None
    purpose = "cancellation" if order.status == "cancelled" else ("change" if kind == "change" else "original")
    return OrderAcknowledgement(
        kind=kind, partner=order.partner_id, po_number=order.po_number, po_date=order.order_date,  # type: ignore[arg-type]
        ack_date=today, purpose=purpose, ack_type=_ack_type(lines),  # type: ignore[arg-type]
        reference=f"SO-{order.id}", currency=order.currency, buyer=buyer, seller=seller, lines=lines)
