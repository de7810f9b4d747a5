"""Shared set-up of the lot, inspection, import and trace tests: a small factory floor.

On top of ``erp_fixtures``' partner acme and its items: WIDGET-1 (GTIN 00036000291452)
has BOM revision A (RESIN-1 and CAP-9) in force since 2025-01-01; acme's order PO-1
asks for GASKET-7 (line 1) and WIDGET-1 (line 2); released component lots R-100 (10 KG
of RESIN-1) and C-7 (100 EA of CAP-9) are in stock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from erp_fixtures import make_order
from sqlmodel import Session

from erp_core.inputs_quality import InspectionInput, LotInput
from erp_core.models_quality import Inspection, Lot
from erp_core.services import boms, booking, inspections, lots

MADE_ON = date(2025, 12, 3)
EXPIRES_ON = date(2027, 12, 31)
INSPECTED_AT = datetime(2025, 12, 4, 9, 30, tzinfo=UTC)


def build_floor(session: Session) -> None:
    """The BOM, acme's order PO-1 and the released component lots (committed)."""
    boms.import_bom(
        session,
        {
            "item_number": "WIDGET-1",
            "revision": "A",
            "effective_from": date(2025, 1, 1),
            "components": [
                {"part": "RESIN-1", "description": "Medical resin", "quantity": Decimal(2), "uom": "KG"},
                {"part": "CAP-9", "description": "Cap", "quantity": Decimal(1)},
            ],
        },
    )
    booking.book_orders(session, [make_order("PO-1", lines=2)])
    lots.record_lot(session, LotInput(item_number="RESIN-1", lot_number="R-100", quantity=Decimal(10),
                                      uom="KG", status="released"))
    lots.record_lot(session, LotInput(item_number="CAP-9", lot_number="C-7", quantity=Decimal(100),
                                      status="released"))
    session.commit()


def widget_lot(session: Session, lot_number: str = "W-001", **overrides: Any) -> Lot:
    """A make-to-order WIDGET-1 lot for PO-1 line 2."""
    values: dict[str, Any] = {
        "item_number": "WIDGET-1",
        "lot_number": lot_number,
        "quantity": Decimal(5),
        "manufactured_on": MADE_ON,
        "expires_on": EXPIRES_ON,
        "partner_id": "acme",
        "po_number": "PO-1",
        "line_no": 2,
    }
    values.update(overrides)
    return lots.record_lot(session, LotInput(**values))


def inspect(session: Session, lot_number: str = "W-001", **overrides: Any) -> Inspection:
    """A final diameter measurement (spec 9.5..10.5 mm) of a WIDGET-1 lot."""
    values: dict[str, Any] = {
        "item_number": "WIDGET-1",
        "lot_number": lot_number,
        "stage": "final",
        "characteristic": "diameter",
        "unit": "mm",
        "lower_limit": Decimal("9.5"),
        "upper_limit": Decimal("10.5"),
        "nominal": Decimal(10),
        "measured": Decimal("10.1"),
        "inspector": "j.doe",
        "instrument": "CAL-042",
        "inspected_at": INSPECTED_AT,
    }
    values.update(overrides)
    return inspections.record_inspection(session, InspectionInput(**values))
