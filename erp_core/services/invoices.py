"""Invoices of confirmed shipments at the orders' contract prices, and credit notes that correct them.

A shipment is invoiced at most once: the shipment row is locked while its invoice
is built (two invoicers queue), an existing invoice is refused with
``INVOICE_DUPLICATE``, and ``uq_erp_invoice_shipment_id`` backs both up. Sent
invoices are never edited; corrections are credit notes, for quantities of
invoiced lines (with their share of rated taxes) or a lump sum, and never for more
than the invoice still has open.

Open amount = total - credit notes - payments applied - terms discounts accepted.
The status follows from it (:func:`refresh_status`): ``paid`` once nothing is open
and something was paid, ``short_paid`` while something was paid but not all,
``cancelled`` when credit notes took the whole amount before any payment (a credit
note is how a sent invoice is cancelled), ``open`` otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from erp_core.inputs_shipping import ChargeInput, CreditLineInput, TermsInput
from erp_core.models import SalesOrder, SalesOrderLine
from erp_core.models_billing import Invoice, InvoiceCharge, InvoiceLine
from erp_core.models_shipping import Shipment, ShipmentLine
from erp_core.services._invoice_money import compute_totals, round_cents
from erp_core.services._invoice_records import invoice_record, invoices_of_shipments, tds_cents
from erp_core.services._invoice_settlement import Settlement, settlements
from erp_core.services._shipping_errors import InvoiceError

__all__ = [
    "Settlement",
    "create_credit_note",
    "create_invoice",
    "invoice_record",
    "invoices_of_shipments",
    "open_amount",
    "refresh_status",
    "settlements",
    "tds_cents",
]

_ZERO = Decimal("0.00")


def create_invoice(
    session: Session,
    shipment_id: int,
    terms: TermsInput | None = None,
    charges: Sequence[ChargeInput] = (),
    tax_rate: Decimal | None = None,
    *,
    invoice_number: str | None = None,
    invoice_date: date | None = None,
) -> Invoice:
    """Invoice a confirmed shipment; ``tax_rate`` (percent) adds a sales tax on the taxable base.

    ``invoice_number`` defaults to the shipment number, ``invoice_date`` to the ship date.
    """
    shipment = session.exec(select(Shipment).where(Shipment.id == shipment_id).with_for_update()).first()
    if shipment is None:
        raise InvoiceError.one("INVOICE_SHIPMENT_UNKNOWN", f"shipment id {shipment_id} does not exist")
    if shipment.status != "shipped":
        raise InvoiceError.one("INVOICE_NOT_SHIPPED", f"shipment {shipment.shipment_number} is {shipment.status}")
    if session.exec(select(Invoice.invoice_number).where(Invoice.shipment_id == shipment_id)).first():
        raise InvoiceError.one("INVOICE_DUPLICATE", f"shipment {shipment.shipment_number} is invoiced already")
    number = _invoice_number(invoice_number or shipment.shipment_number)
    billed, currency = _billed_lines(session, shipment_id)
    lines = [
        InvoiceLine(line_no=n, order_line_id=line.id, quantity=q, unit_price=line.unit_price, amount=a)  # type: ignore[arg-type]
        for n, (line, q, a) in enumerate(billed, start=1)
    ]
    if tax_rate is not None:
        charges = [*charges, ChargeInput(kind="tax", description="Sales tax", rate=tax_rate)]
    terms = terms or TermsInput()
    invoice = Invoice(
        invoice_number=number,
        partner_id=shipment.partner_id,
        kind="invoice",
        shipment_id=shipment.id,
        invoice_date=invoice_date or shipment.ship_date,
        currency=currency,
        terms_net_days=terms.net_days,
        terms_discount_percent=terms.discount_percent,
        terms_discount_days=terms.discount_days,
        **_amounts(sum((line.amount for line in lines), start=_ZERO), charges),
    )
    return _insert(session, invoice, lines, compute_totals(invoice.subtotal, charges).charges)


def create_credit_note(
    session: Session,
    invoice_id: int,
    *,
    invoice_number: str,
    reason: str,
    lines: Sequence[CreditLineInput] = (),
    amount: Decimal | None = None,
    credit_date: date | None = None,
) -> Invoice:
    """Credit quantities of invoiced lines (with their rated taxes) or a lump ``amount``, one or the other."""
    if bool(lines) == (amount is not None):
        raise InvoiceError.one("INVOICE_CREDIT_INVALID", "credit either invoiced lines or an amount")
    if not 1 <= len(reason.strip()) <= 255:
        raise InvoiceError.one("INVOICE_CREDIT_INVALID", "a credit note needs a reason of 1 to 255 characters")
    invoice = _lock_invoice(session, invoice_id)
    if invoice.kind != "invoice" or invoice.status == "cancelled":
        raise InvoiceError.one("INVOICE_CREDIT_INVALID", f"{invoice.invoice_number} is not an open invoice")
    if lines:
        credit_lines = _credit_lines(session, invoice, lines)
        subtotal = sum((line.amount for line in credit_lines), start=_ZERO)
        taxes = _rated_taxes(session, invoice.id)  # type: ignore[arg-type]
    else:
        credit_lines, subtotal, taxes = [], _lump_sum(amount), []  # type: ignore[arg-type]
    note = Invoice(
        invoice_number=_invoice_number(invoice_number),
        partner_id=invoice.partner_id,
        kind="credit_note",
        credit_of=invoice.id,
        invoice_date=credit_date or date.today(),
        currency=invoice.currency,
        reason=reason.strip(),
        **_amounts(subtotal, taxes),
    )
    available = open_amount(session, invoice)
    if note.total > available:
        raise InvoiceError.one(
            "INVOICE_CREDIT_EXCEEDS_OPEN",
            f"credit of {note.total} exceeds the {available} still open on {invoice.invoice_number}",
        )
    _insert(session, note, credit_lines, compute_totals(subtotal, taxes).charges)
    refresh_status(session, invoice)
    return note


def open_amount(session: Session, invoice: Invoice) -> Decimal:
    """What the customer still owes on ``invoice``."""
    settlement = settlements(session, [invoice.id]).get(invoice.id, Settlement())  # type: ignore[list-item, arg-type]
    return settlement.open_amount(invoice.total)


def refresh_status(session: Session, invoice: Invoice) -> str:
    """Set the invoice's status from its open amount (see the module docstring); returns it."""
    settlement = settlements(session, [invoice.id]).get(invoice.id, Settlement())  # type: ignore[list-item, arg-type]
    remaining = settlement.open_amount(invoice.total)
    if remaining <= 0:
        invoice.status = "paid" if settlement.paid > 0 else "cancelled"
    else:
        invoice.status = "short_paid" if settlement.paid > 0 else "open"
    session.add(invoice)
    session.flush()
    return invoice.status


