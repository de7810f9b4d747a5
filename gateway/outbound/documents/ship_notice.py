"""The 856 of a confirmed shipment: the ERP's shipment record as a canonical ShipNotice.

Packs come from the shipment's packages (SSCC-18 each): a carton holds the lines packed
in it, a pallet is listed under every order one of its cartons belongs to (the S/O/T/P/I
hierarchy shows a mixed pallet that way). The pick/pack structure has no place for a line
outside a pack, so a shipment with unpacked lines is refused rather than sent incomplete.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from edi.canonical.order import Party
from edi.canonical.ship_notice import Carrier, Pack, ShipNotice, ShippedItem, ShippedOrder
from erp_core.models_quality import Lot
from erp_core.services.shipments import shipment_record
from gateway.outbound.documents.common import company_party, party_of, two_char_uom, validated
from gateway.outbound.documents.config import CompanySettings
from gateway.outbound.documents.errors import DOC_DATA_INVALID, DocumentError


def build_ship_notice(session: Session, shipment_id: int, company: CompanySettings, now: dt.datetime) -> ShipNotice:
    """The canonical ship notice of shipment ``shipment_id`` (DocumentError when it cannot be one)."""
    record = shipment_record(session, shipment_id)
    what = f"shipment {record['shipment_number']}"
    lines: list[dict[str, Any]] = record["lines"]  # type: ignore[assignment]
    unpacked = [f"{line['po_number']} line {line['line_no']}" for line in lines if line["sscc"] is None]
    if unpacked:
        raise DocumentError(DOC_DATA_INVALID, f"{what}: lines outside any carton ({', '.join(unpacked)}); "
                            "an 856 pick/pack hierarchy needs every line packed")
    made = _manufactured(session, [line["lot_id"] for line in lines if line["lot_id"] is not None])
    parties: dict[str, dict[str, Any]] = record["parties"]  # type: ignore[assignment]
    ship_to = party_of(parties.get("ship_to"))
    if ship_to is None:
        raise DocumentError(DOC_DATA_INVALID, f"{what}: no ship-to party")
    ship_from = party_of(parties.get("ship_from")) or company_party(company)
    return validated(lambda: ShipNotice(
        shipment_id=str(record["id"]), shipment_number=record["shipment_number"], issued_at=now.replace(tzinfo=None),
        ship_date=dt.date.fromisoformat(record["ship_date"]), carrier=_carrier(record),  # type: ignore[arg-type]
        tracking_number=record["tracking_number"], bill_of_lading=record["bill_of_lading"],
        gross_weight=Decimal(record["gross_weight"]) if record["gross_weight"] else None,  # type: ignore[arg-type]
        weight_uom=record["weight_uom"] or "LB", package_count=record["package_count"] or None,
        ship_from=ship_from, ship_to=ship_to, orders=_orders(record, made, what)), what)


def _carrier(record: dict[str, Any]) -> Carrier | None:
    if not (record["carrier_scac"] or record["carrier_name"]):
        return None
    return Carrier(scac=record["carrier_scac"], name=record["carrier_name"])


def _manufactured(session: Session, lot_ids: list[int]) -> dict[int, dt.date | None]:
    if not lot_ids:
        return {}
    rows = session.exec(select(Lot.id, Lot.manufactured_on).where(col(Lot.id).in_(sorted(set(lot_ids)))))
    return {lot_id: made for lot_id, made in rows}  # type: ignore[misc]


def _orders(record: dict[str, Any], made: dict[int, dt.date | None], what: str) -> list[ShippedOrder]:
    """One ShippedOrder per PO, in the record's PO order; each with its cartons and their pallets."""
    parent_of = {p["sscc"]: p["parent_sscc"] for p in record["packages"]}
    level_of = {p["sscc"]: p["level"] for p in record["packages"]}
    by_po: dict[str, dict[str, list[ShippedItem]]] = defaultdict(dict)
    po_dates: dict[str, str] = {}
    for line in record["lines"]:
        po_dates[line["po_number"]] = line["order_date"]
        by_po[line["po_number"]].setdefault(line["sscc"], []).append(_item(line, made, what))
    orders = []
    for po_number, packed in by_po.items():
        packs: list[Pack] = []
        listed: set[str] = set()
        for sscc, items in packed.items():
            parent = parent_of.get(sscc)
            if parent is not None and parent not in listed and parent not in packed:
                packs.append(Pack(sscc=parent, level="pallet"))
                listed.add(parent)
            packs.append(Pack(sscc=sscc, level=level_of[sscc], parent_sscc=parent, items=items))  # type: ignore[arg-type]
            listed.add(sscc)
        orders.append(ShippedOrder(po_number=po_number, po_date=dt.date.fromisoformat(po_dates[po_number]),
                                   packs=packs))
    return orders


def _item(line: dict[str, Any], made: dict[int, dt.date | None], what: str) -> ShippedItem:
    ref = f"{what} PO {line['po_number']} line {line['line_no']}"
    return ShippedItem(
        line_no=line["buyer_line_ref"] or str(line["line_no"]), buyer_part=line["buyer_part"],
        vendor_part=line["vendor_part"] or line["item_number"], gtin=line["gtin"],
        quantity=Decimal(line["quantity"]), uom=two_char_uom(line["uom"], ref),
        quantity_ordered=Decimal(line["quantity_ordered"]), lot=line["lot_number"],
        expiry=dt.date.fromisoformat(line["expires_on"]) if line["expires_on"] else None,
        manufactured=made.get(line["lot_id"]) if line["lot_id"] is not None else None, serials=line["serials"])


def ship_to_party(session: Session, shipment_id: int) -> Party | None:
    """The shipment's ship-to (for the documents that name the customer)."""
    record = shipment_record(session, shipment_id)
    return party_of(record["parties"].get("ship_to"))  # type: ignore[union-attr]
