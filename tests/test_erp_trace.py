"""Lot trace: item, UDI, order with revisions, BOM revision, component genealogy, quality records."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from erp_quality_fixtures import build_floor, inspect, widget_lot
from sqlmodel import Session

from erp_core.inputs_changes import LineChangeInput, OrderChangeInput
from erp_core.inputs_quality import AlertLimitInput, ConsumptionInput, LotInput, NonconformanceInput
from erp_core.services import changes, inspections, items, lots, quality_alerts
from erp_core.services._quality import QualityError
from erp_core.services.trace import SECTIONS, trace_lot


def consume(session: Session, item: str, lot: str, component_item: str, component_lot: str, quantity: str) -> None:
    lots.record_consumption(session, ConsumptionInput(item_number=item, lot_number=lot,
                                                      component_item_number=component_item,
                                                      component_lot_number=component_lot, quantity=Decimal(quantity)))


@pytest.fixture
def traced(session: Session) -> Session:
    """W-001 for acme PO-1 (changed once) from resin R-100 (itself from pellets P-1) and caps C-7."""
    build_floor(session)
    items.add_item(session, "PELLET-1", description="Resin pellets", uom="KG")
    lots.record_lot(session, LotInput(item_number="PELLET-1", lot_number="P-1", quantity=Decimal(40),
                                      uom="KG", status="released", expires_on=date(2026, 6, 30)))
    consume(session, "RESIN-1", "R-100", "PELLET-1", "P-1", "12")
    widget_lot(session, serials=("SN-2", "SN-1"))
    consume(session, "WIDGET-1", "W-001", "RESIN-1", "R-100", "2.5")
    consume(session, "WIDGET-1", "W-001", "RESIN-1", "R-100", "1.5")
    consume(session, "WIDGET-1", "W-001", "CAP-9", "C-7", "5")
    quality_alerts.set_alert_limit(session, AlertLimitInput(partner_id="acme", item_number="WIDGET-1",
                                                            characteristic="diameter", upper=Decimal("10.05")))
    inspect(session)
    inspections.open_nonconformance(session, NonconformanceInput(
        item_number="WIDGET-1", lot_number="W-001", number="NCR-5", description="scratch", severity="minor"))
    changes.apply_order_change(session, OrderChangeInput(
        partner_id="acme", po_number="PO-1", source_ref="860:1", changed_by="acme",
        lines=(LineChangeInput(buyer_line_ref="2", action="change", quantity=Decimal(5)),)))
    session.commit()
    return session


def test_trace_gathers_the_whole_story_of_a_lot(traced: Session) -> None:
    trace = trace_lot(traced, "W-001").as_dict()
    assert json.loads(json.dumps(trace)) == trace  # JSON-native all the way down
    assert trace["lot"]["serials"] == ["SN-1", "SN-2"]
    assert (trace["lot"]["quantity"], trace["lot"]["status"]) == ("5", "quarantined")
    assert trace["item"]["gtin"] == "00036000291452"
    assert trace["udi"] == {"hri": "(01)00036000291452(17)271231(10)W-001", "data": "01000360002914521727123110W-001"}
    assert (trace["order"]["po_number"], trace["order"]["revision"]) == ("PO-1", 2)
    assert [r["kind"] for r in trace["order"]["revisions"]] == ["booked", "change"]
    assert (trace["order_line"]["line_no"], trace["order_line"]["quantity"]) == (2, "5")
    assert trace["bom_revision"]["revision"] == "A"
    assert trace["components"] == [
        {"item_number": "CAP-9", "lot_number": "C-7", "quantity": "5", "uom": "EA", "status": "released",
         "expires_on": None, "components": []},
        {"item_number": "RESIN-1", "lot_number": "R-100", "quantity": "4", "uom": "KG", "status": "released",
         "expires_on": None, "components": [
             {"item_number": "PELLET-1", "lot_number": "P-1", "quantity": "12", "uom": "KG",
              "status": "released", "expires_on": "2026-06-30", "components": []}]},
    ]
    assert [(i["characteristic"], i["measured"], i["result"]) for i in trace["inspections"]] == [
        ("diameter", "10.1", "pass")
    ]
    assert [(n["number"], n["closed_at"]) for n in trace["nonconformances"]] == [("NCR-5", None)]
    assert sorted(a["kind"] for a in trace["alerts"]) == ["limit", "nonconformance"]
    assert trace["verdict"] == {"passed": False, "final_inspections": 1, "reasons": ["nonconformance NCR-5 is open"]}
    assert trace["where_used"] == []
    assert set(trace) >= {name for name, _build in SECTIONS}


def test_trace_of_a_raw_material_lot_shows_where_it_went(traced: Session) -> None:
    trace = trace_lot(traced, "P-1", "PELLET-1").as_dict()
    assert trace["where_used"] == [
        {"item_number": "RESIN-1", "lot_number": "R-100", "status": "released"},
        {"item_number": "WIDGET-1", "lot_number": "W-001", "status": "quarantined"},
    ]
    assert (trace["udi"], trace["order"], trace["order_line"], trace["bom_revision"]) == (None, None, None, None)
    assert trace["verdict"]["reasons"] == ["no final inspection recorded"]


def test_lot_numbers_shared_by_items_need_the_item(traced: Session) -> None:
    lots.record_lot(traced, LotInput(item_number="GASKET-7", lot_number="W-001", quantity=Decimal(1)))
    with pytest.raises(QualityError) as excinfo:
        trace_lot(traced, "W-001")
    assert excinfo.value.code == "TRACE_LOT_AMBIGUOUS"
    assert "GASKET-7, WIDGET-1" in excinfo.value.message
    assert trace_lot(traced, "W-001", "GASKET-7").item["item_number"] == "GASKET-7"
    for args in (("W-404",), ("W-001", "CAP-9")):
        with pytest.raises(QualityError) as excinfo:
            trace_lot(traced, *args)
        assert excinfo.value.code == "TRACE_LOT_UNKNOWN"
