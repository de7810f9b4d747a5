"""CSV mappings that state their delimiter/encoding, and German decimal commas ({decimal: comma})."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from edi.csvdoc import read_csv
from edi.detect import DocumentError, detect
from edi.docmap import CompiledDocMapping, load_doc_mapping
from edi.mapping import MappingError, load_mapping
from gateway.evaluate_doc import evaluate_document
from gateway.mappings import MappingResolver

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
HANSEMED_GOLDEN = MAPPINGS / "partners" / "hansemed" / "csv" / "golden"


def csv_mapping(tmp_path: Path, *, dialect: str = "", price: str = "{decimal: comma}", qty: str = "Qty"
                ) -> CompiledDocMapping:
    """A small order layout (columns Order, Qty, Price, Note) with the given dialect keys."""
    text = f"""\
source: csv
document: purchase_order
{dialect}
envelope:
  document_id: {{column: Order}}
  version: {{default: "1"}}
fields:
  po_number: {{column: Order, required: true}}
  order_date: {{default: "2024-06-11", convert: isodate}}
  lines:
    each: row
    required: true
    fields:
      quantity: {{column: "{qty}", convert: [strip, {{decimal: comma}}], required: true}}
      unit_price: {{column: Price, convert: [strip, {price}]}}
      description: {{column: Note}}
"""
    path = tmp_path / "partners" / "acme" / "csv" / "order.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_doc_mapping(path, [tmp_path, MAPPINGS])


def read_mapped(mapping: CompiledDocMapping, data: bytes) -> tuple[object, ...]:
    table = mapping.read_in_dialect(read_csv(data, "f.csv"), data)
    result = mapping.apply(table)
    assert result.errors == [], result.errors
    return tuple((line.quantity, line.unit_price, line.description) for line in result.document.lines)


# -- {decimal: comma} ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("23,90", Decimal("23.90")), ("1.249,50", Decimal("1249.50")), ("1.249", Decimal("1249")),
    ("12.345.678,001", Decimal("12345678.001")), ("-0,84", Decimal("-0.84")), ("40", Decimal("40")),
])
def test_decimal_comma_accepts_german_numbers(tmp_path: Path, text: str, value: Decimal) -> None:
    mapping = csv_mapping(tmp_path)
    assert read_mapped(mapping, f"Order;Qty;Price;Note\nA1;{text};{text};x\n".encode())[0][:2] == (value, value)


@pytest.mark.parametrize("text", ["1,2,3", "1.24.9", "23.90", "1.2495", "1.249,", ",5", "1e3", "+5", "5-", "1 249,50",
                                  "NaN", "١٢"])
def test_decimal_comma_refuses_ambiguous_or_malformed(tmp_path: Path, text: str) -> None:
    result = csv_mapping(tmp_path).apply(read_csv(f"Order;Qty;Price;Note\nA1;1;{text};x\n".encode()))
    assert result.document is None
    [error] = result.errors
    assert (error.code, error.bad_value, error.extra["field"]) == ("MAP_INVALID_VALUE", text, "lines[0].unit_price")
    assert repr(text) in error.message


def test_plain_decimal_stays_strict_x12_r(tmp_path: Path) -> None:
    mapping = csv_mapping(tmp_path, price="decimal")
    assert read_mapped(mapping, b"Order;Qty;Price;Note\nA1;2;1249.50;x\n")[0][:2] == (Decimal(2), Decimal("1249.50"))
    refused = mapping.apply(read_csv(b"Order;Qty;Price;Note\nA1;2;23,90;x\n"))
    assert [(e.code, e.bad_value) for e in refused.errors] == [("MAP_INVALID_VALUE", "23,90")]


def test_decimal_style_argument_is_checked_at_load(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="'comma'"):
        csv_mapping(tmp_path, price="{decimal: dot}")


def test_x12_mappings_refuse_decimal_comma(tmp_path: Path) -> None:
    """X12 numbers never use commas: the X12 engine's decimal takes no argument, so the form is a load error."""
    path = tmp_path / "partners" / "acme" / "850.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("extends: default/850.yaml\nfields:\n  lines:\n    fields:\n"
                    "      unit_price: {path: PO104, convert: {decimal: comma}}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="takes no argument"):
        load_mapping(path, [tmp_path, MAPPINGS])


