"""The factory side through the command line: master data, lots, quality, MES files, shipping, billing.

Each test runs real commands on a scaffolded working directory (SQLite database, the
850 booked through the inbox) and checks what they wrote, their output and exit codes.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from support import DATA, CliResult, Workdir

from erp_core.db import make_engine
from erp_core.models_bom import Inventory, ItemRouting, WorkCentre
from erp_core.models_quality import Inspection, Lot
from erp_core.services.sscc import is_valid_sscc

PO = "4500012345"
PREFIX = "0812345"


def ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


def as_json(result: CliResult) -> object:
    return json.loads(ok(result).out)


@pytest.fixture
def engine(workdir: Workdir) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{workdir.root / 'data' / 'edipulse.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def factory(workdir: Workdir) -> Workdir:
    """The catheter CATH-FG (acme's CATH-7F-110) booked on PO 4500012345 line 1 (250 EA), a released tubing lot."""
    run = workdir.run
    ok(run("items", "add", "CATH-FG", "--description", "Catheter 7Fr", "--gtin", "00812345000016"))
    ok(run("items", "xref", "acme", "CATH-7F-110", "CATH-FG"))
    ok(run("items", "add", "TUBE-PX", "--description", "Pebax tubing", "--uom", "M"))
    shutil.copyfile(DATA / "gateway" / "acme-850-4010.x12", workdir.root / "inbox" / "po.x12")
    ok(run("run", "--once"))
    ok(run("lots", "record", "TUBE-PX", "TP-01", "--qty", "500", "--made", "2026-11-01", "--status", "released"))
    return workdir


def record_finished_lot(wd: Workdir, lot: str = "L2612", *extra: str) -> None:
    ok(wd.run("lots", "record", "CATH-FG", lot, "--qty", "200", "--made", "2026-11-23", "--expires", "2029-11-30",
              "--po", PO, "--line", "1", *extra))


def inspect_od(wd: Workdir, lot: str, measured: str) -> CliResult:
    return wd.run("inspect", lot, "--stage", "final", "--characteristic", "OD", "--lower", "2.30", "--upper",
                  "2.40", "--measured", measured, "--unit", "mm", "--inspector", "j.doe", "--instrument", "MIC-7")


def test_master_data_for_the_feasibility_check(workdir: Workdir, engine: Engine) -> None:
    run = workdir.run
    ok(run("items", "add", "CATH-FG", "--description", "Catheter 7Fr", "--gtin", "812345000016"))
    ok(run("workcentres", "add", "extr-1", "--capacity", "400", "--name", "Extrusion line 1"))
    ok(run("routing", "set", "CATH-FG", "EXTR-1", "--lead-days", "3"))
    ok(run("stock", "set", "CATH-FG", "25.5"))
    assert as_json(run("items", "--json")) == [
        {"item_number": "CATH-FG", "description": "Catheter 7Fr", "uom": "EA", "gtin": "00812345000016"}]
    with Session(engine) as session:
        assert session.exec(select(Inventory.on_hand)).one() == Decimal("25.5")
        centre = session.exec(select(WorkCentre)).one()
        assert (centre.code, centre.daily_capacity) == ("EXTR-1", Decimal(400))
        routing = session.exec(select(ItemRouting)).one()
        assert (routing.work_centre_id, routing.lead_time_days) == (centre.id, 3)

    again = run("items", "add", "CATH-FG", "--description", "again")
    assert again.code == 1 and again.err.startswith("error: EXISTS:")
    assert run("items", "xref", "nobody", "X-1", "CATH-FG").code == 4
    assert run("routing", "set", "CATH-FG", "NOPE").code == 4
    assert run("stock", "set", "NOPE", "1").code == 4
    bad_number = run("stock", "set", "CATH-FG", "lots")
    assert bad_number.code == 2 and "not a number" in bad_number.err
    negative = run("stock", "set", "CATH-FG", "--", "-1")
    assert negative.code == 1 and "INVENTORY_NEGATIVE" in negative.err
    bad_gtin = run("items", "add", "X-2", "--description", "x", "--gtin", "00812345000017")
    assert bad_gtin.code == 1 and bad_gtin.err.startswith("error: INPUT_INVALID: gtin")


def test_lots_record_consume_list_and_release_through_the_inspection_gate(factory: Workdir, engine: Engine) -> None:
    run = factory.run
    record_finished_lot(factory, "L2612", "--serial", "S-2", "--serial", "S-1")
    ok(run("lots", "consume", "L2612", "TP-01", "--qty", "240"))
    listed = as_json(run("lots", "list", "--item", "CATH-FG", "--json"))
    assert [(r["lot_number"], r["quantity"], r["status"], r["expires_on"]) for r in listed] == [  # type: ignore[union-attr]
        ("L2612", "200", "quarantined", "2029-11-30")]

    refused = run("lots", "release", "L2612")
    assert refused.code == 1 and "LOT_VERDICT_FAIL" in refused.err and "no final inspection" in refused.err
    assert ok(inspect_od(factory, "L2612", "2.34")).out.strip() == "lot L2612 OD: pass"
    ok(run("lots", "release", "L2612"))
    with Session(engine) as session:
        lot = session.exec(select(Lot).where(Lot.lot_number == "L2612")).one()
        assert (lot.status, lot.order_line_id is not None, lot.bom_revision_id) == ("released", True, None)
        inspection = session.exec(select(Inspection)).one()
        assert (inspection.instrument, inspection.measured, inspection.result) == ("MIC-7", Decimal("2.34"), "pass")

    too_much = run("lots", "consume", "L2612", "TP-01", "--qty", "261")
    assert too_much.code == 1 and "CONSUMPTION_EXCEEDS_LOT" in too_much.err
    assert run("lots", "release", "L404").code == 4
    assert run("lots", "record", "CATH-FG", "L 1", "--qty", "1").code == 1  # a space is not GS1 charset 82
    assert run("lots", "record", "CATH-FG", "L3", "--qty", "1", "--po", PO).code == 2
    wrong_line = run("lots", "record", "TUBE-PX", "TP-02", "--qty", "1", "--po", PO, "--line", "1")
    assert wrong_line.code == 1 and "LOT_ORDER_LINE_MISMATCH" in wrong_line.err
    assert run("lots", "record", "CATH-FG", "L4", "--qty", "1", "--po", "NOPE", "--line", "1").code == 4


def test_failed_result_alert_limits_and_nonconformances(factory: Workdir, engine: Engine) -> None:
    run = factory.run
    record_finished_lot(factory, "L2611")
    ok(run("alerts", "limit", "acme", "CATH-FG", "OD", "--lower", "2.32", "--upper", "2.38"))
    recorded = as_json(run("inspect", "L2611", "--stage", "final", "--characteristic", "OD", "--lower", "2.30",
                           "--upper", "2.40", "--measured", "2.39", "--inspector", "j.doe", "--json"))
    assert recorded["result"] == "pass"  # type: ignore[index]
    assert [a["kind"] for a in recorded["alerts"]] == ["limit"]  # type: ignore[index]
    assert ok(inspect_od(factory, "L2611", "2.45")).out.splitlines() == [
        "lot L2611 OD: fail", "alert for acme: lot L2611 final OD = 2.45 mm outside alert limits 2.32..2.38"]
    mismatch = run("inspect", "L2611", "--stage", "final", "--characteristic", "OD", "--lower", "2.30", "--upper",
                   "2.40", "--measured", "2.45", "--result", "pass", "--inspector", "j.doe")
    assert mismatch.code == 1 and "INSPECTION_RESULT_MISMATCH" in mismatch.err
    assert run("inspect", "L2611", "--stage", "bogus", "--characteristic", "OD", "--measured", "1",
               "--upper", "2", "--inspector", "x").code == 2

    ok(run("nc", "open", "L2611", "--number", "NCR-1", "--description", "OD out of spec", "--severity", "major"))
    pending = as_json(run("alerts", "list", "--json"))
    assert sorted(a["kind"] for a in pending) == ["limit", "limit", "nonconformance"]  # type: ignore[union-attr]
    ok(run("nc", "close", "NCR-1", "--disposition", "scrap"))
    again = run("nc", "close", "NCR-1", "--disposition", "scrap")
    assert again.code == 1 and "NC_ALREADY_CLOSED" in again.err
    assert run("nc", "close", "NCR-404", "--disposition", "scrap").code == 4
    with Session(engine) as session:
        assert session.exec(select(Lot.status).where(Lot.lot_number == "L2611")).one() == "rejected"


def test_mes_import_applies_a_whole_file_or_names_every_bad_row(factory: Workdir, tmp_path: object) -> None:
    run = factory.run
    good = factory.root / "mes-good.csv"
    good.write_text("record,item_number,lot_number,quantity,manufactured_on,serial,component_item_number,"
                    "component_lot_number\n"
                    "lot,CATH-FG,M-1,2,2026-11-20,,,\n"
                    "serial,CATH-FG,M-1,,,SN-9,,\n"
                    "consumption,CATH-FG,M-1,1.5,,,TUBE-PX,TP-01\n", encoding="utf-8")
    imported = as_json(run("mes", "import", good, "--json"))
    assert imported["status"] == "imported"  # type: ignore[index]
    assert imported["counts"] == {"lot": 1, "serial": 1, "consumption": 1, "inspection": 0,  # type: ignore[index]
                                  "nonconformance": 0}

    bad = factory.root / "mes-bad.json"
    bad.write_text(json.dumps([
        {"record": "lot", "item_number": "CATH-FG", "lot_number": "M-2", "quantity": 1},
        {"record": "lot", "item_number": "NOPE", "lot_number": "M-3", "quantity": 1},
        {"record": "inspection", "item_number": "CATH-FG", "lot_number": "M-2", "stage": "final",
         "characteristic": "OD", "measured": 1, "inspector": "x", "inspected_at": "2026-11-20T10:00:00Z"},
        {"record": "gizmo"},
    ]), encoding="utf-8")
    refused = run("mes", "import", bad)
    assert refused.code == 1
    assert "mes-bad.json: row 2: LOT_ITEM_UNKNOWN" in refused.err
    assert "mes-bad.json: row 3: INSPECTION_LIMITS_INVALID" in refused.err
    assert "mes-bad.json: row 4: MES_RECORD_UNKNOWN" in refused.err
    assert "3 row(s) refused; nothing was imported" in refused.err
    lots = as_json(run("lots", "list", "--json"))
    assert sorted(r["lot_number"] for r in lots) == ["M-1", "TP-01"]  # type: ignore[union-attr]
    assert run("mes", "import", factory.root / "missing.csv").code == 4
    empty = factory.root / "empty.csv"
    empty.write_text("")
    assert "MES_FILE_EMPTY" in run("mes", "import", empty).err


def test_ship_confirm_invoice_and_open_items(factory: Workdir, engine: Engine) -> None:
    run = factory.run
    record_finished_lot(factory, "L2612")
    ok(inspect_od(factory, "L2612", "2.34"))
    ok(run("lots", "release", "L2612"))
    ship = ["ship", "create", "--partner", "acme", "--po", PO, "--line", "1", "--lot", "L2612", "--qty", "120",
            "--carrier", "UPSN", "--tracking", "1Z999", "--cartons", "2", "--number", "SH-1"]
    no_prefix = run(*ship)
    assert no_prefix.code == 3 and "SHIP_SSCC_PREFIX_MISSING" in no_prefix.err
    drafted = as_json(run(*ship, "--gs1-prefix", PREFIX, "--json"))
    ssccs = [p["sscc"] for p in drafted["packages"]]  # type: ignore[index]
    assert len(ssccs) == 2 and all(is_valid_sscc(s) and s[1:8] == PREFIX for s in ssccs)
    assert [(line["quantity"], line["sscc"]) for line in drafted["lines"]] == [  # type: ignore[index]
        ("60", ssccs[0]), ("60", ssccs[1])]
    assert drafted["status"] == "draft" and drafted["tracking_number"] == "1Z999"  # type: ignore[index]
    over = run("ship", "create", "--partner", "acme", "--po", PO, "--line", "1", "--lot", "L2612", "--qty", "150",
               "--cartons", "0", "--number", "SH-2")
    assert over.code == 1 and "SHIP_" in over.err  # 120 drafted + 150 is more than the 250 ordered
    uneven = run(*ship[:-1], "SH-3", "--qty", "2.5")
    assert uneven.code == 2

    assert run("invoices", "create", "SH-1").code == 1  # a draft is not invoiced
    ok(run("ship", "confirm", "SH-1"))
    assert run("ship", "confirm", "SH-1").code == 1
    assert run("ship", "confirm", "SH-404").code == 4
    shipments = as_json(run("shipments", "--json"))
    assert [(s["shipment_number"], s["status"]) for s in shipments] == [("SH-1", "shipped")]  # type: ignore[union-attr]
    order = as_json(run("orders", "show", PO, "--json"))
    assert order["lines"][0]["quantity_shipped"] == "120"  # type: ignore[index]

    invoice = as_json(run("invoices", "create", "SH-1", "--net-days", "30", "--json"))
    assert (invoice["total"], invoice["status"]) == ("2250.00", "open")  # type: ignore[index]
    twice = run("invoices", "create", "SH-1")
    assert twice.code == 1 and "INVOICE_DUPLICATE" in twice.err
    assert [i["invoice_number"] for i in as_json(run("invoices", "--open", "--json"))] == ["SH-1"]  # type: ignore[union-attr]
    items = as_json(run("payments", "open-items", "--json"))
    assert [(i["item"], i["open_amount"]) for i in items] == [("invoice", "2250.00")]  # type: ignore[union-attr]
