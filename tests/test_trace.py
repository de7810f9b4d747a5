"""``edipulse trace LOT`` end to end: an 850 and its 860 through the inbox, lots, inspections, a shipment,
the documents owed for them, then one command that tells the whole story (JSON and tables)."""

from __future__ import annotations

import json
import shutil

from support import DATA, CliResult, Workdir
from test_gateway_changes_e2e import CHANGE_860

from erp_core.services.sscc import is_valid_sscc
from gateway.context import Context
from gateway.outbound.documents import run_due
from gateway.settings import load_settings

PO = "4500012345"
BOM_CSV = (
    "assembly;revision;assembly_description;effective_from;find_number;parent;component;description;quantity;uom;"
    "ref_designators;manufacturer;manufacturer_part\n"
    "CATH-FG;A;Catheter 7Fr 110cm;2024-01-01;10;;TUBE-PX;Pebax tubing;1.2;M;;;\n"
)
OUTBOUND = """
outbound:
  acme:
    documents: [856, 863, certificate, 810]
    company: {name: EDI Pulse Devices}
    approver: {name: Q. Manager, title: Quality}
"""


def ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


def build_story(wd: Workdir) -> None:
    """Items and a BOM, the 850 then the 860 (line 1 to 300 EA), tubing lot TP-01 consumed into the
    catheter lot L2612 (serials S1, S2), two final inspections, release, shipment SH-1 in two cartons."""
    run = wd.run
    ok(run("partners", "update", "acme", "--po-acks"))
    ok(run("items", "add", "CATH-FG", "--description", "Catheter 7Fr 110cm", "--gtin", "00812345000016"))
    ok(run("items", "xref", "acme", "CATH-7F-110", "CATH-FG"))
    ok(run("items", "add", "TUBE-PX", "--description", "Pebax tubing", "--uom", "M"))
    bom = wd.root / "bom.csv"
    bom.write_text(BOM_CSV, encoding="utf-8")
    ok(run("ingest", "--partner", "acme", bom))
    shutil.copyfile(DATA / "gateway" / "acme-850-4010.x12", wd.root / "inbox" / "po.x12")
    ok(run("run", "--once"))
    (wd.root / "inbox" / "change.x12").write_text(CHANGE_860.format(isa13="000000201"))
    ok(run("run", "--once"))
    ok(run("lots", "record", "TUBE-PX", "TP-01", "--qty", "500", "--made", "2026-11-01", "--status", "released"))
    ok(run("lots", "record", "CATH-FG", "L2612", "--qty", "300", "--made", "2026-11-23", "--expires", "2029-11-30",
           "--po", PO, "--line", "1", "--serial", "S1", "--serial", "S2"))
    ok(run("lots", "consume", "L2612", "TP-01", "--qty", "360"))
    for characteristic, low, high, measured, unit, instrument in (("OD", "2.30", "2.40", "2.34", "mm", "MIC-7"),
                                                                  ("tensile", "15", "40", "22.5", "N", "TT-2")):
        ok(run("inspect", "L2612", "--stage", "final", "--characteristic", characteristic, "--lower", low,
               "--upper", high, "--measured", measured, "--unit", unit, "--inspector", "j.doe",
               "--instrument", instrument))
    ok(run("lots", "release", "L2612"))
    ok(run("ship", "create", "--partner", "acme", "--po", PO, "--line", "1", "--lot", "L2612", "--qty", "120",
           "--carrier", "UPSN", "--tracking", "1Z999", "--cartons", "2", "--number", "SH-1",
           "--gs1-prefix", "0812345"))
    ok(run("ship", "confirm", "SH-1"))


def trace_json(wd: Workdir, *args: str) -> dict:
    return json.loads(ok(wd.run("trace", *args, "--json")).out)


