"""Bills of materials (CSV, IPC-2581 XML): a new revision, with its ECO-style diff, or nothing."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from edi.canonical import Document
from erp_core.inputs_bom import BomInput
from erp_core.services.boms import import_bom
from gateway.inbound.erp_handlers import Prepared, SingleHandler, refused
from gateway.inbound.handlers import BOOKED, Applied


class BomHandler(SingleHandler):
    invalid_code = "BOM_INVALID"

    def prepare(self, document: Document, partner_id: str) -> object:
        bom: Any = document
        components = [{"part": c.part, "description": c.description, "quantity": c.quantity, "uom": c.uom,
                       "ref_designators": list(c.ref_designators or []), "find_number": _find_number(c.find_number),
                       "parent": c.parent} for c in bom.components]
        fields = {"item_number": bom.item, "revision": bom.revision or "1", "description": bom.description,
                  "components": components}
        if bom.effective_from is not None:
            fields["effective_from"] = bom.effective_from
        return Prepared(f"BOM {bom.item} rev {fields['revision']}", fields)

    def apply_one(self, session: Session, prepared: Prepared, source: str) -> Applied:
        try:
            bom = BomInput.model_validate({**(prepared.fields or {}), "source_ref": source})
        except (ValidationError, ValueError) as exc:
            return self.invalid(prepared, exc)
        result = import_bom(session, bom)
        if result.status == "rejected":
            return refused(prepared.ref, result.problems, "BOM_INVALID")
        return Applied(BOOKED, prepared.ref, _first(result))


def _find_number(value: str | None) -> int | None:
    """Find numbers the ERP core keeps are item numbers on the drawing (integers); others stay in the source."""
    return int(value) if value and value.strip().isdigit() else None


def _first(result: Any) -> int | None:
    ids = getattr(result, "revision_ids", None) or [getattr(result, "bom_revision_id", None)]
    return ids[0] if ids else None
