"""The canonical purchase order: what every inbound 850 becomes after mapping.

Mappings (``edi.mapping``) fill these models from X12 segments; the ERP core books
them. The JSON shape produced by :meth:`PurchaseOrder.to_json_dict` is a contract
(golden files, the ledger and the --explain view store it), so its key names and
order are fixed here, once. Quantities and prices are :class:`~decimal.Decimal`
and serialise as fixed-point strings ("12.50"): a float would silently change an
order's money. Dates serialise as ISO strings.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, PlainSerializer

# Fixed-point text, never exponent form: Decimal("1E+2") must read "100", not "1E+2".
ExactDecimal = Annotated[Decimal, PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="always")]


class _Canonical(BaseModel):
    """Shared settings: unknown keys are an error; models are plain value objects."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=False)


class Party(_Canonical):
    """A ship-to / bill-to party (an N1 loop in X12)."""

    name: str | None = None
    id: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Line(_Canonical):
    """One ordered item (a PO1 loop)."""

    line_no: str | None = None
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = None
    description: str | None = None
    quantity: ExactDecimal
    uom: str | None = None
    unit_price: ExactDecimal | None = None
    requested_date: dt.date | None = None


class Envelope(_Canonical):
    """Control numbers and parties of the envelope the order arrived in (for the ledger and acks)."""

    interchange_control_number: str  # ISA13
    group_control_number: str  # GS06
    set_control_number: str  # ST02
    sender_id: str  # "ISA05:ISA06", e.g. "ZZ:ACME"
    receiver_id: str  # "ISA07:ISA08"
    version: str  # GS08, e.g. "004010"


class PurchaseOrder(_Canonical):
    """A purchase order in canonical form, independent of the X12 version it came in."""

    type: Literal["purchase_order"] = "purchase_order"
    partner: str | None = None
    po_number: str
    order_date: dt.date | None = None
    purpose: str | None = None
    currency: str | None = None
    ship_to: Party | None = None
    bill_to: Party | None = None
    lines: list[Line]
    envelope: Envelope

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON-able form with the contract's key order: Decimals and dates as strings."""
        return self.model_dump(mode="json")


#: Sub-models reachable from a document field, for mapping validation (field name -> model).
NESTED_MODELS: dict[str, type[BaseModel]] = {"ship_to": Party, "bill_to": Party, "lines": Line}

#: Document fields the engine fills itself; a mapping may not address them.
ENGINE_FILLED: frozenset[str] = frozenset({"type", "partner", "envelope"})
