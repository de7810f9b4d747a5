"""Validated input for shipments, invoices, credit notes and remittances (X12 820).

Callers (the CLI, an MES pushing CSV/JSON, the gateway reading an 820) build these;
as for order changes, only shape is checked here: text lengths that mirror the
columns, NUMERIC(18,6)-exact numbers, money in whole cents. Whatever depends on
the database (an order line that does not exist, a lot of another item, shipping
more than ordered) is reported by the services as coded problems.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from erp_core.inputs import CurrencyCode, InputModel, PartnerSlug, PartyInput, Quantity, bounded_text

PackageLevel = Literal["pallet", "carton"]
ChargeKind = Literal["tax", "freight", "handling", "discount"]

SERIAL_MAX = 20
"""GS1 AI (21) serial numbers are at most 20 characters."""


def _cents(value: Decimal) -> Decimal:
    """Money is whole cents: TDS and the 820 carry two implied decimals, nothing finer."""
    cents = value.quantize(Decimal("0.01"))
    if cents != value:
        raise ValueError("money amounts have at most two decimal places")
    return cents


def _serial(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("a serial number cannot contain a line break")
    return value


Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=6, allow_inf_nan=False), AfterValidator(_cents)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=9, decimal_places=6, allow_inf_nan=False)]
Serial = Annotated[str, bounded_text(SERIAL_MAX), AfterValidator(_serial)]
Scac = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,4}$")]
CompanyPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,12}$")]


class PackageInput(InputModel):
    """A handling unit; ``ref`` is the caller's own key for it, used by ``parent_ref`` and lines.

    ``sscc`` None: one is allocated from the shipment's company prefix.
    """

    ref: Annotated[str, bounded_text(30)]
    level: PackageLevel
    parent_ref: Annotated[str, bounded_text(30)] | None = None
    sscc: Annotated[str, bounded_text(22)] | None = None
    weight: Quantity | None = None


class ShipmentLineInput(InputModel):
    """A quantity of one order line, named by id or by PO number and our line number.

    The lot is named by id or by its lot number (looked up for the order line's item).
    ``serials`` lists the serial numbers of serialised units, as many as the quantity.
    """

    order_line_id: int | None = None
    po_number: Annotated[str, bounded_text(35)] | None = None
    line_no: int | None = Field(default=None, ge=1)
    lot_id: int | None = None
    lot_number: Annotated[str, bounded_text(20)] | None = None
    package_ref: Annotated[str, bounded_text(30)] | None = None
    quantity: Quantity
    serials: tuple[Serial, ...] = ()

    @model_validator(mode="after")
    def _one_line_reference(self) -> ShipmentLineInput:
        by_po = self.po_number is not None and self.line_no is not None
        if (self.order_line_id is not None) == by_po:
            raise ValueError("name the order line by order_line_id or by po_number and line_no (one of them)")
        if self.lot_id is not None and self.lot_number is not None:
            raise ValueError("name the lot by lot_id or by lot_number, not both")
        return self


class ShipmentInput(InputModel):
    """A shipment to build as a draft (:func:`erp_core.services.shipments.create_shipment`).

    ``ship_to`` None: the ship-to of the first order shipped from. ``sscc_company_prefix``
    and ``sscc_extension_digit`` are needed only when some package comes without an SSCC.
    """

    shipment_number: Annotated[str, bounded_text(30)]
    partner_id: PartnerSlug
    ship_date: date
    carrier_scac: Scac | None = None
    carrier_name: Annotated[str, bounded_text(60)] | None = None
    tracking_number: Annotated[str, bounded_text(30)] | None = None
    bill_of_lading: Annotated[str, bounded_text(30)] | None = None
    ship_to: PartyInput | None = None
    ship_from: PartyInput | None = None
    gross_weight: Quantity | None = None
    weight_uom: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2}$")] | None = None
    sscc_company_prefix: CompanyPrefix | None = None
    sscc_extension_digit: int = Field(default=0, ge=0, le=9)
    packages: tuple[PackageInput, ...] = ()
    lines: Annotated[tuple[ShipmentLineInput, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _weight_with_unit(self) -> ShipmentInput:
        if (self.gross_weight is None) != (self.weight_uom is None):
            raise ValueError("gross_weight and weight_uom go together")
        return self


class TermsInput(InputModel):
    """Payment terms: net days, and optionally a discount percentage when paid within some days."""

    net_days: int | None = Field(default=None, ge=0, le=999)
    discount_percent: Percent | None = None
    discount_days: int | None = Field(default=None, ge=0, le=999)

    @model_validator(mode="after")
    def _discount_with_days(self) -> TermsInput:
        if (self.discount_percent is None) != (self.discount_days is None):
            raise ValueError("discount_percent and discount_days go together")
        return self


class ChargeInput(InputModel):
    """A tax, freight, handling or discount line: a fixed ``amount`` or a ``rate`` in percent.

    A rated tax is computed on the taxable base (subtotal plus freight and handling
    less discounts); any other rated charge on the subtotal.
    """

    kind: ChargeKind
    description: Annotated[str, bounded_text(80)]
    amount: Money | None = None
    rate: Percent | None = None

    @model_validator(mode="after")
    def _amount_or_rate(self) -> ChargeInput:
        if (self.amount is None) == (self.rate is None):
            raise ValueError("give a charge either an amount or a rate")
        return self


class CreditLineInput(InputModel):
    """A quantity of an invoiced order line to credit, at the invoiced unit price."""

    order_line_id: int
    quantity: Quantity


class RemittanceLineInput(InputModel):
    """One remittance line (RMR, with its ADX): what the partner paid against one invoice number.

    ``discount_taken`` (RMR06) is accepted only within the invoice's discount terms.
    """

    invoice_number: Annotated[str, bounded_text(50)]
    amount_paid: Money
    invoice_amount: Money | None = None
    discount_taken: Money = Decimal(0)
    adjustment_amount: Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)] | None = None
    adjustment_reason: Annotated[str, bounded_text(2)] | None = None


class RemittanceInput(InputModel):
    """A remittance advice (X12 820): one payment (BPR, TRN) and the lines it pays.

    ``trace_number`` (TRN02) identifies the payment: the same partner and trace
    number applied twice is recognised as a duplicate. ``amount`` must equal the
    lines' ``amount_paid`` sum.
    """

    partner_id: PartnerSlug
    trace_number: Annotated[str, bounded_text(50)]
    payment_date: date
    amount: Money
    currency: CurrencyCode = "USD"
    method: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    message_ref: Annotated[str, bounded_text(128)] | None = None
    lines: Annotated[tuple[RemittanceLineInput, ...], Field(min_length=1)]
