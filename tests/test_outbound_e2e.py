"""End to end: an 850 booked through the inbox, a lot inspected and shipped through the ERP core,
then the gateway's outbound run: a valid 856, an 863, a PDF certificate and an 810 in outbox/."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from outbound_doc_support import OUTBOUND, inspect, valid_sets
from pypdf import PdfReader
from sqlmodel import Session, select
from support import Workdir, messages

from erp_core.inputs_quality import LotInput
from erp_core.inputs_shipping import PackageInput, ShipmentInput, ShipmentLineInput
from erp_core.models_billing import Invoice
from erp_core.services import items, lots
from erp_core.services.invoices import invoice_record
from erp_core.services.shipments import confirm_shipment, create_shipment
from gateway.context import Context
from gateway.outbound.documents import run_due
from gateway.settings import load_settings

ORDER_850 = (
    "ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *261120*1015*U*00401*000000301*0*P*>~\n"
    """GS*PO*ACMEMED*EDIPULSE*20261120*1015*301*X*004010~
ST*850*0001~
BEG*00*SA*4500077001**20261120~
N1*ST*ACME MEDICAL DC WEST*92*DC-WEST~
N4*SAN DIEGO*CA*92121*US~
N1*BT*ACME MEDICAL INC*92*ACME-AP~
PO1*1*6*EA*12.50**BP*ACME-W1*UK*00036000291452~
CTT*1~
SE*8*0001~
GE*1*301~
IEA*1*000000301~
""")


def _configure(wd: Workdir) -> Context:
    text = wd.config.read_text()
    outbound = "\n".join(f"    {line}" for line in _yaml(OUTBOUND).splitlines())
    wd.config.write_text(f"{text}outbound:\n  acme:\n{outbound}\n")
    return Context.open(load_settings(wd.config))


def _ship_inspected_lot(ctx: Context, lot_number: str, shipment_number: str) -> None:
    """Record a released lot of six WIDGET-1, inspect it and ship all of it against PO line 1 (confirmed)."""
    with Session(ctx.engine) as session:
        lots.record_lot(session, LotInput(item_number="WIDGET-1", lot_number=lot_number, quantity=Decimal(6),
                                          manufactured_on=date(2025, 12, 1), expires_on=date(2027, 12, 31),
                                          status="released"))
        session.commit()
        inspect(session, lot_number)
        shipment = create_shipment(session, ShipmentInput(
            shipment_number=shipment_number, partner_id="acme", ship_date=date(2025, 12, 10), carrier_scac="UPSN",
            sscc_company_prefix="0614141", packages=(PackageInput(ref="C1", level="carton"),),
            lines=(ShipmentLineInput(po_number="4500077001", line_no=1, lot_number=lot_number, quantity=Decimal(6),
                                     package_ref="C1"),)))
        confirm_shipment(session, shipment.id)  # type: ignore[arg-type]
        session.commit()


def _yaml(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def test_shipment_to_856_863_pdf_and_810_in_the_outbox(workdir: Workdir) -> None:
    ctx = _configure(workdir)
    try:
        with Session(ctx.engine) as session:
            items.add_item(session, "WIDGET-1", description="Widget, sterile", gtin="00036000291452")
            session.commit()
        (workdir.root / "inbox" / "po.x12").write_text(ORDER_850)
        assert workdir.run("run", "--once").code == 0  # the 850 is booked through the inbox
        _ship_inspected_lot(ctx, "L-77", "SH-77")
        assert len(run_due(ctx)) == 2  # the interchange and the PDF
        assert workdir.run("run", "--once").code == 0  # delivered to outbox/
        files = workdir.outbox_files()
        x12 = [p for p in files if p.name.startswith("856-863-810")]
        pdf = [p for p in files if p.suffix == ".pdf"]
        assert len(x12) == 1 and [p.name for p in pdf] == ["certificate-L-77.pdf"]
        sets = {tx.id: tx for tx in valid_sets(x12[0].read_bytes())}
        notice = sets["856"].segments
        assert [s[3] for s in notice if s[0] == "HL"] == ["S", "O", "P", "I"]
        assert [s[2] for s in notice if s[0] == "HL"] == ["", "1", "2", "3"]  # parent links
        assert any(s[0] == "MAN" and s[1] == "GM" and len(s[2]) == 20 for s in notice)  # SSCC
        lin = next(s for s in notice if s[0] == "LIN")
        assert "00036000291452" in lin and lin[-2:] == ["LT", "L-77"]
        assert ["DTM", "036", "20271231"] in notice
        assert "863" in sets
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf[0].read_bytes())).pages).split())
        for expected in ("4500077001", "L-77", "00036000291452", "PASS"):
            assert expected in text, expected
        with Session(ctx.engine) as session:
            invoice = session.exec(select(Invoice)).one()
            tds = invoice_record(session, invoice.id)["tds"]["total"]  # type: ignore[index]
        assert int(next(s for s in sets["810"].segments if s[0] == "TDS")[1]) == tds
        assert run_due(ctx) == []  # run again: nothing new
        listed = messages(workdir, "--kind", "set")
        out_sets = {m["set_id"]: m["status"] for m in listed if m["direction"] == "out"}
        assert out_sets == {"856": "awaiting-fa", "863": "awaiting-fa", "810": "awaiting-fa"}
        files_out = [m for m in messages(workdir, "--kind", "file") if m["direction"] == "out"]
        assert [m["status"] for m in files_out] == ["sent"]
    finally:
        ctx.close()


def test_one_scheduler_run_sends_the_documents_once(workdir: Workdir) -> None:
    ctx = _configure(workdir)
    with workdir.config.open("a") as config:
        config.write("schedule:\n  jobs:\n"
                     "    - {name: poll, job: poll, every_seconds: 5}\n"
                     "    - {name: documents, job: outbound, cron: '* * * * *',"
                     " documents: [856, 863, certificate, 810]}\n")
    try:
        with Session(ctx.engine) as session:
            items.add_item(session, "WIDGET-1", description="Widget, sterile", gtin="00036000291452")
            session.commit()
        (workdir.root / "inbox" / "po.x12").write_text(ORDER_850)
        first = workdir.run("run", "--once")
        assert first.code == 0 and "documents: ok" in first.out, first.out + first.err
        _ship_inspected_lot(ctx, "L-78", "SH-78")
        with Session(ctx.engine) as session:  # the cron job ran a minute ago: make it due again
            from gateway.scheduler.models import SchedulerJob

            job = session.get(SchedulerJob, "documents")
            assert job is not None and job.last_started_at is not None
            job.last_started_at = job.last_started_at.replace(year=job.last_started_at.year - 1)
            session.add(job)
            session.commit()
        second = workdir.run("run", "--once")
        assert second.code == 0, second.err
        names = sorted(p.name for p in workdir.outbox_files())
        assert any(n.startswith("856-863-810") for n in names) and "certificate-L-78.pdf" in names
        third = workdir.run("run", "--once")  # the cron job is not due again; nothing new either way
        assert third.code == 0 and sorted(p.name for p in workdir.outbox_files()) == names
        assert run_due(ctx) == []
    finally:
        ctx.close()
