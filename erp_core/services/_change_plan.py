"""Checking an order change against the booked order and planning its edits, without writing.

Pure functions over the loaded order and lines: every problem of the message is
found before anything is written, so that a change is applied whole or not at all
and the partner hears about all of its bad lines at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from erp_core.inputs_changes import LineChangeInput, OrderChangeInput
from erp_core.models import SalesOrder, SalesOrderLine

ProblemCode = Literal[
    "CHANGE_ORDER_UNKNOWN",
    "CHANGE_ORDER_CANCELLED",
    "CHANGE_ORDER_CLOSED",
    "CHANGE_LINE_UNKNOWN",
    "CHANGE_LINE_CANCELLED",
    "CHANGE_LINE_AMBIGUOUS",
    "CHANGE_LINE_EXISTS",
    "CHANGE_BELOW_SHIPPED",
    "CHANGE_INVALID",
]

# (input field, line column, recorded action); the part fields also re-resolve the item.
CHANGEABLE_FIELDS: tuple[tuple[str, str], ...] = (
    ("quantity", "quantity"),
    ("unit_price", "price"),
    ("requested_date", "date"),
    ("uom", "uom"),
    ("buyer_part", "part"),
    ("vendor_part", "part"),
    ("gtin", "part"),
    ("description", "description"),
)
PART_FIELDS = frozenset({"buyer_part", "vendor_part", "gtin"})
_FIXED_ONCE_SHIPPED = frozenset({"uom"} | PART_FIELDS)  # shipped quantities are in this unit, of this part


@dataclass(frozen=True, slots=True)
class ChangeProblem:
    """Why a change was rejected; ``line_ref`` is the buyer's line reference when one line is at fault."""

    code: ProblemCode
    message: str
    line_ref: str | None = None


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One column of one line going from ``old`` to ``new`` (``add`` rows have no column)."""

    action: str
    field: str | None
    old: object = None
    new: object = None


@dataclass(slots=True)
class LineEdit:
    """The planned changes to one existing line."""

    line: SalesOrderLine
    changes: list[FieldChange]


@dataclass(slots=True)
class ChangePlan:
    """What applying a change will do; only meaningful when ``problems`` is empty."""

    problems: list[ChangeProblem] = field(default_factory=list)
    edits: list[LineEdit] = field(default_factory=list)
    adds: list[LineChangeInput] = field(default_factory=list)
    cancel_order: bool = False

    def reject(self, code: ProblemCode, message: str, line_ref: str | None = None) -> None:
        self.problems.append(ChangeProblem(code, message, line_ref))


def value_text(value: object) -> str | None:
    """How a value is recorded in the change history: plain decimals, ISO dates."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plan_change(order: SalesOrder, lines: Sequence[SalesOrderLine], change: OrderChangeInput) -> ChangePlan:
    """Check ``change`` against the order and its (locked) lines and plan the edits."""
    plan = ChangePlan()
    if order.status == "cancelled":
        plan.reject("CHANGE_ORDER_CANCELLED", f"order {order.po_number} is cancelled")
    elif order.status == "closed":
        plan.reject("CHANGE_ORDER_CLOSED", f"order {order.po_number} is closed")
    elif change.purpose == "cancel":
        _plan_order_cancel(plan, lines)
    else:
        _plan_lines(plan, lines, change)
        open_after = sum(1 for line in lines if line.status == "open") + len(plan.adds)
        cancelled = sum(1 for edit in plan.edits if any(c.action == "cancel" for c in edit.changes))
        plan.cancel_order = open_after - cancelled == 0
    return plan


def _plan_order_cancel(plan: ChangePlan, lines: Iterable[SalesOrderLine]) -> None:
    for line in lines:
        if line.status == "open":
            _plan_line_cancel(plan, line)
    plan.cancel_order = True


