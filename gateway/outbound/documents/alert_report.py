"""The 842 of a pending quality alert: a limit breach or a nonconformance, about one lot.

A ``limit`` alert reports the measurement against the partner's own alert limits (the
reason it was raised, tighter than our specification); a ``nonconformance`` alert the
nonconformance record with its disposition as the action taken. The PO is named only when
the lot was made for one of this partner's orders.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from edi.canonical.certificate import ItemRef
from edi.canonical.nonconformance import Nonconformance, NonconformanceReport
from edi.canonical.order import Party
from erp_core.models import Item, Partner, SalesOrder, SalesOrderLine
from erp_core.models_quality import AlertLimit, Inspection, Lot, QualityAlert
from erp_core.models_quality import Nonconformance as ErpNonconformance
from gateway.outbound.documents.common import company_party, validated, x12_unit
from gateway.outbound.documents.config import CompanySettings
from gateway.outbound.documents.errors import DOC_DATA_INVALID, DocumentError


def build_alert_report(session: Session, alert_id: int, company: CompanySettings,
                       today: dt.date) -> NonconformanceReport:
    alert = session.get(QualityAlert, alert_id)
    lot = session.get(Lot, alert.lot_id) if alert is not None else None
    item = session.get(Item, lot.item_id) if lot is not None else None
    if alert is None or lot is None or item is None:
        raise DocumentError(DOC_DATA_INVALID, f"quality alert id {alert_id} or its lot does not exist")
    what = f"alert {alert_id} on lot {lot.lot_number}"
    finding = _limit_finding(session, alert, lot, what) if alert.kind == "limit" else _nc_finding(session, alert, what)
    line = session.get(SalesOrderLine, lot.order_line_id) if lot.order_line_id is not None else None
    order = session.get(SalesOrder, line.order_id) if line is not None else None
    if order is not None and order.partner_id != alert.partner_id:
        order = None  # a component lot made for someone else: their PO is none of this partner's business
    partner = session.get(Partner, alert.partner_id)
    return validated(lambda: NonconformanceReport(
        report_number=f"QA-{alert_id}", report_date=today, issuer=company_party(company),
        customer=Party(name=partner.name, id=partner.id) if partner is not None else None,
        po_number=order.po_number[:22] if order is not None else None,
        order_reference=f"SO-{order.id}" if order is not None else None,
        item=ItemRef(vendor_part=item.item_number, buyer_part=line.buyer_part if order is not None else None,
                     description=item.description, gtin=item.gtin),
        lot_number=lot.lot_number, quantity=lot.quantity, uom=_uom(lot.uom), nonconformances=[finding]), what)


def _uom(uom: str) -> str | None:
    code = uom.strip().upper()
    return code if len(code) == 2 and code.isalnum() else None


def _limit_finding(session: Session, alert: QualityAlert, lot: Lot, what: str) -> Nonconformance:
    inspection = session.get(Inspection, alert.inspection_id) if alert.inspection_id is not None else None
    if inspection is None:
        raise DocumentError(DOC_DATA_INVALID, f"{what}: its inspection does not exist")
    limit = session.get(AlertLimit, (alert.partner_id, lot.item_id, inspection.characteristic))
    return validated(lambda: Nonconformance(
        reference=f"ALERT-{alert.id}", description=alert.message, severity="major",
        characteristic=inspection.characteristic, measured=inspection.measured,
        unit=x12_unit(inspection.unit, f"{what} {inspection.characteristic}"),
        lower=limit.lower if limit is not None else inspection.lower_limit,
        upper=limit.upper if limit is not None else inspection.upper_limit,
        detected_on=inspection.inspected_at.date(),
        actions=[f"Inspection result {inspection.result.upper()} against specification"]), what)


def _nc_finding(session: Session, alert: QualityAlert, what: str) -> Nonconformance:
    nc = session.get(ErpNonconformance, alert.nonconformance_id) if alert.nonconformance_id is not None else None
    if nc is None:
        raise DocumentError(DOC_DATA_INVALID, f"{what}: its nonconformance does not exist")
    actions = [f"Disposition: {nc.disposition.replace('_', ' ')}"] if nc.disposition else ["Under investigation"]
    return validated(lambda: Nonconformance(
        reference=nc.number[:20], description=nc.description, severity=nc.severity,  # type: ignore[arg-type]
        detected_on=nc.opened_at.date(), actions=actions), what)
