"""Partner mappings through the command line: each partner's file wins for the fields it states.

``edipulse translate FILE --partner P --explain --json`` must name, for every field, the
mapping file whose rule produced it: the partner's file for what the partner overrides,
the default file for everything it inherits. The same files without the partner (or with
the partner named by the document itself) show that the overrides change the outcome.
The mappings and sample files are the ones shipped in ``mappings/partners/``; their full
expected output is checked by the golden tests in ``mappings/test_golden.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from support import CliResult, Workdir

from gateway.settings import BUILTIN_MAPPINGS

PARTNERS = BUILTIN_MAPPINGS / "partners"
DEFAULT = BUILTIN_MAPPINGS / "default"
NW_850 = PARTNERS / "northwind" / "golden" / "northwind-850-4010.edi"
NW_850_BAD_UNIT = PARTNERS / "northwind" / "golden" / "northwind-850-4010-unknown-unit.edi"
NW_860 = PARTNERS / "northwind" / "golden" / "northwind-860-4010.edi"
GLOBEX_CXML = PARTNERS / "globex" / "xml" / "golden" / "globex-order-request.xml"
KLINIKUM_UBL = PARTNERS / "klinikum-nord" / "xml" / "golden" / "klinikum-nord-order.xml"
HANSEMED_CSV = PARTNERS / "hansemed" / "csv" / "golden" / "hansemed-bestellung.csv"
HANSEMED_COMMA = PARTNERS / "hansemed" / "csv" / "golden" / "hansemed-bestellung-dezimalkomma.csv"
HANSEMED_BAD_NUMBERS = PARTNERS / "hansemed" / "csv" / "golden" / "hansemed-bestellung-zahlenformat.csv"
XML_GOLDEN = DEFAULT / "xml" / "golden"


def _report(result: CliResult) -> dict[str, Any]:
    assert result.code == 0, result.err
    report: dict[str, Any] = json.loads(result.out)
    assert report["errors"] == []
    return report


def _traces(explain: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {trace["field"]: trace for trace in explain["fields"]}


def _assert_from(trace: dict[str, Any], mapping: Path, field: str) -> None:
    """The trace names ``mapping`` and a line of it that states the rule for ``field``."""
    assert Path(trace["mapping"]).resolve() == mapping.resolve(), trace
    assert trace["rule"].split(".")[-1] == field, trace
    stated = mapping.read_text(encoding="utf-8").splitlines()[trace["line"] - 1]
    assert re.match(rf"\s*{re.escape(field)}:", stated), (trace, stated)


# -- X12 ----------------------------------------------------------------------------------------

def test_x12_850_explain_names_partner_and_default_files(workdir: Workdir) -> None:
    report = _report(workdir.run("translate", NW_850, "--partner", "northwind", "--explain", "--json"))
    partner_file, default_file = PARTNERS / "northwind" / "850.yaml", DEFAULT / "850.yaml"
    (explain,) = report["explain"]
    assert [Path(f).resolve() for f in explain["mapping_files"]] == [default_file.resolve(), partner_file.resolve()]
    traces = _traces(explain)
    for field in ("lines[0].buyer_part", "lines[0].uom", "lines[1].requested_date", "lines[2].requested_date"):
        _assert_from(traces[field], partner_file, field.split(".")[-1])
    _assert_from(traces["ship_to.id"], partner_file, "id")
    for field in ("po_number", "order_date", "currency", "lines[0].quantity", "lines[0].vendor_part",
                  "lines[0].description", "bill_to.id"):
        _assert_from(traces[field], default_file, field.split(".")[-1])

    assert traces["lines[0].buyer_part"]["qualifier"] == "IN", "the retired BP number must not win"
    assert (traces["lines[0].uom"]["raw"], traces["lines[0].uom"]["value"]) == ("PC", "EA")
    assert (traces["lines[1].uom"]["raw"], traces["lines[1].uom"]["value"]) == ("CT", "CS")
    # Line 2 also has DTM*002 (0520): the ship date DTM*010 wins; line 3 has only DTM*002 and
    # takes the header's DTM*010.
    assert traces["lines[1].requested_date"]["raw"] == "20240516"
    assert traces["lines[2].requested_date"]["raw"] == "20240517"
    assert (traces["ship_to.id"]["segment_id"], traces["ship_to.id"]["value"]) == ("REF", "0017")
    (order,) = report["documents"]
    assert order["partner"] == "northwind"
    assert [line["buyer_part"] for line in order["lines"]] == ["NW-100234", "NW-100871", "NW-100902"]


def test_x12_850_without_the_partner_maps_differently(workdir: Workdir) -> None:
    """The sender ZZ:NORTHWIND is no registered partner here: the default mapping applies."""
    report = _report(workdir.run("translate", NW_850, "--explain", "--json"))
    assert all(Path(f).resolve() == (DEFAULT / "850.yaml").resolve() for f in report["explain"][0]["mapping_files"])
    (order,) = report["documents"]
    assert order["partner"] is None and order["ship_to"]["id"] is None
    first, second, third = order["lines"]
    assert (first["buyer_part"], first["uom"]) == ("LEG-55120", "PC")
    assert second["uom"] == "CT" and third["requested_date"] == "2024-05-21"


def test_x12_partner_found_from_the_interchange_sender(workdir: Workdir) -> None:
    """Registered with its ISA id, Northwind's own mapping applies without --partner."""
    added = workdir.run("partners", "add", "northwind", "--x12", "ZZ:NORTHWIND", "--name", "Northwind Health")
    assert added.code == 0, added.err
    report = _report(workdir.run("translate", NW_850, "--json"))
    (order,) = report["documents"]
    assert order["partner"] == "northwind"
    assert [line["uom"] for line in order["lines"]] == ["EA", "CS", "BX"]


