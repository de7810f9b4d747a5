"""Order changes (X12 860, UBL OrderChange): applied to the booked order as a new revision."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from edi.canonical import Document
from edi.errors import EdiError
from erp_core.inputs_changes import OrderChangeInput
from erp_core.services.changes import apply_order_change
from gateway.inbound.erp_handlers import Prepared, SingleHandler, refused
from gateway.inbound.handlers import BOOKED, DUPLICATE, FAILED, Applied

# Canonical purpose (BCH01 through the mapping's code list) -> the ERP core's change purpose.
PURPOSES = MappingProxyType({"change": "change", "cancellation": "cancel", "cancel": "cancel",
                             "replace": "replace"})
# Canonical line action (POC02 through the mapping's code list) -> the ERP core's line action.
ACTIONS = MappingProxyType({
    "add": "add", "cancel": "cancel", "quantity_increase": "change", "quantity_decrease": "change",
    "price_change": "change", "date_change": "change", "change": "change", "replace": "change",
})


def _line(line: Any) -> dict[str, Any] | str | None:
    """The ERP core's line change; None for a line the partner repeats unchanged (POC02 NC); text when refused."""
    if line.action == "no_change":
        return None
    action = ACTIONS.get(line.action or "")
    if action is None:
        return f"line {line.line_no}: change {line.action!r} ({line.change_code}) cannot be applied"
    return {"buyer_line_ref": line.line_no, "action": action, "quantity": line.quantity,
            "unit_price": line.unit_price, "requested_date": line.requested_date, "uom": line.uom,
            "buyer_part": line.buyer_part, "vendor_part": line.vendor_part, "gtin": line.gtin,
            "description": line.description}


class ChangeHandler(SingleHandler):
    invalid_code = "CHANGE_INVALID"

    def prepare(self, document: Document, partner_id: str) -> object:
        change: Any = document
        ref = f"PO {change.po_number}"
        purpose = PURPOSES.get(change.purpose or "change")
        if purpose is None:
            return Prepared(ref, None, EdiError("CHANGE_INVALID", f"{ref}: purpose {change.purpose!r} is not a change"))
        lines = [edit for line in change.lines if (edit := _line(line)) is not None]
        bad = [text for text in lines if isinstance(text, str)]
        if bad:
            return Prepared(ref, None, EdiError("CHANGE_INVALID", f"{ref}: {bad[0]}"))
        return Prepared(ref, {"partner_id": partner_id, "po_number": change.po_number, "purpose": purpose,
                              "change_date": change.change_date, "changed_by": partner_id, "lines": lines})

    def apply_one(self, session: Session, prepared: Prepared, source: str) -> Applied:
        try:
            change = OrderChangeInput.model_validate({**(prepared.fields or {}), "source_ref": source})
        except (ValidationError, ValueError) as exc:
            return self.invalid(prepared, exc)
        result = apply_order_change(session, change)
        if result.status == "applied":
            return Applied(BOOKED, prepared.ref, result.order_id, reply="865")
        status = DUPLICATE if result.status == "duplicate" else FAILED
        return refused(prepared.ref, result.problems, "CHANGE_INVALID", "CHANGE_DUPLICATE", status)