def test_trace_of_a_shipped_lot_tells_the_whole_story(workdir: Workdir) -> None:
    build_story(workdir)
    trace = trace_json(workdir, "L2612")

    assert (trace["lot"]["quantity"], trace["lot"]["status"], trace["lot"]["serials"]) == ("300", "released",
                                                                                          ["S1", "S2"])
    assert trace["udi"]["hri"] == "(01)00812345000016(17)291130(10)L2612"
    assert (trace["order"]["po_number"], trace["order"]["revision"]) == (PO, 2)
    assert [r["kind"] for r in trace["order"]["revisions"]] == ["booked", "change"]
    assert trace["order"]["revisions"][1]["source_ref"].startswith("isa:ZZ:ACMEMED:000000201")
    assert (trace["order_line"]["quantity"], trace["order_line"]["quantity_shipped"]) == ("300", "120")
    assert trace["bom_revision"]["revision"] == "A"
    assert [(c["item_number"], c["lot_number"], c["quantity"], c["uom"]) for c in trace["components"]] == [
        ("TUBE-PX", "TP-01", "360", "M")]
    assert [(i["characteristic"], i["lower_limit"], i["upper_limit"], i["measured"], i["result"], i["instrument"])
            for i in trace["inspections"]] == [("OD", "2.3", "2.4", "2.34", "pass", "MIC-7"),
                                               ("tensile", "15", "40", "22.5", "pass", "TT-2")]
    assert trace["verdict"]["passed"] is True and trace["nonconformances"] == []

    ssccs = [s["sscc"] for s in trace["shipments"]]
    assert [(s["shipment_number"], s["status"], s["quantity"]) for s in trace["shipments"]] == [
        ("SH-1", "shipped", "60"), ("SH-1", "shipped", "60")]
    assert len(set(ssccs)) == 2 and all(is_valid_sscc(s) for s in ssccs)

    inbound = [(m["set_id"], m["doc_ref"], m["status"]) for m in trace["messages"] if m["direction"] == "in"]
    assert inbound == [("850", PO, "acknowledged"), ("860", PO, "acknowledged")]
    answers = sorted(m["set_id"] for m in trace["messages"] if m["direction"] == "out")
    assert answers == ["855", "865", "997", "997"]
    assert all(m["doc_ref"] != "4500012346" for m in trace["messages"])  # the other PO of the same interchange
    assert trace["certificates"] == [] and trace["documents"] == []  # nothing built for the shipment yet

    component = trace_json(workdir, "TP-01")
    assert component["where_used"] == [{"item_number": "CATH-FG", "lot_number": "L2612", "status": "released"}]
    assert (component["order"], component["messages"]) == (None, [])


def test_trace_lists_the_documents_sent_for_the_lot(workdir: Workdir) -> None:
    build_story(workdir)
    config = workdir.config
    config.write_text(config.read_text() + OUTBOUND, encoding="utf-8")
    ctx = Context.open(load_settings(config))
    try:
        assert run_due(ctx)
    finally:
        ctx.close()
    trace = trace_json(workdir, "L2612", "--item", "CATH-FG")
    sent = {m["document"]: (m["about"], m["set_id"], m["kind"]) for m in trace["messages"] if m["document"]}
    assert sent == {"856": ("shipment SH-1", "856", "set"), "810": ("shipment SH-1", "810", "set"),
                    "863": ("lot L2612", "863", "set"), "certificate": ("lot L2612", None, "file")}
    assert sorted(c["document"] for c in trace["certificates"]) == ["863", "certificate"]
    assert sorted((d["kind"], d["status"]) for d in trace["documents"]) == [
        ("810", "created"), ("856", "created"), ("863", "created"), ("certificate", "created")]
    assert [i["invoice_number"] for i in trace["invoices"]] == ["SH-1"]

    table = ok(workdir.run("trace", "L2612")).out
    for piece in ("UDI (01)00812345000016(17)291130(10)L2612", "Order: acme PO 4500012345 (revision 2", "TP-01",
                  "tensile", "SH-1", trace["shipments"][0]["sscc"], "Certificates", "certificate", "860", "865"):
        assert piece in table, piece


def test_trace_names_the_item_when_lots_share_a_number_and_unknown_lots_are_not_found(workdir: Workdir) -> None:
    run = workdir.run
    for item in ("A-1", "B-1"):
        ok(run("items", "add", item, "--description", item))
        ok(run("lots", "record", item, "LOT-1", "--qty", "1"))
    shared = run("trace", "LOT-1")
    assert shared.code == 1 and "TRACE_LOT_AMBIGUOUS" in shared.err and "A-1, B-1" in shared.err
    assert trace_json(workdir, "LOT-1", "--item", "B-1")["item"]["item_number"] == "B-1"
    for args in (("L404",), ("LOT-1", "--item", "C-1")):
        missing = run("trace", *args)
        assert missing.code == 4 and "TRACE_LOT_UNKNOWN" in missing.err and "Traceback" not in missing.err
