"""Validated input models for erp_core services.

Callers (the gateway, a CSV import, a UI) convert their own documents into these;
erp_core never sees X12. Length limits mirror the column sizes so that an oversize
value is rejected here on every backend (SQLite does not enforce VARCHAR lengths;
PostgreSQL would fail the whole batch with a ``DataError``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import PydanticKnownError

from erp_core.gtin import normalize_gtin
from erp_core.models import AckPreference, OrderPurpose
from erp_core.types import fits_exactly

PartnerSlug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
X12Qualifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2)]
X12Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=15)]
Gtin = Annotated[str, AfterValidator(normalize_gtin)]
Uom = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8)]
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
PartNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=48)]

# The NUMERIC(18,6) constraints as pydantic states them, kept for their exact semantics and
# error messages; the annotated types below only call them for values the fast check refuses.
_PYDANTIC_QUANTITY: TypeAdapter[Decimal] = TypeAdapter(Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)])
_PYDANTIC_PRICE: TypeAdapter[Decimal] = TypeAdapter(Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)])


def _pydantic_checked(adapter: TypeAdapter[Decimal], value: Decimal) -> Decimal:
    """``value`` through pydantic's own decimal constraints, its error re-raised as this field's error."""
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise PydanticKnownError(error["type"], error.get("ctx")) from None  # type: ignore[arg-type]


def _quantity(value: Decimal) -> Decimal:
    """Positive and exact in NUMERIC(18,6).

    ``Field(gt=0, max_digits=18, decimal_places=6)`` alone costs about a microsecond
    per value (pydantic normalises the Decimal and inspects its digit tuple), twice
    per order line; :func:`fits_exactly` accepts only values those constraints
    accept, in a fraction of the time, and anything it does not accept gets
    pydantic's own verdict and error. (Non-finite values never get here: pydantic's
    Decimal validator refuses them first.)
    """
    if value > 0 and fits_exactly(value):
        return value
    return _pydantic_checked(_PYDANTIC_QUANTITY, value)


def _price(value: Decimal) -> Decimal:
    """Zero or positive and exact in NUMERIC(18,6) (see :func:`_quantity`)."""
    if value >= 0 and fits_exactly(value):
        return value
    return _pydantic_checked(_PYDANTIC_PRICE, value)


Quantity = Annotated[Decimal, AfterValidator(_quantity)]
Price = Annotated[Decimal, AfterValidator(_price)]


def bounded_text(max_length: int) -> StringConstraints:
    """A stripped, non-empty string of at most ``max_length`` characters (the column's size)."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


class InputModel(BaseModel):
    """Base of every input model: immutable, and an unknown field is an error, not ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class X12AddressInput(InputModel):
    """An interchange address: ISA05/ISA06 (or ISA07/ISA08), without padding."""

    qualifier: X12Qualifier
    x12_id: X12Id


class PartnerInput(InputModel):
    """A new trading partner and the interchange addresses it sends from.

    ``x12_ids`` may be empty for a partner that does not trade X12 (yet).
    """

    partner_id: PartnerSlug
    name: Annotated[str, bounded_text(200)]
    x12_ids: tuple[X12AddressInput, ...] = ()
    gs_id: Annotated[str, bounded_text(15)] | None = None
    ack_preference: AckPreference = "auto"


class PartnerUpdate(InputModel):
    """Changes to a partner; a field left at None stays as it is."""

    name: Annotated[str, bounded_text(200)] | None = None
    gs_id: Annotated[str, bounded_text(15)] | None = None
    ack_preference: AckPreference | None = None


class ItemInput(InputModel):
    """A new item; ``gtin`` may be GTIN-8/12/13/14 and is stored as 14 digits."""

    item_number: PartNumber
    description: Annotated[str, bounded_text(255)]
    gtin: Gtin | None = None
    uom: Uom = "EA"


class PartyInput(InputModel):
    """A named address (ship-to, bill-to) as the buyer sent it."""

    name: Annotated[str, bounded_text(60)] | None = None
    id_qualifier: Annotated[str, bounded_text(2)] | None = None
    id_code: Annotated[str, bounded_text(80)] | None = None
    address1: Annotated[str, bounded_text(55)] | None = None
    address2: Annotated[str, bounded_text(55)] | None = None
    city: Annotated[str, bounded_text(30)] | None = None
    state: Annotated[str, bounded_text(2)] | None = None
    postal_code: Annotated[str, bounded_text(15)] | None = None
    country: Annotated[str, bounded_text(3)] | None = None


class OrderLineInput(InputModel):
    """One ordered line.

    Lines are numbered by position when booked (``line_no`` 1..n); the buyer's own
    line identifier, which may be absent, repeated or alphanumeric, is kept in
    ``buyer_line_ref`` for echoing back in acknowledgements and ship notices.
    """

    buyer_line_ref: Annotated[str, bounded_text(20)] | None = None
    buyer_part: PartNumber | None = None
    vendor_part: PartNumber | None = None
    gtin: Gtin | None = None
    description: Annotated[str, bounded_text(255)] | None = None
    quantity: Quantity
    uom: Uom
    unit_price: Price | None = None
    requested_date: date | None = None


class OrderInput(InputModel):
    """A purchase order to book; ``source_ref`` is an opaque id chosen by the caller."""

    partner_id: PartnerSlug
    po_number: Annotated[str, bounded_text(35)]
    order_date: date
    purpose: OrderPurpose = "original"
    currency: CurrencyCode = "USD"
    ship_to: PartyInput | None = None
    bill_to: PartyInput | None = None
    lines: Annotated[tuple[OrderLineInput, ...], Field(min_length=1)]
    source_ref: Annotated[str, bounded_text(128)] | None = None
