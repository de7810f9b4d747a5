"""Shipments: built as drafts, confirmed when they leave (moving the order lines' shipped quantities).

A draft already counts against its order lines and lots, so two drafts cannot
together plan more than was ordered; confirming checks again under the same row
locks (the order may have changed, a lot been put on hold) and adds the shipped
quantities with one ``UPDATE ... SET quantity_shipped = quantity_shipped + :q``
per order line, inside the caller's transaction: all of the shipment or nothing.
A confirmed shipment can be cancelled until it is invoiced; its quantities are
then taken back the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import Table, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from erp_core.inputs import PartyInput
from erp_core.inputs_shipping import ShipmentInput
from erp_core.models import Partner, SalesOrder, SalesOrderLine
from erp_core.models_billing import Invoice
from erp_core.models_shipping import Package, Shipment, ShipmentLine, ShipmentParty
from erp_core.services import _shipment_plan as planning
from erp_core.services import _shipment_rules as rules
from erp_core.services._shipment_records import shipment_record, shipments_of_lot
from erp_core.services._shipping_errors import Problem, ShippingError
from erp_core.services.sscc import next_ssccs
from erp_core.types import utc_now

__all__ = [
    "cancel_shipment",
    "confirm_shipment",
    "create_shipment",
    "get_shipment",
    "set_asn_message_ref",
    "set_overship_policy",
    "shipment_record",
    "shipments_of_lot",
]

_LINES: Table = SalesOrderLine.__table__  # type: ignore[assignment]
_PARTY_FIELDS = tuple(PartyInput.model_fields)


def create_shipment(session: Session, data: ShipmentInput) -> Shipment:
    """Check and insert a draft shipment; ``ShippingError`` with every problem found, nothing written."""
    partner = session.get(Partner, data.partner_id)
    if partner is None:
        raise ShippingError.one("SHIP_PARTNER_UNKNOWN", f"partner {data.partner_id!r} does not exist")
    if session.exec(select(Shipment.id).where(Shipment.shipment_number == data.shipment_number)).first():
        raise ShippingError.one("SHIP_DUPLICATE", f"shipment {data.shipment_number!r} exists already")
    plan = planning.plan_shipment(session, data, partner)
    planning.raise_if_problems(plan.problems)
    shipment = Shipment(
        shipment_number=data.shipment_number,
        partner_id=data.partner_id,
        ship_date=data.ship_date,
        carrier_scac=data.carrier_scac,
        carrier_name=data.carrier_name,
        tracking_number=data.tracking_number,
        bill_of_lading=data.bill_of_lading,
        gross_weight=data.gross_weight,
        weight_uom=data.weight_uom,
        package_count=sum(1 for p in data.packages if p.parent_ref is None),
    )
    try:
        with session.begin_nested():
            session.add(shipment)
            session.flush()
            _insert_parties(session, shipment, data, plan)
            packages = _insert_packages(session, shipment, data, plan)
            _insert_lines(session, shipment, plan, packages)
    except IntegrityError as exc:  # a concurrent shipment took the number or an SSCC first
        raise ShippingError.one(
            "SHIP_DUPLICATE", f"shipment {data.shipment_number!r} or one of its SSCCs exists"
        ) from exc
    return shipment


def confirm_shipment(session: Session, shipment_id: int) -> Shipment:
    """Mark a draft shipped and add its quantities to the order lines (re-checked, all or nothing)."""
    shipment = _lock_shipment(session, shipment_id)
    if shipment.status != "draft":
        raise ShippingError.one("SHIP_STATUS", f"shipment {shipment.shipment_number} is {shipment.status}, not a draft")
    lines = _shipment_lines(session, shipment_id)
    totals = _totals(lines)
    rows = planning.lock_order_lines(session, totals)
    lots = planning.lock_lots(session, [line.lot_id for line in lines if line.lot_id is not None])
    partner = session.get(Partner, shipment.partner_id)
    problems: list[Problem] = []
    for line in lines:
        order_line, order = rows[line.order_line_id]
        ref = f"shipment_line:{line.id}"
        problems += rules.line_problems(order_line, order, shipment.partner_id, ref)
        if line.lot_id is not None:
            problems += rules.lot_problems(lots[line.lot_id], order_line, shipment.ship_date, ref)
    for line_id, quantity in totals.items():
        order_line, order = rows[line_id]
        problem = rules.over_order_problem(order_line, order, partner, order_line.quantity_shipped, quantity)  # type: ignore[arg-type]
        problems += [problem] if problem is not None else []
    planning.raise_if_problems(problems)
    _add_shipped(session, totals, sign=1)
    shipment.status, shipment.shipped_at = "shipped", utc_now()
    session.add(shipment)
    session.flush()
    return shipment


def cancel_shipment(session: Session, shipment_id: int) -> Shipment:
    """Cancel a draft, or a shipped shipment not yet invoiced (its quantities are taken back)."""
    shipment = _lock_shipment(session, shipment_id)
    if shipment.status == "cancelled":
        raise ShippingError.one("SHIP_STATUS", f"shipment {shipment.shipment_number} is cancelled already")
    if session.exec(select(Invoice.id).where(Invoice.shipment_id == shipment_id)).first() is not None:
        raise ShippingError.one(
            "SHIP_INVOICED", f"shipment {shipment.shipment_number} is invoiced: issue a credit note"
        )
    if shipment.status == "shipped":
        totals = _totals(_shipment_lines(session, shipment_id))
        planning.lock_order_lines(session, totals)
        _add_shipped(session, totals, sign=-1)
    shipment.status = "cancelled"
    session.add(shipment)
    session.flush()
    return shipment


def set_asn_message_ref(session: Session, shipment_id: int, message_ref: str) -> Shipment:
    """Record the 856 that announced the shipment."""
    if not 1 <= len(message_ref) <= 128:
        raise ValueError("a message reference is 1 to 128 characters")
    shipment = get_shipment(session, shipment_id)
    shipment.asn_message_ref = message_ref
    session.add(shipment)
    session.flush()
    return shipment


def set_overship_policy(
    session: Session, partner_id: str, *, allow: bool, tolerance_percent: Decimal | None = None
) -> Partner:
    """Whether a partner accepts over-shipment, and by how many percent at most (None: no limit)."""
    if tolerance_percent is not None and not Decimal(0) <= tolerance_percent <= Decimal(1000):
        raise ValueError("tolerance_percent must be between 0 and 1000")
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise ShippingError.one("SHIP_PARTNER_UNKNOWN", f"partner {partner_id!r} does not exist")
    partner.allow_overship, partner.overship_tolerance_percent = allow, tolerance_percent
    session.add(partner)
    session.flush()
    return partner


def get_shipment(session: Session, shipment_id: int) -> Shipment:
    """The shipment, or ``ShippingError`` ``SHIP_UNKNOWN``."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise ShippingError.one("SHIP_UNKNOWN", f"shipment id {shipment_id} does not exist")
    return shipment


