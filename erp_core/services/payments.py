"""Customer payments (X12 820 remittances) matched against our invoices, and the open items left.

Each remittance line names an invoice number. A number of one of the partner's
invoices (not a credit note, not cancelled, same currency) is *matched* when the
amount paid plus an accepted terms discount covers what was open, *short-paid*
otherwise; the invoice's status follows (:func:`erp_core.services.invoices.refresh_status`).
A number we cannot place stays *unmatched* with the number as given, for a person
to look at. A terms discount the partner takes is accepted only when paid within
the discount days and at most the discount the terms give; otherwise it is not
accepted and the line is short.

Applying is idempotent per (partner, trace number): the payment row's unique key is
taken first, inside a SAVEPOINT, so a second delivery of the same 820, even
concurrently (PostgreSQL makes the second insert wait for the first transaction),
comes back as ``duplicate`` with nothing changed. Invoices are locked while they
are matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from erp_core.inputs_shipping import RemittanceInput, RemittanceLineInput
from erp_core.models import Partner
from erp_core.models_billing import Invoice, Payment, PaymentApplication
from erp_core.services._invoice_money import terms_discount
from erp_core.services._invoice_records import invoice_summary, money
from erp_core.services._invoice_settlement import Settlement, settlements
from erp_core.services._shipping_errors import PaymentError
from erp_core.services.invoices import open_amount, refresh_status

__all__ = ["AppliedLine", "RemittanceResult", "apply_remittance", "open_items"]

RemittanceStatus = Literal["applied", "duplicate"]


@dataclass(frozen=True, slots=True)
class AppliedLine:
    """What one remittance line did; ``invoice_status`` is the invoice's status afterwards."""

    invoice_number: str
    status: str
    invoice_id: int | None
    amount_paid: Decimal
    discount_taken: Decimal
    invoice_status: str | None


@dataclass(frozen=True, slots=True)
class RemittanceResult:
    status: RemittanceStatus
    payment_id: int
    lines: tuple[AppliedLine, ...]


def apply_remittance(session: Session, data: RemittanceInput) -> RemittanceResult:
    """Record the payment and apply each line (see the module docstring)."""
    if session.get(Partner, data.partner_id) is None:
        raise PaymentError.one("PAY_PARTNER_UNKNOWN", f"partner {data.partner_id!r} does not exist")
    lines_total = sum((line.amount_paid for line in data.lines), start=Decimal(0))
    if lines_total != data.amount:
        raise PaymentError.one(
            "PAY_AMOUNT_MISMATCH", f"the payment is {data.amount} but its remittance lines add up to {lines_total}"
        )
    payment = Payment(
        partner_id=data.partner_id,
        trace_number=data.trace_number,
        payment_date=data.payment_date,
        amount=data.amount,
        currency=data.currency,
        method=data.method,
        message_ref=data.message_ref,
    )
    try:
        with session.begin_nested():
            session.add(payment)
    except IntegrityError:
        return _duplicate(session, data)
    applied = tuple(_apply_line(session, payment, n, line) for n, line in enumerate(data.lines, start=1))
    return RemittanceResult("applied", payment.id, applied)  # type: ignore[arg-type]


def open_items(session: Session, partner_id: str | None = None) -> list[dict[str, object]]:
    """Invoices with something still open, then unmatched payment lines, oldest first."""
    statement = select(Invoice).where(Invoice.kind == "invoice", col(Invoice.status).in_(("open", "short_paid")))
    if partner_id is not None:
        statement = statement.where(Invoice.partner_id == partner_id)
    invoices = list(session.exec(statement.order_by(col(Invoice.invoice_date), col(Invoice.id))))
    found = settlements(session, [i.id for i in invoices])  # type: ignore[misc]
    items: list[dict[str, object]] = []
    for invoice in invoices:
        settlement = found.get(invoice.id, Settlement())  # type: ignore[arg-type]
        if settlement.open_amount(invoice.total) > 0:
            items.append({"item": "invoice", **invoice_summary(invoice, settlement, None)})
    return items + _unmatched(session, partner_id)


