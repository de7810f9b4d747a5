"""Order changes, schedules, BOMs and purchase-order acknowledgements through the gateway, end to end:
inbox file -> ledger -> ERP core -> 997 + 855/865 in outbox/."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select
from support import DATA, Workdir, messages

from edi.x12.model import TransactionSet
from edi.x12.reader import read_events
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from erp_core.db import make_engine
from erp_core.models import SalesOrder
from erp_core.services import items
from erp_core.services.boms import get_bom
from erp_core.services.forecasts import list_forecasts
from erp_core.services.order_history import order_detail

ROOT = Path(__file__).resolve().parents[1]
ISA = "ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *261121*1015*U*00401*{isa13}*0*P*>~\n"

CHANGE_860 = ISA + """GS*PC*ACMEMED*EDIPULSE*20261121*1015*201*X*004010~
ST*860*0001~
BCH*04*SA*4500012345**1*20261120~
POC*1*QI*300*300*EA*18.75**BP*CATH-7F-110*VP*CM-44810~
POC*3*DI*0*0*EA~
SE*5*0001~
GE*1*201~
IEA*1*{isa13}~
"""

BAD_CHANGE_860 = ISA + """GS*PC*ACMEMED*EDIPULSE*20261121*1015*202*X*004010~
ST*860*0001~
BCH*04*SA*9999999999**1*20261120~
POC*1*QI*300*300*EA*18.75**BP*CATH-7F-110~
SE*4*0001~
GE*1*202~
IEA*1*{isa13}~
"""


def _x12_sets(path: Path) -> list[TransactionSet]:
    return [e for e in read_events(path) if isinstance(e, TransactionSet)]


def _outbox(wd: Workdir, set_id: str) -> list[TransactionSet]:
    found = []
    for path in wd.outbox_files():
        found += [tx for tx in _x12_sets(path) if tx.id == set_id]
    return found


def _engine(wd: Workdir):  # noqa: ANN202
    return make_engine(f"sqlite:///{wd.root / 'data' / 'edipulse.db'}")


def _drop_text(wd: Workdir, name: str, text: str) -> None:
    (wd.root / "inbox" / name).write_text(text)


def test_order_then_change_gives_855_then_865_and_a_revision(workdir: Workdir) -> None:
    assert workdir.run("partners", "update", "acme", "--po-acks").code == 0
    shutil.copyfile(DATA / "gateway" / "acme-850-4010.x12", workdir.root / "inbox" / "po.x12")
    assert workdir.run("run", "--once").code == 0
    acks_855 = _outbox(workdir, "855")
    assert {tx.segments[1][3] for tx in acks_855} >= {"4500012345"}  # BAK03 echoes the PO
    for tx in acks_855:
        assert validate_set(tx, load_schema("855", tx.group.version)) == []

    _drop_text(workdir, "change.x12", CHANGE_860.format(isa13="000000201"))
    assert workdir.run("run", "--once").code == 0
    acks_865 = _outbox(workdir, "865")
    assert len(acks_865) == 1 and acks_865[0].segments[1][3] == "4500012345"
    poc = {s[1]: s[2] for s in acks_865[0].segments if s[0] == "POC"}
    assert poc == {"1": "QI", "2": "NC", "3": "DI"}  # what the 860 changed, line by line
    assert validate_set(acks_865[0], load_schema("865", "004010")) == []
    engine = _engine(workdir)
    with Session(engine) as session:
        detail = order_detail(session, "acme", "4500012345")
        assert detail is not None
        assert [r.kind for r in detail.revisions] == ["booked", "change"]
        lines = {line.buyer_line_ref: line for line in detail.lines}
        assert lines["1"].quantity == "300" and lines["3"].status == "cancelled"
        assert detail.revisions[1].source_ref.startswith("isa:ZZ:ACMEMED:000000201")
    engine.dispose()
    sets = {m["set_id"]: m["status"] for m in messages(workdir, "--kind", "set")}
    assert sets["860"] == "acknowledged"


def test_change_to_an_unknown_order_is_rejected_with_its_code_and_997(workdir: Workdir) -> None:
    _drop_text(workdir, "bad.x12", BAD_CHANGE_860.format(isa13="000000202"))
    assert workdir.run("run", "--once").code == 0
    rows = [m for m in messages(workdir, "--kind", "set") if m["set_id"] == "860"]
    assert rows[0]["status"] == "error" and rows[0]["error_code"] == "CHANGE_ORDER_UNKNOWN"
    ack = _outbox(workdir, "997")[0]
    assert ack.segments[3][:3] == ["AK5", "R", "5"] or any(s[:3] == ["AK5", "R", "5"] for s in ack.segments)


def test_planning_schedule_becomes_forecasts_and_a_new_one_supersedes(workdir: Workdir) -> None:
    text = (ROOT / "mappings" / "default" / "golden" / "md-830-4010.x12").read_text().replace(
        "MEDBUYER       ", "ACMEMED        ").replace("GS*PS*MEDBUYER", "GS*PS*ACMEMED")
    engine = _engine(workdir)
    with Session(engine) as session:
        items.add_item(session, "SY10-LL", description="Syringe 10 mL Luer-lock")
        items.add_item(session, "ECG-AG-50", description="ECG electrode, foam")
        session.commit()
    _drop_text(workdir, "fc1.x12", text)
    assert workdir.run("run", "--once").code == 0
    revised = text.replace("*000008301*", "*000008302*").replace("IEA*1*000008301", "IEA*1*000008302")
    revised = revised.replace("FC-2024-W11", "FC-2024-W12")
    first_fst = next(line for line in text.splitlines() if line.startswith("FST*"))
    quantity = first_fst.split("*")[1]
    revised = revised.replace(first_fst, first_fst.replace(f"FST*{quantity}*", f"FST*{int(quantity) + 40}*", 1), 1)
    _drop_text(workdir, "fc2.x12", revised)
    assert workdir.run("run", "--once").code == 0
    rows = [m for m in messages(workdir, "--kind", "set") if m["set_id"] == "830"]
    assert [r["status"] for r in rows] == ["acknowledged", "acknowledged"]
    with Session(engine) as session:
        current = list_forecasts(session, "acme")
        history = list_forecasts(session, "acme", include_history=True)
    engine.dispose()
    assert {f.item_number for f in current} == {"SY10-LL", "ECG-AG-50"}
    assert len(history) == 4 and all(f.reference == "FC-2024-W12" for f in current)
    syringe = next(f for f in current if f.item_number == "SY10-LL")
    assert syringe.supersedes is not None
    assert [d.change for d in syringe.delta] == [Decimal(40)] or [str(d.change) for d in syringe.delta] == ["40"]


def test_csv_bom_is_imported_as_a_revision(workdir: Workdir) -> None:
    source = ROOT / "mappings" / "default" / "csv" / "golden" / "handmade-bom-multilevel.csv"
    assert workdir.run("ingest", "--partner", "acme", source).code == 0
    engine = _engine(workdir)
    first_item = "PM-200-ASSY"  # the assembly the file describes
    with Session(engine) as session:
        bom = get_bom(session, first_item)
        assert bom is not None
        assert session.exec(select(SalesOrder)).all() == []
    engine.dispose()
    docs = messages(workdir, "--kind", "set")
    assert docs[0]["set_id"] == "CSV" and docs[0]["status"] == "booked"


def test_cli_orders_show_forecasts_and_boms(workdir: Workdir) -> None:
    import json

    shutil.copyfile(DATA / "gateway" / "acme-850-4010.x12", workdir.root / "inbox" / "po.x12")
    assert workdir.run("run", "--once").code == 0
    _drop_text(workdir, "change.x12", CHANGE_860.format(isa13="000000201"))
    assert workdir.run("run", "--once").code == 0
    shown = workdir.run("orders", "show", "4500012345", "--json")
    assert shown.code == 0, shown.err
    order = json.loads(shown.out)
    assert [r["kind"] for r in order["revisions"]] == ["booked", "change"]
    assert {m["set_id"] for m in order["messages"]} >= {"850", "860"}
    table = workdir.run("orders", "show", "4500012345")
    assert table.code == 0 and "Revisions" in table.out
    assert workdir.run("orders", "show", "NOPE").code == 4

    source = ROOT / "mappings" / "default" / "csv" / "golden" / "handmade-bom-multilevel.csv"
    assert workdir.run("ingest", "--partner", "acme", source).code == 0
    bom = json.loads(workdir.run("boms", "PM-200-ASSY", "--json").out)
    assert bom["components"] and bom["revisions"][0]["revision"]
    assert workdir.run("boms", "PM-200-ASSY").code == 0
    assert workdir.run("boms", "NO-SUCH-ITEM").code == 4
    forecasts = workdir.run("forecasts", "--json")
    assert forecasts.code == 0 and json.loads(forecasts.out) == []


def test_orders_show_lists_the_855_that_answered_the_order(workdir: Workdir) -> None:
    import json

    assert workdir.run("partners", "update", "acme", "--po-acks").code == 0
    shutil.copyfile(DATA / "gateway" / "acme-850-4010.x12", workdir.root / "inbox" / "po.x12")
    assert workdir.run("run", "--once").code == 0
    order = json.loads(workdir.run("orders", "show", "4500012345", "--json").out)
    sent = [(m["direction"], m["set_id"]) for m in order["messages"]]
    assert ("in", "850") in sent and ("out", "855") in sent


def test_shipping_schedule_862_becomes_a_firm_forecast(workdir: Workdir) -> None:
    text = (ROOT / "mappings" / "default" / "golden" / "md-862-5010.x12").read_text().replace(
        "MEDBUYER       ", "ACMEMED        ").replace("GS*SS*MEDBUYER", "GS*SS*ACMEMED")
    engine = _engine(workdir)
    with Session(engine) as session:
        for line in text.splitlines():
            if line.startswith("LIN*"):
                fields = line.rstrip("~").split("*")
                vendor_part = fields[fields.index("VP") + 1]
                items.add_item(session, vendor_part, description=f"item {vendor_part}")
        session.commit()
    _drop_text(workdir, "ss.x12", text)
    assert workdir.run("run", "--once").code == 0
    rows = [m for m in messages(workdir, "--kind", "set") if m["set_id"] == "862"]
    assert [r["status"] for r in rows] == ["acknowledged"]
    with Session(engine) as session:
        forecasts = list_forecasts(session, "acme")
    engine.dispose()
    assert forecasts and {f.kind for f in forecasts} == {"shipping"}
    assert all(b.commitment == "firm" for f in forecasts for b in f.buckets)
    assert any(_outbox(workdir, "999"))  # 005010: answered with a 999