def _lock_invoice(session: Session, invoice_id: int) -> Invoice:
    statement = select(Invoice).where(Invoice.id == invoice_id).with_for_update()
    invoice = session.exec(statement.execution_options(populate_existing=True)).first()
    if invoice is None:
        raise InvoiceError.one("INVOICE_UNKNOWN", f"invoice id {invoice_id} does not exist")
    return invoice


def _invoice_number(value: str) -> str:
    number = value.strip()
    if not 1 <= len(number) <= 22:
        raise InvoiceError.one("INVOICE_NUMBER_INVALID", f"invoice number {value!r} must be 1 to 22 characters")
    return number


def _lump_sum(amount: Decimal) -> Decimal:
    if not amount.is_finite() or amount <= 0 or round_cents(amount) != amount:
        raise InvoiceError.one("INVOICE_CREDIT_INVALID", f"credit amount {amount} must be positive whole cents")
    return round_cents(amount)


def _amounts(subtotal: Decimal, charges: Sequence[ChargeInput]) -> dict[str, Decimal]:
    totals = compute_totals(subtotal, charges)
    if totals.total < 0:
        raise InvoiceError.one("INVOICE_INVALID", f"discounts exceed the invoice ({totals.total})")
    return {
        "subtotal": totals.subtotal,
        "charges_total": totals.charges_total,
        "tax_total": totals.tax_total,
        "total": totals.total,
    }


