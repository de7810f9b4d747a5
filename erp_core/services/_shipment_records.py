"""Shipments as JSON-ready data: for CLI listings, the 856 mapping and the lot trace.

Quantities are plain decimal strings (``2.5``), dates ISO strings; serials lists.
"""

from __future__ import annotations

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from erp_core.models import Item, SalesOrder, SalesOrderLine
from erp_core.models_quality import Lot
from erp_core.models_shipping import Package, Shipment, ShipmentLine, ShipmentParty
from erp_core.services._bom_lines import format_quantity
from erp_core.services._shipping_errors import ShippingError

_PARTY_FIELDS = ("name", "id_qualifier", "id_code", "address1", "address2", "city", "state", "postal_code", "country")


def shipment_record(session: Session, shipment_id: int) -> dict[str, object]:
    """A shipment with its parties, packages (pallets before cartons) and lines."""
    shipment = session.get(Shipment, shipment_id)
    if shipment is None:
        raise ShippingError.one("SHIP_UNKNOWN", f"shipment id {shipment_id} does not exist")
    packages = list(session.exec(select(Package).where(Package.shipment_id == shipment_id).order_by(col(Package.id))))
    sscc_of = {p.id: p.sscc for p in packages}
    parties = session.exec(select(ShipmentParty).where(ShipmentParty.shipment_id == shipment_id))
    return {
        **_header(shipment),
        "parties": {p.role: {name: getattr(p, name) for name in _PARTY_FIELDS} for p in parties},
        "packages": [
            {
                "sscc": p.sscc,
                "level": p.level,
                "parent_sscc": sscc_of.get(p.parent_package_id),  # type: ignore[arg-type]
                "weight": None if p.weight is None else format_quantity(p.weight),
            }
            for p in packages
        ],
        "lines": _line_records(session, shipment_id, sscc_of),  # type: ignore[arg-type]
    }


def _header(shipment: Shipment) -> dict[str, object]:
    return {
        "id": shipment.id,
        "shipment_number": shipment.shipment_number,
        "partner_id": shipment.partner_id,
        "ship_date": shipment.ship_date.isoformat(),
        "status": shipment.status,
        "carrier_scac": shipment.carrier_scac,
        "carrier_name": shipment.carrier_name,
        "tracking_number": shipment.tracking_number,
        "bill_of_lading": shipment.bill_of_lading,
        "gross_weight": None if shipment.gross_weight is None else format_quantity(shipment.gross_weight),
        "weight_uom": shipment.weight_uom,
        "package_count": shipment.package_count,
        "asn_message_ref": shipment.asn_message_ref,
        "shipped_at": None if shipment.shipped_at is None else shipment.shipped_at.isoformat(),
    }


def _line_records(session: Session, shipment_id: int, sscc_of: dict[int, str]) -> list[dict[str, object]]:
    statement = (
        select(ShipmentLine, SalesOrderLine, SalesOrder, Item, Lot)
        .join(SalesOrderLine, col(SalesOrderLine.id) == ShipmentLine.order_line_id)
        .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.order_id)
        .outerjoin(Item, col(Item.id) == SalesOrderLine.item_id)
        .outerjoin(Lot, col(Lot.id) == ShipmentLine.lot_id)
        .where(ShipmentLine.shipment_id == shipment_id)
        .order_by(col(SalesOrder.po_number), col(SalesOrderLine.line_no), col(ShipmentLine.id))
    )
    return [
        {
            "order_line_id": line.id,
            "po_number": order.po_number,
            "order_date": order.order_date.isoformat(),
            "line_no": line.line_no,
            "buyer_line_ref": line.buyer_line_ref,
            "item_number": item.item_number if item is not None else None,
            "buyer_part": line.buyer_part,
            "vendor_part": line.vendor_part,
            "gtin": (item.gtin if item is not None else None) or line.gtin,
            "uom": line.uom,
            "quantity_ordered": format_quantity(line.quantity),
            "quantity": format_quantity(shipped.quantity),
            "lot_id": shipped.lot_id,
            "lot_number": lot.lot_number if lot is not None else None,
            "expires_on": lot.expires_on.isoformat() if lot is not None and lot.expires_on else None,
            "sscc": sscc_of.get(shipped.package_id) if shipped.package_id is not None else None,
            "serials": shipped.serials.split("\n") if shipped.serials else [],
        }
        for shipped, line, order, item, lot in session.exec(statement)
    ]


def shipments_of_lot(session: Session, lot_id: int) -> list[dict[str, object]]:
    """Where a lot went: one entry per shipment line drawing on it (cancelled shipments left out)."""
    package = aliased(Package)
    statement = (
        select(Shipment, ShipmentLine, SalesOrderLine, SalesOrder, package.sscc)
        .join(ShipmentLine, col(ShipmentLine.shipment_id) == Shipment.id)
        .join(SalesOrderLine, col(SalesOrderLine.id) == ShipmentLine.order_line_id)
        .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.order_id)
        .outerjoin(package, package.id == ShipmentLine.package_id)
        .where(ShipmentLine.lot_id == lot_id, Shipment.status != "cancelled")
        .order_by(col(Shipment.ship_date), col(Shipment.id), col(ShipmentLine.id))
    )
    return [
        {
            "shipment_id": shipment.id,
            "shipment_number": shipment.shipment_number,
            "partner_id": shipment.partner_id,
            "ship_date": shipment.ship_date.isoformat(),
            "status": shipment.status,
            "po_number": order.po_number,
            "line_no": line.line_no,
            "quantity": format_quantity(shipped.quantity),
            "uom": line.uom,
            "sscc": sscc,
            "serials": shipped.serials.split("\n") if shipped.serials else [],
        }
        for shipment, shipped, line, order, sscc in session.exec(statement)
    ]
