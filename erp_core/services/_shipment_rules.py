"""The rules a shipment line must satisfy, as pure functions over loaded rows.

Shared by building a draft and by confirming it: between the two, the order may be
changed, a lot put on hold or another shipment confirmed, so confirming checks again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from erp_core.models import Partner, SalesOrder, SalesOrderLine
from erp_core.models_quality import Lot
from erp_core.services._bom_lines import format_quantity
from erp_core.services._shipping_errors import Problem

_HUNDRED = Decimal(100)


def ship_limit(ordered: Decimal, partner: Partner) -> Decimal | None:
    """The most that may ship against ``ordered``; None when the partner sets no limit."""
    if not partner.allow_overship:
        return ordered
    if partner.overship_tolerance_percent is None:
        return None
    return ordered * (1 + partner.overship_tolerance_percent / _HUNDRED)


def line_problems(line: SalesOrderLine, order: SalesOrder, partner_id: str, ref: str) -> list[Problem]:
    """Whether the order line can be shipped at all: the partner's, open, of a known item."""
    where = f"order {order.po_number} line {line.line_no}"
    if order.partner_id != partner_id:
        return [Problem("SHIP_LINE_UNKNOWN", f"{where} belongs to partner {order.partner_id}", ref)]
    if line.status == "cancelled" or order.status == "cancelled":
        return [Problem("SHIP_LINE_CANCELLED", f"{where} is cancelled", ref)]
    if line.item_id is None:
        return [Problem("SHIP_LINE_NO_ITEM", f"{where} names no item of ours (part unresolved)", ref)]
    return []


def over_order_problem(
    line: SalesOrderLine, order: SalesOrder, partner: Partner, committed: Decimal, adding: Decimal
) -> Problem | None:
    """``SHIP_OVER_ORDERED`` when ``committed + adding`` exceeds what may ship against the line."""
    limit = ship_limit(line.quantity, partner)
    if limit is None or committed + adding <= limit:
        return None
    return Problem(
        "SHIP_OVER_ORDERED",
        f"order {order.po_number} line {line.line_no}: shipping {format_quantity(adding)} on top of "
        f"{format_quantity(committed)} exceeds the ordered {format_quantity(line.quantity)} {line.uom}"
        + ("" if limit == line.quantity else f" (limit {format_quantity(limit)} with the partner's tolerance)"),
        f"po:{order.po_number}/line:{line.line_no}",
    )


def lot_problems(lot: Lot, line: SalesOrderLine, ship_date: date, ref: str) -> list[Problem]:
    """The lot must be of the line's item, released, and not expired on the ship date."""
    if lot.item_id != line.item_id:
        return [Problem("SHIP_LOT_MISMATCH", f"lot {lot.lot_number} is of another item than the order line", ref)]
    problems = []
    if lot.status != "released":
        problems.append(Problem("SHIP_LOT_NOT_RELEASED", f"lot {lot.lot_number} is {lot.status}", ref))
    if lot.expires_on is not None and lot.expires_on < ship_date:
        problems.append(
            Problem("SHIP_LOT_EXPIRED", f"lot {lot.lot_number} expired on {lot.expires_on}, before {ship_date}", ref)
        )
    return problems


def lot_quantity_problem(lot: Lot, line: SalesOrderLine, used: Decimal, adding: Decimal) -> Problem | None:
    """``SHIP_LOT_OVERDRAWN`` when a lot would ship more than it holds (compared in one unit only)."""
    if lot.uom != line.uom or used + adding <= lot.quantity:
        return None
    return Problem(
        "SHIP_LOT_OVERDRAWN",
        f"lot {lot.lot_number} holds {format_quantity(lot.quantity)} {lot.uom}; "
        f"{format_quantity(used)} shipped or planned already, {format_quantity(adding)} more asked",
        f"lot:{lot.lot_number}",
    )


def serial_problems(
    serials: tuple[str, ...], quantity: Decimal, known: frozenset[str] | None, seen: set[str], ref: str
) -> list[Problem]:
    """Serials: one per unit, each once per shipment, and of the lot when the lot lists its serials."""
    if not serials:
        return []
    problems = []
    if quantity != len(serials):
        problems.append(
            Problem(
                "SHIP_SERIALS_MISMATCH", f"{len(serials)} serial(s) for a quantity of {format_quantity(quantity)}", ref
            )
        )
    repeated = sorted({s for s in serials if s in seen} | _repeats(serials))
    if repeated:
        problems.append(Problem("SHIP_SERIALS_MISMATCH", f"serial(s) listed twice: {', '.join(repeated)}", ref))
    seen.update(serials)
    if known:
        unknown = sorted(set(serials) - known)
        if unknown:
            problems.append(Problem("SHIP_SERIAL_UNKNOWN", f"serial(s) not in the lot: {', '.join(unknown)}", ref))
    return problems


def _repeats(values: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    repeats = set()
    for value in values:
        if value in seen:
            repeats.add(value)
        seen.add(value)
    return repeats