def _billed_lines(session: Session, shipment_id: int) -> tuple[list[tuple[SalesOrderLine, Decimal, Decimal]], str]:
    """Per order line shipped: (line, quantity, amount), in PO and line order; and the one currency."""
    statement = (
        select(SalesOrderLine, SalesOrder.po_number, SalesOrder.currency, func.sum(ShipmentLine.quantity))
        .join(ShipmentLine, col(ShipmentLine.order_line_id) == SalesOrderLine.id)
        .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.order_id)
        .where(ShipmentLine.shipment_id == shipment_id)
        .group_by(col(SalesOrderLine.id), col(SalesOrder.po_number), col(SalesOrder.currency))
        .order_by(col(SalesOrder.po_number), col(SalesOrderLine.line_no))
    )
    rows = list(session.exec(statement))
    unpriced = [f"{po} line {line.line_no}" for line, po, _, _ in rows if line.unit_price is None]
    if unpriced:
        raise InvoiceError.one("INVOICE_NO_PRICE", f"no contract price on {', '.join(unpriced)}")
    currencies = {currency for _, _, currency, _ in rows}
    if len(currencies) != 1:
        raise InvoiceError.one("INVOICE_CURRENCY_MIXED", f"orders in several currencies: {sorted(currencies)}")
    billed = [(line, Decimal(q), round_cents(Decimal(q) * line.unit_price)) for line, _, _, q in rows]
    return billed, currencies.pop()


def _credit_lines(session: Session, invoice: Invoice, wanted: Sequence[CreditLineInput]) -> list[InvoiceLine]:
    """Credit note lines at the invoiced unit prices, within what is invoiced and not yet credited."""
    invoiced = {
        line.order_line_id: line
        for line in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    }
    credited: dict[int, Decimal] = defaultdict(Decimal)
    statement = (
        select(InvoiceLine.order_line_id, InvoiceLine.quantity)
        .join(Invoice, col(Invoice.id) == InvoiceLine.invoice_id)
        .where(Invoice.credit_of == invoice.id, Invoice.status != "cancelled")
    )
    for order_line_id, quantity in session.exec(statement):
        credited[order_line_id] += quantity
    lines = []
    for n, item in enumerate(wanted, start=1):
        line = invoiced.get(item.order_line_id)
        if line is None or credited[item.order_line_id] + item.quantity > line.quantity:
            raise InvoiceError.one(
                "INVOICE_CREDIT_INVALID",
                f"order line id {item.order_line_id}: {item.quantity} is more than invoiced and not yet credited",
            )
        credited[item.order_line_id] += item.quantity
        amount = round_cents(item.quantity * line.unit_price)
        lines.append(
            InvoiceLine(
                line_no=n,
                order_line_id=item.order_line_id,
                quantity=item.quantity,
                unit_price=line.unit_price,
                amount=amount,
            )
        )
    return lines


def _rated_taxes(session: Session, invoice_id: int) -> list[ChargeInput]:
    statement = select(InvoiceCharge).where(
        InvoiceCharge.invoice_id == invoice_id, InvoiceCharge.kind == "tax", col(InvoiceCharge.rate).is_not(None)
    )
    return [ChargeInput(kind="tax", description=c.description, rate=c.rate) for c in session.exec(statement)]


def _insert(session: Session, invoice: Invoice, lines: list[InvoiceLine], charges: Sequence[object]) -> Invoice:
    try:
        with session.begin_nested():
            session.add(invoice)
            session.flush()
            for line in lines:
                line.invoice_id = invoice.id  # type: ignore[assignment]
                session.add(line)
            for charge in charges:
                session.add(InvoiceCharge(invoice_id=invoice.id, **_fields(charge)))  # type: ignore[arg-type]
            session.flush()
    except IntegrityError as exc:  # the number, or the shipment, taken by a concurrent transaction
        raise InvoiceError.one(
            "INVOICE_DUPLICATE", f"invoice {invoice.invoice_number} or its shipment's invoice exists already"
        ) from exc
    return invoice


def _fields(charge: object) -> dict[str, object]:
    return {name: getattr(charge, name) for name in ("kind", "description", "amount", "rate")}
