"""The 810 of a confirmed shipment (the ERP core's invoice, created once) or of a credit note, as a canonical Invoice.

The ERP core computes the money (lines at the orders' contract prices, charges, rated tax)
and is the record; the canonical invoice restates it for the template, and the two must
agree to the cent on the total (TDS01), or nothing is sent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from edi.canonical.invoice import Charge, Invoice, InvoiceLine, Tax, Terms
from edi.canonical.order import Party
from erp_core.inputs_shipping import ChargeInput, TermsInput
from erp_core.models import Partner, SalesOrder
from erp_core.models_billing import Invoice as ErpInvoice
from erp_core.models_shipping import Shipment
from erp_core.services.invoices import create_invoice, invoice_record
from gateway.outbound.documents.common import company_party, party_of, two_char_uom, validated
from gateway.outbound.documents.config import InvoiceSettings, PartnerOutbound
from gateway.outbound.documents.errors import DOC_DATA_INVALID, DocumentError
from gateway.outbound.documents.ship_notice import ship_to_party

# ERP charge kind -> the canonical charge (type, reason); tax is a Tax, not a charge.
CHARGES = {"freight": ("charge", "freight"), "handling": ("charge", "handling"), "discount": ("allowance", "discount")}


def invoice_of(session: Session, shipment_id: int, settings: InvoiceSettings) -> ErpInvoice:
    """The shipment's invoice in the ERP core, created now (with the partner's terms) unless it exists."""
    existing = session.exec(select(ErpInvoice).where(ErpInvoice.shipment_id == shipment_id,
                                                     ErpInvoice.kind == "invoice")).first()
    if existing is not None:
        return existing
    terms = TermsInput(net_days=settings.terms_net_days, discount_percent=settings.discount_percent,
                       discount_days=settings.discount_days)
    charges = [ChargeInput(kind="freight", description="Freight", amount=settings.freight)] if settings.freight else []
    return create_invoice(session, shipment_id, terms, charges, settings.tax_rate)


def build_invoice(session: Session, invoice: ErpInvoice, settings: PartnerOutbound) -> Invoice:
    """The canonical invoice of ERP invoice ``invoice`` (DocumentError when it would not agree with it)."""
    record = invoice_record(session, invoice.id)  # type: ignore[arg-type]
    what = f"invoice {invoice.invoice_number}"
    lines: list[dict[str, Any]] = record["lines"]  # type: ignore[assignment]
    po_numbers = list(dict.fromkeys(line["po_number"] for line in lines))
    order = session.exec(select(SalesOrder).where(SalesOrder.partner_id == invoice.partner_id,
                                                  SalesOrder.po_number == po_numbers[0])).first() if lines else None
    shipment = record["shipment_id"]
    credit = invoice.kind == "credit_note"
    document = validated(lambda: Invoice(
        kind="credit_note" if credit else "invoice", invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date, original_invoice_number=record["credit_of_number"] if credit else None,
        po_number=po_numbers[0] if len(po_numbers) == 1 else None,
        po_date=order.order_date if order is not None and len(po_numbers) == 1 else None,
        shipment_number=record["shipment_number"], ship_date=_ship_date(session, shipment),  # type: ignore[arg-type]
        currency=invoice.currency, terms=_terms(invoice), seller=company_party(settings.company),
        bill_to=_bill_to(session, order, invoice.partner_id),
        ship_to=ship_to_party(session, shipment) if shipment is not None else None,  # type: ignore[arg-type]
        lines=[_line(line, what) for line in lines], charges=_charges(record["charges"]),  # type: ignore[arg-type]
        taxes=_taxes(record["charges"])), what)  # type: ignore[arg-type]
    if document.total != invoice.total:
        raise DocumentError(DOC_DATA_INVALID, f"{what}: the 810 would total {document.total}, "
                            f"the ERP invoice {invoice.total}")
    return document


def _ship_date(session: Session, shipment_id: int | None) -> dt.date | None:
    shipment = session.get(Shipment, shipment_id) if shipment_id is not None else None
    return shipment.ship_date if shipment is not None else None


def _terms(invoice: ErpInvoice) -> Terms | None:
    if invoice.terms_net_days is None:
        return None
    percent = invoice.terms_discount_percent
    description = f"{percent.normalize():f}% {invoice.terms_discount_days} NET {invoice.terms_net_days}" if percent \
        else f"NET {invoice.terms_net_days}"
    return Terms(net_days=invoice.terms_net_days, net_due_date=invoice.invoice_date
                 + dt.timedelta(days=invoice.terms_net_days), discount_percent=percent,
                 discount_days=invoice.terms_discount_days if percent else None, description=description)


def _bill_to(session: Session, order: SalesOrder | None, partner_id: str) -> Party:
    party = order.party("bill_to") if order is not None else None
    fields = None if party is None else {name: getattr(party, name) for name in (
        "name", "id_code", "address1", "address2", "city", "state", "postal_code", "country")}
    found = party_of(fields)
    if found is not None:
        return found
    partner = session.get(Partner, partner_id)
    return Party(name=partner.name if partner is not None else partner_id, id=partner_id)


def _line(line: dict[str, Any], what: str) -> InvoiceLine:
    return InvoiceLine(line_no=line["buyer_line_ref"] or str(line["order_line_no"]), buyer_part=line["buyer_part"],
                       vendor_part=line["vendor_part"] or line["item_number"], gtin=line["gtin"],
                       quantity=Decimal(line["quantity"]),
                       uom=two_char_uom(line["uom"], f"{what} line {line['line_no']}"),
                       unit_price=Decimal(line["unit_price"]), amount=Decimal(line["amount"]))


def _charges(charges: list[dict[str, Any]]) -> list[Charge]:
    found = []
    for charge in charges:
        if charge["kind"] in CHARGES and Decimal(charge["amount"]) > 0:
            kind, reason = CHARGES[charge["kind"]]
            found.append(Charge(type=kind, reason=reason, amount=Decimal(charge["amount"]),  # type: ignore[arg-type]
                                description=charge["description"]))
    return found


def _taxes(charges: list[dict[str, Any]]) -> list[Tax]:
    return [Tax(kind="sales", amount=Decimal(c["amount"]), percent=Decimal(c["rate"]) if c["rate"] else None)
            for c in charges if c["kind"] == "tax"]

