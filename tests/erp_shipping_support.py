"""Helpers for the shipment, invoice and payment tests: a booked order, lots, shipment inputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from erp_fixtures import make_order
from sqlmodel import Session, select

from erp_core.inputs import OrderLineInput, PartyInput
from erp_core.inputs_shipping import PackageInput, ShipmentInput, ShipmentLineInput
from erp_core.models import Item, SalesOrderLine
from erp_core.models_quality import Lot, LotSerial
from erp_core.services import booking
from erp_core.services.shipments import confirm_shipment, create_shipment

SHIP_DATE = date(2025, 12, 10)
PREFIX = "0614141"  # the GS1 company prefix of the GS1 General Specifications' examples


def book(
    session: Session, po_number: str = "PO-1", gasket: int = 10, widget: int = 5, *, partner_id: str = "acme"
) -> tuple[int, int]:
    """Book an order (line 1: 10 GASKET-7 at 2.50, line 2: 5 WIDGET-1 at 19.99); returns the line ids."""
    order = make_order(po_number, partner_id=partner_id).model_copy(
        update={
            "lines": (
                OrderLineInput(
                    buyer_line_ref="1",
                    buyer_part="ACME-G7",
                    quantity=Decimal(gasket),
                    uom="EA",
                    unit_price=Decimal("2.50"),
                ),
                OrderLineInput(
                    buyer_line_ref="2",
                    gtin="00036000291452",
                    quantity=Decimal(widget),
                    uom="EA",
                    unit_price=Decimal("19.99"),
                ),
            )
        }
    )
    (result,) = booking.book_orders(session, [order])
    session.commit()
    ids = session.exec(
        select(SalesOrderLine.id).where(SalesOrderLine.order_id == result.order_id).order_by(SalesOrderLine.line_no)
    ).all()
    return ids[0], ids[1]  # type: ignore[return-value]


def add_lot(
    session: Session,
    item_number: str,
    lot_number: str,
    quantity: int = 100,
    *,
    status: str = "released",
    expires_on: date | None = date(2027, 1, 31),
    serials: Sequence[str] = (),
) -> int:
    item = session.exec(select(Item).where(Item.item_number == item_number)).one()
    lot = Lot(
        item_id=item.id,
        lot_number=lot_number,
        quantity=Decimal(quantity),
        uom="EA",  # type: ignore[arg-type]
        manufactured_on=date(2025, 11, 1),
        expires_on=expires_on,
        status=status,
    )
    session.add(lot)
    session.flush()
    for serial in serials:
        session.add(LotSerial(item_id=item.id, serial=serial, lot_id=lot.id))  # type: ignore[arg-type]
    lot_id: int = lot.id  # type: ignore[assignment]
    session.commit()
    return lot_id


def ship_line(order_line_id: int, quantity: int | str, **fields: Any) -> ShipmentLineInput:
    return ShipmentLineInput(order_line_id=order_line_id, quantity=Decimal(quantity), **fields)


def shipment(number: str, *lines: ShipmentLineInput, **fields: Any) -> ShipmentInput:
    values: dict[str, Any] = {
        "shipment_number": number,
        "partner_id": "acme",
        "ship_date": SHIP_DATE,
        "carrier_scac": "UPSN",
        "carrier_name": "UPS",
        "tracking_number": "1Z999AA10123456784",
        "sscc_company_prefix": PREFIX,
        "ship_from": PartyInput(name="EDI Pulse Plant 1", city="Austin", state="TX"),
    }
    values.update(fields)
    return ShipmentInput(lines=lines, **values)


def carton(ref: str, parent: str | None = None, **fields: Any) -> PackageInput:
    return PackageInput(ref=ref, level="carton", parent_ref=parent, **fields)


def pallet(ref: str, **fields: Any) -> PackageInput:
    return PackageInput(ref=ref, level="pallet", **fields)


def shipped(session: Session, number: str, *lines: ShipmentLineInput, **fields: Any) -> int:
    """Create and confirm a shipment (committed); returns its id."""
    shipment_id: int = create_shipment(session, shipment(number, *lines, **fields)).id  # type: ignore[assignment]
    confirm_shipment(session, shipment_id)
    session.commit()
    return shipment_id
