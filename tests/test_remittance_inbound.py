"""Inbound 820 remittances through the gateway: applied to our invoices in the ERP core, refusals coded."""

from __future__ import annotations

from decimal import Decimal

from erp_fixtures import make_order
from erp_shipping_support import carton, ship_line, shipment
from sqlmodel import Session, select
from support import Workdir, messages

from erp_core.db import make_engine
from erp_core.inputs_shipping import TermsInput
from erp_core.models import SalesOrderLine
from erp_core.models_billing import Invoice, Payment
from erp_core.services import booking, items
from erp_core.services.invoices import create_invoice
from erp_core.services.shipments import confirm_shipment, create_shipment

REMITTANCE = """ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *260105*1200*U*00401*{isa13}*0*P*>~
GS*RA*ACMEMED*EDIPULSE*20260105*1200*{isa13}*X*004010~
ST*820*0001~
BPR*C*{amount}*C*ACH************20260105~
TRN*1*{trace}*1234567890~
N1*PR*ACME MEDICAL*92*ACME~
ENT*1~
RMR*IV*{invoice}*PI*{paid}~
SE*7*0001~
GE*1*{isa13}~
IEA*1*{isa13}~
"""


def _invoice(wd: Workdir) -> str:
    """An invoice of 5 x 12.345678 rounded -> one shipment of acme's PO-1 line 1 (GASKET-7)."""
    engine = make_engine(f"sqlite:///{wd.root / 'data' / 'edipulse.db'}")
    with Session(engine) as session:
        items.add_item(session, "GASKET-7", description="Gasket 7mm")
        items.add_xref(session, "acme", "ACME-G7", "GASKET-7")
        booking.book_orders(session, [make_order("PO-1", lines=1)])
        line_id = session.exec(select(SalesOrderLine.id)).one()
        shipment_id = create_shipment(session, shipment("SH-1", ship_line(line_id, "1.5", package_ref="C1"),
                                                        packages=(carton("C1"),))).id
        confirm_shipment(session, shipment_id)  # type: ignore[arg-type]
        invoice = create_invoice(session, shipment_id, TermsInput(net_days=30))  # type: ignore[arg-type]
        session.commit()
        number, total = invoice.invoice_number, invoice.total
    engine.dispose()
    assert total == Decimal("18.52")
    return number


def _drop(wd: Workdir, name: str, **values: str) -> None:
    (wd.root / "inbox" / name).write_text(REMITTANCE.format(**values))
    assert wd.run("run", "--once").code == 0


def _status(wd: Workdir) -> tuple[str, int]:
    engine = make_engine(f"sqlite:///{wd.root / 'data' / 'edipulse.db'}")
    with Session(engine) as session:
        status = session.exec(select(Invoice.status)).one()
        payments = len(session.exec(select(Payment.id)).all())
    engine.dispose()
    return status, payments


def _sets_820(wd: Workdir) -> list[dict]:
    return [m for m in messages(wd, "--kind", "set") if m["set_id"] == "820"]


def test_820_pays_the_invoice_and_a_resend_is_a_duplicate(workdir: Workdir) -> None:
    number = _invoice(workdir)
    _drop(workdir, "pay.x12", isa13="000000501", amount="18.52", trace="EFT-1", invoice=number, paid="18.52")
    assert _status(workdir) == ("paid", 1)
    (row,) = _sets_820(workdir)
    assert row["status"] == "acknowledged" and row["ack_code"] == "A"
    _drop(workdir, "again.x12", isa13="000000502", amount="18.52", trace="EFT-1", invoice=number, paid="18.52")
    newest = _sets_820(workdir)[0]
    assert (newest["status"], newest["error_code"]) == ("duplicate", "PAY_DUPLICATE")
    assert _status(workdir) == ("paid", 1)


def test_short_payment_and_coded_refusals(workdir: Workdir) -> None:
    number = _invoice(workdir)
    _drop(workdir, "short.x12", isa13="000000601", amount="10.00", trace="EFT-2", invoice=number, paid="10.00")
    assert _status(workdir) == ("short_paid", 1)
    _drop(workdir, "bad.x12", isa13="000000602", amount="99.00", trace="EFT-3", invoice=number, paid="10.00")
    newest = _sets_820(workdir)[0]
    assert (newest["status"], newest["error_code"], newest["ack_code"]) == ("error", "PAY_AMOUNT_MISMATCH", "R")
    assert _status(workdir) == ("short_paid", 1)


def test_unknown_invoice_is_recorded_unmatched_not_refused(workdir: Workdir) -> None:
    _invoice(workdir)
    _drop(workdir, "other.x12", isa13="000000701", amount="5.00", trace="EFT-4", invoice="NOT-OURS", paid="5.00")
    assert _sets_820(workdir)[0]["status"] == "acknowledged"
    assert _status(workdir) == ("open", 1)
