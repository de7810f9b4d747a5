"""Canonical documents: what every inbound file becomes after mapping, whatever its format.

One module per document; :data:`DOCUMENTS` names them for mapping files (``document:``).
"""

from __future__ import annotations

from edi.canonical.base import ENGINE_FILLED, Document, Envelope, ExactDecimal
from edi.canonical.order import Line, Party, PurchaseOrder

#: Document name (a mapping's ``document:``) -> its canonical model.
DOCUMENTS: dict[str, type[Document]] = {
    "purchase_order": PurchaseOrder,
}

__all__ = ["DOCUMENTS", "ENGINE_FILLED", "Document", "Envelope", "ExactDecimal", "Line", "Party", "PurchaseOrder"]
