"""Stock on hand, work centres and item routings: what the order feasibility check plans against.

Stock is kept per item and location in the item's unit of measure and never goes
negative (``ck_erp_inventory_on_hand``): an adjustment that would take it below
zero is refused, not clamped. Adjustments are one atomic ``UPDATE ... SET on_hand =
on_hand + :delta``, so concurrent movements never lose each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import Table, func, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from erp_core.errors import ErpError, NotFoundError
from erp_core.inputs_bom import RoutingInput, StockInput, WorkCentreInput
from erp_core.models_bom import DEFAULT_LOCATION, WEEKDAYS, Inventory, ItemRouting, WorkCentre
from erp_core.services._bom_lines import format_quantity
from erp_core.services._in_chunks import in_chunks
from erp_core.services._savepoint import insert_unique
from erp_core.services.items import require_item
from erp_core.types import utc_now

_INVENTORY: Table = Inventory.__table__  # type: ignore[assignment]


class NegativeStockError(ErpError):
    """An adjustment would take stock below zero (code ``INVENTORY_NEGATIVE``)."""

    code = "INVENTORY_NEGATIVE"


def set_on_hand(
    session: Session, item_number: str, quantity: Decimal | int, location: str = DEFAULT_LOCATION
) -> Inventory:
    """Record a counted quantity (a stock take): the row is created or overwritten."""
    data = StockInput(item_number=item_number, quantity=Decimal(quantity), location=location)
    if data.quantity < 0:
        raise NegativeStockError(f"on-hand quantity of {data.item_number} cannot be negative ({data.quantity})")
    item = require_item(session, data.item_number)
    row = session.get(Inventory, (item.id, data.location))
    if row is None:
        row = Inventory(item_id=item.id, location=data.location, on_hand=data.quantity)  # type: ignore[arg-type]
    else:
        row.on_hand, row.updated_at = data.quantity, utc_now()
    session.add(row)
    session.flush()
    return row


def adjust_on_hand(
    session: Session, item_number: str, delta: Decimal | int, location: str = DEFAULT_LOCATION
) -> Decimal:
    """Add ``delta`` (negative: an issue) to the stock at ``location``; returns the new quantity.

    ``NegativeStockError`` if the result would be below zero; the stock is then unchanged.
    """
    data = StockInput(item_number=item_number, quantity=Decimal(delta), location=location)
    item = require_item(session, data.item_number)
    key = (_INVENTORY.c.item_id == item.id) & (_INVENTORY.c.location == data.location)
    statement = (
        update(_INVENTORY)
        .where(key)
        .values(on_hand=_INVENTORY.c.on_hand + data.quantity, updated_at=utc_now())
        .returning(_INVENTORY.c.on_hand)
    )
    session.flush()
    try:
        with session.begin_nested():
            new = session.connection().execute(statement).scalar_one_or_none()
            if new is None:  # no row yet: the first receipt creates it
                if data.quantity < 0:
                    raise NegativeStockError(f"no stock of {data.item_number} at {data.location} to issue from")
                session.add(Inventory(item_id=item.id, location=data.location, on_hand=data.quantity))  # type: ignore[arg-type]
                session.flush()
                new = data.quantity
    except IntegrityError as exc:
        raise NegativeStockError(
            f"issuing {-data.quantity} of {data.item_number} at {data.location} would leave negative stock"
        ) from exc
    session.expire_all()  # ORM copies of the row are stale after the Core UPDATE
    return new


def on_hand(session: Session, item_ids: Iterable[int]) -> dict[int, Decimal]:
    """Stock per item summed over all locations (items without stock are absent)."""
    found: dict[int, Decimal] = {}
    for chunk in in_chunks(item_ids):
        query = (
            core_select(_INVENTORY.c.item_id, func.sum(_INVENTORY.c.on_hand))
            .where(_INVENTORY.c.item_id.in_(chunk))
            .group_by(_INVENTORY.c.item_id)
        )
        found.update((item_id, Decimal(total)) for item_id, total in session.connection().execute(query))
    return found


def add_work_centre(
    session: Session,
    code: str,
    *,
    name: str,
    daily_capacity: Decimal | int,
    working_days: Iterable[str] = WEEKDAYS[:5],
) -> WorkCentre:
    """Create a work centre; ``AlreadyExistsError`` if the code is taken."""
    data = WorkCentreInput(
        code=code, name=name, daily_capacity=Decimal(daily_capacity), working_days=tuple(working_days)
    )
    centre = WorkCentre(
        code=data.code, name=data.name, daily_capacity=data.daily_capacity, working_days=data.working_days_mask
    )
    insert_unique(session, centre, f"work centre {data.code!r}")
    return centre


def get_work_centre(session: Session, code: str) -> WorkCentre | None:
    """The work centre with this code (case-insensitive), or None."""
    return session.exec(select(WorkCentre).where(WorkCentre.code == code.strip().upper())).first()


def set_routing(
    session: Session,
    item_number: str,
    *,
    work_centre: str | None = None,
    units_per_day: Decimal | int | None = None,
    lead_time_days: int = 0,
) -> ItemRouting:
    """Say how an item is obtained (created or replaced): made at ``work_centre``, or bought (None)."""
    data = RoutingInput(
        item_number=item_number,
        work_centre=work_centre,
        units_per_day=None if units_per_day is None else Decimal(units_per_day),
        lead_time_days=lead_time_days,
    )
    if data.units_per_day is not None and data.work_centre is None:
        raise ValueError("units_per_day needs a work centre")
    item = require_item(session, data.item_number)
    centre_id = None
    if data.work_centre is not None:
        centre = get_work_centre(session, data.work_centre)
        if centre is None:
            raise NotFoundError(f"work centre {data.work_centre!r} does not exist")
        centre_id = centre.id
    routing = session.get(ItemRouting, item.id) or ItemRouting(item_id=item.id)  # type: ignore[arg-type]
    routing.work_centre_id, routing.units_per_day, routing.lead_time_days = (
        centre_id,
        data.units_per_day,
        data.lead_time_days,
    )
    session.add(routing)
    session.flush()
    return routing


def work_centre_record(centre: WorkCentre) -> dict[str, object]:
    """A work centre as JSON-ready data."""
    return {
        "code": centre.code,
        "name": centre.name,
        "daily_capacity": format_quantity(centre.daily_capacity),
        "working_days": [day for index, day in enumerate(WEEKDAYS) if centre.working_days >> index & 1],
    }


def stock_records(session: Session, item_number: str) -> list[dict[str, object]]:
    """An item's stock per location."""
    item = require_item(session, item_number)
    rows = session.exec(select(Inventory).where(Inventory.item_id == item.id).order_by(col(Inventory.location)))
    return [
        {
            "item_number": item.item_number,
            "location": row.location,
            "on_hand": format_quantity(row.on_hand),
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ]


__all__ = [
    "NegativeStockError",
    "add_work_centre",
    "adjust_on_hand",
    "get_work_centre",
    "on_hand",
    "set_on_hand",
    "set_routing",
    "stock_records",
    "work_centre_record",
]