def _unmatched(session: Session, partner_id: str | None) -> list[dict[str, object]]:
    statement = (
        select(PaymentApplication, Payment)
        .join(Payment, col(Payment.id) == PaymentApplication.payment_id)
        .where(PaymentApplication.status == "unmatched")
    )
    if partner_id is not None:
        statement = statement.where(Payment.partner_id == partner_id)
    rows = session.exec(statement.order_by(col(Payment.payment_date), col(PaymentApplication.id)))
    return [
        {
            "item": "unmatched_payment",
            "partner_id": payment.partner_id,
            "trace_number": payment.trace_number,
            "payment_date": payment.payment_date.isoformat(),
            "invoice_number": application.invoice_number,
            "amount_paid": money(application.amount_paid),
            "currency": payment.currency,
        }
        for application, payment in rows
    ]


def _apply_line(session: Session, payment: Payment, line_no: int, line: RemittanceLineInput) -> AppliedLine:
    invoice = _find_invoice(session, payment, line.invoice_number)
    application = PaymentApplication(
        payment_id=payment.id,  # type: ignore[arg-type]
        line_no=line_no,
        invoice_number=line.invoice_number,
        amount_paid=line.amount_paid,
        adjustment_amount=line.adjustment_amount,
        adjustment_reason=line.adjustment_reason,
        status="unmatched",
    )
    if invoice is not None:
        due = open_amount(session, invoice)
        application.invoice_id = invoice.id
        application.discount_taken = _accepted_discount(invoice, payment, line.discount_taken)
        covered = line.amount_paid + application.discount_taken >= due
        application.status = "matched" if covered else "short_paid"
    session.add(application)
    session.flush()
    invoice_status = refresh_status(session, invoice) if invoice is not None else None
    return AppliedLine(
        line.invoice_number,
        application.status,
        application.invoice_id,
        application.amount_paid,
        application.discount_taken,
        invoice_status,
    )


def _find_invoice(session: Session, payment: Payment, number: str) -> Invoice | None:
    statement = (
        select(Invoice)
        .where(
            Invoice.partner_id == payment.partner_id,
            Invoice.invoice_number == number.strip(),
            Invoice.kind == "invoice",
            Invoice.status != "cancelled",
            Invoice.currency == payment.currency,
        )
        .with_for_update()
    )
    return session.exec(statement.execution_options(populate_existing=True)).first()


def _accepted_discount(invoice: Invoice, payment: Payment, taken: Decimal) -> Decimal:
    """The discount taken, if the terms allow it on the payment date; otherwise none."""
    if taken <= 0 or invoice.terms_discount_days is None:
        return Decimal("0.00")
    in_time = payment.payment_date <= invoice.invoice_date + timedelta(days=invoice.terms_discount_days)
    allowed = terms_discount(invoice.subtotal, invoice.terms_discount_percent)
    return taken if in_time and taken <= allowed else Decimal("0.00")


def _duplicate(session: Session, data: RemittanceInput) -> RemittanceResult:
    payment = session.exec(
        select(Payment).where(Payment.partner_id == data.partner_id, Payment.trace_number == data.trace_number)
    ).one()
    rows = session.exec(
        select(PaymentApplication, Invoice.status)
        .outerjoin(Invoice, col(Invoice.id) == PaymentApplication.invoice_id)
        .where(PaymentApplication.payment_id == payment.id)
        .order_by(col(PaymentApplication.line_no))
    )
    lines = tuple(
        AppliedLine(a.invoice_number, a.status, a.invoice_id, a.amount_paid, a.discount_taken, status)
        for a, status in rows
    )
    return RemittanceResult("duplicate", payment.id, lines)  # type: ignore[arg-type]
