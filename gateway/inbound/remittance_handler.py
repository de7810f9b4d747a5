"""Remittance advices (X12 820): the payment applied to our invoices in the ERP core.

Each RMR line names one of our invoice numbers; the ERP core matches it (paid, short-paid)
or keeps it unmatched for a person to look at: an unmatched line is not a refusal, the
payment is recorded either way. Refusals are coded: ``PAY_INVALID`` (no trace number or
payment date, a negative line: credit memos are not payments), ``PAY_AMOUNT_MISMATCH``,
``PAY_PARTNER_UNKNOWN``; the same partner and trace number again is ``PAY_DUPLICATE``.
"""

from __future__ import annotations

from decimal import Decimal
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from edi.canonical import Document
from edi.errors import EdiError
from erp_core.inputs_shipping import RemittanceInput
from erp_core.services._shipping_errors import PaymentError
from erp_core.services.payments import apply_remittance
from gateway.inbound.erp_handlers import Prepared, SingleHandler, refused
from gateway.inbound.handlers import BOOKED, DUPLICATE, Applied

# Canonical payment method (BPR04 through the mapping's code list) -> the ERP core's method code.
METHODS = MappingProxyType({"ach": "ACH", "check": "CHK", "wire": "FWT", "clearing_house_wire": "CWT",
                            "financial_institution_option": "BOP", "none": "NON", "mutually_defined": "ZZZ"})


def _line(line: Any) -> dict[str, Any]:
    adjustments = line.adjustments or []
    return {"invoice_number": line.invoice_number, "amount_paid": line.amount_paid or Decimal(0),
            "invoice_amount": line.invoice_amount, "discount_taken": line.discount_amount or Decimal(0),
            "adjustment_amount": sum((a.amount for a in adjustments), Decimal(0)) if adjustments else None,
            "adjustment_reason": adjustments[0].reason[:2] if adjustments else None}


class RemittanceHandler(SingleHandler):
    invalid_code = "PAY_INVALID"

    def prepare(self, document: Document, partner_id: str) -> object:
        advice: Any = document
        ref = f"remittance {advice.trace_number or '(no trace number)'}"
        if not advice.trace_number or advice.payment_date is None:
            return Prepared(ref, None, EdiError("PAY_INVALID", f"{ref}: a payment needs a trace number (TRN02) "
                                                "and a payment date"))
        return Prepared(ref, {"partner_id": partner_id, "trace_number": advice.trace_number,
                              "payment_date": advice.payment_date, "amount": advice.payment_amount,
                              "currency": advice.currency or "USD", "method": METHODS.get(advice.payment_method),
                              "lines": [_line(line) for line in advice.lines]})

    def apply_one(self, session: Session, prepared: Prepared, source: str) -> Applied:
        try:
            data = RemittanceInput.model_validate({**(prepared.fields or {}), "message_ref": source[:128]})
        except (ValidationError, ValueError) as exc:
            return self.invalid(prepared, exc)
        try:
            result = apply_remittance(session, data)
        except PaymentError as exc:
            return refused(prepared.ref, exc.problems, "PAY_INVALID")
        if result.status == "duplicate":
            return refused(prepared.ref, (), "PAY_INVALID", "PAY_DUPLICATE", DUPLICATE)
        return Applied(BOOKED, prepared.ref, result.payment_id)
