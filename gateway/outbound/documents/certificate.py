"""The quality certificate of one shipped lot (X12 863 and PDF) from its inspection record.

A certificate is built only for a lot whose verdict passes (final inspections all passed,
no open nonconformance, not rejected): a lot that does not pass gets an error in the ledger,
never a certificate. Every inspection of the lot is reported, first-article and in-process
included; the canonical model refuses a "pass" over a failed characteristic, so such a lot
is an error too, for a person to look at, rather than a certificate that hides a result.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Session, col, select

from edi.canonical.certificate import Approver, Inspection, ItemRef, QualityCertificate
from edi.canonical.order import Party
from erp_core.models import Item, Partner, SalesOrder, SalesOrderLine
from erp_core.models_bom import BomRevision
from erp_core.models_quality import Inspection as ErpInspection
from erp_core.models_quality import Lot
from erp_core.models_shipping import ShipmentLine
from erp_core.services.inspections import lot_inspections, lot_verdict
from erp_core.udi import UdiError, udi
from gateway.outbound.documents.common import company_party, two_char_uom, validated, x12_unit
from gateway.outbound.documents.config import PartnerOutbound
from gateway.outbound.documents.errors import DOC_DATA_INVALID, DOC_LOT_VERDICT_FAIL, DocumentError

REPORT_TYPES = {"CA": "analysis", "CP": "compliance"}
NUMBER_PREFIX = {"CA": "COA", "CP": "COC"}


def shipped_lot_ids(session: Session, shipment_id: int) -> list[int]:
    """The lots a shipment drew on, in the order of its lines."""
    rows = session.exec(select(ShipmentLine.lot_id).where(ShipmentLine.shipment_id == shipment_id,
                                                          col(ShipmentLine.lot_id).is_not(None))
                        .order_by(col(ShipmentLine.id)))
    return list(dict.fromkeys(lot_id for lot_id in rows if lot_id is not None))


def build_certificate(session: Session, shipment_id: int, lot_id: int, settings: PartnerOutbound,
                      now: dt.datetime) -> QualityCertificate:
    """The certificate of lot ``lot_id`` as shipped in ``shipment_id`` (DocumentError when none may be issued)."""
    lot = session.get(Lot, lot_id)
    item = session.get(Item, lot.item_id) if lot is not None else None
    if lot is None or item is None:
        raise DocumentError(DOC_DATA_INVALID, f"lot id {lot_id} does not exist")
    what = f"lot {lot.lot_number} of {item.item_number}"
    verdict = lot_verdict(session, lot_id)
    if not verdict.passed:
        raise DocumentError(DOC_LOT_VERDICT_FAIL, f"{what}: {'; '.join(verdict.reasons)}")
    rows = list(session.exec(
        select(ShipmentLine, SalesOrderLine, SalesOrder)
        .join(SalesOrderLine, col(SalesOrderLine.id) == ShipmentLine.order_line_id)
        .join(SalesOrder, col(SalesOrder.id) == SalesOrderLine.order_id)
        .where(ShipmentLine.shipment_id == shipment_id, ShipmentLine.lot_id == lot_id)
        .order_by(col(SalesOrder.po_number), col(ShipmentLine.id))))
    if not rows:
        raise DocumentError(DOC_DATA_INVALID, f"{what} is not in shipment id {shipment_id}")
    _, line, order = rows[0]
    quantity = sum((shipped.quantity for shipped, _, _ in rows), Decimal(0))
    gtin = item.gtin or line.gtin
    if settings.approver is None:  # PartnerOutbound requires one for certificates; never sign for nobody
        raise DocumentError(DOC_DATA_INVALID, f"{what}: no approver is configured for certificates")
    approver = Approver(name=settings.approver.name, title=settings.approver.title, signed_at=now.replace(tzinfo=None))
    inspections = [_inspection(i, what) for i in lot_inspections(session, lot_id)]
    customer = session.get(Partner, order.partner_id)
    return validated(lambda: QualityCertificate(
        certificate_number=f"{NUMBER_PREFIX[settings.certificate_type]}-{lot.lot_number}",
        report_type=REPORT_TYPES[settings.certificate_type], issue_date=now.date(),  # type: ignore[arg-type]
        issuer=company_party(settings.company),
        customer=Party(name=customer.name, id=customer.id) if customer is not None else None,
        po_number=order.po_number, po_date=order.order_date, order_reference=f"SO-{order.id}",
        item=ItemRef(vendor_part=item.item_number, buyer_part=line.buyer_part, description=item.description,
                     gtin=gtin),
        lot_number=lot.lot_number, quantity=quantity, uom=two_char_uom(line.uom, what),
        manufactured=lot.manufactured_on, expiry=lot.expires_on, udi=_udi(gtin, lot, what),
        bom_revision=_bom_revision(session, lot.bom_revision_id or line.bom_revision_id),
        inspections=inspections, verdict="pass", approver=approver), what)


def _inspection(row: ErpInspection, what: str) -> Inspection:
    return validated(lambda: Inspection(
        stage=row.stage, characteristic=row.characteristic,  # type: ignore[arg-type]
        unit=x12_unit(row.unit, f"{what} {row.characteristic}"), lower=row.lower_limit, upper=row.upper_limit,
        nominal=row.nominal, measured=row.measured, attribute_result=row.attribute_result,
        verdict=row.result, inspector=row.inspector, instrument=row.instrument,  # type: ignore[arg-type]
        inspected_on=row.inspected_at.date()), f"{what} {row.characteristic}")


def _udi(gtin: str | None, lot: Lot, what: str) -> str | None:
    if gtin is None:
        return None
    try:
        return udi(gtin, lot.lot_number, lot.expires_on)
    except UdiError as exc:
        raise DocumentError(UdiError.code, f"{what}: {exc}") from None


def _bom_revision(session: Session, revision_id: int | None) -> str | None:
    revision = session.get(BomRevision, revision_id) if revision_id is not None else None
    return revision.revision if revision is not None else None
