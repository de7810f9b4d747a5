"""CSV reading: encodings, delimiters, quoting, and coded errors naming the row and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import DATA

from edi.csvdoc import read_csv
from edi.detect import DocumentError

CSV = DATA / "csv"
GOLDEN = Path(__file__).resolve().parents[1] / "mappings" / "default" / "csv" / "golden"


def refused(name: str, **options: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read_csv((CSV / name).read_bytes(), name, **options)
    return caught.value


def test_cp1252_fallback_keeps_the_characters() -> None:
    table = read_csv((CSV / "order-cp1252.csv").read_bytes())
    assert (table.encoding, table.delimiter) == ("cp1252", ";")
    assert table.rows[0].values[3] == "Schraube M3 Ø Edelstahl € 5"


def test_utf16_and_utf8_boms() -> None:
    utf16 = read_csv((CSV / "order-utf16.csv").read_bytes())
    assert (utf16.encoding, utf16.delimiter, utf16.header) == ("utf-16-le", "\t", ("po_number", "quantity",
                                                                                    "description"))
    assert utf16.rows[0].values == ("4711", "3", "Katheter Ø5")
    assert read_csv((CSV / "order-utf8-bom.csv").read_bytes()).header == ("po_number", "quantity")


def test_quoted_fields_with_delimiters_quotes_and_line_breaks() -> None:
    table = read_csv((GOLDEN / "jplrover-bom_v2.0.3_board_ref_parts.csv").read_bytes())
    row = next(r for r in table.rows if r.values[0] == "A9")
    assert row.number == 10 and row.line == 10
    assert row.values[9].startswith("needs mate, see other page\r\n\r\nalternative suppliers:")
    assert table.rows[9].line == 15  # the record after the five-line A9 record
    order = read_csv((GOLDEN / "handmade-order.csv").read_bytes())
    assert order.rows[2].values[14] == 'Skin stapler, 35 wide "regular" staples'


def test_header_blanks_trimmed_and_columns_compared_loosely() -> None:
    table = read_csv((GOLDEN / "jplrover-Control_Boards.csv").read_bytes())
    assert table.header == ("Reference", "Quantity", "Value", "Footprint", "Datasheet")
    assert table.column_index("  quantity ") == 1 and table.column_index("Part Number") is None


def test_excel_sep_line_and_blank_lines() -> None:
    table = read_csv((CSV / "excel-sep-line.csv").read_bytes())
    assert table.delimiter == ";" and [r.values for r in table.rows] == [("4711", "5")]
    assert table.rows[0].line == 4


def test_ragged_row_names_row_and_column() -> None:
    error = refused("ragged.csv")
    assert (error.code, error.row, error.field, error.line) == ("CSV_RAGGED_ROW", 3, "quantity", 3)


@pytest.mark.parametrize(("name", "code"), [
    ("bad-quote.csv", "CSV_QUOTING"),
    ("stray-quote.csv", "CSV_QUOTING"),
    ("colon-delimited.csv", "CSV_DELIMITER"),
    ("duplicate-header.csv", "CSV_HEADER"),
    ("undecodable.csv", "FILE_ENCODING"),
])
def test_bad_files_are_coded(name: str, code: str) -> None:
    assert refused(name).code == code


def test_undecodable_names_the_line() -> None:
    error = refused("undecodable.csv")
    assert error.line == 2 and "0x81" in error.message


def test_expected_delimiter_differs() -> None:
    error = refused("order-cp1252.csv", delimiter=",")
    assert error.code == "CSV_DELIMITER" and "';'" in error.message


def test_forced_encoding_that_does_not_fit() -> None:
    assert refused("order-cp1252.csv", encoding="utf-8").code == "FILE_ENCODING"


def test_binary_and_empty_input() -> None:
    with pytest.raises(DocumentError) as caught:
        read_csv(b"a,b\n\x00\x00\x01,2\n")
    assert caught.value.code == "FILE_ENCODING"
    with pytest.raises(DocumentError) as caught:
        read_csv(b"\r\n  \r\n")
    assert caught.value.code == "FILE_EMPTY"
    with pytest.raises(DocumentError) as caught:
        read_csv(b"a,b\n" * 10, max_bytes=10)
    assert caught.value.code == "FILE_TOO_LARGE"
