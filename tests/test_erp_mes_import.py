"""MES files (CSV and JSON): every record kind, one transaction per file, row-numbered coded errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from erp_fixtures import count
from erp_quality_fixtures import build_floor
from sqlmodel import Session, select

from erp_core.models_quality import Inspection, Lot, LotConsumption, LotSerial, Nonconformance, QualityAlert
from erp_core.services.mes_import import MesRowError, import_mes

HEADER = (
    "record,item_number,lot_number,quantity,manufactured_on,expires_on,partner_id,po_number,line_no,serial,"
    "component_item_number,component_lot_number,stage,characteristic,unit,lower_limit,upper_limit,measured,"
    "attribute_result,result,inspector,inspected_at,number,description,severity"
)
# Deliberately out of dependency order: the consumption and inspections come before their lot.
GOOD_ROWS = [
    "consumption,WIDGET-1,W-010,0.5,,,,,,,RESIN-1,R-100,,,,,,,,,,,,,",
    "inspection,WIDGET-1,W-010,,,,,,,,,,final,diameter,mm,9.5,10.5,10.123456,,,j.doe,2025-12-04T09:30:00Z,,,",
    "inspection,WIDGET-1,W-010,,,,,,,,,,final,visual,,,,,no burrs,pass,j.doe,2025-12-04T09:31:00+01:00,,,",
    "lot,WIDGET-1,W-010,3,2025-12-03,2027-12-31,acme,PO-1,2,,,,,,,,,,,,,,,,",
    "serial,WIDGET-1,W-010,,,,,,,SN-1,,,,,,,,,,,,,,,",
    "serial,WIDGET-1,W-010,,,,,,,SN-2,,,,,,,,,,,,,,,",
    "nonconformance,WIDGET-1,W-010,,,,,,,,,,,,,,,,,,,,NCR-77,short shot,minor",
]


@pytest.fixture
def floor(session: Session) -> Session:
    build_floor(session)
    return session


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\ufeff" + "\r\n".join((header, *rows)) + "\r\n").encode("utf-8")


def written(session: Session) -> tuple[int, ...]:
    return tuple(count(session, model) for model in (Lot, LotSerial, LotConsumption, Inspection, Nonconformance))


def test_csv_file_with_every_record_kind_is_applied_in_dependency_order(floor: Session) -> None:
    result = import_mes(floor, csv_file(*GOOD_ROWS))
    floor.commit()
    assert result.errors == ()
    assert (result.status, result.counts) == (
        "imported",
        {"lot": 1, "serial": 2, "consumption": 1, "inspection": 2, "nonconformance": 1},
    )
    lot = floor.exec(select(Lot).where(Lot.lot_number == "W-010")).one()
    assert (lot.quantity, lot.status, lot.order_line_id is not None) == (Decimal(3), "quarantined", True)
    measured = floor.exec(select(Inspection).where(Inspection.characteristic == "diameter")).one()
    assert (measured.measured, measured.result, measured.unit) == (Decimal("10.123456"), "pass", "mm")
    visual = floor.exec(select(Inspection).where(Inspection.characteristic == "visual")).one()
    assert (visual.attribute_result, visual.result, visual.inspected_at.hour) == ("no burrs", "pass", 8)  # UTC
    assert floor.exec(select(LotConsumption.quantity)).all() == [Decimal("0.5")]
    assert count(floor, QualityAlert) == 1  # acme ordered WIDGET-1: the NC concerns it


def test_json_file_keeps_exact_decimals_and_accepts_serial_lists(floor: Session) -> None:
    records = [
        {"record": "lot", "item_number": "WIDGET-1", "lot_number": "W-020", "quantity": 2, "uom": "EA",
         "expires_on": "2027-01-31", "serials": ["SN-8"]},
        {"record": "serial", "item_number": "WIDGET-1", "lot_number": "W-020", "serials": ["SN-9"]},
        {"record": "inspection", "item_number": "WIDGET-1", "lot_number": "W-020", "stage": "first_article",
         "characteristic": "weight", "unit": "g", "lower_limit": 0.1, "upper_limit": 0.3, "nominal": None,
         "measured": 0.300001, "inspector": "a.b", "instrument": "SCALE-3", "inspected_at": "2025-12-04T10:00:00Z"},
    ]
    text = '{"records": ' + json.dumps(records) + "}"
    result = import_mes(floor, text)
    floor.commit()
    assert result.status == "imported", result.errors
    inspection = floor.exec(select(Inspection)).one()
    assert (inspection.measured, inspection.upper_limit, inspection.result) == (
        Decimal("0.300001"), Decimal("0.3"), "fail"
    )
    assert sorted(floor.exec(select(LotSerial.serial)).all()) == ["SN-8", "SN-9"]


def test_a_file_with_bad_rows_is_rejected_whole_with_every_row_named(floor: Session) -> None:
    before = written(floor)
    rows = [
        *GOOD_ROWS,
        "lot,WIDGET-1,W-011,0,,,,,,,,,,,,,,,,,,,,,",  # quantity 0
        "lot,WIDGET-1,W 12,1,,,,,,,,,,,,,,,,,,,,,",  # space in the lot number
        "inspection,WIDGET-1,W-010,,,,,,,,,,final,bore,mm,2,1,1.5,,,j.doe,2025-12-04T09:30:00Z,,,",
        "consumption,WIDGET-1,W-010,99,,,,,,,RESIN-1,R-100,,,,,,,,,,,,,",
        "pallet,WIDGET-1,W-010,,,,,,,,,,,,,,,,,,,,,,",
        "serial,WIDGET-1,W-010,,,,,,,SN-1,,,,,,,,,,,,,,,",  # the same serial twice in one file
    ]
    result = import_mes(floor, csv_file(*rows))
    floor.commit()
    assert result.status == "rejected" and result.counts == {}
    assert [(e.row, e.record, e.code) for e in result.errors] == [
        (9, "lot", "LOT_INVALID"),
        (10, "lot", "LOT_INVALID"),
        (11, "inspection", "INSPECTION_LIMITS_INVALID"),
        (12, "consumption", "CONSUMPTION_EXCEEDS_LOT"),
        (13, None, "MES_RECORD_UNKNOWN"),
        (14, "serial", "SERIAL_DUPLICATE"),
    ]
    assert "quantity" in result.errors[0].message
    assert str(result.errors[2]).startswith("row 11: INSPECTION_LIMITS_INVALID: lot W-010 bore: lower limit 2")
    assert written(floor) == before  # nothing of the good rows either
    assert count(floor, QualityAlert) == 0


def test_semicolon_csv_and_blank_lines(floor: Session) -> None:
    header = "record;item_number;lot_number;quantity;status"
    result = import_mes(floor, csv_file("lot;CAP-9;C-8;12,5;released", "", "lot;CAP-9;C-9;1;", header=header))
    assert result.status == "rejected"  # 12,5 is not a decimal in this format
    assert [(e.row, e.code) for e in result.errors] == [(2, "LOT_INVALID")]
    result = import_mes(floor, csv_file("lot;CAP-9;C-8;12.5;released", "", "lot;CAP-9;C-9;1;", header=header))
    assert result.status == "imported" and result.counts["lot"] == 2


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "MES_FILE_EMPTY"),
        (b"record,item_number\r\n", "MES_FILE_EMPTY"),
        (b"\xff\xfeb\x00", "MES_FILE_ENCODING"),
        (b'[{"record": "lot",', "MES_FILE_INVALID"),
        (b'{"lots": []}', "MES_FILE_INVALID"),
        (b'[1, 2]', "MES_FILE_INVALID"),
        (b"item_number,lot_number\r\nW,1\r\n", "MES_FILE_INVALID"),  # no record column
        (b"record,record\r\nlot,lot\r\n", "MES_FILE_INVALID"),
        (b"record,item_number\r\nlot,W,extra\r\n", "MES_FILE_INVALID"),  # ragged
        (b'record,item_number\r\nlot,"W\r\n', "MES_FILE_INVALID"),  # unclosed quote
    ],
)
def test_unreadable_files_are_rejected_with_a_file_error(floor: Session, content: bytes, code: str) -> None:
    result = import_mes(floor, content)
    assert result.status == "rejected"
    assert result.errors == (MesRowError(0, None, code, result.errors[0].message),)
    assert str(result.errors[0]).startswith(f"file: {code}")
