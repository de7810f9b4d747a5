"""What is due, partner by partner: the run behind :func:`gateway.outbound.documents.run_due`.

Due, for a partner whose ``outbound:`` entry lists the document:

* 856: each confirmed (``shipped``) shipment without one; the shipment's ``asn_message_ref``
  then names the set that carried it.
* 863 / certificate: each lot such a shipment drew on, once per partner and lot, when its
  verdict passes (otherwise an error row, retried by later runs).
* 810: each confirmed shipment without one; its invoice is created in the ERP core with the
  partner's terms unless it exists, and the invoice's ``message_ref`` names the 810. Each
  credit note issued in the ERP core (a correction) goes out as an 810 credit memo.
* 842: each pending quality alert of the partner; then marked sent in the ERP core.
* 870: only when asked for (``kinds`` names "870", e.g. a scheduled job): one report of the
  partner's open orders, at most once per order and day. A status report is a snapshot
  someone wants at a time of their choosing, not an event, so a plain run never sends one.

Documents in error are tried again by every run until they succeed. One transaction per
partner: its documents, interchange, files and ledger rows are committed together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlmodel import Session

from edi.x12.writer import Party
from erp_core.models import Partner
from erp_core.models_billing import Invoice as ErpInvoice
from erp_core.models_quality import Lot
from erp_core.models_shipping import Shipment
from erp_core.services.partners import get_partner
from erp_core.services.quality_alerts import mark_alert_sent, pending_alerts
from erp_core.services.shipments import set_asn_message_ref
from gateway.context import Context
from gateway.ledger.models import OutboundDocument
from gateway.outbound.documents import ledger
from gateway.outbound.documents.alert_report import build_alert_report
from gateway.outbound.documents.batch import PartnerBatch, hold_control_numbers
from gateway.outbound.documents.certificate import build_certificate, shipped_lot_ids
from gateway.outbound.documents.config import DOCUMENT_KINDS, PartnerOutbound
from gateway.outbound.documents.invoice import build_invoice, invoice_of
from gateway.outbound.documents.ledger import DocKey
from gateway.outbound.documents.order_status import build_order_status, open_order_ids
from gateway.outbound.documents.ship_notice import build_ship_notice

ON_REQUEST = frozenset({"870"})  # sent only when a run names them


def run_due(ctx: Context, partner_id: str | None = None, kinds: Sequence[str] | None = None) -> list[int]:
    """Build every due document (see the module docstring); returns the outbound message ids created."""
    unknown = sorted(set(kinds or ()) - set(DOCUMENT_KINDS))
    if unknown:
        raise ValueError(f"unknown document kinds {unknown}; known: {', '.join(DOCUMENT_KINDS)}")
    wanted = set(kinds) if kinds is not None else set(DOCUMENT_KINDS) - ON_REQUEST
    created: list[int] = []
    for pid, settings in sorted(ctx.settings.outbound.items()):
        todo = wanted & set(settings.documents)
        if (partner_id is not None and pid != partner_id) or not todo:
            continue
        with Session(ctx.engine) as session:
            created += _run_partner(ctx, session, pid, settings, todo)
            session.commit()
    return created


def _run_partner(ctx: Context, session: Session, partner_id: str, settings: PartnerOutbound,
                 kinds: set[str]) -> list[int]:
    partner = get_partner(session, partner_id)
    if partner is None:  # configured but not (or no longer) an ERP partner: nothing to address
        return []
    hold_control_numbers(session, partner_id)  # first, so that no lock is held while waiting for it
    batch = PartnerBatch(ctx, session, partner_id, settings, _receiver(partner), dt.datetime.now(dt.UTC))
    if "856" in kinds:
        _ship_notices(batch)
    if kinds & {"863", "certificate"}:
        _certificates(batch, kinds)
    if "810" in kinds:
        _invoices(batch)
        _credit_notes(batch)
    if "842" in kinds:
        _alerts(batch)
    if "870" in kinds:
        _order_status(batch)
    return batch.finish()


def _receiver(partner: Partner) -> Party | None:
    addresses = sorted(partner.x12_ids, key=lambda a: (a.qualifier, a.x12_id))
    if not addresses:
        return None
    return Party(addresses[0].qualifier, addresses[0].x12_id, partner.gs_id)


def _undone(kind: str, erp_table: str, erp_id: object, partner_id: str) -> object:
    """SQL condition: no created document of ``kind`` for this record and partner yet."""
    return ~exists().where(OutboundDocument.partner_id == partner_id, OutboundDocument.kind == kind,
                           OutboundDocument.erp_table == erp_table, OutboundDocument.erp_id == erp_id,
                           OutboundDocument.status == ledger.CREATED)


def _shipments_due(batch: PartnerBatch, kind: str) -> list[int]:
    return list(batch.session.execute(
        select(Shipment.id).where(Shipment.partner_id == batch.partner_id, Shipment.status == "shipped",
                                  _undone(kind, "erp_shipment", Shipment.id, batch.partner_id))
        .order_by(Shipment.id)).scalars())


def _claim(batch: PartnerBatch, kind: str, erp_table: str, erp_id: int, period: str = "") -> list[OutboundDocument]:
    row = ledger.claim(batch.session, DocKey(batch.partner_id, kind, erp_table, erp_id, period))
    return [row] if row is not None else []


def _ship_notices(batch: PartnerBatch) -> None:
    session = batch.session
    for shipment_id in _shipments_due(batch, "856"):
        batch.add_set("856", _claim(batch, "856", "erp_shipment", shipment_id), f"shipment id {shipment_id}",
                      lambda s=shipment_id: build_ship_notice(session, s, batch.settings.company, batch.now),
                      lambda ref, s=shipment_id: set_asn_message_ref(session, s, ref))


def _certificates(batch: PartnerBatch, kinds: set[str]) -> None:
    session = batch.session
    shipped = session.execute(select(Shipment.id).where(Shipment.partner_id == batch.partner_id,
                                                        Shipment.status == "shipped").order_by(Shipment.id)).scalars()
    for shipment_id in list(shipped):
        for lot_id in shipped_lot_ids(session, shipment_id):
            def build(s: int = shipment_id, lot: int = lot_id) -> object:
                return build_certificate(session, s, lot, batch.settings, batch.now)

            ref = f"lot id {lot_id}"
            if "863" in kinds:
                batch.add_set("863", _claim(batch, "863", "erp_lot", lot_id), ref, build)
            if "certificate" in kinds:
                rows = _claim(batch, "certificate", "erp_lot", lot_id)
                batch.add_pdf(rows[0] if rows else None, f"certificate-{_lot_number(batch, lot_id)}", ref, build)


def _lot_number(batch: PartnerBatch, lot_id: int) -> str:
    lot = batch.session.get(Lot, lot_id)
    return lot.lot_number if lot is not None else str(lot_id)


def _invoices(batch: PartnerBatch) -> None:
    session = batch.session
    for shipment_id in _shipments_due(batch, "810"):
        invoice_holder: list[ErpInvoice] = []

        def build(s: int = shipment_id, holder: list[ErpInvoice] = invoice_holder) -> object:
            holder[:] = [invoice_of(session, s, batch.settings.invoice)]
            return build_invoice(session, holder[0], batch.settings)

        def sent(ref: str, holder: list[ErpInvoice] = invoice_holder) -> None:
            holder[0].message_ref = ref
            session.add(holder[0])

        batch.add_set("810", _claim(batch, "810", "erp_shipment", shipment_id), f"shipment id {shipment_id}",
                      build, sent)


def _credit_notes(batch: PartnerBatch) -> None:
    session = batch.session
    due = session.execute(select(ErpInvoice.id).where(
        ErpInvoice.partner_id == batch.partner_id, ErpInvoice.kind == "credit_note",
        _undone("810", "erp_invoice", ErpInvoice.id, batch.partner_id)).order_by(ErpInvoice.id)).scalars()
    for credit_id in list(due):
        def build(c: int = credit_id) -> object:
            return build_invoice(session, _invoice(session, c), batch.settings)

        def sent(ref: str, c: int = credit_id) -> None:
            credit = _invoice(session, c)
            credit.message_ref = ref
            session.add(credit)

        batch.add_set("810", _claim(batch, "810", "erp_invoice", credit_id), f"credit note id {credit_id}", build,
                      sent)


def _invoice(session: Session, invoice_id: int) -> ErpInvoice:
    found = session.get(ErpInvoice, invoice_id)
    if found is None:  # selected in this transaction a moment ago
        raise LookupError(f"invoice #{invoice_id} vanished")
    return found


def _alerts(batch: PartnerBatch) -> None:
    session = batch.session
    for alert in pending_alerts(session, batch.partner_id):
        batch.add_set("842", _claim(batch, "842", "erp_quality_alert", alert.id), f"alert {alert.id}",
                      lambda a=alert.id: build_alert_report(session, a, batch.settings.company, batch.now.date()),
                      lambda ref, a=alert.id: mark_alert_sent(session, a, ref))


def _order_status(batch: PartnerBatch) -> None:
    today = batch.now.date()
    rows = [row for order_id in open_order_ids(batch.session, batch.partner_id)
            for row in _claim(batch, "870", "erp_sales_order", order_id, today.isoformat())]
    order_ids = [row.erp_id for row in rows]
    batch.add_set("870", rows, f"order status {today.isoformat()}",
                  lambda: build_order_status(batch.session, batch.partner_id, order_ids, batch.settings.company,
                                             today))

