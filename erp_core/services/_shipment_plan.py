"""Loading what a shipment touches (locked) and checking a new shipment before anything is written.

Order lines and lots are read ``FOR UPDATE`` (PostgreSQL; SQLite serialises
writers with ``BEGIN IMMEDIATE``), so two shipments drawing on the same order line
or lot are checked one after the other and the second sees the first. Only the
order *lines* are locked, not the orders: an order change locks the order and then
its lines, and locking in the same direction keeps the two from deadlocking.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, tuple_
from sqlmodel import Session, col, select

from erp_core.inputs_shipping import PackageInput, ShipmentInput, ShipmentLineInput
from erp_core.models import Partner, SalesOrder, SalesOrderLine
from erp_core.models_quality import Lot, LotSerial
from erp_core.models_shipping import Package, Shipment, ShipmentLine
from erp_core.services import _shipment_rules as rules
from erp_core.services._shipping_errors import Problem, ShippingError
from erp_core.services.sscc import is_valid_sscc

OrderRow = tuple[SalesOrderLine, SalesOrder]


@dataclass(frozen=True, slots=True)
class PlannedLine:
    """An input line with the rows it resolved to."""

    data: ShipmentLineInput
    line: SalesOrderLine
    order: SalesOrder
    lot: Lot | None


@dataclass(slots=True)
class ShipmentPlan:
    """What creating the shipment will insert; only usable when ``problems`` is empty."""

    problems: list[Problem] = field(default_factory=list)
    lines: list[PlannedLine] = field(default_factory=list)
    ssccs: dict[str, str] = field(default_factory=dict)  # package ref -> SSCC given in the input


def line_ref(index: int) -> str:
    return f"line:{index + 1}"


def lock_order_lines(session: Session, line_ids: Iterable[int]) -> dict[int, OrderRow]:
    """Order lines with their orders, the lines locked, in id order (a stable lock order)."""
    ids = sorted(set(line_ids))
    if not ids:
        return {}
    statement = (
        select(SalesOrderLine, SalesOrder)
        .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.order_id)
        .where(col(SalesOrderLine.id).in_(ids))
        .order_by(col(SalesOrderLine.id))
        .with_for_update(of=SalesOrderLine)  # type: ignore[arg-type]
    )
    return {line.id: (line, order) for line, order in session.exec(statement)}  # type: ignore[misc]


def lock_lots(session: Session, lot_ids: Iterable[int]) -> dict[int, Lot]:
    ids = sorted(set(lot_ids))
    if not ids:
        return {}
    statement = select(Lot).where(col(Lot.id).in_(ids)).order_by(col(Lot.id)).with_for_update()
    return {lot.id: lot for lot in session.exec(statement)}  # type: ignore[misc]


def draft_quantities(session: Session, line_ids: Sequence[int], exclude_shipment: int | None) -> dict[int, Decimal]:
    """Per order line, what other draft shipments plan to ship."""
    statement = (
        select(ShipmentLine.order_line_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, col(Shipment.id) == ShipmentLine.shipment_id)
        .where(Shipment.status == "draft", col(ShipmentLine.order_line_id).in_(line_ids))
        .group_by(col(ShipmentLine.order_line_id))
    )
    if exclude_shipment is not None:
        statement = statement.where(Shipment.id != exclude_shipment)
    return {line_id: Decimal(total) for line_id, total in session.exec(statement)}


def lot_usage(session: Session, lot_ids: Sequence[int], exclude_shipment: int | None) -> dict[int, Decimal]:
    """Per lot, what drafts and shipped shipments take from it."""
    statement = (
        select(ShipmentLine.lot_id, func.sum(ShipmentLine.quantity))
        .join(Shipment, col(Shipment.id) == ShipmentLine.shipment_id)
        .where(Shipment.status != "cancelled", col(ShipmentLine.lot_id).in_(lot_ids))
        .group_by(col(ShipmentLine.lot_id))
    )
    if exclude_shipment is not None:
        statement = statement.where(Shipment.id != exclude_shipment)
    return {lot_id: Decimal(total) for lot_id, total in session.exec(statement)}


def lot_serials(session: Session, lot_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for lot_id, serial in session.exec(
        select(LotSerial.lot_id, LotSerial.serial).where(col(LotSerial.lot_id).in_(lot_ids))
    ):
        found[lot_id].add(serial)
    return {lot_id: frozenset(serials) for lot_id, serials in found.items()}


def plan_shipment(session: Session, data: ShipmentInput, partner: Partner) -> ShipmentPlan:
    """Resolve and check every line and package of ``data``; problems are collected, not raised."""
    plan = ShipmentPlan()
    _check_packages(session, data.packages, data, plan)
    rows = _resolve_lines(session, data, plan)
    lots = _resolve_lots(session, data.lines, rows, plan)
    for index, item in enumerate(data.lines):
        if index in rows:
            line, order = rows[index]
            plan.lines.append(PlannedLine(item, line, order, lots.get(index)))
    if plan.problems:
        return plan
    _check_lines(session, data, partner, plan)
    return plan


def _resolve_lines(session: Session, data: ShipmentInput, plan: ShipmentPlan) -> dict[int, OrderRow]:
    by_id = [item.order_line_id for item in data.lines if item.order_line_id is not None]
    pairs = {(item.po_number, item.line_no) for item in data.lines if item.po_number is not None}
    if pairs:
        statement = (
            select(SalesOrderLine.id, SalesOrder.po_number, SalesOrderLine.line_no)
            .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.order_id)
            .where(
                SalesOrder.partner_id == data.partner_id,
                tuple_(SalesOrder.po_number, SalesOrderLine.line_no).in_(pairs),
            )
        )
        found = {(po, no): line_id for line_id, po, no in session.exec(statement)}
    else:
        found = {}
    ids = {
        index: item.order_line_id if item.order_line_id is not None else found.get((item.po_number, item.line_no))
        for index, item in enumerate(data.lines)
    }
    locked = lock_order_lines(session, [*by_id, *found.values()])
    rows: dict[int, OrderRow] = {}
    for index, line_id in ids.items():
        row = locked.get(line_id) if line_id is not None else None
        if row is None:
            plan.problems.append(
                Problem("SHIP_LINE_UNKNOWN", _line_name(data.lines[index]) + " does not exist", line_ref(index))
            )
            continue
        problems = rules.line_problems(row[0], row[1], data.partner_id, line_ref(index))
        plan.problems.extend(problems)
        if not problems:
            rows[index] = row
    return rows


def _line_name(item: ShipmentLineInput) -> str:
    if item.order_line_id is not None:
        return f"order line id {item.order_line_id}"
    return f"order {item.po_number} line {item.line_no}"


def _resolve_lots(
    session: Session, items: Sequence[ShipmentLineInput], rows: dict[int, OrderRow], plan: ShipmentPlan
) -> dict[int, Lot]:
    wanted = {(rows[i][0].item_id, item.lot_number) for i, item in enumerate(items) if item.lot_number and i in rows}
    by_number: dict[tuple[int | None, str], int] = {}
    if wanted:
        statement = select(Lot.item_id, Lot.lot_number, Lot.id).where(tuple_(Lot.item_id, Lot.lot_number).in_(wanted))
        by_number = {(item_id, number): lot_id for item_id, number, lot_id in session.exec(statement)}
    lot_ids = {i: item.lot_id for i, item in enumerate(items) if item.lot_id is not None}
    for index, item in enumerate(items):
        if item.lot_number and index in rows:
            lot_ids[index] = by_number.get((rows[index][0].item_id, item.lot_number))  # type: ignore[assignment]
    locked = lock_lots(session, [lot_id for lot_id in lot_ids.values() if lot_id is not None])
    lots: dict[int, Lot] = {}
    for index, lot_id in lot_ids.items():
        lot = locked.get(lot_id) if lot_id is not None else None
        if lot is None:
            name = items[index].lot_number or f"id {items[index].lot_id}"
            code = "SHIP_LOT_MISMATCH" if _lot_exists_elsewhere(session, items[index]) else "SHIP_LOT_UNKNOWN"
            plan.problems.append(Problem(code, f"lot {name} is not a lot of the order line's item", line_ref(index)))
        elif index in rows and lot.item_id != rows[index][0].item_id:
            message = f"lot {lot.lot_number} is of another item than the order line"
            plan.problems.append(Problem("SHIP_LOT_MISMATCH", message, line_ref(index)))
        else:
            lots[index] = lot
    return lots


def _lot_exists_elsewhere(session: Session, item: ShipmentLineInput) -> bool:
    if item.lot_number is None:
        return False
    return session.exec(select(Lot.id).where(Lot.lot_number == item.lot_number).limit(1)).first() is not None


def _check_lines(session: Session, data: ShipmentInput, partner: Partner, plan: ShipmentPlan) -> None:
    line_ids = sorted({p.line.id for p in plan.lines})  # type: ignore[type-var]
    drafts = draft_quantities(session, line_ids, None)  # type: ignore[arg-type]
    lot_ids = sorted({p.lot.id for p in plan.lines if p.lot is not None})  # type: ignore[type-var]
    used, serials = lot_usage(session, lot_ids, None), lot_serials(session, lot_ids)  # type: ignore[arg-type]
    adding: dict[int, Decimal] = defaultdict(Decimal)
    taking: dict[int, Decimal] = defaultdict(Decimal)
    seen: set[str] = set()
    for index, planned in enumerate(plan.lines):
        ref, line, lot = line_ref(index), planned.line, planned.lot
        adding[line.id] += planned.data.quantity  # type: ignore[index]
        if lot is not None:
            taking[lot.id] += planned.data.quantity  # type: ignore[index]
            plan.problems.extend(rules.lot_problems(lot, line, data.ship_date, ref))
        known = serials.get(lot.id) if lot is not None else None  # type: ignore[arg-type]
        plan.problems.extend(rules.serial_problems(planned.data.serials, planned.data.quantity, known, seen, ref))
    rows = {p.line.id: (p.line, p.order) for p in plan.lines}
    for line_id, quantity in adding.items():
        line, order = rows[line_id]
        committed = line.quantity_shipped + drafts.get(line_id, Decimal(0))
        problem = rules.over_order_problem(line, order, partner, committed, quantity)
        if problem is not None:
            plan.problems.append(problem)
    lots = {p.lot.id: (p.lot, p.line) for p in plan.lines if p.lot is not None}
    for lot_id, quantity in taking.items():
        lot, line = lots[lot_id]
        problem = rules.lot_quantity_problem(lot, line, used.get(lot_id, Decimal(0)), quantity)
        if problem is not None:
            plan.problems.append(problem)


def _check_packages(
    session: Session, packages: Sequence[PackageInput], data: ShipmentInput, plan: ShipmentPlan
) -> None:
    levels = {p.ref: p.level for p in packages}
    bad = plan.problems
    if len(levels) != len(packages):
        bad.append(Problem("SHIP_PACKAGE_INVALID", "package refs must be unique within the shipment"))
    for package in packages:
        ref = f"package:{package.ref}"
        if package.level == "pallet" and package.parent_ref is not None:
            bad.append(Problem("SHIP_PACKAGE_INVALID", "a pallet cannot be inside another package", ref))
        if package.parent_ref is not None and levels.get(package.parent_ref) != "pallet":
            bad.append(
                Problem("SHIP_PACKAGE_INVALID", f"parent {package.parent_ref!r} is not a pallet of this shipment", ref)
            )
        if package.sscc is None:
            if data.sscc_company_prefix is None:
                bad.append(Problem("SHIP_PACKAGE_INVALID", "no SSCC given and no company prefix to allocate one", ref))
        elif not is_valid_sscc(package.sscc):
            bad.append(
                Problem("SHIP_SSCC_INVALID", f"{package.sscc!r} is not an SSCC-18 with a valid check digit", ref)
            )
        else:
            plan.ssccs[package.ref] = package.sscc
    for index, item in enumerate(data.lines):
        if item.package_ref is not None and item.package_ref not in levels:
            bad.append(
                Problem("SHIP_PACKAGE_INVALID", f"package {item.package_ref!r} is not in the shipment", line_ref(index))
            )
    _check_sscc_uniqueness(session, plan)


def _check_sscc_uniqueness(session: Session, plan: ShipmentPlan) -> None:
    given = list(plan.ssccs.values())
    repeated = sorted({s for s in given if given.count(s) > 1})
    taken = set(session.exec(select(Package.sscc).where(col(Package.sscc).in_(given)))) if given else set()
    for sscc in sorted(set(repeated) | taken):
        where = "twice in this shipment" if sscc in repeated else "on another package already"
        plan.problems.append(Problem("SHIP_SSCC_DUPLICATE", f"SSCC {sscc} is used {where}"))


def raise_if_problems(problems: Sequence[Problem]) -> None:
    if problems:
        raise ShippingError(problems)
