"""Format sniffing from the first KB of real and hand-made files."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from support import DATA

from edi.detect import DocumentError, detect

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings" / "default"
UBL_ORDER = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"


def head(path: Path) -> bytes:
    return path.read_bytes()[:4096]


def test_x12_with_and_without_bom() -> None:
    assert detect(head(DATA / "x12" / "x12-850" / "nodex12-850.edi")).kind == "x12"
    found = detect(head(DATA / "x12" / "x12-810" / "edinet-x12.810a.edi"))
    assert (found.kind, found.bom, found.encoding) == ("x12", True, "utf-8")


def test_edifact() -> None:
    assert detect(b"UNA:+.? 'UNB+UNOC:3+SENDER+RECEIVER+240101:1200+1'").kind == "edifact"
    assert detect(b"UNB+UNOA:2+SENDER+RECEIVER+240101:1200+1'").kind == "edifact"


def test_xml_root_and_namespace_behind_doctype_and_comments() -> None:
    cxml = detect(head(MAPPINGS / "xml" / "golden" / "cxmlphp-OrderRequest.xml"))
    assert (cxml.kind, cxml.root, cxml.namespace, cxml.clark_root) == ("xml", "cXML", "", "cXML")
    ubl = detect(head(MAPPINGS / "xml" / "golden" / "handmade-ubl-order.xml"))
    assert ubl.clark_root == f"{{{UBL_ORDER}}}Order"
    prefixed = detect(b'<?xml version="1.0"?>\n<!-- c --><u:Order xmlns:u="urn:x" a="1">')
    assert (prefixed.root, prefixed.namespace) == ("Order", "urn:x")


def test_xml_in_utf16_with_bom() -> None:
    data = codecs.BOM_UTF16_LE + '<?xml version="1.0" encoding="UTF-16"?><cXML/>'.encode("utf-16-le")
    found = detect(data)
    assert (found.kind, found.encoding, found.bom, found.root) == ("xml", "utf-16-le", True, "cXML")


def test_root_tag_cut_off_by_the_head_is_still_xml() -> None:
    assert detect(b'<?xml version="1.0"?><Order xmlns="urn:very-long').root is None


@pytest.mark.parametrize(("name", "delimiter"), [("handmade-order.csv", ","), ("handmade-bom-multilevel.csv", ";")])
def test_csv_delimiter(name: str, delimiter: str) -> None:
    found = detect(head(MAPPINGS / "csv" / "golden" / name))
    assert (found.kind, found.delimiter) == ("csv", delimiter)


def test_tab_and_pipe_csv_and_cp1252() -> None:
    assert detect(b"part\tqty\nA\t1\n").delimiter == "\t"
    assert detect(b"part|qty\nA|1\n").delimiter == "|"
    latin = detect("Teil;Menge\nSchraube Ø3;4\n".encode("cp1252"))
    assert (latin.kind, latin.encoding) == ("csv", "cp1252")


@pytest.mark.parametrize(("data", "code"), [
    (b"", "FILE_EMPTY"),
    (b"  \r\n\t ", "FILE_EMPTY"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "FILE_UNKNOWN_FORMAT"),
    (b"just one line of words", "FILE_UNKNOWN_FORMAT"),
    (b"\x00\x01\x02\x03binary,data", "FILE_UNKNOWN_FORMAT"),
])
def test_unknown_is_a_coded_error(data: bytes, code: str) -> None:
    found = detect(data)
    assert found.kind == "unknown"
    assert isinstance(found.error, DocumentError) and found.error.code == code
    assert found.error.level == "file"


def test_document_error_refuses_unknown_codes() -> None:
    with pytest.raises(KeyError):
        DocumentError("NOT_A_CODE", "x")
