"""The 870 order status report: every open order of a partner, line by line.

Per line: ordered, in production (lots recorded for the line and still in quarantine),
inspected (lots released by quality), shipped (confirmed shipments). An order is open
while it is not cancelled or closed and some line is not fully shipped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlmodel import Session, col, select

from edi.canonical.order import Party
from edi.canonical.order_status import OrderStatusReport, StatusLine, StatusOrder
from erp_core.models import Partner, SalesOrder, SalesOrderLine
from erp_core.models_quality import Lot
from gateway.outbound.documents.common import company_party, two_char_uom, validated
from gateway.outbound.documents.config import CompanySettings

CLOSED_ORDERS = ("cancelled", "closed")


def open_order_ids(session: Session, partner_id: str) -> list[int]:
    """The partner's orders with some open line not fully shipped, oldest first."""
    statement = (select(SalesOrder.id).join(SalesOrderLine, col(SalesOrderLine.order_id) == SalesOrder.id)
                 .where(SalesOrder.partner_id == partner_id, col(SalesOrder.status).not_in(CLOSED_ORDERS),
                        SalesOrderLine.status != "cancelled",
                        col(SalesOrderLine.quantity_shipped) < col(SalesOrderLine.quantity))
                 .distinct().order_by(SalesOrder.id))
    return [order_id for order_id in session.exec(statement) if order_id is not None]


def build_order_status(session: Session, partner_id: str, order_ids: list[int], company: CompanySettings,
                       today: dt.date) -> OrderStatusReport:
    partner = session.get(Partner, partner_id)
    orders = list(session.exec(select(SalesOrder).where(col(SalesOrder.id).in_(order_ids)).order_by(SalesOrder.id)))
    lots = _lot_quantities(session, [line.id for order in orders for line in order.lines])  # type: ignore[misc]
    overship = bool(partner is not None and partner.allow_overship)
    return validated(lambda: OrderStatusReport(
        report_number=f"OSR-{today:%Y%m%d}", report_kind="periodic", report_date=today,
        seller=company_party(company), buyer=Party(name=partner.name, id=partner.id) if partner else None,
        orders=[StatusOrder(po_number=order.po_number[:22], po_date=order.order_date,
                            order_reference=f"SO-{order.id}",
                            lines=[_line(line, lots.get(line.id, {}), overship, today)  # type: ignore[arg-type]
                                   for line in sorted(order.lines, key=lambda x: x.line_no)])
                for order in orders]), f"order status of {partner_id}")


def _lot_quantities(session: Session, line_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    found: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    if line_ids:
        for line_id, status, quantity in session.exec(select(Lot.order_line_id, Lot.status, Lot.quantity)
                                                      .where(col(Lot.order_line_id).in_(line_ids))):
            found[line_id][status] += quantity  # type: ignore[index]
    return found


def _line(line: SalesOrderLine, lots: dict[str, Decimal], overship: bool, today: dt.date) -> StatusLine:
    in_production, inspected = lots.get("quarantined", Decimal(0)), lots.get("released", Decimal(0))
    shipped = line.quantity_shipped
    if line.status == "cancelled":
        status = "cancelled"
    elif shipped >= line.quantity:
        status = "shipped"
    elif shipped > 0:
        status = "partially_shipped"
    elif inspected > 0:
        status = "inspected"
    elif in_production > 0:
        status = "in_production"
    else:
        status = "open"
    return StatusLine(line_no=line.buyer_line_ref or str(line.line_no), buyer_part=line.buyer_part,
                      vendor_part=line.vendor_part, gtin=line.gtin, uom=two_char_uom(line.uom, f"line {line.line_no}"),
                      unit_price=line.unit_price, ordered=line.quantity, in_production=in_production,
                      inspected=inspected, shipped=shipped, status=status, status_date=today,  # type: ignore[arg-type]
                      scheduled_ship=line.requested_date, over_shipment_allowed=overship)
