"""BOM component lines as the import and the ECO diff compare them: by part number, merged, numbered.

A file may list one part several times under the same parent (once per placement);
the stored BOM holds one line per part (``uq_erp_bom_component_item``), so such lines
are merged here: quantities summed, reference designators united, the lowest find
number kept. Lines that cannot be merged (different units, a designator placed
twice) are problems for the caller to report, never silently "fixed".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from erp_core.inputs_bom import BomComponentInput, designator_sort_key
from erp_core.types import fits_exactly

BomErrorCode = Literal["BOM_REVISION_EXISTS", "BOM_CYCLE", "BOM_INVALID", "BOM_EFFECTIVITY"]
DiffField = Literal["find_number", "quantity", "uom", "ref_designators", "notes"]
DIFF_FIELDS: tuple[DiffField, ...] = ("find_number", "quantity", "uom", "ref_designators", "notes")


@dataclass(frozen=True, slots=True)
class BomProblem:
    """Why an import was rejected; ``part`` names the assembly or component concerned."""

    code: BomErrorCode
    message: str
    part: str | None = None


@dataclass(frozen=True, slots=True)
class ComponentLine:
    """One component of one assembly; equality is the BOM content (the description is not part of it)."""

    find_number: int
    part: str
    quantity: Decimal
    uom: str
    ref_designators: tuple[str, ...] = ()
    notes: str | None = None
    description: str | None = field(default=None, compare=False)

    def value(self, name: DiffField) -> str | None:
        """A field as the diff shows it: quantities without trailing zeros, designators space separated."""
        if name == "quantity":
            return format_quantity(self.quantity)
        if name == "ref_designators":
            return " ".join(self.ref_designators) or None
        if name == "find_number":
            return str(self.find_number)
        return self.uom if name == "uom" else self.notes


@dataclass(frozen=True, slots=True)
class ComponentChange:
    """One field of one component that differs between two revisions."""

    part: str
    field: DiffField
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class BomDiff:
    """An ECO-style difference: components added, removed, and fields changed, each by part number."""

    added: tuple[ComponentLine, ...] = ()
    removed: tuple[ComponentLine, ...] = ()
    changed: tuple[ComponentChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when both revisions have the same content."""
        return not (self.added or self.removed or self.changed)


def format_quantity(value: Decimal) -> str:
    """``2.500000`` as ``2.5``, ``10.000000`` as ``10`` (never in exponent notation)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def diff_lines(old: Sequence[ComponentLine], new: Sequence[ComponentLine]) -> BomDiff:
    """What changes from ``old`` to ``new``, in find-number order of each side."""
    old_by_part = {line.part: line for line in old}
    new_by_part = {line.part: line for line in new}
    changed = [
        ComponentChange(line.part, name, before.value(name), line.value(name))
        for line in new
        if (before := old_by_part.get(line.part)) is not None
        for name in DIFF_FIELDS
        if before.value(name) != line.value(name)
    ]
    return BomDiff(
        added=tuple(line for line in new if line.part not in old_by_part),
        removed=tuple(line for line in old if line.part not in new_by_part),
        changed=tuple(changed),
    )


def merge_lines(
    assembly: str, lines: Sequence[BomComponentInput]
) -> tuple[tuple[ComponentLine, ...], list[BomProblem]]:
    """One assembly's input lines merged per part and numbered; problems instead of lines when invalid."""
    problems: list[BomProblem] = []
    merged: dict[str, ComponentLine] = {}
    explicit: dict[str, bool] = {}
    for line in lines:
        if line.part == assembly:
            problems.append(BomProblem("BOM_CYCLE", f"{assembly} lists itself as a component", assembly))
            continue
        current = merged.get(line.part)
        candidate = _line(line)
        explicit[line.part] = explicit.get(line.part, False) or line.find_number is not None
        if current is None:
            merged[line.part] = candidate
            continue
        combined = _merge(assembly, current, candidate)
        if isinstance(combined, BomProblem):
            problems.append(combined)
        else:
            merged[line.part] = combined
    problems.extend(_designator_clashes(assembly, merged.values()))
    numbered, numbering_problems = _number(assembly, list(merged.values()), explicit)
    problems.extend(numbering_problems)
    return (() if problems else numbered), problems


def _line(line: BomComponentInput) -> ComponentLine:
    return ComponentLine(
        find_number=line.find_number or 0,  # 0: not given, numbered by _number
        part=line.part,
        quantity=line.quantity,
        uom=line.uom,
        ref_designators=line.ref_designators,
        notes=line.notes,
        description=line.description,
    )


def _merge(assembly: str, first: ComponentLine, second: ComponentLine) -> ComponentLine | BomProblem:
    where = f"{second.part} under {assembly}"
    if first.uom != second.uom:
        return BomProblem("BOM_INVALID", f"{where} is listed in {first.uom} and in {second.uom}", second.part)
    twice = sorted(set(first.ref_designators) & set(second.ref_designators))
    if twice:
        return BomProblem("BOM_INVALID", f"{where} places {' '.join(twice)} twice", second.part)
    quantity = first.quantity + second.quantity
    if not fits_exactly(quantity):
        return BomProblem("BOM_INVALID", f"{where}: merged quantity {quantity} is out of range", second.part)
    notes = first.notes if second.notes in (None, first.notes) else "; ".join(filter(None, (first.notes, second.notes)))
    if notes is not None and len(notes) > 255:
        return BomProblem("BOM_INVALID", f"{where}: merged notes exceed 255 characters", second.part)
    numbers = [n for n in (first.find_number, second.find_number) if n]
    return ComponentLine(
        find_number=min(numbers, default=0),
        part=first.part,
        quantity=quantity,
        uom=first.uom,
        ref_designators=tuple(sorted(first.ref_designators + second.ref_designators, key=designator_sort_key)),
        notes=notes,
        description=first.description or second.description,
    )


def _designator_clashes(assembly: str, lines: Iterable[ComponentLine]) -> list[BomProblem]:
    owner: dict[str, str] = {}
    problems = []
    for line in lines:
        for designator in line.ref_designators:
            other = owner.setdefault(designator, line.part)
            if other != line.part:
                message = f"{designator} under {assembly} is placed by both {other} and {line.part}"
                problems.append(BomProblem("BOM_INVALID", message, line.part))
    return problems


def _number(
    assembly: str, lines: list[ComponentLine], explicit: dict[str, bool]
) -> tuple[tuple[ComponentLine, ...], list[BomProblem]]:
    """Lines without a find number get the next numbers after the highest given one, in file order."""
    taken: dict[int, str] = {}
    problems = []
    for line in lines:
        if explicit[line.part]:
            other = taken.setdefault(line.find_number, line.part)
            if other != line.part:
                message = f"find number {line.find_number} under {assembly} is given to {other} and {line.part}"
                problems.append(BomProblem("BOM_INVALID", message, line.part))
    next_number = max(taken, default=0) + 1
    numbered = []
    for line in lines:
        if explicit[line.part]:
            numbered.append(line)
        else:
            numbered.append(_renumbered(line, next_number))
            next_number += 1
    return tuple(sorted(numbered, key=lambda line: line.find_number)), problems


def _renumbered(line: ComponentLine, number: int) -> ComponentLine:
    return ComponentLine(number, line.part, line.quantity, line.uom, line.ref_designators, line.notes, line.description)
