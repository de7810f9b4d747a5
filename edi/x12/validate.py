"""Syntax validation of one transaction set against its declared schema.

The result is the list of coded errors a 997 (AK3/AK4) or 999 (IK3/IK4) reports:
segment problems (unrecognized, not in set, out of order, mandatory missing, max
use / loop repeat exceeded) and element problems (mandatory missing, length, code,
date, time, number, characters, too many elements, syntax rules).

Why it is shaped this way: validation runs on every inbound set, thousands of
segments per second. The segments are walked once; the structure was compiled by
:mod:`edi.x12.schema` into loops whose ``entries`` map a tag to its place in the
loop, so each segment costs a dict lookup per open loop level and a pass over its
precompiled element definitions. Nothing here re-reads the YAML.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice
from types import MappingProxyType

from edi.errors import EdiError, spec
from edi.x12.model import Delimiters, Segment, TransactionSet
from edi.x12.schema import ElementDef, LoopDef, SegmentDef, SetSchema, SyntaxRule

__all__ = ["validate_set"]

_TAG_SHAPE = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:E-?\d+)?")
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_REJECTED = "\x00"  # step() result for a segment that does not fit the structure


def validate_set(tx: TransactionSet, schema: SetSchema, *, max_errors: int = 50) -> list[EdiError]:
    """Check ``tx`` (ST..SE) against ``schema``; at most ``max_errors`` errors."""
    sink = _Sink()
    errors = sink.errors
    delimiters = tx.group.interchange.delimiters
    walker = _Walker(schema, sink)
    plans = _plans(schema)
    for position, seg in enumerate(tx.segments, 1):
        tag = seg[0]
        loop_id = walker.step(tag, position)
        if loop_id != _REJECTED:
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
            steps.append((el, _VALUE_CHECKS[el.type]))
    rules = tuple(
        (r.positions[0], r.positions[1], r.kind + "2" if r.kind in "PC" and len(r.positions) == 2 else r.kind, r)
        for r in sdef.rules
    )
    return _SegmentPlan(sdef, tuple(steps), max(sdef.mandatory_positions, default=0), rules)


# (segment position, tag, loop id): where an element error is located
_Where = tuple[int, str, "str | None"]


class _Sink:
    """Collects errors and builds their messages (only ever on the error path)."""

    __slots__ = ("errors",)

    def __init__(self) -> None:
        self.errors: list[EdiError] = []

    def segment(self, code: str, message: str, position: int, tag: str, loop_id: str | None) -> None:
        self.errors.append(EdiError(code, message, segment_position=position, segment_id=tag, loop_id=loop_id))

    def element(self, code: str, where: _Where, el: ElementDef, value: str | None,
                element_position: int | None = None, component_position: int | None = None) -> None:
        position, tag, loop_id = where
        elem_pos = element_position if element_position is not None else el.position
        place = f"{tag}{elem_pos:02d}" + (f"-{component_position}" if component_position else "")
        ref = f" ({el.ref})" if el.ref else ""
        shown = f": {value!r}" if value else ""
        self.errors.append(EdiError(
            code, f"{place}{ref}: {spec(code).title}{shown}", segment_position=position, segment_id=tag,
            loop_id=loop_id, element_position=elem_pos, component_position=component_position,
            element_ref=el.ref, bad_value=value or None,
        ))


# -- structure ---------------------------------------------------------------------


class _Frame:
    """One open loop instance: the index of the last child matched and use counts."""

    __slots__ = ("counts", "loop", "pos")

    def __init__(self, loop: LoopDef, pos: int) -> None:
        self.loop = loop
        self.pos = pos
        self.counts = [0] * len(loop.children)


class _Walker:
    """The state machine over the compiled loops: a stack of open loop instances."""

    def __init__(self, schema: SetSchema, sink: _Sink) -> None:
        self._frames = [_Frame(schema.root, -1)]
        self._tags = schema.tags
        self._sink = sink

    def step(self, tag: str, position: int) -> str | None:
        """Place one segment; return its loop id (None at set level) or _REJECTED.

        The innermost open loop that has ``tag`` at or after its current place wins;
        the loops inside it are closed (X12 rule: a segment belongs to the deepest
        loop that can take it)."""
        frames = self._frames
        top = frames[-1]
        indexes = top.loop.entries.get(tag)
        if indexes is not None:  # fast path: the segment belongs to the innermost open loop
            for index in indexes:
                if index >= top.pos:
                    return self._advance(top, index, position)
        for depth in range(len(frames) - 2, -1, -1):
            frame = frames[depth]
            indexes = frame.loop.entries.get(tag)
            if indexes is None:
                continue
            for index in indexes:
                if index >= frame.pos:
                    while len(frames) - 1 > depth:
                        self._close(frames.pop(), position)
                    return self._advance(frame, index, position)
        self._reject(tag, position)
        return _REJECTED

    def finish(self, position: int, trailer: bool) -> None:
        """Close every open loop at the end of the set. Without an SE the envelope
        layer has already reported SE_MISSING, so SE is not reported again."""
        while len(self._frames) > 1:
            self._close(self._frames.pop(), position)
        root = self._frames[0]
        self._missing(root, root.pos + 1, len(root.counts), position, skip=None if trailer else "SE")

    def _advance(self, frame: _Frame, index: int, position: int) -> str | None:
        if index > frame.pos:
            if frame.loop.mandatory_children:
                self._missing(frame, frame.pos + 1, index, position)
            frame.pos = index
        child = frame.loop.children[index]
        frame.counts[index] += 1
        over = child.max_use is not None and frame.counts[index] > child.max_use
        if child.is_loop:
            if over:
                self._sink.segment("SEG_LOOP_MAX", f"loop {child.loop_id} repeats more than {child.max_use} times",
                                   position, child.tag, child.loop_id)
            inner = _Frame(child, 0)  # type: ignore[arg-type]
            inner.counts[0] = 1
            self._frames.append(inner)
            return child.loop_id  # type: ignore[union-attr]
        if over:
            self._sink.segment("SEG_MAX_USE", f"{child.tag} used more than {child.max_use} times",
                               position, child.tag, frame.loop.loop_id)
        return frame.loop.loop_id

    def _close(self, frame: _Frame, position: int) -> None:
        self._missing(frame, frame.pos + 1, len(frame.counts), position)

    def _missing(self, frame: _Frame, start: int, stop: int, position: int, skip: str | None = None) -> None:
        """Report mandatory children in [start, stop) that were never seen."""
        for index in frame.loop.mandatory_children:
            if start <= index < stop and frame.counts[index] == 0:
                child = frame.loop.children[index]
                if child.tag == skip:
                    continue
                loop_id = child.loop_id if child.is_loop else frame.loop.loop_id  # type: ignore[union-attr]
                self._sink.segment("SEG_MANDATORY_MISSING", f"mandatory segment {child.tag} is missing",
                                   position, child.tag, loop_id)

    def _reject(self, tag: str, position: int) -> None:
        loop_id = self._frames[-1].loop.loop_id
        if not _TAG_SHAPE.fullmatch(tag):
            code, message = "SEG_UNRECOGNIZED", f"{tag!r} is not a segment identifier"
        elif tag not in self._tags:
            code, message = "SEG_NOT_IN_SET", f"{tag} is not defined in this transaction set"
        elif any(tag in frame.loop.entries or tag == frame.loop.tag for frame in self._frames):
            code, message = "SEG_OUT_OF_ORDER", f"{tag} is out of sequence"
        else:
            code, message = "SEG_UNEXPECTED", f"{tag} is not expected here (its loop is not open)"
        self._sink.segment(code, message, position, tag, loop_id)


# -- elements ----------------------------------------------------------------------


def _check_segment(seg: Segment, plan: _SegmentPlan, where: _Where, delimiters: Delimiters, sink: _Sink) -> None:
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
            code = _check_text(value, el)
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


def _too_many(seg: Segment, declared: int, where: _Where, sink: _Sink) -> None:
    """Trailing empty elements beyond the definition are tolerated; data is not."""
    for pos in range(declared + 1, len(seg)):
        if seg[pos]:
            extra = ElementDef(pos, None, False, "AN", 0, 0)
            sink.element("ELEM_TOO_MANY", where, extra, seg[pos])
            return


def _check_complex(value: str, el: ElementDef, delimiters: Delimiters, where: _Where, sink: _Sink) -> None:
    """A repeatable and/or composite element: split, then check each part."""
    if el.max_repeat > 1 and delimiters.repetition:
        repeats = value.split(delimiters.repetition)
        if len(repeats) > el.max_repeat:
            sink.element("ELEM_TOO_MANY_REPEATS", where, el, value)
    else:
        repeats = [value]
    for one in repeats:
        if not el.components:
            code = _VALUE_CHECKS[el.type](one, el) if one else None
            if code is not None:
                sink.element(code, where, el, one)
        elif one:
            _check_composite(one, el, delimiters.component, where, sink)


def _check_composite(value: str, el: ElementDef, component: str, where: _Where, sink: _Sink) -> None:
    parts = value.split(component)
    comps = el.components
    if len(parts) > len(comps) and any(parts[len(comps):]):
        sink.element("ELEM_TOO_MANY", where, el, value, component_position=len(comps) + 1)
    for comp, part in zip(comps, parts, strict=False):
        if not part:
            if comp.mandatory:
                sink.element("ELEM_MANDATORY_MISSING", where, comp, None, el.position, comp.position)
            continue
        code = _VALUE_CHECKS[comp.type](part, comp)
        if code is not None:
            sink.element(code, where, comp, part, el.position, comp.position)
    for comp in comps[len(parts):]:
        if comp.mandatory:
            sink.element("ELEM_MANDATORY_MISSING", where, comp, None, el.position, comp.position)


def _check_rules(seg: Segment, plan: _SegmentPlan, where: _Where, sink: _Sink) -> None:
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
        found = _rule_violation(rule.kind, rule.positions, present)
        if found is not None:
            code, pos = found
            value = seg[pos] if code == "ELEM_EXCLUSION" else None
            sink.element(code, where, plan.definition.elements[pos - 1], value)


def _rule_violation(kind: str, positions: tuple[int, ...], present: tuple[bool, ...]) -> tuple[str, int] | None:
    """The error code and element position breaking an X12 syntax rule, or None."""
    missing = "ELEM_CONDITIONAL_MISSING"
    if kind == "P" and any(present) and not all(present):
        return missing, positions[present.index(False)]
    if kind == "R" and not any(present):
        return missing, positions[0]
    if kind == "E" and sum(present) > 1:
        return "ELEM_EXCLUSION", positions[[i for i, here in enumerate(present) if here][1]]
    if kind == "C" and present[0] and not all(present[1:]):
        return missing, positions[1 + present[1:].index(False)]
    if kind == "L" and present[0] and not any(present[1:]):
        return missing, positions[1]
    return None


# -- values: each returns an error code or None -------------------------------------------


def _check_text(value: str, el: ElementDef) -> str | None:
    size = len(value)
    if size > el.max_len:
        return "ELEM_TOO_LONG"
    if size < el.min_len:
        return "ELEM_TOO_SHORT"
    if not value.isprintable() and _CONTROL.search(value):
        return "ELEM_INVALID_CHAR"
    return None


def _check_id(value: str, el: ElementDef) -> str | None:
    if el.codes is not None and value in el.codes:
        return None
    code = _check_text(value, el)
    if code is None and el.codes is not None:
        return "ELEM_INVALID_CODE"
    return code


def _digits_length(digits: int, el: ElementDef) -> str | None:
    """Numeric lengths count digits only: no sign, no decimal point."""
    if digits > el.max_len:
        return "ELEM_TOO_LONG"
    if digits < el.min_len:
        return "ELEM_TOO_SHORT"
    return None


def _check_implied(value: str, el: ElementDef) -> str | None:
    """Nn: digits with implied decimals and an optional leading minus."""
    digits = value[1:] if value[0] == "-" else value
    if not (digits.isascii() and digits.isdigit()):
        return "ELEM_INVALID_NUMBER"
    return _digits_length(len(digits), el)


def _check_real(value: str, el: ElementDef) -> str | None:
    """R: optional minus, digits with at most one decimal point (exponent allowed)."""
    if value.isascii() and value.isdigit():
        return _digits_length(len(value), el)
    if not _REAL.fullmatch(value):
        return "ELEM_INVALID_NUMBER"
    mantissa = value.split("E", 1)[0]
    return _digits_length(len(mantissa) - mantissa.count("-") - mantissa.count("."), el)


def _check_date(value: str, el: ElementDef) -> str | None:
    """DT: CCYYMMDD, or YYMMDD where the element is 6 long (older versions, ISA)."""
    code = _digits_length(len(value), el)
    if code is not None:
        return code
    size = len(value)
    if size not in (6, 8) or not (value.isascii() and value.isdigit()):
        return "ELEM_INVALID_DATE"
    year = int(value[: size - 4])
    month, day = int(value[-4:-2]), int(value[-2:])
    if size == 6:
        year += 2000 if year < 50 else 1900
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]):
        return "ELEM_INVALID_DATE"
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return "ELEM_INVALID_DATE"
    return None


def _check_time(value: str, el: ElementDef) -> str | None:
    """TM: HHMM, HHMMSS, HHMMSSD or HHMMSSDD (24-hour clock)."""
    code = _digits_length(len(value), el)
    if code is not None:
        return code
    if len(value) not in (4, 6, 7, 8) or not (value.isascii() and value.isdigit()):
        return "ELEM_INVALID_TIME"
    seconds = int(value[4:6]) if len(value) >= 6 else 0
    if int(value[:2]) > 23 or int(value[2:4]) > 59 or seconds > 59:
        return "ELEM_INVALID_TIME"
    return None


def _check_binary(value: str, el: ElementDef) -> str | None:
    return None


_VALUE_CHECKS: dict[str, Callable[[str, ElementDef], str | None]] = {
    "AN": _check_text, "ID": _check_id, "DT": _check_date, "TM": _check_time, "R": _check_real,
    "B": _check_binary, **{f"N{d}": _check_implied for d in range(10)},
}
