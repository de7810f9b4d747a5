"""Shipments on SQLite and PostgreSQL: packaging with SSCC-18, lot and quantity rules, confirm and cancel."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from erp_fixtures import count
from erp_locks import wait_for_lock_wait
from erp_shipping_support import (
    PREFIX,
    SHIP_DATE,
    add_lot,
    book,
    carton,
    pallet,
    ship_line,
    shipment,
    shipped,
)
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlmodel import Session

from erp_core.inputs_shipping import ShipmentLineInput
from erp_core.models_quality import Lot
from erp_core.models_shipping import Package, Shipment, ShipmentLine, SsccCounter
from erp_core.services import partners
from erp_core.services._shipping_errors import ShippingError
from erp_core.services.shipments import (
    cancel_shipment,
    confirm_shipment,
    create_shipment,
    set_overship_policy,
    shipment_record,
    shipments_of_lot,
)
from erp_core.services.sscc import check_sscc, is_valid_sscc, next_sscc, next_ssccs, sscc_check_digit


def shipped_quantities(session: Session) -> list[Decimal]:
    """The order lines' shipped quantities as committed, read on a fresh connection.

    ``session`` ends its transaction first: on SQLite it may hold the write lock.
    """
    session.commit()
    engine = session.get_bind()
    with Session(engine) as fresh:
        rows = fresh.exec(text("SELECT quantity_shipped FROM erp_sales_order_line ORDER BY id")).all()  # type: ignore[call-overload]
    scale = Decimal("0.000001") if engine.dialect.name == "sqlite" else Decimal(1)
    return [Decimal(value) * scale for (value,) in rows]


def codes(error: pytest.ExceptionInfo[ShippingError]) -> list[str]:
    return [p.code for p in error.value.problems]


# -- SSCC ----------------------------------------------------------------------------------


def test_sscc_check_digit_matches_the_gs1_example() -> None:
    assert sscc_check_digit("10614141123456789") == 7  # GS1 General Specifications, SSCC example
    assert is_valid_sscc("106141411234567897")
    assert not is_valid_sscc("106141411234567890")
    assert check_sscc("(00)106141411234567897") == check_sscc("00106141411234567897") == "106141411234567897"
    for bad in ("106141411234567890", "10614141123456789", "1061414112345678x7", ""):
        with pytest.raises(ShippingError) as error:
            check_sscc(bad)
        assert error.value.code == "SHIP_SSCC_INVALID"


def test_next_sscc_is_gap_free_and_a_rollback_returns_its_numbers(session: Session) -> None:
    first = next_sscc(session, PREFIX, 3)
    session.commit()
    assert first == "3" + PREFIX + "000000001" + str(sscc_check_digit("3" + PREFIX + "000000001"))
    rolled_back = next_ssccs(session, PREFIX, 3, 2)
    session.rollback()
    again = next_ssccs(session, PREFIX, 3, 3)
    session.commit()
    assert again[:2] == rolled_back
    assert [s[8:17] for s in again] == ["000000002", "000000003", "000000004"]
    assert all(is_valid_sscc(s) for s in again)
    assert next_sscc(session, PREFIX, 4)[8:17] == "000000001"  # another extension digit counts on its own


def test_an_exhausted_prefix_is_refused_and_the_counter_unchanged(session: Session) -> None:
    prefix = "061414112345"  # 12 digits: 4-digit serial references, 9999 of them
    session.add(SsccCounter(company_prefix=prefix, extension_digit=0, last_serial=9998))
    session.commit()
    assert next_sscc(session, prefix, 0)[13:17] == "9999"
    with pytest.raises(ShippingError) as error:
        next_sscc(session, prefix, 0)
    assert error.value.code == "SHIP_SSCC_EXHAUSTED"
    session.commit()
    assert session.get(SsccCounter, (prefix, 0)).last_serial == 9999  # type: ignore[union-attr]
    with pytest.raises(ShippingError, match="SHIP_SSCC_INVALID"):
        next_sscc(session, "12AB5", 0)


@pytest.mark.postgres
def test_two_sessions_allocating_get_consecutive_numbers(session: Session, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises whole transactions; the row lock is PostgreSQL's")
    next_sscc(session, PREFIX, 0)  # the counter row exists: the second session waits on its lock
    session.commit()
    outcome: list[str] = []

    def second() -> None:
        with Session(engine) as other:
            outcome.append(next_sscc(other, PREFIX, 0))
            other.commit()

    with Session(engine) as first:
        mine = next_sscc(first, PREFIX, 0)
        thread = threading.Thread(target=second)
        thread.start()
        wait_for_lock_wait(engine)
        first.commit()
        thread.join(timeout=60)
    assert [mine[8:17], outcome[0][8:17]] == ["000000002", "000000003"]


# -- building and confirming ---------------------------------------------------------------


def test_pallet_with_cartons_then_confirm_moves_shipped_quantities(session: Session, engine: Engine) -> None:
    gasket, widget = book(session)
    gasket_lot = add_lot(session, "GASKET-7", "G-100")
    widget_lot = add_lot(session, "WIDGET-1", "W-7", serials=("SN1", "SN2", "SN3"))
    data = shipment(
        "SH-1",
        ship_line(gasket, 6, lot_number="G-100", package_ref="C1"),
        ship_line(widget, 2, lot_id=widget_lot, package_ref="C2", serials=("SN1", "SN3")),
        packages=(pallet("P1", weight=Decimal("40.5")), carton("C1", "P1"), carton("C2", "P1")),
        gross_weight=Decimal("41"),
        weight_uom="LB",
    )
    created = create_shipment(session, data)
    session.commit()
    assert shipped_quantities(session) == [0, 0]  # a draft ships nothing yet
    record = shipment_record(session, created.id)  # type: ignore[arg-type]
    ssccs = [p["sscc"] for p in record["packages"]]  # type: ignore[attr-defined]
    assert all(is_valid_sscc(s) for s in ssccs) and [s[8:17] for s in ssccs] == ["000000001", "000000002", "000000003"]
    assert [(p["level"], p["parent_sscc"]) for p in record["packages"]] == [  # type: ignore[attr-defined]
        ("pallet", None),
        ("carton", ssccs[0]),
        ("carton", ssccs[0]),
    ]
    assert (record["status"], record["package_count"], record["gross_weight"]) == ("draft", 1, "41")
    assert record["parties"]["ship_to"]["name"] == "Acme DC 4"  # type: ignore[index]  # from the order
    assert record["parties"]["ship_from"]["city"] == "Austin"  # type: ignore[index]
    lines = record["lines"]
    assert [(ln["line_no"], ln["quantity"], ln["lot_number"], ln["sscc"], ln["serials"]) for ln in lines] == [  # type: ignore[attr-defined]
        (1, "6", "G-100", ssccs[1], []),
        (2, "2", "W-7", ssccs[2], ["SN1", "SN3"]),
    ]
    assert lines[1]["gtin"] == "00036000291452" and lines[1]["expires_on"] == "2027-01-31"  # type: ignore[index]
    confirm_shipment(session, created.id)  # type: ignore[arg-type]
    session.commit()
    assert shipped_quantities(session) == [6, 2]
    assert shipment_record(session, created.id)["status"] == "shipped"  # type: ignore[arg-type]
    trace = shipments_of_lot(session, gasket_lot)
    assert [(t["shipment_number"], t["po_number"], t["quantity"], t["sscc"]) for t in trace] == [
        ("SH-1", "PO-1", "6", ssccs[1])
    ]


def test_lines_named_by_po_and_line_number(session: Session, engine: Engine) -> None:
    book(session)
    line = ShipmentLineInput(po_number="PO-1", line_no=2, quantity=Decimal(5))
    shipped(session, "SH-1", line)
    assert shipped_quantities(session) == [0, 5]
    with pytest.raises(ShippingError) as error:
        create_shipment(session, shipment("SH-2", ShipmentLineInput(po_number="PO-1", line_no=9, quantity=Decimal(1))))
    assert codes(error) == ["SHIP_LINE_UNKNOWN"]


def test_over_shipment_counts_drafts_and_follows_the_partner_tolerance(session: Session) -> None:
    gasket, _ = book(session)
    with pytest.raises(ShippingError) as error:
        create_shipment(session, shipment("SH-1", ship_line(gasket, 11)))
    assert codes(error) == ["SHIP_OVER_ORDERED"]
    create_shipment(session, shipment("SH-1", ship_line(gasket, 6)))
    session.commit()
    with pytest.raises(ShippingError, match="SHIP_OVER_ORDERED"):  # 6 planned by the draft + 5 > 10
        create_shipment(session, shipment("SH-2", ship_line(gasket, 3), ship_line(gasket, 2)))
    set_overship_policy(session, "acme", allow=True, tolerance_percent=Decimal(10))
    create_shipment(session, shipment("SH-2", ship_line(gasket, 5)))  # 11 <= 10 + 10 %
    with pytest.raises(ShippingError, match="limit 11"):
        create_shipment(session, shipment("SH-3", ship_line(gasket, 1)))
    set_overship_policy(session, "acme", allow=True, tolerance_percent=None)
    create_shipment(session, shipment("SH-3", ship_line(gasket, 100)))
    session.commit()
    assert count(session, Shipment) == 3


def test_lot_rules_are_reported_together_and_nothing_is_written(session: Session) -> None:
    gasket, widget = book(session)
    widget_lot = add_lot(session, "WIDGET-1", "W-1")
    add_lot(session, "GASKET-7", "G-HOLD", status="quarantined")
    add_lot(session, "GASKET-7", "G-OLD", expires_on=date(2025, 12, 9))
    add_lot(session, "GASKET-7", "G-SMALL", quantity=2)
    add_lot(session, "GASKET-7", "G-TODAY", expires_on=SHIP_DATE)  # expiring on the ship date still ships
    data = shipment(
        "SH-1",
        ship_line(gasket, 1, lot_id=widget_lot),
        ship_line(gasket, 1, lot_number="W-1"),
        ship_line(gasket, 1, lot_number="G-HOLD"),
        ship_line(gasket, 1, lot_number="G-OLD"),
        ship_line(gasket, 3, lot_number="G-SMALL"),
        ship_line(gasket, 1, lot_number="G-TODAY"),
        ship_line(widget, 1, lot_number="NO-SUCH-LOT"),
    )
    with pytest.raises(ShippingError) as error:
        create_shipment(session, data)
    assert codes(error) == ["SHIP_LOT_MISMATCH", "SHIP_LOT_MISMATCH", "SHIP_LOT_UNKNOWN"]
    with pytest.raises(ShippingError) as error:
        create_shipment(session, shipment("SH-1", *data.lines[2:6]))
    assert sorted(codes(error)) == ["SHIP_LOT_EXPIRED", "SHIP_LOT_NOT_RELEASED", "SHIP_LOT_OVERDRAWN"]
    assert {p.ref for p in error.value.problems} == {"line:1", "line:2", "lot:G-SMALL"}
    session.rollback()
    assert (count(session, Shipment), count(session, Package), count(session, ShipmentLine)) == (0, 0, 0)


def test_serials_one_per_unit_unique_and_of_the_lot(session: Session) -> None:
    _, widget = book(session)
    lot = add_lot(session, "WIDGET-1", "W-7", serials=("SN1", "SN2", "SN3"))
    bad = shipment(
        "SH-1",
        ship_line(widget, 2, lot_id=lot, serials=("SN1",)),
        ship_line(widget, 2, lot_id=lot, serials=("SN1", "SN9")),
    )
    with pytest.raises(ShippingError) as error:
        create_shipment(session, bad)
    assert codes(error) == ["SHIP_SERIALS_MISMATCH", "SHIP_SERIALS_MISMATCH", "SHIP_SERIAL_UNKNOWN"]
    with pytest.raises(ValidationError):
        ship_line(widget, 1, serials=("A\nB",))


def test_package_and_sscc_problems(session: Session) -> None:
    gasket, _ = book(session)
    good = "106141411234567897"
    shipped(session, "SH-1", ship_line(gasket, 1, package_ref="C1"), packages=(carton("C1", sscc=good),))
    data = shipment(
        "SH-2",
        ship_line(gasket, 1, package_ref="NOPE"),
        packages=(
            carton("C1", sscc=good),
            carton("C2", sscc="106141411234567890"),
            pallet("P1", parent_ref="C1"),
            carton("C3", "C2"),
        ),
    )
    with pytest.raises(ShippingError) as error:
        create_shipment(session, data)
    assert sorted(codes(error)) == [
        "SHIP_PACKAGE_INVALID",
        "SHIP_PACKAGE_INVALID",
        "SHIP_PACKAGE_INVALID",
        "SHIP_PACKAGE_INVALID",
        "SHIP_SSCC_DUPLICATE",
        "SHIP_SSCC_INVALID",
    ]
    with pytest.raises(ShippingError) as error:
        create_shipment(
            session, shipment("SH-2", ship_line(gasket, 1), packages=(carton("C1"),), sscc_company_prefix=None)
        )
    assert codes(error) == ["SHIP_PACKAGE_INVALID"]
    with pytest.raises(ShippingError) as error:
        create_shipment(session, shipment("SH-1", ship_line(gasket, 1)))
    assert error.value.code == "SHIP_DUPLICATE"


def test_confirm_checks_again_and_cancel_takes_quantities_back(session: Session, engine: Engine) -> None:
    gasket, _ = book(session)
    lot = add_lot(session, "GASKET-7", "G-1")
    draft = create_shipment(session, shipment("SH-1", ship_line(gasket, 4, lot_id=lot)))
    session.commit()
    held = session.get(Lot, lot)
    held.status = "quarantined"  # type: ignore[union-attr]
    session.commit()
    with pytest.raises(ShippingError) as error:
        confirm_shipment(session, draft.id)  # type: ignore[arg-type]
    assert codes(error) == ["SHIP_LOT_NOT_RELEASED"]
    session.rollback()
    assert shipped_quantities(session) == [0, 0]
    held = session.get(Lot, lot)
    held.status = "released"  # type: ignore[union-attr]
    confirm_shipment(session, draft.id)  # type: ignore[arg-type]
    session.commit()
    assert shipped_quantities(session) == [4, 0]
    with pytest.raises(ShippingError, match="SHIP_STATUS"):
        confirm_shipment(session, draft.id)  # type: ignore[arg-type]
    cancel_shipment(session, draft.id)  # type: ignore[arg-type]
    session.commit()
    assert shipped_quantities(session) == [0, 0]
    assert shipments_of_lot(session, lot) == []
    with pytest.raises(ShippingError, match="SHIP_UNKNOWN"):
        confirm_shipment(session, 999_999)


def test_other_partners_lines_and_bad_input(session: Session) -> None:
    partners.add_partner(session, "globex", name="Globex")
    session.commit()
    gasket, _ = book(session)
    with pytest.raises(ShippingError) as error:
        create_shipment(session, shipment("SH-1", ship_line(gasket, 1), partner_id="globex"))
    assert codes(error) == ["SHIP_LINE_UNKNOWN"]
    with pytest.raises(ShippingError, match="SHIP_PARTNER_UNKNOWN"):
        create_shipment(session, shipment("SH-1", ship_line(gasket, 1), partner_id="nobody"))
    with pytest.raises(ValidationError, match="go together"):
        shipment("SH-1", ship_line(gasket, 1), gross_weight=Decimal(3))
    with pytest.raises(ValidationError, match="one of them"):
        ShipmentLineInput(order_line_id=gasket, po_number="PO-1", line_no=1, quantity=Decimal(1))
    with pytest.raises(ValidationError):
        ship_line(gasket, 0)
    with pytest.raises(ValidationError):
        shipment("SH-1", ship_line(gasket, 1), carrier_scac="ups1")
