"""Production lots: recording, order-line and BOM links, serials, consumed component lots, UDI strings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from erp_fixtures import count
from erp_quality_fixtures import MADE_ON, build_floor, widget_lot
from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from erp_core.inputs_quality import ConsumptionInput, LotInput, SerialsInput
from erp_core.models import SalesOrderLine
from erp_core.models_bom import BomRevision
from erp_core.models_quality import Lot, LotConsumption, LotSerial
from erp_core.services import boms, lots
from erp_core.services._quality import QualityError, find_lot
from erp_core.udi import GS, UdiError, udi, udi_data


@pytest.fixture
def floor(session: Session) -> Session:
    build_floor(session)
    return session


def consume(session: Session, lot: str, component_item: str, component_lot: str, quantity: str,
            item: str = "WIDGET-1") -> LotConsumption:
    data = ConsumptionInput(item_number=item, lot_number=lot, component_item_number=component_item,
                            component_lot_number=component_lot, quantity=Decimal(quantity))
    return lots.record_consumption(session, data)


def code_of(excinfo: pytest.ExceptionInfo[QualityError]) -> str:
    return excinfo.value.code


# -- recording lots -------------------------------------------------------------------------


def test_make_to_order_lot_links_line_and_its_bom_revision(floor: Session) -> None:
    lot = widget_lot(floor, serials=("SN-1", "SN-2"))
    floor.commit()
    line = floor.exec(select(SalesOrderLine).where(SalesOrderLine.line_no == 2)).one()
    stored = floor.get(Lot, lot.id)
    assert stored is not None
    assert (stored.order_line_id, stored.bom_revision_id) == (line.id, line.bom_revision_id)
    assert stored.bom_revision_id is not None
    assert (stored.quantity, stored.uom, stored.status) == (Decimal(5), "EA", "quarantined")
    assert (stored.manufactured_on, stored.expires_on) == (MADE_ON, date(2027, 12, 31))
    serials = floor.exec(select(LotSerial.serial).where(LotSerial.lot_id == lot.id).order_by(LotSerial.serial))
    assert list(serials) == ["SN-1", "SN-2"]


def test_stock_lot_takes_the_revision_in_force_on_its_manufacturing_date(floor: Session) -> None:
    boms.import_bom(floor, {"item_number": "WIDGET-1", "revision": "B", "effective_from": date(2026, 3, 1),
                            "components": [{"part": "RESIN-1", "quantity": Decimal(3), "uom": "KG"}]})
    revisions = {r.revision: r.id for r in floor.exec(select(BomRevision)).all()}
    old = lots.record_lot(floor, LotInput(item_number="WIDGET-1", lot_number="S-1", quantity=Decimal(1),
                                          manufactured_on=date(2026, 2, 27)))
    new = lots.record_lot(floor, LotInput(item_number="WIDGET-1", lot_number="S-2", quantity=Decimal(1),
                                          manufactured_on=date(2026, 3, 1)))
    chosen = widget_lot(floor, "W-B", bom_revision="B")  # explicit label beats the order line's
    undated = lots.record_lot(floor, LotInput(item_number="WIDGET-1", lot_number="S-3", quantity=Decimal(1)),
                              today=date(2025, 6, 1))
    assert [old.bom_revision_id, new.bom_revision_id, chosen.bom_revision_id, undated.bom_revision_id] == [
        revisions["A"], revisions["B"], revisions["B"], revisions["A"]
    ]
    gasket = lots.record_lot(floor, LotInput(item_number="GASKET-7", lot_number="G-1", quantity=Decimal(9)))
    assert gasket.bom_revision_id is None and gasket.order_line_id is None


def test_lot_refusals_carry_codes_and_write_nothing(floor: Session) -> None:
    widget_lot(floor)
    floor.commit()
    before = count(floor, Lot)
    cases = {
        "LOT_EXISTS": {},
        "LOT_ITEM_UNKNOWN": {"item_number": "NOPE-9", "lot_number": "N-1"},
        "LOT_ORDER_LINE_UNKNOWN": {"lot_number": "N-2", "line_no": 7},
        "LOT_ORDER_LINE_MISMATCH": {"lot_number": "N-3", "line_no": 1},  # line 1 is GASKET-7
        "LOT_BOM_REVISION_UNKNOWN": {"lot_number": "N-4", "bom_revision": "Z"},
    }
    for code, overrides in cases.items():
        with pytest.raises(QualityError) as excinfo:
            widget_lot(floor, **overrides)
        assert code_of(excinfo) == code, overrides
    assert count(floor, Lot) == before
    # the same lot number for another item is another lot
    lots.record_lot(floor, LotInput(item_number="GASKET-7", lot_number="W-001", quantity=Decimal(1)))
    assert count(floor, Lot) == before + 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"line_no": None},  # partner and PO without a line
        {"expires_on": date(2025, 1, 1)},  # before manufacture
        {"lot_number": "W 001"},  # space: not in GS1 character set 82
        {"lot_number": "W#1"},
        {"lot_number": "X" * 21},
        {"quantity": Decimal(0)},
        {"serials": ("SN~1",)},
        {"colour": "red"},
    ],
)
def test_lot_input_validation(overrides: dict[str, object]) -> None:
    values: dict[str, object] = {"item_number": "WIDGET-1", "lot_number": "W-1", "quantity": Decimal(1),
                                 "manufactured_on": MADE_ON, "partner_id": "acme", "po_number": "PO-1", "line_no": 2}
    values.update(overrides)
    with pytest.raises(ValidationError):
        LotInput(**values)  # type: ignore[arg-type]


# -- serials --------------------------------------------------------------------------------


def test_serials_are_unique_per_item_and_bounded_by_the_lot(floor: Session) -> None:
    widget_lot(floor, serials=("SN-1",))
    widget_lot(floor, "W-002", quantity=Decimal(2))
    floor.commit()
    refusals = [
        (("SN-1",), "SERIAL_DUPLICATE"),  # taken by W-001
        (("SN-5", "SN-5"), "SERIAL_DUPLICATE"),
        (("SN-2", "SN-3", "SN-4"), "SERIAL_COUNT_EXCEEDED"),  # W-002 holds 2 EA
    ]
    for serials, code in refusals:
        with pytest.raises(QualityError) as excinfo:
            lots.add_serials(floor, SerialsInput(item_number="WIDGET-1", lot_number="W-002", serials=serials))
        assert code_of(excinfo) == code
    added = lots.add_serials(floor, SerialsInput(item_number="WIDGET-1", lot_number="W-002", serials=("SN-2", "SN-3")))
    assert [s.serial for s in added] == ["SN-2", "SN-3"]
    # another item may use the same serial
    lots.record_lot(floor, LotInput(item_number="GASKET-7", lot_number="G-1", quantity=Decimal(1), serials=("SN-1",)))
    with pytest.raises(QualityError) as excinfo:
        lots.add_serials(floor, SerialsInput(item_number="WIDGET-1", lot_number="W-404", serials=("SN-9",)))
    assert code_of(excinfo) == "LOT_UNKNOWN"
    floor.commit()
    assert count(floor, LotSerial) == 4


def test_database_keeps_serial_item_consistent_with_its_lot(floor: Session) -> None:
    lot = widget_lot(floor)
    gasket = lots.record_lot(floor, LotInput(item_number="GASKET-7", lot_number="G-1", quantity=Decimal(1)))
    floor.commit()
    with pytest.raises(IntegrityError):  # composite key (lot_id, item_id) -> erp_lot (id, item_id)
        floor.exec(insert(LotSerial).values(item_id=gasket.item_id, serial="SN-X", lot_id=lot.id))  # type: ignore[call-overload]
        floor.flush()
    floor.rollback()


# -- consumptions ---------------------------------------------------------------------------


def test_consumptions_accumulate_and_are_checked(floor: Session) -> None:
    widget_lot(floor)
    consume(floor, "W-001", "RESIN-1", "R-100", "2.5")
    consume(floor, "W-001", "RESIN-1", "R-100", "7.5")  # exactly what is left
    lots.record_lot(floor, LotInput(item_number="GASKET-7", lot_number="G-1", quantity=Decimal(5), status="released"))
    lots.record_lot(floor, LotInput(item_number="CAP-9", lot_number="C-Q", quantity=Decimal(5)))  # quarantined
    refusals = [
        (("W-001", "RESIN-1", "R-100", "0.000001"), "CONSUMPTION_EXCEEDS_LOT"),
        (("W-001", "GASKET-7", "G-1", "1"), "CONSUMPTION_NOT_IN_BOM"),
        (("W-001", "CAP-9", "C-Q", "1"), "CONSUMPTION_LOT_NOT_RELEASED"),
        (("W-001", "CAP-9", "C-404", "1"), "CONSUMPTION_COMPONENT_UNKNOWN"),
        (("W-404", "CAP-9", "C-7", "1"), "LOT_UNKNOWN"),
    ]
    for args, code in refusals:
        with pytest.raises(QualityError) as excinfo:
            consume(floor, *args)
        assert code_of(excinfo) == code, args
    floor.commit()
    quantities = floor.exec(select(LotConsumption.quantity).order_by(LotConsumption.id)).all()
    assert list(quantities) == [Decimal("2.5"), Decimal("7.5")]


def test_genealogy_walks_both_ways_and_refuses_cycles(floor: Session) -> None:
    boms.import_bom(floor, {"item_number": "GASKET-7", "revision": "1", "effective_from": date(2025, 1, 1),
                            "components": [{"part": "PELLET-1", "quantity": Decimal(1)}]})
    lots.record_lot(floor, LotInput(item_number="PELLET-1", lot_number="P-1", quantity=Decimal(50), status="released"))
    gasket = lots.record_lot(floor, LotInput(item_number="GASKET-7", lot_number="G-1", quantity=Decimal(5),
                                             status="released", manufactured_on=MADE_ON))
    consume(floor, "G-1", "PELLET-1", "P-1", "5", item="GASKET-7")
    widget = widget_lot(floor)
    consume(floor, "W-001", "RESIN-1", "R-100", "1")
    pellet = find_lot(floor, "PELLET-1", "P-1")
    resin = find_lot(floor, "RESIN-1", "R-100")
    assert pellet is not None and resin is not None
    assert lots.component_lot_ids(floor, widget.id) == {resin.id}  # type: ignore[arg-type]
    assert lots.where_used_lot_ids(floor, pellet.id) == {gasket.id}  # type: ignore[arg-type]
    # PELLET-1 has no BOM: it may consume anything released, but never a lot made from itself
    with pytest.raises(QualityError) as excinfo:
        consume(floor, "P-1", "GASKET-7", "G-1", "1", item="PELLET-1")
    assert code_of(excinfo) == "CONSUMPTION_CYCLE"


# -- UDI ------------------------------------------------------------------------------------


def test_udi_strings_follow_gs1_ai_order() -> None:
    expiry = date(2027, 12, 31)
    assert udi("0036000291452", "W-001", expiry) == "(01)00036000291452(17)271231(10)W-001"
    assert udi("00036000291452", "W-001", expiry, "SN-7") == "(01)00036000291452(17)271231(10)W-001(21)SN-7"
    assert udi("00036000291452", "W-001", None) == "(01)00036000291452(10)W-001"
    assert udi_data("00036000291452", "W-001", expiry) == "01000360002914521727123110W-001"
    assert udi_data("00036000291452", "W-001", expiry, "SN-7") == f"01000360002914521727123110W-001{GS}21SN-7"
    for args in (("00036000291453", "W-1", expiry), ("00036000291452", "W 1", expiry),
                 ("00036000291452", "W-1", expiry, "S" * 21)):
        with pytest.raises(UdiError) as excinfo:
            udi(*args)  # type: ignore[arg-type]
        assert excinfo.value.code == "UDI_INVALID"


def test_lot_status_can_be_set_explicitly(floor: Session) -> None:
    lot = widget_lot(floor)
    assert lots.set_lot_status(floor, lot.id, "rejected").status == "rejected"  # type: ignore[arg-type]
    floor.commit()
    assert floor.exec(select(Lot.status).where(Lot.id == lot.id)).one() == "rejected"
    with pytest.raises(QualityError) as excinfo:
        lots.set_lot_status(floor, 999_999, "released")
    assert code_of(excinfo) == "LOT_UNKNOWN"
