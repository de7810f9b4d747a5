"""Syntax validation of one transaction set against its declared schema.

The result is the list of coded errors a 997 (AK3/AK4) or 999 (IK3/IK4) reports:
segment problems (unrecognized, not in set, out of order, mandatory missing, max
use / loop repeat exceeded) and element problems (mandatory missing, length, code,
date, time, number, characters, too many elements, syntax rules).

Why two paths: validation runs on every inbound set and almost every set is valid,
so :func:`validate_set` first asks the compiled fast path
(:mod:`edi.x12.validate_fast`: one dict lookup and one regular-expression match
per segment) whether the set is free of errors. Only when it is not does the
detailed path below run, from the start of the set, to find the exact coded errors.
The fast path never decides an error itself, so both paths report the same list by
construction as long as the fast path accepts nothing the detailed path rejects;
tests/test_x12_validate.py checks that over the corpus and mutated sets.

The detailed path walks the segments once: the structure was compiled by
:mod:`edi.x12.schema` into loops whose ``entries`` map a tag to its place in the
loop (walked by :mod:`edi.x12.validate_structure`), and each segment is checked
against its precompiled element definitions. Nothing here re-reads the YAML.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice
from types import MappingProxyType

from edi.errors import EdiError
from edi.x12.model import Delimiters, Segment, TransactionSet
from edi.x12.schema import ElementDef, SegmentDef, SetSchema, SyntaxRule
from edi.x12.validate_fast import accepts
from edi.x12.validate_structure import REJECTED, ErrorSink, Walker, Where
from edi.x12.validate_values import VALUE_CHECKS, check_text, rule_violation

__all__ = ["validate_set", "validate_set_detailed"]


def validate_set(tx: TransactionSet, schema: SetSchema, *, max_errors: int = 50) -> list[EdiError]:
    """Check ``tx`` (ST..SE) against ``schema``; at most ``max_errors`` errors.

    Same result as :func:`validate_set_detailed`, several times faster on valid sets."""
    if accepts(tx, schema):
        return []
    return validate_set_detailed(tx, schema, max_errors=max_errors)


def validate_set_detailed(tx: TransactionSet, schema: SetSchema, *, max_errors: int = 50) -> list[EdiError]:
    """The reference validator: every segment through the walker and the element checks."""
    sink = ErrorSink()
    errors = sink.errors
    delimiters = tx.group.interchange.delimiters
    walker = Walker(schema, sink)
    plans = _plans(schema)
    for position, seg in enumerate(tx.segments, 1):
        tag = seg[0]
        loop_id = walker.step(tag, position)
        if loop_id != REJECTED:
            _check_segment(seg, plans[tag], (position, tag, loop_id), delimiters, sink)
        if errors and len(errors) >= max_errors:
            return errors[:max_errors]
    trailer = bool(tx.segments) and tx.segments[-1][0] == "SE"
    walker.finish(len(tx.segments), trailer)
    return errors[:max_errors]


# How an element value is checked: None = inline length + printable test (AN, open
# ID); a type check function; or _check_complex (composite / repeatable: split first).
_Step = tuple[ElementDef, "Callable[..., str | None] | None"]


@dataclass(frozen=True, slots=True)
class _SegmentPlan:
    """A segment's checks, compiled once per schema: one step per element position
    and the syntax rules as (first position, second position, kind, rule)."""

    definition: SegmentDef
    steps: tuple[_Step, ...]
    last_mandatory: int  # highest mandatory position (0: none)
    rules: tuple[tuple[int, int, str, SyntaxRule], ...]


@functools.lru_cache(maxsize=64)
def _plans(schema: SetSchema) -> Mapping[str, _SegmentPlan]:
    return MappingProxyType({tag: _plan_segment(sdef) for tag, sdef in schema.segments.items()})


def _plan_segment(sdef: SegmentDef) -> _SegmentPlan:
    steps: list[_Step] = []
    for el in sdef.elements:
        if el.components or el.max_repeat > 1:
            steps.append((el, _check_complex))
        elif el.type == "AN" or (el.type == "ID" and el.codes is None):
            steps.append((el, None))
        else:
            steps.append((el, VALUE_CHECKS[el.type]))
    rules = tuple(
        (r.positions[0], r.positions[1], r.kind + "2" if r.kind in "PC" and len(r.positions) == 2 else r.kind, r)
        for r in sdef.rules
    )
    return _SegmentPlan(sdef, tuple(steps), max(sdef.mandatory_positions, default=0), rules)


# -- elements ----------------------------------------------------------------------


def _check_segment(seg: Segment, plan: _SegmentPlan, where: Where, delimiters: Delimiters, sink: ErrorSink) -> None:
    count = len(seg) - 1
    if count == 0 or (not seg[1] and not any(islice(seg, 2, None))):
        sink.segment("SEG_EMPTY", f"{seg[0]} has no data", where[0], where[1], where[2])
        return
    steps = plan.steps
    if count > len(steps):
        _too_many(seg, len(steps), where, sink)
    split_first = _check_complex
    for (el, check), value in zip(steps, islice(seg, 1, None), strict=False):
        if not value:
            if el.mandatory:
                sink.element("ELEM_MANDATORY_MISSING", where, el, None)
            continue
        if check is None:
            if el.min_len <= len(value) <= el.max_len and value.isprintable():
                continue
            code = check_text(value, el)
        elif check is split_first:
            split_first(value, el, delimiters, where, sink)
            continue
        else:
            code = check(value, el)
        if code is not None:
            sink.element(code, where, el, value)
    if count < plan.last_mandatory:
        for pos in plan.definition.mandatory_positions:
            if pos > count:
                sink.element("ELEM_MANDATORY_MISSING", where, steps[pos - 1][0], None)
    if plan.rules:
        _check_rules(seg, plan, where, sink)


def _too_many(seg: Segment, declared: int, where: Where, sink: ErrorSink) -> None:
    """Trailing empty elements beyond the definition are tolerated; data is not."""
    for pos in range(declared + 1, len(seg)):
        if seg[pos]:
            extra = ElementDef(pos, None, False, "AN", 0, 0)
            sink.element("ELEM_TOO_MANY", where, extra, seg[pos])
            return


def _check_complex(value: str, el: ElementDef, delimiters: Delimiters, where: Where, sink: ErrorSink) -> None:
    """A repeatable and/or composite element: split, then check each part."""
    if el.max_repeat > 1 and delimiters.repetition:
        repeats = value.split(delimiters.repetition)
        if len(repeats) > el.max_repeat:
            sink.element("ELEM_TOO_MANY_REPEATS", where, el, value)
    else:
        repeats = [value]
    for one in repeats:
        if not el.components:
            code = VALUE_CHECKS[el.type](one, el) if one else None
            if code is not None:
                sink.element(code, where, el, one)
        elif one:
            _check_composite(one, el, delimiters.component, where, sink)


def _check_composite(value: str, el: ElementDef, component: str, where: Where, sink: ErrorSink) -> None:
    parts = value.split(component)
    comps = el.components
    if len(parts) > len(comps) and any(parts[len(comps):]):
        sink.element("ELEM_TOO_MANY", where, el, value, component_position=len(comps) + 1)
    for comp, part in zip(comps, parts, strict=False):
        if not part:
            if comp.mandatory:
                sink.element("ELEM_MANDATORY_MISSING", where, comp, None, el.position, comp.position)
            continue
        code = VALUE_CHECKS[comp.type](part, comp)
        if code is not None:
            sink.element(code, where, comp, part, el.position, comp.position)
    for comp in comps[len(parts):]:
        if comp.mandatory:
            sink.element("ELEM_MANDATORY_MISSING", where, comp, None, el.position, comp.position)


def _check_rules(seg: Segment, plan: _SegmentPlan, where: Where, sink: ErrorSink) -> None:
    size = len(seg)
    for first, second, kind, rule in plan.rules:
        if first >= size:
            if kind != "R":  # P, E, C and L rules hold when their first position is absent
                continue
        elif kind == "P2":  # the common two-element rules, inline when satisfied
            if (seg[first] == "") is (second >= size or seg[second] == ""):
                continue
        elif kind == "C2":
            if seg[first] == "" or (second < size and seg[second] != ""):
                continue
        elif kind == "R" and any(p < size and seg[p] != "" for p in rule.positions):
            continue
        present = tuple(p < size and seg[p] != "" for p in rule.positions)
        found = rule_violation(rule.kind, rule.positions, present)
        if found is not None:
            code, pos = found
            value = seg[pos] if code == "ELEM_EXCLUSION" else None
            sink.element(code, where, plan.definition.elements[pos - 1], value)
