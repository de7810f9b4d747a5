"""The canonical ship notice: one shipment as the gateway fills it from the ERP core, for an X12 856.

The shipment is a hierarchy: the shipment, the purchase orders it fills, the packs of
each order (pallets holding cartons, cartons holding items; ``parent_sscc`` links a
carton to its pallet) and the items in each pack with their lot, dates and serials.
``mappings/templates/x12/856.j2`` renders it as Shipment / Order / Tare / Pack / Item
HL levels; HL numbering is code (:mod:`edi.render.hl`), never template arithmetic.

The model speaks business terms (``carton``, ``motor``); the template's code table
turns them into X12 codes. Its validators refuse a hierarchy a partner could not
receive: an SSCC with a wrong check digit, a carton whose pallet is not in the order,
a pack with nothing in it, serial numbers that do not match the quantity.

Quantities are :class:`~decimal.Decimal`; units of measure are X12 unit codes
(``EA``, ``BX``) as in the purchase order; dates are dates, formatted by the template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party

PackLevel = Literal["pallet", "carton"]
TransportMethod = Literal["motor", "ltl", "air", "parcel", "ocean", "rail", "pickup", "private"]
NoticePurpose = Literal["original", "replace", "cancellation"]
Structure = Literal["pick_pack"]  # Shipment / Order / [Tare] / Pack / Item (X12 0001)


def gs1_check_digit_ok(digits: str) -> bool:
    """Whether the last digit of a GS1 key (GTIN, SSCC) is its mod-10 check digit."""
    if not digits.isascii() or not digits.isdigit() or len(digits) < 2:
        return False
    body = digits[:-1]
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == int(digits[-1])


class Carrier(_Canonical):
    """Who moves the goods (TD5): SCAC code, name and how."""

    scac: str | None = Field(default=None, pattern=r"^[A-Z]{2,4}$")
    name: str | None = None
    transport_method: TransportMethod | None = None


class ShippedItem(_Canonical):
    """One order line's quantity in one pack (an item HL with LIN / SN1 / DTM / REF).

    ``quantity`` is what this pack holds; ``quantity_ordered`` echoes the order line
    (SN105). ``serials`` lists the unit serial numbers when the item is serialised:
    then there is exactly one per unit shipped. ``manufactured`` / ``expiry`` are the
    lot's dates (DTM*094 / DTM*036).
    """

    line_no: str | None = None
    buyer_part: str | None = None
    vendor_part: str | None = None
    gtin: str | None = Field(default=None, pattern=r"^(\d{8}|\d{12,14})$")
    description: str | None = None
    quantity: ExactDecimal = Field(gt=0)
    uom: str = Field(min_length=2, max_length=2)
    quantity_ordered: ExactDecimal | None = Field(default=None, gt=0)
    lot: str | None = None
    expiry: dt.date | None = None
    manufactured: dt.date | None = None
    serials: list[str] = []

    @model_validator(mode="after")
    def _consistent(self) -> ShippedItem:
        """Identified, a GTIN with a right check digit, serials that count the units, dates in order."""
        if not (self.buyer_part or self.vendor_part or self.gtin):
            raise ValueError(f"line {self.line_no}: an item needs a buyer part, vendor part or GTIN")
        if self.gtin is not None and not gs1_check_digit_ok(self.gtin):
            raise ValueError(f"GTIN {self.gtin} has a wrong check digit")
        if self.serials:
            if len(set(self.serials)) != len(self.serials):
                raise ValueError("serial numbers repeat within the item")
            if Decimal(len(self.serials)) != self.quantity:
                raise ValueError(f"{len(self.serials)} serial numbers for a quantity of {self.quantity}")
        if self.expiry and self.manufactured and self.expiry < self.manufactured:
            raise ValueError(f"expiry {self.expiry} is before manufacture {self.manufactured}")
        return self

    @property
    def udi(self) -> str | None:
        """The GS1 UDI of the item's lot in human-readable form: (01) GTIN (17) expiry (10) lot.

        Per unit, append ``(21)`` and the serial number. None without a GTIN.
        """
        if self.gtin is None:
            return None
        parts = [f"(01){self.gtin.zfill(14)}"]
        if self.expiry is not None:
            parts.append(f"(17){self.expiry:%y%m%d}")
        if self.lot:
            parts.append(f"(10){self.lot}")
        return "".join(parts)


class Pack(_Canonical):
    """A pallet or carton with its SSCC-18 label; a carton on a pallet names it in ``parent_sscc``."""

    sscc: str = Field(pattern=r"^\d{18}$")
    level: PackLevel
    parent_sscc: str | None = Field(default=None, pattern=r"^\d{18}$")
    items: list[ShippedItem] = []

    @model_validator(mode="after")
    def _check_digit(self) -> Pack:
        if not gs1_check_digit_ok(self.sscc):
            raise ValueError(f"SSCC {self.sscc} has a wrong check digit")
        if self.parent_sscc is not None and self.level == "pallet":
            raise ValueError(f"pallet {self.sscc} cannot sit inside another pack")
        return self


@dataclass(frozen=True, slots=True)
class PackNode:
    """A pack and the packs inside it, for templates that walk the hierarchy."""

    pack: Pack
    children: tuple[PackNode, ...]


class ShippedOrder(_Canonical):
    """One purchase order filled by the shipment (an order HL with PRF) and its packs.

    A mixed pallet carrying cartons of two orders appears under each order with the
    same SSCC (that is how the S/O/T/P/I hierarchy shows it); a carton belongs to one
    order only.
    """

    po_number: str = Field(min_length=1)
    po_date: dt.date | None = None
    release: str | None = None
    packs: list[Pack] = Field(min_length=1)

    @model_validator(mode="after")
    def _hierarchy(self) -> ShippedOrder:
        """Unique SSCCs, every parent a pallet of this order, no empty pack."""
        by_sscc: dict[str, Pack] = {}
        for pack in self.packs:
            if pack.sscc in by_sscc:
                raise ValueError(f"order {self.po_number}: SSCC {pack.sscc} appears twice")
            by_sscc[pack.sscc] = pack
        parents: set[str] = set()
        for pack in self.packs:
            if pack.parent_sscc is None:
                continue
            parent = by_sscc.get(pack.parent_sscc)
            if parent is None or parent.level != "pallet":
                raise ValueError(f"order {self.po_number}: carton {pack.sscc} names {pack.parent_sscc}, "
                                 "which is not a pallet of this order")
            parents.add(parent.sscc)
        for pack in self.packs:
            if not pack.items and pack.sscc not in parents:
                raise ValueError(f"order {self.po_number}: pack {pack.sscc} holds nothing")
        return self

    def pack_tree(self) -> tuple[PackNode, ...]:
        """The outermost packs, each with the packs inside it, in the order given."""
        inner: dict[str, list[Pack]] = {}
        for pack in self.packs:
            if pack.parent_sscc is not None:
                inner.setdefault(pack.parent_sscc, []).append(pack)
        return tuple(PackNode(pack, tuple(PackNode(c, ()) for c in inner.get(pack.sscc, ())))
                     for pack in self.packs if pack.parent_sscc is None)

    def items(self) -> Iterator[ShippedItem]:
        """Every item of every pack of the order."""
        for pack in self.packs:
            yield from pack.items


class ShipNotice(Document):
    """A shipment in canonical form (an 856), filled by the gateway from the ERP's shipment.

    ``shipment_id`` is the ERP's key of the shipment (for the ledger; not written);
    ``shipment_number`` is the number the partner sees (BSN02). ``issued_at`` is when the
    notice was created (BSN03/BSN04); ``ship_date``/``ship_time`` when the goods left
    (DTM*011). ``package_count`` (TD102) defaults to the number of outermost packs.
    """

    type: Literal["ship_notice"] = "ship_notice"
    partner: str | None = None
    shipment_id: str | None = None
    shipment_number: str = Field(min_length=2, max_length=30)
    purpose: NoticePurpose = "original"
    structure: Structure = "pick_pack"
    issued_at: dt.datetime
    ship_date: dt.date
    ship_time: dt.time | None = None
    carrier: Carrier | None = None
    tracking_number: str | None = None
    bill_of_lading: str | None = None
    gross_weight: ExactDecimal | None = Field(default=None, gt=0)
    weight_uom: Literal["LB", "KG"] = "LB"
    package_count: int | None = Field(default=None, ge=1)
    ship_from: Party
    ship_to: Party
    orders: list[ShippedOrder] = Field(min_length=1)
    envelope: Envelope | None = None

    @model_validator(mode="after")
    def _cartons_unique(self) -> ShipNotice:
        """Named parties; a carton in one order only (pallets may repeat across orders, see ShippedOrder)."""
        for role, party in (("ship_from", self.ship_from), ("ship_to", self.ship_to)):
            if not (party.name or party.id):
                raise ValueError(f"{role} needs a name or an id")
        seen: dict[str, str] = {}
        for order in self.orders:
            for pack in order.packs:
                if pack.level != "carton":
                    continue
                other = seen.setdefault(pack.sscc, order.po_number)
                if other != order.po_number:
                    raise ValueError(f"carton {pack.sscc} is listed under orders {other} and {order.po_number}")
        return self

    @property
    def lading_quantity(self) -> int:
        """TD102: the package count given, else the outermost packs (mixed pallets counted once)."""
        if self.package_count is not None:
            return self.package_count
        return len({pack.sscc for order in self.orders for pack in order.packs if pack.parent_sscc is None})

    @property
    def lading_packaging(self) -> PackLevel:
        """What the outermost packs are: ``pallet`` when any is a pallet, else ``carton`` (TD101)."""
        outer = (pack.level for order in self.orders for pack in order.packs if pack.parent_sscc is None)
        return "pallet" if "pallet" in outer else "carton"

    @property
    def quantity_total(self) -> Decimal:
        """Hash total of the units shipped (CTT02: the sum of SN102)."""
        return sum((item.quantity for order in self.orders for item in order.items()), Decimal(0))