def _lock_shipment(session: Session, shipment_id: int) -> Shipment:
    statement = select(Shipment).where(Shipment.id == shipment_id).with_for_update()
    shipment = session.exec(statement.execution_options(populate_existing=True)).first()
    if shipment is None:
        raise ShippingError.one("SHIP_UNKNOWN", f"shipment id {shipment_id} does not exist")
    return shipment


def _shipment_lines(session: Session, shipment_id: int) -> list[ShipmentLine]:
    statement = select(ShipmentLine).where(ShipmentLine.shipment_id == shipment_id).order_by(col(ShipmentLine.id))
    return list(session.exec(statement))


def _totals(lines: Sequence[ShipmentLine]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.order_line_id] += line.quantity
    return dict(totals)


def _add_shipped(session: Session, totals: dict[int, Decimal], *, sign: int) -> None:
    """Atomic increments of ``quantity_shipped``; ORM copies of the lines are stale afterwards."""
    connection = session.connection()
    for line_id in sorted(totals):
        delta = totals[line_id] if sign > 0 else -totals[line_id]
        connection.execute(
            update(_LINES).where(_LINES.c.id == line_id).values(quantity_shipped=_LINES.c.quantity_shipped + delta)
        )
    for row in session.identity_map.values():
        if isinstance(row, SalesOrderLine) and row.id in totals:
            session.expire(row, ["quantity_shipped"])


def _insert_parties(session: Session, shipment: Shipment, data: ShipmentInput, plan: planning.ShipmentPlan) -> None:
    ship_to = data.ship_to.model_dump() if data.ship_to is not None else _order_ship_to(session, plan)
    for role, values in (("ship_to", ship_to), ("ship_from", data.ship_from and data.ship_from.model_dump())):
        if values:
            session.add(ShipmentParty(shipment_id=shipment.id, role=role, **values))  # type: ignore[arg-type]


def _order_ship_to(session: Session, plan: planning.ShipmentPlan) -> dict[str, object] | None:
    """The ship-to of the first order shipped from, as party fields."""
    order: SalesOrder = plan.lines[0].order
    party = order.party("ship_to")
    return None if party is None else {name: getattr(party, name) for name in _PARTY_FIELDS}


def _insert_packages(
    session: Session, shipment: Shipment, data: ShipmentInput, plan: planning.ShipmentPlan
) -> dict[str, Package]:
    missing = [p.ref for p in data.packages if p.ref not in plan.ssccs]
    if missing:
        allocated = next_ssccs(session, data.sscc_company_prefix, data.sscc_extension_digit, len(missing))  # type: ignore[arg-type]
        plan.ssccs.update(zip(missing, allocated, strict=True))
    packages: dict[str, Package] = {}
    for level in ("pallet", "carton"):  # parents first: their ids are needed by the cartons
        for item in (p for p in data.packages if p.level == level):
            parent = packages[item.parent_ref].id if item.parent_ref is not None else None
            package = Package(
                shipment_id=shipment.id,  # type: ignore[arg-type]
                parent_package_id=parent,
                level=item.level,
                sscc=plan.ssccs[item.ref],
                weight=item.weight,
            )
            session.add(package)
            packages[item.ref] = package
        session.flush()
    return packages


def _insert_lines(
    session: Session, shipment: Shipment, plan: planning.ShipmentPlan, packages: dict[str, Package]
) -> None:
    for planned in plan.lines:
        item = planned.data
        session.add(
            ShipmentLine(
                shipment_id=shipment.id,  # type: ignore[arg-type]
                package_id=packages[item.package_ref].id if item.package_ref is not None else None,
                order_line_id=planned.line.id,  # type: ignore[arg-type]
                lot_id=planned.lot.id if planned.lot is not None else None,
                quantity=item.quantity,
                serials="\n".join(item.serials) if item.serials else None,
            )
        )
    session.flush()
