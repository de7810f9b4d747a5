"""The XML/CSV mapping engine: load-time checks with file/line, selection, extends, errors and traces."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import DATA

from edi.csvdoc import read_csv
from edi.docmap import DocFieldTrace, find_doc_mapping, load_doc_mapping
from edi.mapping import MappingError
from edi.xmldoc import parse_xml

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
XML_GOLDEN = MAPPINGS / "default" / "xml" / "golden"
CSV_GOLDEN = MAPPINGS / "default" / "csv" / "golden"
CXML = MAPPINGS / "default" / "xml" / "cxml-order-request.yaml"
CSV_ORDER = MAPPINGS / "default" / "csv" / "csv-order.yaml"

MINIMAL_XML = """\
source: xml
root: cXML
document: purchase_order
envelope:
  document_id: {path: "@payloadID"}
  version: {default: "1"}
fields:
  po_number: {path: "Request/OrderRequest/OrderRequestHeader/@orderID", required: true}
  lines:
    each: Request/OrderRequest/ItemOut
    required: true
    fields:
      quantity: {path: "@quantity", convert: decimal, required: true}
"""


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted((MAPPINGS / "default").glob("*/*.yaml")), ids=lambda p: p.name)
def test_shipped_mappings_load(path: Path) -> None:
    if path.parent.name in ("xml", "csv"):
        assert load_doc_mapping(path, [MAPPINGS]).source == path.parent.name


@pytest.mark.parametrize(("old", "new", "yaml_path", "line", "words"), [
    ('{path: "@quantity", convert: decimal, required: true}', '{path: "@quantity", required: true}',
     "fields.lines.fields.quantity", 13, "needs a Decimal"),
    ("  po_number:", "  po_numbr: {path: x}\n  po_number:", "fields.po_numbr", 8, "unknown field 'po_numbr'"),
    ('"@payloadID"', '"@payloadID[["', "envelope.document_id.path", 5, "XPath"),
    ('"@payloadID"', '"x:ID"', "envelope.document_id.path", 5, "XPath"),
    ('{path: "@quantity"', '{column: "qty"', "fields.lines.fields.quantity.column", 13, "CSV column"),
    ("root: cXML\n", "", "", 1, "needs 'root'"),
    ("each: Request", "at: Request", "fields.lines", 9, "give it 'each'"),
    ("document: purchase_order", "document: waybill", "document", 3, "unknown document"),
    (", required: true}\n  lines", "}\n  lines", "fields.po_number", 8, "set 'required: true'"),
    ("convert: decimal", "convert: decmal", "fields.lines.fields.quantity.convert", 13, "unknown converter"),
])
def test_load_errors_name_file_path_and_line(tmp_path: Path, old: str, new: str, yaml_path: str, line: int,
                                             words: str) -> None:
    assert old in MINIMAL_XML
    path = write(tmp_path, MINIMAL_XML.replace(old, new, 1))
    with pytest.raises(MappingError) as caught:
        load_doc_mapping(path, [tmp_path])
    error = caught.value
    assert error.file.endswith("m.yaml") and error.yaml_path == yaml_path and error.line == line
    assert words in error.message


def test_apply_with_explain_names_xpath_file_and_line() -> None:
    mapping = load_doc_mapping(CXML, [MAPPINGS])
    doc = parse_xml((XML_GOLDEN / "cxmlrb-purchase_order_request_200.xml").read_bytes(), "po.xml")
    result = mapping.apply(doc, partner="acme", explain=True)
    assert result.ok and result.document is not None
    assert result.document.envelope.sender_id == "duns:dell"
    trace = next(t for t in result.explain if t.field == "lines[1].quantity")
    assert isinstance(trace, DocFieldTrace)
    shown = trace.to_dict()
    assert shown["path"] == "@quantity" and shown["location"] == "line 100" and shown["raw"] == "2"
    assert shown["mapping"].endswith("cxml-order-request.yaml") and shown["rule"] == "fields.lines.fields.quantity"
    assert CXML.read_text().splitlines()[shown["line"] - 1].strip().startswith("quantity:")
    version = next(t for t in result.explain if t.field == "envelope.version")
    assert (version.source, version.value) == ("meta", "1.2.014")


def test_wrong_root_is_no_mapping() -> None:
    mapping = load_doc_mapping(CXML, [MAPPINGS])
    result = mapping.apply(parse_xml((XML_GOLDEN / "handmade-ubl-order.xml").read_bytes()))
    assert [e.code for e in result.errors] == ["MAP_NO_MAPPING"] and result.document is None


def test_missing_required_and_bad_decimal_in_xml() -> None:
    data = (XML_GOLDEN / "cxmlphp-OrderRequest.xml").read_bytes()
    data = data.replace(b'orderID="DO1234" ', b"").replace(b'quantity="20"', b'quantity="2O"')
    result = load_doc_mapping(CXML, [MAPPINGS]).apply(parse_xml(data))
    codes = {(e.code, e.extra["field"]) for e in result.errors}
    assert codes == {("MAP_REQUIRED_MISSING", "po_number"), ("MAP_REQUIRED_MISSING", "envelope.document_id"),
                     ("MAP_INVALID_VALUE", "lines[1].quantity")}
    bad = next(e for e in result.errors if e.code == "MAP_INVALID_VALUE")
    assert bad.bad_value == "2O" and bad.extra["line"] == "92"  # libxml2: the line where the start tag ends


def test_csv_bad_number_missing_value_and_ref_designators() -> None:
    table = read_csv((DATA / "bom" / "bad-values.csv").read_bytes(), "bad-values.csv")
    mapping = load_doc_mapping(MAPPINGS / "default" / "csv" / "csv-bom.yaml", [MAPPINGS])
    (result,) = mapping.apply_all(table)
    found = {(e.code, e.extra["field"], e.extra.get("row")) for e in result.errors}
    assert found == {("MAP_INVALID_VALUE", "components[1].quantity", "3"),
                     ("MAP_REQUIRED_MISSING", "components[2].part", None)}
    bad = next(e for e in result.errors if e.code == "MAP_INVALID_VALUE")
    assert bad.extra["source"] == "column 'quantity'" and bad.bad_value == "2x"


def test_csv_missing_column_and_inconsistent_header_values() -> None:
    text = (CSV_GOLDEN / "handmade-order.csv").read_text(encoding="utf-8")
    no_qty = text.replace(",quantity,", ",qty,", 1)
    result = load_doc_mapping(CSV_ORDER, [MAPPINGS]).apply_all(read_csv(no_qty.encode()))[0]
    assert {e.code for e in result.errors} == {"MAP_REQUIRED_MISSING"}
    assert "'quantity' not in the header" in result.errors[0].message
    mixed = text.replace("4500098812,2024-05-06,USD", "4500098812,2024-05-09,USD", 1)
    first = load_doc_mapping(CSV_ORDER, [MAPPINGS]).apply_all(read_csv(mixed.encode()))[0]
    assert [(e.code, e.extra["field"]) for e in first.errors] == [("MAP_INVALID_VALUE", "order_date")]
    assert "row 2" in first.errors[0].message and "row 3" in first.errors[0].message


def test_cp1252_csv_order_end_to_end(tmp_path: Path) -> None:
    text = (CSV_GOLDEN / "handmade-order.csv").read_text(encoding="utf-8").replace("St. Luke's", "Hôpital Saint-Luc")
    table = read_csv(text.encode("cp1252"), "orders.csv")
    results = load_doc_mapping(CSV_ORDER, [MAPPINGS]).apply_all(table, partner="acme")
    assert [r.document.po_number for r in results if r.document] == ["4500098812", "4500098813"]
    first = results[0].document
    assert first is not None and first.ship_to is not None
    assert first.ship_to.name == "Hôpital Saint-Luc Regional Medical Center"
    assert first.envelope.sender_id == "FILE" and first.envelope.set_control_number == "4500098812"
    assert [str(line.quantity) for line in first.lines] == ["12", "300", "6"]


def test_find_picks_partner_first_and_csv_layouts_by_header(tmp_path: Path) -> None:
    write(tmp_path, "extends: default/xml/cxml-order-request.yaml\nfields:\n  lines:\n    fields:\n"
                    "      buyer_part: {path: ItemID/SupplierPartAuxiliaryID}\n", "partners/dell/xml/cxml.yaml")
    roots = [tmp_path, MAPPINGS]
    assert find_doc_mapping("xml", "cXML", "dell", roots) == tmp_path / "partners/dell/xml/cxml.yaml"
    assert find_doc_mapping("xml", "cXML", "other", roots) == CXML
    assert find_doc_mapping("xml", "{urn:x}Unknown", None, roots) is None
    partner = load_doc_mapping(tmp_path / "partners/dell/xml/cxml.yaml", roots)
    doc = parse_xml((XML_GOLDEN / "cxmlrb-purchase_order_request_200.xml").read_bytes())
    document = partner.apply(doc, partner="dell").document
    assert document is not None and document.lines[0].buyer_part == "1005379527029\\1"
    assert document.lines[0].vendor_part == "223-4511"  # inherited from the default
    header = read_csv((CSV_GOLDEN / "jplrover-bom_v2.0.3_board_ref_parts.csv").read_bytes()).header
    assert find_doc_mapping("csv", header, None, roots).name == "kicad-purchasing-bom.yaml"
    assert find_doc_mapping("csv", ("Reference", "Quantity", "Value", "Footprint"), None, roots).name == \
        "kicad-grouped-bom.yaml"
    assert find_doc_mapping("csv", ("foo", "bar"), None, roots) is None
    with pytest.raises(ValueError):
        find_doc_mapping("csv", ("a",), "../etc", roots)