# -- stated delimiter and encoding ---------------------------------------------------------------

def test_stated_encoding_wins_over_detection(tmp_path: Path) -> None:
    """ISO-8859-15 has the euro sign at 0xA4, where detection's cp1252 has a currency sign."""
    data = "Order;Qty;Price;Note\nA1;2;1,50;Preis in €\n".encode("iso8859-15")
    assert read_csv(data).encoding == "cp1252"
    mapping = csv_mapping(tmp_path, dialect="encoding: iso8859-15")
    assert read_mapped(mapping, data)[0][2] == "Preis in €"


def test_same_dialect_is_not_read_twice(tmp_path: Path) -> None:
    data = b"Order;Qty;Price;Note\nA1;2;1,50;x\n"
    table = read_csv(data)
    assert csv_mapping(tmp_path, dialect='delimiter: ";"\nencoding: UTF8').read_in_dialect(table, data) is table


@pytest.mark.parametrize(("dialect", "data", "code", "words"), [
    ('delimiter: ";"', b"Order,Qty,Price,Note\nA1,2,3,x\n", "CSV_DELIMITER", "expected delimiter ';'"),
    ('delimiter: ";"', b"sep=,\nOrder,Qty,Price,Note\nA1,2,3,x\n", "CSV_DELIMITER", "'sep=' line says ','"),
    ("encoding: cp1252", "Order;Qty;Price;Note\nA1;2;3;Größe\n".encode(), "FILE_ENCODING", "the file is UTF-8"),
    ("encoding: utf-8", "Order;Qty;Price;Note\nA1;2;3;Größe\n".encode("cp1252"), "FILE_ENCODING", "0xF6"),
    ("encoding: utf-8", "Order;Qty;Price;Note\nA1;2;3;x\n".encode("utf-16"), "FILE_ENCODING", "byte-order mark"),
    ("encoding: utf-16", b"Order;Qty;Price;Note\nA1;2;3;x\n", "FILE_ENCODING", "no NUL bytes"),
])
def test_file_not_in_stated_dialect_is_refused(tmp_path: Path, dialect: str, data: bytes, code: str,
                                               words: str) -> None:
    mapping = csv_mapping(tmp_path, dialect=dialect)
    table = read_csv(data, "f.csv")
    assert mapping.matches_header(table.header)
    with pytest.raises(DocumentError) as caught:
        mapping.read_in_dialect(table, data)
    assert caught.value.code == code and words in caught.value.message


def test_header_not_readable_in_stated_encoding(tmp_path: Path) -> None:
    """A cp1252 euro sign read as the stated Latin-1 is U+0080: the required column is gone."""
    mapping = csv_mapping(tmp_path, dialect="encoding: latin-1", qty="Menge €")
    data = "Order;Menge €;Price;Note\nA1;2;3;x\n".encode("cp1252")
    table = read_csv(data, "f.csv")
    assert mapping.matches_header(table.header)
    with pytest.raises(DocumentError) as caught:
        mapping.read_in_dialect(table, data)
    assert (caught.value.code, caught.value.field) == ("CSV_HEADER", "Menge €")
    assert "encoding latin-1" in caught.value.message


def test_unknown_encoding_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="unknown encoding 'latin-9x'"):
        csv_mapping(tmp_path, dialect="encoding: latin-9x")


# -- through the gateway ---------------------------------------------------------------------------

def evaluate(data: bytes) -> tuple[list[str], list[object]]:
    evaluation = evaluate_document(data, "bestellung.csv", detect(data[:4096]), MappingResolver([MAPPINGS]),
                                   partner_id="hansemed", partner_of=lambda _sender: None)
    return [e.code for e in evaluation.errors], [r.document for r in evaluation.results]


def test_gateway_reads_hansemed_in_its_stated_dialect() -> None:
    data = (HANSEMED_GOLDEN / "hansemed-bestellung.csv").read_bytes()
    errors, documents = evaluate(data)
    assert errors == [] and [d.po_number for d in documents] == ["HM-2024-03317", "HM-2024-03318"]
    assert documents[0].lines[2].unit_price == Decimal("1249.995")
    # The same export saved as UTF-8: refused as a file, not mapped with garbled umlauts.
    errors, documents = evaluate(data.decode("cp1252").encode("utf-8"))
    assert (errors, documents) == (["FILE_ENCODING"], [])
