"""Invoice arithmetic: line amounts, charges, tax and totals in cents, and what TDS carries.

Every amount is rounded half-up to cents where it is computed (a line amount, a
rated charge), never only at the total, so that the printed lines add up to the
printed total exactly, which is what the buyer's invoice matching checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from erp_core.inputs_shipping import ChargeInput

CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_ADDED_KINDS = frozenset({"freight", "handling"})


def round_cents(value: Decimal) -> Decimal:
    """Half-up to whole cents (the commercial rounding of invoice amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(value: Decimal) -> int:
    """An amount as integer cents (TDS: implied two decimals); ``ValueError`` if it has fractions of a cent."""
    cents = value * _HUNDRED
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} is not a whole number of cents")
    return int(cents)


@dataclass(frozen=True, slots=True)
class ComputedCharge:
    kind: str
    description: str
    amount: Decimal
    rate: Decimal | None


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal: Decimal
    charges: tuple[ComputedCharge, ...]
    charges_total: Decimal  # freight + handling - discounts
    tax_total: Decimal
    total: Decimal


def compute_totals(subtotal: Decimal, charges: Sequence[ChargeInput]) -> Totals:
    """Charges on the subtotal first, then taxes on the taxable base (subtotal + charges - discounts)."""
    computed = [_charge(c, subtotal) for c in charges if c.kind != "tax"]
    charges_total = sum((c.amount if c.kind in _ADDED_KINDS else -c.amount for c in computed), start=Decimal("0.00"))
    base = subtotal + charges_total
    taxes = [_charge(c, base) for c in charges if c.kind == "tax"]
    tax_total = sum((t.amount for t in taxes), start=Decimal("0.00"))
    return Totals(subtotal, tuple(computed + taxes), charges_total, tax_total, subtotal + charges_total + tax_total)


def _charge(charge: ChargeInput, base: Decimal) -> ComputedCharge:
    if charge.amount is not None:
        return ComputedCharge(charge.kind, charge.description, charge.amount, None)
    rate: Decimal = charge.rate  # type: ignore[assignment]
    return ComputedCharge(charge.kind, charge.description, round_cents(base * rate / _HUNDRED), rate)


def terms_discount(subtotal: Decimal, percent: Decimal | None) -> Decimal:
    """The early-payment discount: a percentage of the merchandise (not of tax or freight)."""
    return Decimal("0.00") if percent is None else round_cents(subtotal * percent / _HUNDRED)
