"""Validated inputs for lots, serials, consumptions, inspections, nonconformances and alert limits.

Conventions as in :mod:`erp_core.inputs`: frozen models, unknown fields refused,
lengths mirroring the columns of :mod:`erp_core.models_quality`. Lots are referred to
the way an MES names them, by our item number and the lot number, never by row id.

Lot and serial numbers must fit GS1 AI (10) / (21): at most 20 characters of the GS1
"character set 82" (printable ASCII without space, ``#``, ``$``, ``@``, brackets,
backslash, caret, backtick, braces, ``|`` and ``~``), because they go into UDI
barcodes as they are. Checks that need more than one field and have their own error
code (limits in the wrong order, a measurement without limits) are made by the
services, so that the library and the MES import report them with the same code.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, model_validator

from erp_core.inputs import InputModel, PartnerSlug, PartNumber, Quantity, Uom, bounded_text
from erp_core.inputs_bom import RevisionLabel
from erp_core.models_quality import LOT_NUMBER_MAX
from erp_core.types import fits_exactly

GS1_CHARSET_82 = r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$"

LotStatus = Literal["released", "quarantined", "rejected"]
InspectionStage = Literal["first_article", "in_process", "final"]
InspectionResult = Literal["pass", "fail"]
Disposition = Literal["use_as_is", "rework", "scrap", "return"]
Severity = Literal["minor", "major", "critical"]

LotNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LOT_NUMBER_MAX, pattern=GS1_CHARSET_82)
]
SerialNumber = LotNumber


def _measurement(value: Decimal) -> Decimal:
    """Any sign (temperatures, offsets), but exact in NUMERIC(18,6)."""
    if not fits_exactly(value):
        raise ValueError("value must fit NUMERIC(18,6) exactly (at most 6 decimals, under 10**12)")
    return value


Measurement = Annotated[Decimal, AfterValidator(_measurement)]
Characteristic = Annotated[str, bounded_text(80)]


class LotInput(InputModel):
    """A lot as production (or goods receipt, for component material) reports it.

    The order line is named by ``partner_id`` + ``po_number`` + ``line_no`` (all three
    or none: a stock lot). ``uom`` None: the item's unit. ``bom_revision`` None: the
    order line's BOM revision, else the item's revision in force on
    ``manufactured_on`` (today when that is unknown). ``status`` defaults to
    ``quarantined``: a production lot is held until its inspections release it.
    """

    item_number: PartNumber
    lot_number: LotNumber
    quantity: Quantity
    uom: Uom | None = None
    manufactured_on: date | None = None
    expires_on: date | None = None
    partner_id: PartnerSlug | None = None
    po_number: Annotated[str, bounded_text(35)] | None = None
    line_no: Annotated[int, Field(ge=1)] | None = None
    bom_revision: RevisionLabel | None = None
    status: LotStatus = "quarantined"
    serials: tuple[SerialNumber, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> LotInput:
        order_ref = (self.partner_id, self.po_number, self.line_no)
        if any(v is not None for v in order_ref) and any(v is None for v in order_ref):
            raise ValueError("an order line needs partner_id, po_number and line_no together")
        if self.manufactured_on and self.expires_on and self.expires_on < self.manufactured_on:
            raise ValueError("expires_on is before manufactured_on")
        return self

    @property
    def names_order_line(self) -> bool:
        """True for a make-to-order lot."""
        return self.line_no is not None


class SerialsInput(InputModel):
    """Serial numbers of units of a lot."""

    item_number: PartNumber
    lot_number: LotNumber
    serials: Annotated[tuple[SerialNumber, ...], Field(min_length=1)]


class ConsumptionInput(InputModel):
    """A quantity of a component lot (in that lot's unit) issued into a lot."""

    item_number: PartNumber
    lot_number: LotNumber
    component_item_number: PartNumber
    component_lot_number: LotNumber
    quantity: Quantity


class InspectionInput(InputModel):
    """One inspected characteristic: ``measured`` against limits, or an ``attribute_result`` with ``result``.

    For a measurement ``result`` may be left out (it is computed); when given it must
    agree with the limits.
    """

    item_number: PartNumber
    lot_number: LotNumber
    stage: InspectionStage
    characteristic: Characteristic
    unit: Annotated[str, bounded_text(16)] | None = None
    lower_limit: Measurement | None = None
    upper_limit: Measurement | None = None
    nominal: Measurement | None = None
    measured: Measurement | None = None
    attribute_result: Annotated[str, bounded_text(80)] | None = None
    result: InspectionResult | None = None
    inspector: Annotated[str, bounded_text(64)]
    instrument: Annotated[str, bounded_text(64)] | None = None
    inspected_at: AwareDatetime
    notes: Annotated[str, bounded_text(255)] | None = None


class NonconformanceInput(InputModel):
    """A nonconformance against a lot; ``closed_at`` records one already closed (needs a disposition)."""

    item_number: PartNumber
    lot_number: LotNumber
    number: Annotated[str, bounded_text(32)]
    description: Annotated[str, bounded_text(500)]
    severity: Severity
    disposition: Disposition | None = None
    opened_at: AwareDatetime | None = None
    closed_at: AwareDatetime | None = None


class AlertLimitInput(InputModel):
    """A partner's alert limits for an item characteristic; at least one bound."""

    partner_id: PartnerSlug
    item_number: PartNumber
    characteristic: Characteristic
    lower: Measurement | None = None
    upper: Measurement | None = None
