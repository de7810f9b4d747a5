"""Validated inputs for BOMs, stock and capacity (see :mod:`erp_core.inputs` for the conventions).

Length limits mirror the columns of :mod:`erp_core.models_bom`. Reference designators
are normalised here, once, so that the stored text and the ECO diff never show
``r1,R2`` and ``R1 R2`` as different.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from erp_core.inputs import InputModel, PartNumber, Quantity, Uom, bounded_text
from erp_core.models_bom import DEFAULT_LOCATION, MON_TO_FRI, WEEKDAYS
from erp_core.types import fits_exactly

MAX_DESIGNATOR_RANGE = 1000
"""Largest range a designator span such as ``R1-R8`` may expand to (a typo like R1-R10000 is refused)."""

_SEPARATORS = re.compile(r"[\s,;]+")
_DESIGNATOR = re.compile(r"^[A-Z][A-Z0-9_.+/#]*$")
_RANGE = re.compile(r"^([A-Z]+)(\d+)-(?:\1)?(\d+)$")
_NATURAL = re.compile(r"^([A-Z_.+/#]*)(\d*)(.*)$")

RevisionLabel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
LocationCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=16)]
CentreCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=16)]


def normalize_ref_designators(values: Iterable[str]) -> tuple[str, ...]:
    """Reference designators split on spaces/commas/semicolons, upper-cased, ranges expanded, sorted.

    ``["r1, R3-R4", "C2"]`` becomes ``("C2", "R1", "R3", "R4")``. A designator listed
    twice is refused: on a placement BOM that is an error, not a formatting habit.
    """
    found: list[str] = []
    for value in values:
        for token in _SEPARATORS.split(value.strip().upper()):
            if token:
                found.extend(_expand(token))
    duplicates = sorted({d for d in found if found.count(d) > 1})
    if duplicates:
        raise ValueError(f"reference designator(s) listed twice: {' '.join(duplicates)}")
    return tuple(sorted(found, key=designator_sort_key))


def designator_sort_key(designator: str) -> tuple[str, int, str]:
    """Natural order: R2 before R10."""
    match = _NATURAL.match(designator)
    prefix, number, rest = match.groups() if match else (designator, "", "")
    return (prefix, int(number) if number else -1, rest)


def _expand(token: str) -> list[str]:
    span = _RANGE.match(token)
    if span is None:
        if not _DESIGNATOR.match(token):
            raise ValueError(f"{token!r} is not a reference designator")
        return [token]
    prefix, first, last = span.group(1), int(span.group(2)), int(span.group(3))
    if not first <= last < first + MAX_DESIGNATOR_RANGE:
        raise ValueError(f"designator range {token!r} must ascend and span at most {MAX_DESIGNATOR_RANGE}")
    return [f"{prefix}{number}" for number in range(first, last + 1)]


def _working_days(days: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [day for day in days if day not in WEEKDAYS]
    if unknown or not days:
        raise ValueError(f"working days must be a non-empty subset of {', '.join(WEEKDAYS)}; got {list(days)}")
    return tuple(day for day in WEEKDAYS if day in days)


def _stock_quantity(value: Decimal) -> Decimal:
    if not fits_exactly(value):
        raise ValueError("quantity must fit NUMERIC(18,6) exactly")
    return value


RefDesignators = Annotated[tuple[str, ...], AfterValidator(normalize_ref_designators)]
WorkingDays = Annotated[
    tuple[Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True)], ...],
    AfterValidator(_working_days),
]
StockQuantity = Annotated[Decimal, AfterValidator(_stock_quantity)]


class BomComponentInput(InputModel):
    """One component line as an engineering BOM lists it.

    ``parent`` is for flat multi-level files: the part number of the sub-assembly
    this line belongs to (which must itself be a line of the same file); None means
    the BOM's own item. ``find_number`` None: numbered after the highest given one,
    in file order.
    """

    part: PartNumber
    description: Annotated[str, bounded_text(255)] | None = None
    quantity: Quantity
    uom: Uom = "EA"
    ref_designators: RefDesignators = ()
    find_number: Annotated[int, Field(ge=1, le=999_999)] | None = None
    parent: PartNumber | None = None
    notes: Annotated[str, bounded_text(255)] | None = None


class BomInput(InputModel):
    """A BOM revision to import, possibly with its sub-assemblies (components with ``parent``).

    ``effective_from`` None means "today" at import, and is not compared when the same
    revision is imported again. Sub-assemblies get the revision label
    ``subassembly_revisions[part]`` when given, else the top-level ``revision``; an
    unchanged sub-assembly reuses its current revision whatever the label (see
    :func:`erp_core.services.boms.import_bom`).
    """

    item_number: PartNumber
    revision: RevisionLabel
    effective_from: date | None = None
    description: Annotated[str, bounded_text(255)] | None = None
    source_ref: Annotated[str, bounded_text(128)] | None = None
    components: Annotated[tuple[BomComponentInput, ...], Field(min_length=1)]
    subassembly_revisions: dict[PartNumber, RevisionLabel] = Field(default_factory=dict)


class WorkCentreInput(InputModel):
    """A work centre; ``daily_capacity`` is in units per working day."""

    code: CentreCode
    name: Annotated[str, bounded_text(100)]
    daily_capacity: Quantity
    working_days: WorkingDays = WEEKDAYS[:5]

    @property
    def working_days_mask(self) -> int:
        """The ``working_days`` bit mask stored in ``erp_work_centre`` (bit 0 = Monday)."""
        mask = sum(1 << WEEKDAYS.index(day) for day in self.working_days)
        return mask or MON_TO_FRI


class RoutingInput(InputModel):
    """How an item is obtained: ``work_centre`` None means bought in (see ``ItemRouting``)."""

    item_number: PartNumber
    work_centre: CentreCode | None = None
    units_per_day: Quantity | None = None
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] = 0


class StockInput(InputModel):
    """A stock figure or movement for one item at one location."""

    item_number: PartNumber
    quantity: StockQuantity
    location: LocationCode = DEFAULT_LOCATION
