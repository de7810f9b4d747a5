"""The canonical invoice (and credit note): what the gateway bills a shipment with, for an X12 810.

The gateway fills it from the ERP core: the shipment's quantities times the order's
contract prices, charges (freight, handling ...), allowances, tax and payment terms.
``mappings/templates/x12/810.j2`` renders it.

Money is computed here, never in a template: each line's amount is quantity x unit
price rounded half-up to cents (or the ERP's amount, which must agree), and
:attr:`Invoice.total` (TDS01, written with the ``cents`` filter as implied two
decimals) is the lines plus charges minus allowances plus tax. An amount with more
than two decimals is refused: an invoice is exact in cents.

A credit note (``kind="credit_note"``) corrects an earlier invoice and names it in
``original_invoice_number``. Its amounts are positive like an invoice's: what makes
it a credit is the kind, written as BIG07 ``CR`` (Credit Memo, the X12 640 transaction
type code most partners' 810 guides ask for) and REF*OI, not negative numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import Field, model_validator

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party

InvoiceKind = Literal["invoice", "credit_note"]
ChargeReason = Literal["freight", "handling", "insurance", "discount", "other"]
TaxKind = Literal["sales", "state_sales", "vat", "gst"]
CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> Decimal:
    """``amount`` rounded half-up to cents (the rounding of every computed line amount)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _exact_cents(amount: Decimal, what: str) -> None:
    if amount != amount.quantize(CENT):
        raise ValueError(f"{what} {amount} has more than two decimals")


class InvoiceLine(_Canonical):
    """One invoiced line (an IT1 loop): shipped quantity at the contract price."""

    line_no: str | None = None
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = Field(default=None, pattern=r"^(\d{8}|\d{12,14})$")
    description: str | None = None
    quantity: ExactDecimal = Field(gt=0)
    uom: str = Field(min_length=2, max_length=2)
    unit_price: ExactDecimal = Field(ge=0)
    amount: ExactDecimal | None = None

    @model_validator(mode="after")
    def _amount_agrees(self) -> InvoiceLine:
        """An amount the ERP states must be quantity x price in cents: a partner recomputes it."""
        if self.amount is not None:
            _exact_cents(self.amount, f"line {self.line_no} amount")
            if self.amount != to_cents(self.quantity * self.unit_price):
                raise ValueError(f"line {self.line_no}: amount {self.amount} is not {self.quantity} x "
                                 f"{self.unit_price} = {to_cents(self.quantity * self.unit_price)}")
        return self

    @property
    def extended_amount(self) -> Decimal:
        """Quantity x unit price in cents (the stated amount when there is one: they agree)."""
        return self.amount if self.amount is not None else to_cents(self.quantity * self.unit_price)


class Charge(_Canonical):
    """A charge or allowance on the whole invoice (SAC in the summary); ``amount`` is positive."""

    type: Literal["charge", "allowance"]
    reason: ChargeReason
    amount: ExactDecimal = Field(gt=0)
    description: str | None = None

    @model_validator(mode="after")
    def _cents(self) -> Charge:
        _exact_cents(self.amount, f"{self.type} amount")
        if self.reason == "discount" and self.type != "allowance":
            raise ValueError("a discount is an allowance")
        return self

    @property
    def signed_amount(self) -> Decimal:
        """What it adds to the total: negative for an allowance."""
        return -self.amount if self.type == "allowance" else self.amount


class Tax(_Canonical):
    """A tax on the invoice (TXI): the amount the ERP computed, and the rate when known."""

    kind: TaxKind
    amount: ExactDecimal = Field(ge=0)
    percent: ExactDecimal | None = Field(default=None, ge=0, le=100)
    jurisdiction: str | None = None

    @model_validator(mode="after")
    def _cents(self) -> Tax:
        _exact_cents(self.amount, "tax amount")
        return self


class Terms(_Canonical):
    """Payment terms (ITD): net days or date, and an early-payment discount when offered."""

    net_days: int | None = Field(default=None, ge=0, le=999)
    net_due_date: dt.date | None = None
    discount_percent: ExactDecimal | None = Field(default=None, gt=0, lt=100)
    discount_days: int | None = Field(default=None, ge=0, le=999)
    discount_due_date: dt.date | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _discount_complete(self) -> Terms:
        if self.discount_percent is not None and self.discount_days is None and self.discount_due_date is None:
            raise ValueError("a terms discount needs discount_days or discount_due_date")
        if self.net_days is None and self.net_due_date is None:
            raise ValueError("terms need net_days or net_due_date")
        return self


class Invoice(Document):
    """An invoice or credit note in canonical form, independent of the format it is sent in.

    ``shipment_number`` is the ship notice's BSN02 the invoice bills (REF*SI);
    ``ship_date`` is written as DTM*011.
    """

    type: Literal["invoice"] = "invoice"
    partner: str | None = None
    kind: InvoiceKind = "invoice"
    invoice_number: str = Field(min_length=1, max_length=22)
    invoice_date: dt.date
    original_invoice_number: str | None = Field(default=None, min_length=1, max_length=22)
    po_number: str | None = Field(default=None, min_length=1, max_length=22)
    po_date: dt.date | None = None
    shipment_number: str | None = None
    bill_of_lading: str | None = None
    ship_date: dt.date | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    terms: Terms | None = None
    seller: Party | None = None
    bill_to: Party
    remit_to: Party | None = None
    ship_to: Party | None = None
    lines: list[InvoiceLine] = Field(min_length=1)
    charges: list[Charge] = []
    taxes: list[Tax] = []
    envelope: Envelope | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Invoice:
        """A credit note names the invoice it corrects, parties are named, allowances never exceed the invoice."""
        if self.kind == "credit_note" and self.original_invoice_number is None:
            raise ValueError("a credit note needs original_invoice_number")
        if self.kind == "invoice" and self.original_invoice_number is not None:
            raise ValueError("original_invoice_number is only for a credit note")
        for role in ("bill_to", "remit_to", "ship_to", "seller"):
            party = getattr(self, role)
            if party is not None and not (party.name or party.id):
                raise ValueError(f"{role} needs a name or an id")
        if self.total < 0:
            raise ValueError(f"allowances exceed the invoice: total {self.total}")
        return self

    @property
    def lines_total(self) -> Decimal:
        """The merchandise: the sum of the line amounts."""
        return sum((line.extended_amount for line in self.lines), Decimal("0.00"))

    @property
    def tax_total(self) -> Decimal:
        return sum((tax.amount for tax in self.taxes), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """TDS01: lines + charges - allowances + tax, exact in cents."""
        charges = sum((charge.signed_amount for charge in self.charges), Decimal("0.00"))
        return self.lines_total + charges + self.tax_total

    @property
    def discount_base(self) -> Decimal | None:
        """TDS02, the amount subject to the terms discount (the merchandise), when one is offered."""
        if self.terms is None or self.terms.discount_percent is None:
            return None
        return self.lines_total

    @property
    def line_count(self) -> int:
        """CTT01: the number of IT1 lines."""
        return len(self.lines)

    @property
    def quantity_total(self) -> Decimal:
        """CTT02 hash total: the sum of the invoiced quantities (IT102)."""
        return sum((line.quantity for line in self.lines), Decimal(0))

    @property
    def units_by_uom(self) -> list[tuple[str, Decimal]]:
        """ISS: units shipped per unit of measure, in first-seen order."""
        totals: dict[str, Decimal] = {}
        for line in self.lines:
            totals[line.uom] = totals.get(line.uom, Decimal(0)) + line.quantity
        return list(totals.items())
