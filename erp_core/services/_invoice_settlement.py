"""What reduced invoices so far: credit notes, payments and accepted terms discounts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from erp_core.models_billing import Invoice, PaymentApplication

_ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Settlement:
    """What reduced an invoice so far: credit notes, and payments with accepted discounts."""

    credited: Decimal = _ZERO
    paid: Decimal = _ZERO

    def open_amount(self, total: Decimal) -> Decimal:
        return total - self.credited - self.paid


def settlements(session: Session, invoice_ids: Iterable[int]) -> dict[int, Settlement]:
    """Credit notes and applied payments per invoice (invoices with neither are absent)."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return {}
    credited = session.exec(
        select(Invoice.credit_of, func.sum(Invoice.total))
        .where(col(Invoice.credit_of).in_(ids), Invoice.status != "cancelled")
        .group_by(col(Invoice.credit_of))
    )
    paid = session.exec(
        select(
            PaymentApplication.invoice_id, func.sum(PaymentApplication.amount_paid + PaymentApplication.discount_taken)
        )
        .where(col(PaymentApplication.invoice_id).in_(ids))
        .group_by(col(PaymentApplication.invoice_id))
    )
    found: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for invoice_id, total in credited:
        found[invoice_id]["credited"] = Decimal(total)
    for invoice_id, total in paid:
        found[invoice_id]["paid"] = Decimal(total)
    return {invoice_id: Settlement(**values) for invoice_id, values in found.items()}
