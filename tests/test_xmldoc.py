"""Hardened XML parsing: hostile files are refused with a code, real partner files parse, nothing is fetched."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import DATA

from edi.detect import DocumentError
from edi.xmldoc import XmlLimits, parse_xml

XML = DATA / "xml"
GOLDEN = Path(__file__).resolve().parents[1] / "mappings" / "default" / "xml" / "golden"


def refused(data: bytes) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        parse_xml(data, "in.xml")
    return caught.value


@pytest.mark.parametrize("name", ["billion-laughs.xml", "xxe-external-file.xml", "xxe-parameter-entity.xml",
                                  "xinclude.xml"])
def test_entities_and_xinclude_are_refused(name: str) -> None:
    error = refused((XML / name).read_bytes())
    assert error.code == "XML_ENTITY_FORBIDDEN"
    assert error.level == "file"


def test_external_entity_content_never_appears() -> None:
    error = refused((XML / "xxe-external-file.xml").read_bytes())
    hostname = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").is_file() else "\x00"
    assert hostname not in str(error.to_dict())


def test_entity_declared_in_utf16_document_is_refused() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>'
    assert refused(b"\xff\xfe" + text.encode("utf-16-le")).code == "XML_ENTITY_FORBIDDEN"


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY x "fetched">')

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def dtd_server() -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_doctype_with_external_dtd_parses_and_nothing_is_fetched(dtd_server: tuple[str, list[str]]) -> None:
    url, hits = dtd_server
    data = (GOLDEN / "cxmlphp-OrderRequest.xml").read_bytes().replace(
        b"http://xml.cXML.org/schemas/cXML/1.2.050/cXML.dtd", f"{url}/schemas/cXML/1.2.050/cXML.dtd".encode())
    doc = parse_xml(data, "cxml.xml")
    assert doc.root_tag == "cXML"
    assert doc.doctype_system == f"{url}/schemas/cXML/1.2.050/cXML.dtd"
    with pytest.raises(DocumentError):
        parse_xml((XML / "xxe-parameter-entity.xml").read_bytes().replace(b"http://127.0.0.1:9", url.encode()))
    assert hits == []


@pytest.mark.parametrize("name", sorted(p.name for p in GOLDEN.glob("*.xml")))
def test_real_partner_files_parse(name: str) -> None:
    doc = parse_xml((GOLDEN / name).read_bytes(), name)
    assert doc.root.sourceline is not None and doc.size > 0


def test_malformed_xml_reports_line_and_column() -> None:
    error = refused((XML / "malformed-tag.xml").read_bytes())
    assert (error.code, error.line) == ("XML_MALFORMED", 4)
    assert error.column is not None and "(line 4, column" in error.message


def test_bad_bytes_for_the_declared_encoding() -> None:
    assert refused((XML / "bad-utf8.xml").read_bytes()).code == "FILE_ENCODING"


def test_limits() -> None:
    assert refused(b"   \n").code == "FILE_EMPTY"
    assert refused(b"<a>" * 300 + b"</a>" * 300).code == "XML_LIMIT_EXCEEDED"
    with pytest.raises(DocumentError) as caught:
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", "big.xml", XmlLimits(max_bytes=1000))
    assert caught.value.code == "FILE_TOO_LARGE"


def test_truncated_file() -> None:
    data = (GOLDEN / "handmade-ubl-order.xml").read_bytes()
    error = refused(data[: len(data) // 2])
    assert error.code == "XML_MALFORMED" and error.line is not None


@pytest.mark.corpus
def test_full_ipc2581_file_from_the_corpus(corpus: Path) -> None:
    doc = parse_xml((corpus / "bom" / "boardui-testcase3-RevC-Assembly.xml").read_bytes(), "ipc.xml")
    assert doc.root_tag == "{http://webstds.ipc.org/2581}IPC-2581"
