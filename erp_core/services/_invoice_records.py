"""Invoices and credit notes as JSON-ready data: CLI listings, the 810 mapping, the lot trace.

Amounts are decimal strings with two places (``"12.50"``); ``tds`` repeats the
totals as integer cents, the implied-decimal form X12 TDS carries.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from erp_core.models import Item, SalesOrder, SalesOrderLine
from erp_core.models_billing import Invoice, InvoiceCharge, InvoiceLine
from erp_core.models_shipping import Shipment
from erp_core.services._bom_lines import format_quantity
from erp_core.services._invoice_money import CENT, terms_discount, to_cents
from erp_core.services._invoice_settlement import Settlement, settlements
from erp_core.services._shipping_errors import InvoiceError


def money(value: Decimal) -> str:
    return f"{value.quantize(CENT):f}"


def tds_cents(invoice: Invoice) -> dict[str, int]:
    """TDS01..TDS04 as integer cents: total, amount subject to the terms discount, total less
    that discount, and the discount itself (the last three equal the total / zero without terms)."""
    discount = terms_discount(invoice.subtotal, invoice.terms_discount_percent)
    return {
        "total": to_cents(invoice.total),
        "discountable": to_cents(invoice.subtotal),
        "discounted_total": to_cents(invoice.total - discount),
        "terms_discount": to_cents(discount),
    }


def invoice_summary(invoice: Invoice, settlement: Settlement, shipment_number: str | None) -> dict[str, object]:
    """The header of an invoice or credit note with its open amount."""
    net_due = None
    if invoice.terms_net_days is not None:
        net_due = (invoice.invoice_date + timedelta(days=invoice.terms_net_days)).isoformat()
    return {
        "id": invoice.id,
        "invoice_number": invoice.invoice_number,
        "kind": invoice.kind,
        "partner_id": invoice.partner_id,
        "shipment_id": invoice.shipment_id,
        "shipment_number": shipment_number,
        "credit_of": invoice.credit_of,
        "invoice_date": invoice.invoice_date.isoformat(),
        "due_date": net_due,
        "currency": invoice.currency,
        "terms": {
            "net_days": invoice.terms_net_days,
            "discount_percent": None
            if invoice.terms_discount_percent is None
            else format_quantity(invoice.terms_discount_percent),
            "discount_days": invoice.terms_discount_days,
        },
        "subtotal": money(invoice.subtotal),
        "charges_total": money(invoice.charges_total),
        "tax_total": money(invoice.tax_total),
        "total": money(invoice.total),
        "open_amount": money(settlement.open_amount(invoice.total)) if invoice.kind == "invoice" else None,
        "status": invoice.status,
        "reason": invoice.reason,
        "message_ref": invoice.message_ref,
    }


def invoice_record(session: Session, invoice_id: int) -> dict[str, object]:
    """An invoice or credit note with its lines, charges, TDS cents and credit notes."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise InvoiceError.one("INVOICE_UNKNOWN", f"invoice id {invoice_id} does not exist")
    shipment = session.get(Shipment, invoice.shipment_id) if invoice.shipment_id is not None else None
    settlement = settlements(session, [invoice_id]).get(invoice_id, Settlement())
    charges = session.exec(
        select(InvoiceCharge).where(InvoiceCharge.invoice_id == invoice_id).order_by(col(InvoiceCharge.id))
    )
    credit_notes = session.exec(
        select(Invoice.invoice_number).where(Invoice.credit_of == invoice_id).order_by(col(Invoice.id))
    )
    credited = session.get(Invoice, invoice.credit_of) if invoice.credit_of is not None else None
    return {
        **invoice_summary(invoice, settlement, shipment.shipment_number if shipment else None),
        "credit_of_number": credited.invoice_number if credited is not None else None,
        "lines": _line_records(session, invoice_id),
        "charges": [
            {
                "kind": c.kind,
                "description": c.description,
                "amount": money(c.amount),
                "rate": None if c.rate is None else format_quantity(c.rate),
            }
            for c in charges
        ],
        "tds": tds_cents(invoice),
        "credit_notes": list(credit_notes),
    }


def _line_records(session: Session, invoice_id: int) -> list[dict[str, object]]:
    statement = (
        select(InvoiceLine, SalesOrderLine, SalesOrder.po_number, Item)
        .join(SalesOrderLine, col(SalesOrderLine.id) == InvoiceLine.order_line_id)
        .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.order_id)
        .outerjoin(Item, col(Item.id) == SalesOrderLine.item_id)
        .where(InvoiceLine.invoice_id == invoice_id)
        .order_by(col(InvoiceLine.line_no))
    )
    return [
        {
            "line_no": billed.line_no,
            "order_line_id": line.id,
            "po_number": po_number,
            "order_line_no": line.line_no,
            "buyer_line_ref": line.buyer_line_ref,
            "buyer_part": line.buyer_part,
            "vendor_part": line.vendor_part,
            "item_number": item.item_number if item is not None else None,
            "gtin": (item.gtin if item is not None else None) or line.gtin,
            "uom": line.uom,
            "quantity": format_quantity(billed.quantity),
            "unit_price": format_quantity(billed.unit_price),
            "amount": money(billed.amount),
        }
        for billed, line, po_number, item in session.exec(statement)
    ]


def invoices_of_shipments(session: Session, shipment_ids: Iterable[int]) -> list[dict[str, object]]:
    """The invoices of these shipments and the credit notes against them (for the lot trace)."""
    ids = sorted(set(shipment_ids))
    if not ids:
        return []
    credited = aliased(Invoice)
    statement = (
        select(Invoice, Shipment.shipment_number)
        .outerjoin(credited, credited.id == Invoice.credit_of)
        .join(Shipment, or_(Shipment.id == Invoice.shipment_id, Shipment.id == credited.shipment_id))
        .where(col(Shipment.id).in_(ids))
        .order_by(col(Shipment.id), col(Invoice.id))
    )
    rows = list(session.exec(statement))
    found = settlements(session, [invoice.id for invoice, _ in rows])  # type: ignore[misc]
    return [
        invoice_summary(invoice, found.get(invoice.id, Settlement()), number)  # type: ignore[arg-type]
        for invoice, number in rows
    ]
