"""XML and CSV files through the gateway: inbox -> ledger -> ERP core, with the partner
named by the document (cXML credential, UBL endpoint id) or by the inbox folder (CSV)."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import Workdir, assert_rejected, messages, orders

ROOT = Path(__file__).resolve().parents[1]
XML_GOLDEN = ROOT / "mappings" / "default" / "xml" / "golden"
CSV_GOLDEN = ROOT / "mappings" / "default" / "csv" / "golden"
DATA = Path(__file__).resolve().parent / "data"


def _drop(wd: Workdir, source: Path, folder: str = "") -> None:
    target = wd.root / "inbox" / folder / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def test_cxml_order_named_by_its_credential_is_booked(workdir: Workdir) -> None:
    assert workdir.run("partners", "add", "prominate", "--doc-id", "NetworkId:inbound@prominate-platform.com")\
        .code == 0
    _drop(workdir, XML_GOLDEN / "cxmlphp-OrderRequest.xml")
    result = workdir.run("run", "--once")
    assert result.code == 0, result.err
    booked = [o for o in orders(workdir) if o["po_number"] == "DO1234"]
    assert len(booked) == 1 and booked[0]["partner_id"] == "prominate"
    docs = messages(workdir, "--kind", "set")
    assert [(d["set_id"], d["status"], d["doc_ref"]) for d in docs] == [("XML", "booked", "DO1234")]
    assert not list((workdir.root / "inbox").rglob("*.xml"))  # taken only after it was committed


def test_csv_orders_in_a_partner_folder_are_booked_per_po(workdir: Workdir) -> None:
    _drop(workdir, CSV_GOLDEN / "handmade-order.csv", "acme")
    assert workdir.run("run", "--once").code == 0
    booked = sorted(o["po_number"] for o in orders(workdir) if o["partner_id"] == "acme")
    assert len(booked) == 2 and "4500098812" in booked
    statuses = {d["doc_ref"]: d["status"] for d in messages(workdir, "--kind", "set")}
    assert set(statuses.values()) == {"booked"}


def test_same_csv_again_books_nothing_twice(workdir: Workdir) -> None:
    source = CSV_GOLDEN / "handmade-order.csv"
    assert workdir.run("ingest", "--partner", "acme", source).code == 0
    again = workdir.run("ingest", "--partner", "acme", source)
    assert_rejected(again)
    assert "BOOK_DUPLICATE_PO" in again.err or "already booked" in again.err
    assert len([o for o in orders(workdir) if o["partner_id"] == "acme"]) == 2


def test_csv_without_a_partner_is_refused_and_kept(workdir: Workdir) -> None:
    _drop(workdir, CSV_GOLDEN / "handmade-order.csv")
    assert workdir.run("run", "--once").code == 0
    files = messages(workdir, "--kind", "file")
    assert files[0]["status"] == "refused" and files[0]["error_code"] == "PARTNER_UNKNOWN"
    assert orders(workdir) == []
    archived = [p for p in (workdir.root / "data" / "archive").rglob("*") if p.is_file()]
    assert any(p.read_bytes() == (CSV_GOLDEN / "handmade-order.csv").read_bytes() for p in archived)


def test_hostile_xml_is_an_error_with_its_code_never_a_traceback(workdir: Workdir) -> None:
    result = workdir.run("ingest", "--partner", "acme", DATA / "xml" / "xxe-external-file.xml")
    assert_rejected(result)
    files = messages(workdir, "--kind", "file")
    assert files[0]["status"] == "error" and files[0]["error_code"] == "XML_ENTITY_FORBIDDEN"


def test_ragged_csv_names_row_and_column(workdir: Workdir) -> None:
    result = workdir.run("ingest", "--partner", "acme", DATA / "csv" / "ragged.csv")
    assert_rejected(result)
    files = messages(workdir, "--kind", "file")
    assert files[0]["error_code"] == "CSV_RAGGED_ROW" and "row" in files[0]["error_message"]


def test_ingest_for_an_unknown_partner_is_exit_4(workdir: Workdir) -> None:
    result = workdir.run("ingest", "--partner", "nobody", CSV_GOLDEN / "handmade-order.csv")
    assert result.code == 4 and "nobody" in result.err


def test_translate_explains_xml_and_csv_fields(workdir: Workdir) -> None:
    import json

    assert workdir.run("partners", "update", "acme", "--doc-id", "NetworkId:inbound@prominate-platform.com")\
        .code == 0
    result = workdir.run("translate", XML_GOLDEN / "cxmlphp-OrderRequest.xml", "--explain", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["documents"][0]["po_number"] == "DO1234" and report["documents"][0]["partner"] == "acme"
    fields = {f["field"]: f for f in report["explain"][0]["fields"]}
    assert fields["po_number"]["mapping"].endswith("cxml-order-request.yaml") and fields["po_number"]["line"] > 0
    assert "OrderRequestHeader" in fields["po_number"]["path"]
    csv_result = workdir.run("translate", CSV_GOLDEN / "handmade-order.csv", "--explain", "--json")
    csv_report = json.loads(csv_result.out)
    assert len(csv_report["documents"]) == 2
    assert csv_report["explain"][0]["fields"][0]["location"].startswith("row ")
    table = workdir.run("translate", CSV_GOLDEN / "handmade-order.csv")
    assert table.code == 0 and "purchase_order" in table.out


def test_xml_and_csv_orders_are_answered_in_their_own_format(workdir: Workdir) -> None:
    import csv
    import io

    from lxml import etree

    assert workdir.run("partners", "add", "prominate", "--po-acks", "--doc-id",
                       "NetworkId:inbound@prominate-platform.com").code == 0
    assert workdir.run("partners", "update", "acme", "--po-acks").code == 0
    _drop(workdir, XML_GOLDEN / "cxmlphp-OrderRequest.xml")
    _drop(workdir, XML_GOLDEN / "handmade-ubl-order.xml", "acme")
    _drop(workdir, CSV_GOLDEN / "handmade-order.csv", "acme")
    assert workdir.run("run", "--once").code == 0
    out = {p.name: p for p in workdir.outbox_files()}
    confirmation = next(p for n, p in out.items() if n.startswith("cXML-CR-DO1234"))
    root = etree.fromstring(confirmation.read_bytes())
    header = root.find(".//ConfirmationHeader")
    assert header is not None and header.get("type") in {"detail", "accept", "allDetail", "reject"}
    assert root.find(".//OrderReference").get("orderID") == "DO1234"
    ubl = next(p for n, p in out.items() if n.startswith("UBL-OR-"))
    assert b"OrderResponse" in ubl.read_bytes() and b"PO-2024-07731" in ubl.read_bytes()
    acks = [p for n, p in out.items() if n.startswith("CSV-ACK-")]
    assert len(acks) == 2
    rows = list(csv.DictReader(io.StringIO(acks[0].read_text())))
    assert rows and rows[0]["po_number"] in {"4500098812", "4500098813"} and rows[0]["status"]


def test_a_refused_csv_order_is_answered_with_a_rejection(workdir: Workdir, tmp_path: Path) -> None:
    import csv
    import io

    assert workdir.run("partners", "update", "acme", "--po-acks").code == 0
    text = (CSV_GOLDEN / "handmade-order.csv").read_text()
    bad = tmp_path / "orders.csv"
    bad.write_text(text.replace("4500098812,2024-05-06,USD", "4500098812,2024-05-06,US"))
    result = workdir.run("ingest", "--partner", "acme", bad)
    assert result.code == 1 and "4500098812" in result.err
    acks = {p.name: p for p in workdir.outbox_files()}
    rejected = next(p for n, p in acks.items() if "4500098812" in n)
    row = next(csv.DictReader(io.StringIO(rejected.read_text())))
    assert row["ack_type"] == "reject"
    assert any("4500098813" in n for n in acks)  # its neighbour was booked and answered


def test_an_interchange_from_another_partner_than_its_folder_is_refused(workdir: Workdir) -> None:
    assert workdir.run("partners", "add", "globex", "--x12", "ZZ:GLOBEX").code == 0
    _drop(workdir, DATA / "gateway" / "acme-850-4010.x12", "globex")  # the ISA says ACMEMED
    assert workdir.run("run", "--once").code == 0
    interchanges = messages(workdir, "--kind", "interchange")
    assert interchanges[0]["status"] == "refused" and interchanges[0]["error_code"] == "PARTNER_MISMATCH"
    assert orders(workdir) == []
