"""Order feasibility: stock netting across orders, component lead times, work-centre capacity, rejections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlmodel import Session

from erp_core.errors import NotFoundError
from erp_core.inputs import OrderInput, OrderLineInput
from erp_core.models import SalesOrder
from erp_core.services import boms, booking, inventory, items
from erp_core.services.feasibility import LineCheck, check_order, order_check_record

MON = date(2026, 3, 2)  # "today" in every test: a Monday
FRI = date(2026, 3, 6)
NEXT_MON = date(2026, 3, 9)


@pytest.fixture
def plant(session: Session) -> Session:
    """GADGET = 2 CHIP + 1 CASE + 1 CORE (sub-assembly: 3 WIRE), assembled at ASSY, 100 a day, Mon-Fri."""
    bom = {
        "item_number": "GADGET",
        "revision": "A",
        "effective_from": date(2026, 1, 1),
        "components": [
            {"part": "CHIP", "quantity": 2},
            {"part": "CASE", "quantity": 1},
            {"part": "CORE", "quantity": 1},
            {"part": "WIRE", "quantity": 3, "parent": "CORE"},
        ],
    }
    assert boms.import_bom(session, bom).status == "created"
    inventory.add_work_centre(session, "assy", name="Final assembly", daily_capacity=100)
    inventory.set_routing(session, "GADGET", work_centre="ASSY")
    inventory.set_routing(session, "CHIP", lead_time_days=10)
    inventory.set_routing(session, "CASE", lead_time_days=3)
    inventory.set_routing(session, "WIRE", lead_time_days=5)
    inventory.set_routing(session, "CORE", lead_time_days=1)  # build time once its wire is there
    for part, quantity in (("CHIP", 1000), ("CASE", 500), ("CORE", 100), ("WIRE", 3000)):
        inventory.set_on_hand(session, part, quantity)
    session.commit()
    return session


def book(session: Session, po: str, *lines: tuple[str, int, date | None]) -> int:
    order = OrderInput(
        partner_id="acme",
        po_number=po,
        order_date=date(2026, 2, 20),
        lines=tuple(
            OrderLineInput(
                buyer_line_ref=str(n), vendor_part=part, quantity=Decimal(quantity), uom="EA", requested_date=when
            )
            for n, (part, quantity, when) in enumerate(lines, start=1)
        ),
    )
    order_id = booking.book_orders(session, [order])[0].order_id
    session.commit()
    return order_id


def only(session: Session, order_id: int) -> LineCheck:
    (line,) = check_order(session, order_id, MON).lines
    return line


def codes(line: LineCheck) -> list[str]:
    return [reason.split(":", 1)[0] for reason in line.reasons]


def test_everything_available_is_accepted_on_the_requested_date(plant: Session) -> None:
    order_id = book(plant, "PO-1", ("GADGET", 50, FRI), ("GADGET", 10, None))
    check = check_order(plant, order_id, MON)
    assert [(c.status, c.promised_date, c.promised_quantity, c.bom_revision) for c in check.lines] == [
        ("accept", FRI, Decimal(50), "A"),
        ("accept", date(2026, 3, 3), Decimal(10), "A"),  # no requested date: the earliest, tomorrow
    ]
    assert check.all_accepted
    record = order_check_record(check)
    assert record["lines"][0]["promised_date"] == "2026-03-06" and record["lines"][0]["quantity"] == "50"  # type: ignore[index]


def test_short_component_moves_the_date_by_its_lead_time(plant: Session) -> None:
    inventory.set_on_hand(plant, "CHIP", 100)
    line = only(plant, book(plant, "PO-1", ("GADGET", 100, FRI)))  # needs 200 chips: 100 short, 10 days
    assert (line.status, line.promised_date, line.promised_quantity) == ("accept_changed", date(2026, 3, 12), 100)
    assert codes(line) == ["COMPONENT_SHORT"]
    assert "CHIP short 100, lead time 10 days, available 2026-03-12" in line.reasons[0]


def test_short_subassembly_is_built_from_its_own_components(plant: Session) -> None:
    inventory.set_on_hand(plant, "WIRE", 30)  # CORE: 100 in stock, 50 to build, needing 150 wire (30 there)
    line = only(plant, book(plant, "PO-1", ("GADGET", 150, FRI)))
    assert codes(line) == ["COMPONENT_SHORT", "SUBASSEMBLY_SHORT", "PRODUCTION_TIME"]
    assert "WIRE short 120" in line.reasons[0] and "CORE short 50" in line.reasons[1]
    # wire on Saturday 03-07, cores built Sunday 03-08, 1.5 days of assembly from Monday
    assert (line.status, line.promised_date) == ("accept_changed", date(2026, 3, 10))


def test_component_without_lead_time_or_beyond_the_horizon_is_a_backorder(plant: Session) -> None:
    inventory.set_on_hand(plant, "CASE", 0)
    inventory.set_routing(plant, "CASE", lead_time_days=400)
    line = only(plant, book(plant, "PO-1", ("GADGET", 10, FRI)))
    assert (line.status, line.promised_date, line.promised_quantity) == ("backorder", None, 0)
    assert codes(line) == ["BEYOND_HORIZON"]
    boms.import_bom(
        plant,
        {
            "item_number": "GIZMO",
            "revision": "1",
            "effective_from": date(2026, 1, 1),
            "components": [{"part": "SCREW", "quantity": 4}],
        },
    )
    plant.commit()
    line = only(plant, book(plant, "PO-2", ("GIZMO", 1, FRI)))
    assert (line.status, codes(line)) == ("backorder", ["COMPONENT_NO_LEAD_TIME"])


def test_full_capacity_moves_the_date_to_the_next_free_working_day(plant: Session) -> None:
    inventory.set_on_hand(plant, "CORE", 1000)
    first = book(plant, "PO-1", ("GADGET", 400, FRI))  # Tue..Fri, 100 a day: the week is full
    second = book(plant, "PO-2", ("GADGET", 50, FRI))
    assert only(plant, first).status == "accept"  # later orders never take from earlier ones
    line = only(plant, second)
    assert (line.status, line.promised_date) == ("accept_changed", NEXT_MON)  # the weekend is not worked
    assert codes(line) == ["CAPACITY_FULL"]


def test_backward_loading_uses_free_days_before_the_requested_date(plant: Session) -> None:
    book(plant, "PO-1", ("GADGET", 100, FRI))
    line = only(plant, book(plant, "PO-2", ("GADGET", 300, FRI)))  # Friday is taken; Tue-Thu are free
    assert (line.status, line.promised_date) == ("accept", FRI)


def test_cancelled_orders_and_lines_take_nothing(plant: Session) -> None:
    first = book(plant, "PO-1", ("GADGET", 400, FRI))
    cancelled = plant.get(SalesOrder, first)
    assert cancelled is not None
    cancelled.status = "cancelled"
    plant.commit()
    assert only(plant, book(plant, "PO-2", ("GADGET", 50, FRI))).status == "accept"


def test_finished_stock_is_allocated_in_booking_order(plant: Session) -> None:
    items.add_item(plant, "SPARE", description="Spare part, resold")  # no BOM, no routing
    inventory.set_on_hand(plant, "SPARE", 10)
    plant.commit()
    assert only(plant, book(plant, "PO-1", ("SPARE", 8, FRI))).status == "accept"
    line = only(plant, book(plant, "PO-2", ("SPARE", 5, FRI)))
    assert (line.status, line.promised_quantity) == ("backorder", Decimal(2))
    assert codes(line) == ["FROM_STOCK", "NO_SUPPLY_PLAN"]
    inventory.set_routing(plant, "SPARE", lead_time_days=7)  # bought in: a week
    plant.commit()
    line = only(plant, book(plant, "PO-3", ("SPARE", 5, FRI)))
    assert (line.status, line.promised_date, codes(line)) == ("accept_changed", date(2026, 3, 9), ["BOUGHT_IN"])


def test_unknown_obsolete_and_impossible_lines_are_rejected(plant: Session) -> None:
    order_id = book(plant, "PO-1", ("NO-SUCH-PART", 1, FRI), ("GADGET", 100_000, FRI), ("GADGET", 5, FRI))
    unknown, huge, fine = check_order(plant, order_id, MON).lines
    assert (unknown.status, codes(unknown), unknown.item_number) == ("reject", ["ITEM_UNKNOWN"], None)
    assert (huge.status, codes(huge)) == ("reject", ["CAPACITY_EXCEEDED"])
    assert fine.status == "accept"  # the rejected line took no capacity
    boms.end_bom(plant, "GADGET", date(2026, 3, 4))
    plant.commit()
    line = only(plant, book(plant, "PO-2", ("GADGET", 5, FRI)))
    assert (line.status, codes(line)) == ("reject", ["ITEM_OBSOLETE"])


def test_the_revision_linked_at_booking_is_exploded(plant: Session) -> None:
    order_id = book(plant, "PO-1", ("GADGET", 10, FRI))
    new = {
        "item_number": "GADGET",
        "revision": "B",
        "effective_from": date(2026, 3, 1),
        "components": [{"part": "CHIP", "quantity": 2}, {"part": "MAGNET", "quantity": 1}],
    }
    assert boms.import_bom(plant, new).status == "created"
    plant.commit()
    assert (only(plant, order_id).status, only(plant, order_id).bom_revision) == ("accept", "A")
    line = only(plant, book(plant, "PO-2", ("GADGET", 10, FRI)))  # booked now: revision B, magnets unknown
    assert (line.status, line.bom_revision, codes(line)) == ("backorder", "B", ["COMPONENT_NO_LEAD_TIME"])


def test_past_requested_date_and_unknown_order(plant: Session) -> None:
    line = only(plant, book(plant, "PO-1", ("GADGET", 10, date(2026, 2, 27))))
    assert (line.status, line.promised_date) == ("accept_changed", date(2026, 3, 3))
    assert "REQUESTED_DATE_PAST" in codes(line)
    with pytest.raises(NotFoundError):
        check_order(plant, 999_999, MON)


def test_stock_and_capacity_services(plant: Session) -> None:
    assert inventory.adjust_on_hand(plant, "CHIP", -250) == Decimal(750)
    assert inventory.adjust_on_hand(plant, "CHIP", Decimal("0.5"), location="dock") == Decimal("0.5")
    with pytest.raises(inventory.NegativeStockError):
        inventory.adjust_on_hand(plant, "CHIP", -751)
    plant.commit()
    assert [(r["location"], r["on_hand"]) for r in inventory.stock_records(plant, "CHIP")] == [
        ("DOCK", "0.5"),
        ("MAIN", "750"),
    ]
    centre = inventory.get_work_centre(plant, "Assy")
    assert centre is not None and inventory.work_centre_record(centre)["working_days"] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    ]
    with pytest.raises(ValidationError):
        inventory.add_work_centre(plant, "X", name="x", daily_capacity=0)
    with pytest.raises(ValidationError):
        inventory.add_work_centre(plant, "X", name="x", daily_capacity=1, working_days=["funday"])
    with pytest.raises(NotFoundError):
        inventory.set_routing(plant, "CHIP", work_centre="NOPE")
