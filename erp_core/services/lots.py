"""Production lots: recording them, their serials and the component lots they consumed.

Rules:

* A lot belongs to one item; its number is unique per item (``LOT_EXISTS``). A
  make-to-order lot names its order line, which must be for the same item and not
  cancelled (``LOT_ORDER_LINE_MISMATCH``).
* The BOM revision used defaults to the order line's (the revision in force when the
  order was booked), else the item's revision in force on the manufacturing date.
* Serials are unique per item across all its lots (``SERIAL_DUPLICATE``); a lot
  counted in ``EA`` cannot have more serials than units (``SERIAL_COUNT_EXCEEDED``).
* A consumption issues part of a released component lot into a lot: the component's
  item must be in the lot's BOM revision when it has one, the component lot cannot
  be issued beyond its quantity, and a lot can never (transitively) contain itself.

Like every erp_core service, nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, func, select

from erp_core.errors import AlreadyExistsError
from erp_core.inputs_quality import ConsumptionInput, LotInput, LotStatus, SerialsInput
from erp_core.models import Item, SalesOrder, SalesOrderLine
from erp_core.models_bom import BomComponent, BomRevision
from erp_core.models_quality import Lot, LotConsumption, LotSerial
from erp_core.services._quality import QualityError, lot_by_id, require_item, require_lot
from erp_core.services._savepoint import insert_unique
from erp_core.services.boms import effective_revision

__all__ = [
    "add_serials",
    "component_lot_ids",
    "record_consumption",
    "record_lot",
    "set_lot_status",
    "where_used_lot_ids",
]

MAX_TRACE_LEVELS = 50
"""Deeper than any real genealogy; the walks stop there whatever the data says."""


def record_lot(session: Session, data: LotInput, *, today: date | None = None) -> Lot:
    """Record a new lot (and its serials); see the module docstring for the rules.

    ``today`` is the date whose BOM revision applies when neither the order line nor
    ``manufactured_on`` says (the current date when None).
    """
    item = require_item(session, data.item_number, "LOT_ITEM_UNKNOWN")
    line = _order_line(session, data, item) if data.names_order_line else None
    lot = Lot(
        item_id=item.id,  # type: ignore[arg-type]
        lot_number=data.lot_number,
        order_line_id=line.id if line else None,
        quantity=data.quantity,
        uom=data.uom or item.uom,
        manufactured_on=data.manufactured_on,
        expires_on=data.expires_on,
        bom_revision_id=_bom_revision_id(session, data, item, line, today or date.today()),
        status=data.status,
    )
    try:
        insert_unique(session, lot, "lot")
    except AlreadyExistsError:
        raise QualityError("LOT_EXISTS", f"item {item.item_number} already has lot {data.lot_number}") from None
    if data.serials:
        _insert_serials(session, lot, item, data.serials)
    return lot


def add_serials(session: Session, data: SerialsInput) -> list[LotSerial]:
    """Add serial numbers to an existing lot; all or none are added."""
    lot = require_lot(session, data.item_number, data.lot_number, "LOT_UNKNOWN")
    item = session.get(Item, lot.item_id)
    return _insert_serials(session, lot, item, data.serials)  # type: ignore[arg-type]


def record_consumption(session: Session, data: ConsumptionInput) -> LotConsumption:
    """Record that ``data.quantity`` of a component lot went into a lot."""
    lot = require_lot(session, data.item_number, data.lot_number, "LOT_UNKNOWN")
    component = require_lot(
        session, data.component_item_number, data.component_lot_number, "CONSUMPTION_COMPONENT_UNKNOWN"
    )
    _check_consumable(session, lot, component, data.quantity)
    row = LotConsumption(lot_id=lot.id, component_lot_id=component.id, quantity=data.quantity)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    return row


def set_lot_status(session: Session, lot_id: int, status: LotStatus) -> Lot:
    """Quarantine or reject a lot, or release it without the inspection gate.

    Releasing through inspections is :func:`erp_core.services.inspections.release_lot`.
    """
    lot = lot_by_id(session, lot_id, "LOT_UNKNOWN")
    lot.status = status
    session.add(lot)
    session.flush()
    return lot


def component_lot_ids(session: Session, lot_id: int) -> set[int]:
    """Every lot consumed into ``lot_id``, at any depth."""
    return _walk(session, [lot_id], downward=True)


def where_used_lot_ids(session: Session, lot_id: int) -> set[int]:
    """Every lot that consumed ``lot_id``, at any depth (the recall set, without the lot itself)."""
    return _walk(session, [lot_id], downward=False)


# -- lot recording ------------------------------------------------------------------------


def _order_line(session: Session, data: LotInput, item: Item) -> SalesOrderLine:
    statement = (
        select(SalesOrderLine)
        .join(SalesOrder, col(SalesOrder.id) == col(SalesOrderLine.order_id))
        .where(SalesOrder.partner_id == data.partner_id, SalesOrder.po_number == data.po_number)
        .where(SalesOrderLine.line_no == data.line_no)
    )
    line = session.exec(statement).first()
    where = f"{data.partner_id} order {data.po_number} line {data.line_no}"
    if line is None:
        raise QualityError("LOT_ORDER_LINE_UNKNOWN", f"{where} does not exist")
    if line.item_id != item.id:
        raise QualityError("LOT_ORDER_LINE_MISMATCH", f"{where} is not for item {item.item_number}")
    if line.status == "cancelled":
        raise QualityError("LOT_ORDER_LINE_MISMATCH", f"{where} is cancelled")
    return line


def _bom_revision_id(
    session: Session, data: LotInput, item: Item, line: SalesOrderLine | None, today: date
) -> int | None:
    if data.bom_revision is not None:
        statement = select(BomRevision.id).where(
            BomRevision.item_id == item.id, BomRevision.revision == data.bom_revision
        )
        revision_id = session.exec(statement).first()
        if revision_id is None:
            raise QualityError(
                "LOT_BOM_REVISION_UNKNOWN", f"item {item.item_number} has no BOM revision {data.bom_revision!r}"
            )
        return revision_id
    if line is not None and line.bom_revision_id is not None:
        return line.bom_revision_id
    revision = effective_revision(session, item.id, data.manufactured_on or today)  # type: ignore[arg-type]
    return revision.id if revision else None


def _insert_serials(session: Session, lot: Lot, item: Item, serials: Iterable[str]) -> list[LotSerial]:
    wanted = list(serials)
    repeated = sorted({s for s in wanted if wanted.count(s) > 1})
    if repeated:
        raise QualityError("SERIAL_DUPLICATE", f"serial(s) listed twice: {', '.join(repeated)}")
    taken = session.exec(
        select(LotSerial.serial).where(LotSerial.item_id == item.id, col(LotSerial.serial).in_(wanted))
    ).all()
    if taken:
        raise QualityError(
            "SERIAL_DUPLICATE", f"item {item.item_number} already has serial(s) {', '.join(sorted(taken))}"
        )
    _check_serial_count(session, lot, len(wanted))
    rows = [LotSerial(item_id=item.id, serial=serial, lot_id=lot.id) for serial in wanted]  # type: ignore[arg-type]
    session.add_all(rows)
    session.flush()
    return rows


def _check_serial_count(session: Session, lot: Lot, adding: int) -> None:
    if lot.uom != "EA":
        return
    have = session.exec(select(func.count()).select_from(LotSerial).where(LotSerial.lot_id == lot.id)).one()
    if have + adding > lot.quantity:
        raise QualityError(
            "SERIAL_COUNT_EXCEEDED",
            f"lot {lot.lot_number} holds {lot.quantity.normalize():f} EA; {have} + {adding} serials is more",
        )


# -- consumptions -------------------------------------------------------------------------


def _check_consumable(session: Session, lot: Lot, component: Lot, quantity: Decimal) -> None:
    if component.status != "released":
        raise QualityError(
            "CONSUMPTION_LOT_NOT_RELEASED", f"component lot {component.lot_number} is {component.status}"
        )
    if lot.id == component.id or lot.id in _walk(session, [component.id], downward=True):  # type: ignore[list-item]
        raise QualityError(
            "CONSUMPTION_CYCLE", f"lot {component.lot_number} already contains lot {lot.lot_number}"
        )
    if lot.bom_revision_id is not None and not _in_bom(session, lot.bom_revision_id, component.item_id):
        raise QualityError(
            "CONSUMPTION_NOT_IN_BOM", f"component lot {component.lot_number}'s item is not in the lot's BOM revision"
        )
    issued = session.exec(
        select(func.coalesce(func.sum(LotConsumption.quantity), 0)).where(
            LotConsumption.component_lot_id == component.id
        )
    ).one()
    if Decimal(issued) + quantity > component.quantity:
        raise QualityError(
            "CONSUMPTION_EXCEEDS_LOT",
            f"component lot {component.lot_number} holds {component.quantity.normalize():f} {component.uom}; "
            f"{Decimal(issued).normalize():f} issued already",
        )


def _in_bom(session: Session, bom_revision_id: int, item_id: int) -> bool:
    statement = select(BomComponent.id).where(
        BomComponent.bom_revision_id == bom_revision_id, BomComponent.item_id == item_id
    )
    return session.exec(statement).first() is not None


def _walk(session: Session, start: list[int], *, downward: bool) -> set[int]:
    """Lots reachable from ``start`` through consumptions, one query per level."""
    source, target = (
        (LotConsumption.lot_id, LotConsumption.component_lot_id)
        if downward
        else (LotConsumption.component_lot_id, LotConsumption.lot_id)
    )
    found: set[int] = set()
    frontier = set(start)
    for _level in range(MAX_TRACE_LEVELS):
        if not frontier:
            break
        rows = session.exec(select(target).where(col(source).in_(frontier)).distinct()).all()
        frontier = {row for row in rows if row not in found}
        found |= frontier
    return found
