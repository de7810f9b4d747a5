"""Canonical documents: what every inbound file becomes after mapping, whatever its format.

One module per document; :data:`DOCUMENTS` names them for mapping files (``document:``).
"""

from __future__ import annotations

from edi.canonical.base import ENGINE_FILLED, Document, Envelope, ExactDecimal
from edi.canonical.bom import BillOfMaterials
from edi.canonical.certificate import QualityCertificate
from edi.canonical.change import PurchaseOrderChange
from edi.canonical.invoice import Invoice
from edi.canonical.nonconformance import NonconformanceReport
from edi.canonical.order import Line, Party, PurchaseOrder
from edi.canonical.order_ack import OrderAcknowledgement
from edi.canonical.order_status import OrderStatusReport
from edi.canonical.remittance import RemittanceAdvice
from edi.canonical.schedule import PlanningSchedule
from edi.canonical.ship_notice import ShipNotice

#: Document name (a mapping's ``document:``) -> its canonical model.
DOCUMENTS: dict[str, type[Document]] = {
    "purchase_order": PurchaseOrder,
    "bill_of_materials": BillOfMaterials,
    "order_ack": OrderAcknowledgement,
    "po_change": PurchaseOrderChange,
    "planning_schedule": PlanningSchedule,
    "quality_certificate": QualityCertificate,
    "nonconformance_report": NonconformanceReport,
    "order_status": OrderStatusReport,
    "remittance_advice": RemittanceAdvice,
    "ship_notice": ShipNotice,
    "invoice": Invoice,
}

__all__ = ["DOCUMENTS", "ENGINE_FILLED", "Document", "Envelope", "ExactDecimal", "Line", "Party", "PurchaseOrder"]
