"""Invoices of shipments and credit notes, on SQLite and PostgreSQL: prices, charges, TDS cents, never twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from erp_fixtures import count
from erp_shipping_support import book, ship_line, shipment, shipped
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from erp_core.inputs_shipping import ChargeInput, CreditLineInput, TermsInput
from erp_core.models import SalesOrderLine
from erp_core.models_billing import Invoice
from erp_core.services._shipping_errors import InvoiceError, ShippingError
from erp_core.services.invoices import (
    create_credit_note,
    create_invoice,
    invoice_record,
    invoices_of_shipments,
    open_amount,
)
from erp_core.services.shipments import cancel_shipment, create_shipment
from erp_core.types import utc_now

TERMS = TermsInput(net_days=30, discount_percent=Decimal(2), discount_days=10)
CHARGES = (
    ChargeInput(kind="freight", description="Freight", amount=Decimal("12.50")),
    ChargeInput(kind="discount", description="Volume discount", rate=Decimal(5)),
)


def invoiced(session: Session) -> tuple[int, int, tuple[int, int]]:
    """SH-1 (4 gaskets at 2.50, 2 widgets at 19.99) shipped and invoiced; (shipment, invoice, line ids)."""
    lines = book(session)
    shipment_id = shipped(session, "SH-1", ship_line(lines[0], 4), ship_line(lines[1], 2))
    invoice = create_invoice(session, shipment_id, TERMS, CHARGES, tax_rate=Decimal("8.25"))
    invoice_id: int = invoice.id  # type: ignore[assignment]
    session.commit()
    return shipment_id, invoice_id, lines


def test_invoice_prices_charges_tax_and_tds_cents(session: Session) -> None:
    _, invoice_id, _ = invoiced(session)
    record = invoice_record(session, invoice_id)
    assert [(ln["order_line_no"], ln["quantity"], ln["unit_price"], ln["amount"]) for ln in record["lines"]] == [  # type: ignore[attr-defined]
        (1, "4", "2.5", "10.00"),
        (2, "2", "19.99", "39.98"),
    ]
    assert record["lines"][1]["gtin"] == "00036000291452"  # type: ignore[index]
    # discount 5 % of 49.98 = 2.499 -> 2.50; tax 8.25 % of (49.98 + 12.50 - 2.50) = 4.94835 -> 4.95
    assert [(c["kind"], c["amount"], c["rate"]) for c in record["charges"]] == [  # type: ignore[attr-defined]
        ("freight", "12.50", None),
        ("discount", "2.50", "5"),
        ("tax", "4.95", "8.25"),
    ]
    assert (record["subtotal"], record["charges_total"], record["tax_total"], record["total"]) == (
        "49.98",
        "10.00",
        "4.95",
        "64.93",
    )
    # TDS: total, amount subject to the 2 % terms discount, total after it, the discount (0.9996 -> 1.00)
    assert record["tds"] == {"total": 6493, "discountable": 4998, "discounted_total": 6393, "terms_discount": 100}
    assert (record["invoice_number"], record["shipment_number"], record["invoice_date"]) == (
        "SH-1",
        "SH-1",
        "2025-12-10",
    )
    assert (record["due_date"], record["status"], record["open_amount"]) == ("2026-01-09", "open", "64.93")


def test_a_shipment_is_never_invoiced_twice(session: Session) -> None:
    shipment_id, invoice_id, lines = invoiced(session)
    with pytest.raises(InvoiceError) as error:
        create_invoice(session, shipment_id, invoice_number="OTHER-1")
    assert error.value.code == "INVOICE_DUPLICATE"
    with pytest.raises(ShippingError, match="SHIP_INVOICED"):
        cancel_shipment(session, shipment_id)
    session.rollback()
    # the database refuses it too, whatever the code path
    with (
        pytest.raises(IntegrityError, match="uq_erp_invoice_shipment_id|erp_invoice.shipment_id"),
        session.begin_nested(),
    ):
        session.connection().execute(
            insert(Invoice.__table__).values(  # type: ignore[arg-type]
                invoice_number="RAW-1",
                partner_id="acme",
                kind="invoice",
                shipment_id=shipment_id,
                invoice_date=date(2025, 12, 11),
                currency="USD",
                subtotal=0,
                charges_total=0,
                tax_total=0,
                total=0,
                status="open",
                created_at=utc_now(),
            )
        )
    session.rollback()
    assert count(session, Invoice) == 1


def test_refusals_before_anything_is_written(session: Session) -> None:
    gasket, widget = book(session)
    draft = create_shipment(session, shipment("SH-D", ship_line(gasket, 1)))
    with pytest.raises(InvoiceError, match="INVOICE_NOT_SHIPPED"):
        create_invoice(session, draft.id)  # type: ignore[arg-type]
    with pytest.raises(InvoiceError, match="INVOICE_SHIPMENT_UNKNOWN"):
        create_invoice(session, 999_999)
    unpriced = session.get(SalesOrderLine, widget)
    unpriced.unit_price = None  # type: ignore[union-attr]
    session.add(unpriced)
    shipment_id = shipped(session, "SH-2", ship_line(widget, 1))
    with pytest.raises(InvoiceError, match="INVOICE_NO_PRICE"):
        create_invoice(session, shipment_id)
    session.rollback()
    with pytest.raises(InvoiceError, match="INVOICE_NUMBER_INVALID"):
        create_invoice(session, shipment_id, invoice_number="X" * 23)
    assert count(session, Invoice) == 0


def test_credit_notes_by_lines_and_by_amount_never_exceed_what_is_open(session: Session) -> None:
    shipment_id, invoice_id, (gasket, widget) = invoiced(session)
    note = create_credit_note(
        session,
        invoice_id,
        invoice_number="CN-1",
        reason="one widget damaged",
        lines=[CreditLineInput(order_line_id=widget, quantity=Decimal(1))],
        credit_date=date(2025, 12, 15),
    )
    session.commit()
    record = invoice_record(session, note.id)  # type: ignore[arg-type]
    # 19.99 plus its 8.25 % tax (1.649 -> 1.65)
    assert (record["kind"], record["subtotal"], record["tax_total"], record["total"]) == (
        "credit_note",
        "19.99",
        "1.65",
        "21.64",
    )
    assert (record["credit_of_number"], record["reason"], record["tds"]["total"]) == (
        "SH-1",
        "one widget damaged",
        2164,
    )  # type: ignore[index]
    invoice = session.get(Invoice, invoice_id)
    assert (open_amount(session, invoice), invoice.status) == (Decimal("43.29"), "open")  # type: ignore[arg-type, union-attr]
    with pytest.raises(InvoiceError, match="INVOICE_CREDIT_INVALID"):  # only one widget left to credit
        create_credit_note(
            session,
            invoice_id,
            invoice_number="CN-2",
            reason="x",
            lines=[CreditLineInput(order_line_id=widget, quantity=Decimal(2))],
        )
    with pytest.raises(InvoiceError, match="INVOICE_CREDIT_EXCEEDS_OPEN"):
        create_credit_note(session, invoice_id, invoice_number="CN-2", reason="x", amount=Decimal("43.30"))
    with pytest.raises(InvoiceError, match="INVOICE_CREDIT_INVALID"):
        create_credit_note(session, invoice_id, invoice_number="CN-2", reason="x")
    create_credit_note(session, invoice_id, invoice_number="CN-2", reason="cancel the rest", amount=Decimal("43.29"))
    session.commit()
    assert session.get(Invoice, invoice_id).status == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(InvoiceError, match="INVOICE_CREDIT_INVALID"):
        create_credit_note(session, invoice_id, invoice_number="CN-3", reason="x", amount=Decimal("1.00"))
    trace = invoices_of_shipments(session, [shipment_id])
    assert [(t["invoice_number"], t["kind"], t["shipment_number"]) for t in trace] == [
        ("SH-1", "invoice", "SH-1"),
        ("CN-1", "credit_note", "SH-1"),
        ("CN-2", "credit_note", "SH-1"),
    ]
    assert invoice_record(session, invoice_id)["credit_notes"] == ["CN-1", "CN-2"]