def _plan_lines(plan: ChangePlan, lines: Sequence[SalesOrderLine], change: OrderChangeInput) -> None:
    by_ref: dict[str | None, list[SalesOrderLine]] = {}
    for line in lines:
        by_ref.setdefault(line.buyer_line_ref, []).append(line)
    named: set[str] = set()
    for spec in change.lines:
        ref = spec.buyer_line_ref
        if ref in named:
            plan.reject("CHANGE_INVALID", f"line {ref} appears more than once", ref)
            continue
        named.add(ref)
        candidates = by_ref.get(ref, [])
        if change.purpose == "replace" and spec.action != "cancel":
            action = "change" if any(line.status == "open" for line in candidates) else "add"
        else:
            action = spec.action
        if action == "add":
            _plan_add(plan, spec, candidates)
            continue
        line = _find_open_line(plan, ref, candidates)
        if line is None:
            continue
        if action == "cancel":
            _plan_line_cancel(plan, line)
        else:
            _plan_line_edit(plan, line, spec)
    if change.purpose == "replace":
        for line in lines:
            if line.status == "open" and line.buyer_line_ref not in named:
                _plan_line_cancel(plan, line)


def _find_open_line(plan: ChangePlan, ref: str, candidates: Sequence[SalesOrderLine]) -> SalesOrderLine | None:
    open_lines = [line for line in candidates if line.status == "open"]
    if len(open_lines) == 1:
        return open_lines[0]
    if len(open_lines) > 1:
        numbers = ", ".join(str(line.line_no) for line in open_lines)
        plan.reject("CHANGE_LINE_AMBIGUOUS", f"line {ref} names several open lines ({numbers})", ref)
    elif candidates:
        plan.reject("CHANGE_LINE_CANCELLED", f"line {ref} is cancelled", ref)
    else:
        plan.reject("CHANGE_LINE_UNKNOWN", f"line {ref} is not on the order", ref)
    return None


def _plan_add(plan: ChangePlan, spec: LineChangeInput, candidates: Sequence[SalesOrderLine]) -> None:
    ref = spec.buyer_line_ref
    problems = len(plan.problems)
    if any(line.status == "open" for line in candidates):
        plan.reject("CHANGE_LINE_EXISTS", f"line {ref} is already on the order", ref)
    if spec.quantity is None or spec.quantity <= 0:
        plan.reject("CHANGE_INVALID", f"line {ref}: an added line needs a positive quantity", ref)
    if spec.uom is None:
        plan.reject("CHANGE_INVALID", f"line {ref}: an added line needs a unit of measure", ref)
    if len(plan.problems) == problems:
        plan.adds.append(spec)


def _plan_line_cancel(plan: ChangePlan, line: SalesOrderLine) -> None:
    ref = line.buyer_line_ref
    if line.quantity_shipped > 0:
        shipped = value_text(line.quantity_shipped)
        plan.reject("CHANGE_BELOW_SHIPPED", f"line {ref or line.line_no} cannot be cancelled: {shipped} shipped", ref)
        return
    plan.edits.append(LineEdit(line, [FieldChange("cancel", "status", "open", "cancelled")]))


def _plan_line_edit(plan: ChangePlan, line: SalesOrderLine, spec: LineChangeInput) -> None:
    ref = spec.buyer_line_ref
    given = [(name, action) for name, action in CHANGEABLE_FIELDS if getattr(spec, name) is not None]
    if not given:
        plan.reject("CHANGE_INVALID", f"line {ref}: a change names no new value", ref)
        return
    problems = len(plan.problems)
    if spec.quantity is not None:
        if spec.quantity <= 0:
            plan.reject("CHANGE_INVALID", f"line {ref}: quantity must be positive (cancel the line instead)", ref)
        elif spec.quantity < line.quantity_shipped:
            message = f"line {ref}: {value_text(spec.quantity)} is below {value_text(line.quantity_shipped)} shipped"
            plan.reject("CHANGE_BELOW_SHIPPED", message, ref)
    changes = [
        FieldChange(action, name, getattr(line, name), getattr(spec, name))
        for name, action in given
        if getattr(spec, name) != getattr(line, name)
    ]
    if line.quantity_shipped > 0 and any(c.field in _FIXED_ONCE_SHIPPED for c in changes):
        plan.reject("CHANGE_INVALID", f"line {ref} has shipments: its unit and part can no longer change", ref)
    if len(plan.problems) == problems and changes:
        plan.edits.append(LineEdit(line, changes))
