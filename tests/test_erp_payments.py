"""820 remittances applied to invoices on SQLite and PostgreSQL: paid, short-paid, unmatched, never twice."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from erp_fixtures import count
from erp_locks import wait_for_lock_wait
from erp_shipping_support import book, ship_line, shipped
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from erp_core.inputs_shipping import RemittanceInput, RemittanceLineInput, TermsInput
from erp_core.models_billing import Invoice, Payment, PaymentApplication
from erp_core.services._shipping_errors import PaymentError
from erp_core.services.invoices import create_credit_note, create_invoice
from erp_core.services.payments import RemittanceResult, apply_remittance, open_items

TERMS = TermsInput(net_days=30, discount_percent=Decimal(2), discount_days=10)


def two_invoices(session: Session) -> tuple[int, int]:
    """INV-1: 49.98 (4 gaskets, 2 widgets), INV-2: 27.50 (11 gaskets at 2.50), dated 2025-12-10, 2 % 10 net 30."""
    first = book(session, "PO-1")
    second = book(session, "PO-2", gasket=11)
    ids = []
    for number, lines in (
        ("INV-1", (ship_line(first[0], 4), ship_line(first[1], 2))),
        ("INV-2", (ship_line(second[0], 11),)),
    ):
        shipment_id = shipped(session, "SH-" + number, *lines)
        ids.append(create_invoice(session, shipment_id, TERMS, invoice_number=number).id)
    session.commit()
    return ids[0], ids[1]  # type: ignore[return-value]


def remittance(
    trace: str, *lines: tuple[str, str], paid_on: date = date(2025, 12, 30), **fields: object
) -> RemittanceInput:
    items = tuple(RemittanceLineInput(invoice_number=n, amount_paid=Decimal(a), **fields) for n, a in lines)  # type: ignore[arg-type]
    total = sum((i.amount_paid for i in items), start=Decimal(0))
    return RemittanceInput(
        partner_id="acme", trace_number=trace, payment_date=paid_on, amount=total, method="ACH", lines=items
    )


def statuses(session: Session, *invoice_ids: int) -> list[str]:
    session.expire_all()
    return [session.get(Invoice, i).status for i in invoice_ids]  # type: ignore[union-attr]


def test_paid_short_paid_and_unmatched_lines(session: Session) -> None:
    first, second = two_invoices(session)
    result = apply_remittance(
        session, remittance("TRN-1", ("INV-1", "49.98"), ("INV-2", "20.00"), ("INV-404", "5.00"), ("SH-INV-1", "1.00"))
    )
    session.commit()
    assert [(line.invoice_number, line.status, line.invoice_status) for line in result.lines] == [
        ("INV-1", "matched", "paid"),
        ("INV-2", "short_paid", "short_paid"),
        ("INV-404", "unmatched", None),
        ("SH-INV-1", "unmatched", None),  # a shipment number is not an invoice number
    ]
    assert statuses(session, first, second) == ["paid", "short_paid"]
    items = open_items(session, "acme")
    assert [(i["item"], i.get("invoice_number"), i.get("open_amount") or i.get("amount_paid")) for i in items] == [
        ("invoice", "INV-2", "7.50"),
        ("unmatched_payment", "INV-404", "5.00"),
        ("unmatched_payment", "SH-INV-1", "1.00"),
    ]
    # the deduction written off with a credit note settles the invoice
    create_credit_note(session, second, invoice_number="CN-1", reason="deduction accepted", amount=Decimal("7.50"))
    session.commit()
    assert statuses(session, second) == ["paid"]
    assert [i["item"] for i in open_items(session)] == ["unmatched_payment", "unmatched_payment"]
    assert open_items(session, "globex") == []


def test_terms_discount_is_accepted_only_in_time_and_up_to_the_terms(session: Session) -> None:
    first, second = two_invoices(session)
    # INV-1: 2 % of 49.98 = 1.00 taken on day 5: paid; INV-2: 2 % of 27.50 = 0.55, but 0.60 taken: short
    early = remittance("TRN-1", ("INV-1", "48.98"), paid_on=date(2025, 12, 15), discount_taken=Decimal("1.00"))
    greedy = remittance("TRN-2", ("INV-2", "26.90"), paid_on=date(2025, 12, 15), discount_taken=Decimal("0.60"))
    assert [ln.status for ln in apply_remittance(session, early).lines] == ["matched"]
    assert [ln.discount_taken for ln in apply_remittance(session, greedy).lines] == [Decimal(0)]
    session.commit()
    assert statuses(session, first, second) == ["paid", "short_paid"]
    late = remittance("TRN-3", ("INV-2", "0.05"), paid_on=date(2025, 12, 31), discount_taken=Decimal("0.55"))
    assert [(ln.status, ln.discount_taken) for ln in apply_remittance(session, late).lines] == [
        ("short_paid", Decimal(0))
    ]
    session.commit()
    assert [i["open_amount"] for i in open_items(session)] == ["0.55"]


def test_the_same_trace_number_is_applied_once(session: Session) -> None:
    first, _ = two_invoices(session)
    once = apply_remittance(session, remittance("TRN-1", ("INV-1", "20.00")))
    session.commit()
    again = apply_remittance(session, remittance("TRN-1", ("INV-1", "20.00")))
    session.commit()
    assert (once.status, again.status, again.payment_id) == ("applied", "duplicate", once.payment_id)
    assert [ln.status for ln in again.lines] == ["short_paid"]
    assert (count(session, Payment), count(session, PaymentApplication)) == (1, 1)
    assert [i["open_amount"] for i in open_items(session) if i.get("invoice_number") == "INV-1"] == ["29.98"]


def test_bad_remittances_are_refused_with_codes(session: Session) -> None:
    two_invoices(session)
    mismatched = remittance("TRN-1", ("INV-1", "10.00")).model_copy(update={"amount": Decimal("11.00")})
    with pytest.raises(PaymentError, match="PAY_AMOUNT_MISMATCH"):
        apply_remittance(session, mismatched)
    with pytest.raises(PaymentError, match="PAY_PARTNER_UNKNOWN"):
        apply_remittance(session, remittance("TRN-1", ("INV-1", "1.00")).model_copy(update={"partner_id": "nobody"}))
    with pytest.raises(ValidationError, match="two decimal places"):
        RemittanceLineInput(invoice_number="INV-1", amount_paid=Decimal("1.005"))
    with pytest.raises(ValidationError):
        RemittanceLineInput(invoice_number="INV-1", amount_paid=Decimal(-1))
    assert count(session, Payment) == 0


@pytest.mark.postgres
def test_the_same_remittance_in_two_sessions_is_applied_once(session: Session, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises whole transactions; the concurrent insert is PostgreSQL's")
    two_invoices(session)
    outcome: list[RemittanceResult] = []

    def second() -> None:
        with Session(engine) as other:
            outcome.append(apply_remittance(other, remittance("TRN-1", ("INV-1", "49.98"))))
            other.commit()

    with Session(engine) as first:
        mine = apply_remittance(first, remittance("TRN-1", ("INV-1", "49.98")))
        thread = threading.Thread(target=second)
        thread.start()
        wait_for_lock_wait(engine)
        first.commit()
        thread.join(timeout=60)
    assert (mine.status, [r.status for r in outcome]) == ("applied", ["duplicate"])
    assert (count(session, Payment), count(session, PaymentApplication)) == (1, 1)