def test_x12_860_explain_names_partner_and_default_files(workdir: Workdir) -> None:
    report = _report(workdir.run("translate", NW_860, "--partner", "northwind", "--explain", "--json"))
    partner_file, default_file = PARTNERS / "northwind" / "860.yaml", DEFAULT / "860.yaml"
    (explain,) = report["explain"]
    traces = _traces(explain)
    for field in ("change_sequence", "lines[0].buyer_part", "lines[1].uom", "lines[2].requested_date"):
        _assert_from(traces[field], partner_file, field.split(".")[-1])
    for field in ("po_number", "purpose", "change_date", "lines[0].action", "lines[0].quantity",
                  "lines[2].description"):
        _assert_from(traces[field], default_file, field.split(".")[-1])
    assert (traces["change_sequence"]["segment_id"], traces["change_sequence"]["element_position"]) == ("BCH", 4)
    (change,) = report["documents"]
    assert change["change_sequence"] == "2"
    assert [(line["action"], line["uom"]) for line in change["lines"]] == [
        ("quantity_increase", "EA"), ("cancel", "CS"), ("add", "DZ")]
    assert change["lines"][2]["requested_date"] == "2024-05-22", "line 4 has no DTM*010: the header's applies"


def test_x12_unit_outside_the_partner_list_is_a_coded_error(workdir: Workdir) -> None:
    result = workdir.run("translate", NW_850_BAD_UNIT, "--partner", "northwind", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["documents"] == []
    (error,) = report["errors"]
    assert (error["code"], error["bad_value"], error["segment_id"], error["st02"]) == (
        "MAP_INVALID_VALUE", "KT", "PO1", "4502")
    assert "northwind_uom" in error["message"]
    assert "Traceback" not in result.err


# -- XML and CSV --------------------------------------------------------------------------------

def test_cxml_explain_names_partner_and_default_files(workdir: Workdir) -> None:
    report = _report(workdir.run("translate", GLOBEX_CXML, "--partner", "globex", "--explain", "--json"))
    partner_file = PARTNERS / "globex" / "xml" / "cxml-order-request.yaml"
    default_file = DEFAULT / "xml" / "cxml-order-request.yaml"
    (explain,) = report["explain"]
    assert [Path(f).resolve() for f in explain["mapping_files"]] == [default_file.resolve(), partner_file.resolve()]
    traces = _traces(explain)
    for field in ("lines[0].vendor_part", "lines[0].buyer_part", "lines[1].uom"):
        _assert_from(traces[field], partner_file, field.split(".")[-1])
    for field in ("po_number", "order_date", "currency", "lines[0].quantity", "lines[0].unit_price",
                  "lines[0].requested_date"):
        _assert_from(traces[field], default_file, field.split(".")[-1])
    assert traces["lines[0].vendor_part"]["path"] == "ItemID/SupplierPartAuxiliaryID"
    assert (traces["lines[1].uom"]["raw"], traces["lines[1].uom"]["value"]) == ("ct", "CS")
    (order,) = report["documents"]
    assert [line["vendor_part"] for line in order["lines"]] == ["ACM-GLV-M", "ACM-GAU-4", None]
    assert order["envelope"]["sender_id"] == "DUNS:081466849"


def test_cxml_partner_named_by_its_credential(workdir: Workdir) -> None:
    """Without --partner: the default mapping, until the credential names a registered partner."""
    unknown = _report(workdir.run("translate", GLOBEX_CXML, "--json"))["documents"][0]
    assert (unknown["partner"], unknown["lines"][0]["vendor_part"], unknown["lines"][0]["uom"]) == (
        None, "PO-CAT-000771", "H87")
    added = workdir.run("partners", "add", "globex", "--doc-id", "DUNS:081466849", "--name", "Globex")
    assert added.code == 0, added.err
    known = _report(workdir.run("translate", GLOBEX_CXML, "--json"))["documents"][0]
    assert (known["partner"], known["lines"][0]["vendor_part"], known["lines"][0]["uom"]) == (
        "globex", "ACM-GLV-M", "EA")


def test_ubl_explain_names_partner_and_default_files(workdir: Workdir) -> None:
    report = _report(workdir.run("translate", KLINIKUM_UBL, "--partner", "klinikum-nord", "--explain", "--json"))
    partner_file = PARTNERS / "klinikum-nord" / "xml" / "ubl-order.yaml"
    default_file = DEFAULT / "xml" / "ubl-order.yaml"
    traces = _traces(report["explain"][0])
    for field in ("lines[0].uom", "lines[0].requested_date", "lines[1].requested_date"):
        _assert_from(traces[field], partner_file, field.split(".")[-1])
    for field in ("po_number", "ship_to.address1", "lines[0].buyer_part", "lines[0].gtin"):
        _assert_from(traces[field], default_file, field.split(".")[-1])
    assert (traces["lines[0].uom"]["raw"], traces["lines[0].uom"]["value"]) == ("XBX", "BX")
    assert traces["lines[1].requested_date"]["value"] == "2024-07-12", "the order's period end"
    default = _report(workdir.run("translate", KLINIKUM_UBL, "--json"))["documents"][0]
    assert [(line["uom"], line["requested_date"]) for line in default["lines"]] == [
        ("XBX", "2024-07-03"), ("C62", "2024-07-08")]


def test_csv_explain_names_partner_and_default_files(workdir: Workdir) -> None:
    report = _report(workdir.run("translate", HANSEMED_CSV, "--partner", "hansemed", "--explain", "--json"))
    partner_file = PARTNERS / "hansemed" / "csv" / "hansemed-order.yaml"
    default_file = DEFAULT / "csv" / "csv-order.yaml"
    assert [d["po_number"] for d in report["documents"]] == ["HM-2024-03317", "HM-2024-03318"]
    first, second = report["explain"]
    assert [Path(f).resolve() for f in first["mapping_files"]] == [default_file.resolve(), partner_file.resolve()]
    traces = _traces(first)
    for field in ("po_number", "order_date", "ship_to.address1", "lines[0].uom", "lines[2].unit_price"):
        _assert_from(traces[field], partner_file, field.split(".")[-1])
    _assert_from(traces["purpose"], default_file, "purpose")
    assert traces["order_date"]["raw"] == "11.06.2024" and traces["order_date"]["value"] == "2024-06-11"
    assert traces["ship_to.address1"]["value"] == "Großmoorbogen 25", "Windows-1252 text decoded"
    assert (traces["lines[0].uom"]["raw"], traces["lines[0].uom"]["value"]) == ("sch", "BX")
    assert "ship_to.state" not in traces
    assert _traces(second)["ship_to.city"]["value"] == "Lübeck"


def test_csv_partner_layout_needs_the_partner(workdir: Workdir) -> None:
    """German columns fit no default layout: without the partner the file is refused with a code."""
    result = workdir.run("translate", HANSEMED_CSV, "--json")
    assert result.code == 1
    (error,) = json.loads(result.out)["errors"]
    assert error["code"] == "MAP_NO_MAPPING" and "Bestellnummer" in error["message"]


def test_csv_decimal_comma_is_read(workdir: Workdir) -> None:
    report = _report(workdir.run("translate", HANSEMED_COMMA, "--partner", "hansemed", "--json"))
    (document,) = report["documents"]
    assert (document["lines"][0]["unit_price"], document["lines"][0]["quantity"]) == ("23.90", "40")


def test_csv_malformed_german_number_is_refused_not_misread(workdir: Workdir) -> None:
    result = workdir.run("translate", HANSEMED_BAD_NUMBERS, "--partner", "hansemed", "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["documents"] == []
    assert [(e["code"], e["bad_value"], e["document"]) for e in report["errors"]] == [
        ("MAP_INVALID_VALUE", "1.24.9", 1), ("MAP_INVALID_VALUE", "1,2,3", 1), ("MAP_INVALID_VALUE", "23.90", 1)]
    assert report["errors"][2]["message"].startswith("lines[2].unit_price: ")
    assert "(row 4)" in report["errors"][2]["message"]
    assert "Traceback" not in result.err


@pytest.mark.parametrize(("name", "kind", "reference", "rows"), [
    ("handmade-ubl-order-change.xml", "po_change", "PO-2024-07731", 4),
    ("handmade-ubl-forecast.xml", "planning_schedule", "FC-2024-W27", 3),
])
def test_ubl_change_and_forecast_are_detected_and_mapped(workdir: Workdir, name: str, kind: str, reference: str,
                                                         rows: int) -> None:
    report = _report(workdir.run("translate", XML_GOLDEN / name, "--explain", "--json"))
    (document,) = report["documents"]
    assert document["type"] == kind
    assert document.get("po_number", document.get("reference")) == reference
    assert len(document.get("lines", document.get("items", []))) == rows
    (explain,) = report["explain"]
    assert [Path(f).name for f in explain["mapping_files"]] == [
        "ubl-order-change.yaml" if kind == "po_change" else "ubl-forecast.yaml"]
