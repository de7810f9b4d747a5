"""Order feasibility for acknowledgements (855): accept, accept with a new date, backorder or reject.

How a line is judged (in this order, every step explained by a coded reason):

1. The line's item is unknown: ``reject`` (``ITEM_UNKNOWN``). The item's last BOM
   revision ended on or before the date needed: ``reject`` (``ITEM_OBSOLETE``).
2. Finished stock of the item is used first (``FROM_STOCK``).
3. The rest is made or bought:
   * with a BOM, the revision linked at booking (else the one in force on the
     requested date) is exploded level by level; each component uses its stock
     first. A short bought component arrives after its routing's lead time
     (``COMPONENT_SHORT``); a short sub-assembly is built from its own components
     plus its lead time (``SUBASSEMBLY_SHORT``); a short component without any
     routing has no known lead time: ``backorder`` (``COMPONENT_NO_LEAD_TIME``);
   * an item routed to a work centre is then loaded onto that centre's capacity,
     backwards from the requested date, then forwards (``CAPACITY_FULL`` when that
     pushes the date). Production starts the next working day at the earliest;
   * no BOM: capacity only; no BOM and no routing: nothing is known about supply,
     so the line is a ``backorder`` unless stock covers it (``NO_SUPPLY_PLAN``).
4. More than an empty work centre can make by the horizon: ``reject``
   (``CAPACITY_EXCEEDED``). Possible, but not by the horizon because of earlier
   orders or lead times: ``backorder``.
5. Feasible by the requested date: ``accept``; later: ``accept_changed`` with the
   promised date. A line without a requested date is accepted for the earliest date.

Earlier commitments come first: open lines (line ``open``, order ``booked`` or
``acknowledged``) of orders booked before this one, and the earlier lines of this
order, are planned first, in booking order, and take stock and capacity before it.
Quantities are the open quantity (ordered minus shipped), in the item's unit (no
unit conversion). The horizon is ``today + horizon_days`` or the requested date,
whichever is later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Table, and_, or_, select
from sqlmodel import Session

from erp_core.errors import NotFoundError
from erp_core.models import Item, SalesOrder, SalesOrderLine
from erp_core.services._bom_lines import format_quantity
from erp_core.services._feasibility_plan import Demand, LineStatus, Planner

__all__ = ["DEFAULT_HORIZON_DAYS", "LineCheck", "LineStatus", "OrderCheck", "check_order", "order_check_record"]

DEFAULT_HORIZON_DAYS = 120
OPEN_ORDER_STATUSES = ("booked", "acknowledged")

_ORDER: Table = SalesOrder.__table__  # type: ignore[assignment]
_LINE: Table = SalesOrderLine.__table__  # type: ignore[assignment]
_ITEM: Table = Item.__table__  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class LineCheck:
    """The verdict on one line; ``reasons`` are ``CODE: explanation`` strings for planners."""

    line_id: int
    line_no: int
    buyer_line_ref: str | None
    item_number: str | None
    status: LineStatus
    requested_date: date | None
    promised_date: date | None
    quantity: Decimal
    promised_quantity: Decimal
    reasons: tuple[str, ...]
    bom_revision: str | None


@dataclass(frozen=True, slots=True)
class OrderCheck:
    """The verdicts on every line of one order, by line number."""

    order_id: int
    today: date
    lines: tuple[LineCheck, ...]

    @property
    def all_accepted(self) -> bool:
        """True when every line can ship as ordered (the 855 can accept the whole order)."""
        return all(line.status == "accept" for line in self.lines)


def check_order(
    session: Session, order_id: int, today: date, *, horizon_days: int = DEFAULT_HORIZON_DAYS
) -> OrderCheck:
    """Judge each line of the order (see the module docstring); writes nothing."""
    if horizon_days < 1:
        raise ValueError("horizon_days must be at least 1")
    session.flush()
    if session.get(SalesOrder, order_id) is None:
        raise NotFoundError(f"order {order_id} does not exist")
    planner = Planner(session, today, horizon_days)
    checks = []
    for demand, own, cancelled in _demands(session, order_id):
        if cancelled:
            checks.append(_check(demand, "reject", None, Decimal(0), ("LINE_CANCELLED: the line is cancelled",), None))
            continue
        outcome = planner.plan(demand)
        if own:
            checks.append(
                _check(
                    demand,
                    outcome.status,
                    outcome.promised_date,
                    outcome.promised_quantity,
                    outcome.reasons,
                    outcome.bom_revision,
                )
            )
    return OrderCheck(order_id, today, tuple(checks))


def _check(
    demand: Demand,
    status: LineStatus,
    promised: date | None,
    promised_quantity: Decimal,
    reasons: tuple[str, ...],
    bom_revision: str | None,
) -> LineCheck:
    return LineCheck(
        demand.line_id,
        demand.line_no,
        demand.buyer_line_ref,
        demand.item_number,
        status,
        demand.requested_date,
        promised,
        demand.quantity,
        promised_quantity,
        reasons,
        bom_revision,
    )


def _demands(session: Session, order_id: int) -> list[tuple[Demand, bool, bool]]:
    """(demand, belongs to the checked order, cancelled line) in booking order; earlier open lines first."""
    earlier_open = and_(_ORDER.c.id < order_id, _ORDER.c.status.in_(OPEN_ORDER_STATUSES), _LINE.c.status == "open")
    query = (
        select(
            _LINE.c.id,
            _LINE.c.line_no,
            _LINE.c.buyer_line_ref,
            _LINE.c.item_id,
            _ITEM.c.item_number,
            _LINE.c.quantity,
            _LINE.c.quantity_shipped,
            _LINE.c.uom,
            _LINE.c.requested_date,
            _LINE.c.bom_revision_id,
            _ORDER.c.id,
            _LINE.c.status,
        )
        .join(_ORDER, _ORDER.c.id == _LINE.c.order_id)
        .outerjoin(_ITEM, _ITEM.c.id == _LINE.c.item_id)
        .where(or_(_ORDER.c.id == order_id, earlier_open))
        .order_by(_ORDER.c.id, _LINE.c.line_no)
    )
    found = []
    for row in session.connection().execute(query):
        line_id, line_no, ref, item_id, item_number, quantity, shipped, uom, requested, bom_id, line_order, status = row
        open_quantity = max(quantity - shipped, Decimal(0))
        demand = Demand(line_id, line_no, ref, item_id, item_number, open_quantity, uom, requested, bom_id)
        own = line_order == order_id
        if own or demand.quantity > 0:
            found.append((demand, own, own and status != "open"))
    return found


def order_check_record(check: OrderCheck) -> dict[str, object]:
    """An order check as JSON-ready data (dates ISO, quantities as decimal text)."""
    return {
        "order_id": check.order_id,
        "today": check.today.isoformat(),
        "all_accepted": check.all_accepted,
        "lines": [
            {
                "line_id": line.line_id,
                "line_no": line.line_no,
                "buyer_line_ref": line.buyer_line_ref,
                "item_number": line.item_number,
                "status": line.status,
                "requested_date": line.requested_date.isoformat() if line.requested_date else None,
                "promised_date": line.promised_date.isoformat() if line.promised_date else None,
                "quantity": format_quantity(line.quantity),
                "promised_quantity": format_quantity(line.promised_quantity),
                "bom_revision": line.bom_revision,
                "reasons": list(line.reasons),
            }
            for line in check.lines
        ],
    }
