"""Acknowledgements for inbound X12: 997 / 999 functional acks and the TA1.

The builders turn the coded errors collected for a received functional group
(reader envelope errors, syntax validator, mapper, booking) into acknowledgement
segments. Every code they write comes from the error catalogue
(:mod:`edi.errors`): AK905/AK502/AK304/AK403 (and the IK equivalents) are read
from the :class:`~edi.errors.ErrorSpec` of each error, never chosen here.

Acceptance rules (X12.6 semantics, applied per set so that one bad set never
rejects its neighbours):

* A set is **rejected** (AK501/IK501 ``R``) when it carries an error of level
  ``set``, ``segment`` or ``element``, or a ``document`` error whose catalogue
  entry has an AK502 code (mapping or booking failure: the set is not processed).
  AK502..AK506 list the distinct AK502 codes of those errors, first five, in order.
* A set with only non-rejecting errors (a ``document`` error without AK502 code,
  e.g. ``BOOK_DUPLICATE_PO``) is **accepted** (``A``). ``E`` (accepted, errors
  noted) is not produced: every syntax code in the catalogue rejects its set, and a
  business finding such as a duplicate order has no syntax code to report; it is
  answered by the business documents (855), not by the syntax acknowledgement.
* The group (AK901) is ``A`` when every received set is accepted, ``P`` when
  some are, ``R`` when none is. A group-level error (GE missing, GE01/GE02
  mismatch, ...) rejects the group as a whole: AK901 ``R`` with its AK905 codes and
  AK904 = 0, because the gateway processes no set of a rejected group. The AK2
  loops still report each set's own syntax verdict.
* AK902 is the set count the sender declared in GE01 (``declared_count``) when
  known, else the received count; AK903 is the received count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from edi.errors import EdiError
from edi.x12.model import Delimiters, InterchangeHeader, Segment
from edi.x12.writer import Element, OutSet

AckKind = Literal["997", "999"]

#: GS08 of the outbound FA group and ST03 of the ack set, per ack kind.
ACK_GROUP_VERSION: MappingProxyType[str, str] = MappingProxyType({"997": "004010", "999": "005010X231A1"})
ACK_IMPLEMENTATION_REF: MappingProxyType[str, str | None] = MappingProxyType({"997": None, "999": "005010X231A1"})
TA1_NO_ERROR = "000"

_MAX_CODES = 5  # AK502..AK506 / AK905..AK909
_MAX_ELEMENT_NOTES = 99  # AK4 / IK4 per AK3 / IK3 loop
_MAX_COPY = 99  # AK404 / IK404 copy of bad data element
_MAX_LOOP_ID = 4  # AK303 / IK303
_REJECTING_LEVELS = frozenset({"set", "segment", "element"})
_SET_LEVELS = _REJECTING_LEVELS | {"document"}


@dataclass(slots=True)
class SetOutcome:
    """What was found in one received transaction set (ST01/ST02/ST03 and its errors)."""

    set_id: str
    control_number: str
    implementation_ref: str | None = None
    errors: list[EdiError] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return any(_rejects(error) for error in self.errors)


@dataclass(slots=True)
class GroupOutcome:
    """What was found in one received functional group.

    ``received_count`` is the number of ST..SE sets actually received (AK903);
    ``declared_count`` is GE01 as sent, when GE was present and numeric (AK902).
    """

    functional_id: str
    control_number: str
    version: str
    sets: list[SetOutcome]
    errors: list[EdiError]
    received_count: int
    declared_count: int | None = None


def _release(version: str) -> int:
    """The X12 release number of a GS08 (``004010`` -> 4, ``005010X222A1`` -> 5, junk -> 0)."""
    head = version.strip()[:3]
    return int(head) if head.isdigit() else 0


def ack_kind(version: str) -> AckKind:
    """999 for groups of release 005 and later (GS08 ``005010...``), else 997."""
    return "999" if _release(version) >= 5 else "997"


def ack_status_of(outcome: SetOutcome) -> Literal["A", "R"]:
    """The AK501/IK501 code a set gets (see the acceptance rules in the module docstring)."""
    return "R" if outcome.rejected else "A"


def _rejects(error: EdiError) -> bool:
    return error.level in _REJECTING_LEVELS or (error.level == "document" and error.spec.set_ak5 is not None)


def _first_distinct(codes: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code is not None and code not in seen:
            seen.append(code)
    return seen[:_MAX_CODES]


def _check_levels(errors: Iterable[EdiError], allowed: frozenset[str], where: str) -> None:
    for error in errors:
        if error.level not in allowed:
            raise ValueError(f"{error.code} (level {error.level}) cannot be reported at {where} level")


class _Builder:
    """Segment factory for one acknowledgement (holds the kind and copy rules)."""

    def __init__(self, kind: AckKind, group_version: str, delimiters: Delimiters | None) -> None:
        self.kind = kind
        self.prefix = "IK" if kind == "999" else "AK"
        self.element_tag = f"{self.prefix}4"
        # 5010 elements (AK103, AK203, C030 repetition) exist in any 5010 ack, 997 or 999.
        self.v5010 = kind == "999" or _release(group_version) >= 5
        self.forbidden = (delimiters.all() | frozenset(delimiters.suffix)) if delimiters else frozenset()

    def copy(self, value: str, limit: int = _MAX_COPY) -> str:
        """A received value made writable: outbound delimiters and control characters dropped."""
        return "".join(ch for ch in value if ch.isprintable() and ch not in self.forbidden)[:limit]

    def ak1(self, group: GroupOutcome) -> list[Element]:
        seg: list[Element] = ["AK1", self.copy(group.functional_id), self.copy(group.control_number)]
        if self.v5010:
            seg.append(self.copy(group.version))
        return seg

    def ak2(self, outcome: SetOutcome) -> list[Element]:
        seg: list[Element] = ["AK2", self.copy(outcome.set_id), self.copy(outcome.control_number)]
        if self.v5010 and outcome.implementation_ref:
            seg.append(self.copy(outcome.implementation_ref))
        return seg

    def segment_loop(self, error: EdiError) -> list[list[Element]]:
        """AK3/IK3 for ``error``'s segment (AK304 from the catalogue), plus the 999 CTX if any."""
        loop_id = self.copy(error.loop_id or "")
        if len(loop_id) > _MAX_LOOP_ID:  # AK303 is AN 1/4: omit rather than report a wrong loop
            loop_id = ""
        note: list[Element] = [f"{self.prefix}3", self.copy(error.segment_id or "", 3), str(error.segment_position),
                               loop_id, error.spec.segment_ak3 or ""]
        ctx = self.context(error)
        return [note] if ctx is None else [note, ctx]

    def element_note(self, error: EdiError) -> list[Element]:
        position = [str(error.element_position), str(error.component_position or "")]
        repeat = error.extra.get("repetition_position", "")
        if self.v5010 and repeat:
            position.append(repeat)
        seg: list[Element] = [self.element_tag, tuple(position), error.element_ref or "",
                              error.spec.element_ak4 or ""]
        if error.bad_value:
            seg.append(self.copy(error.bad_value))
        return seg

    def context(self, error: EdiError) -> list[Element] | None:
        """999 business-unit CTX (e.g. ``CTX*BEG03:4500012345``) when the error names one."""
        name, value = error.extra.get("context_name"), error.extra.get("context_value")
        if self.kind != "999" or not name or not value:
            return None
        return ["CTX", (self.copy(name, 35), self.copy(value, 35))]

    def set_trailer(self, outcome: SetOutcome) -> list[Element]:
        codes = _first_distinct(error.spec.set_ak5 for error in outcome.errors if _rejects(error))
        return [f"{self.prefix}5", ack_status_of(outcome), *codes]


def _locatable(error: EdiError) -> bool:
    """AK3/IK3 needs a segment ID and position; errors without them only reach AK5."""
    return error.spec.segment_ak3 is not None and bool(error.segment_id) and error.segment_position is not None


def _segment_loops(builder: _Builder, errors: Sequence[EdiError]) -> list[list[Element]]:
    """AK3(+AK4) loops in segment order: one AK3 per segment-level error, and per segment
    with element errors one AK3 followed by its AK4s (at most 99).

    Each AK3 carries exactly one AK304 code, so a segment error and element errors in
    the same segment produce two AK3 loops for that segment (X12 allows repeats); the
    segment-level one comes first.
    """
    def order(error: EdiError) -> tuple[int, int]:
        return error.segment_position or 0, 0 if error.spec.element_ak4 is None else 1

    loops: list[list[list[Element]]] = []
    element_loops: dict[tuple[int, str], list[list[Element]]] = {}
    for error in sorted((e for e in errors if _locatable(e)), key=order):
        if error.spec.element_ak4 is None:
            loops.append(builder.segment_loop(error))
            continue
        key = (error.segment_position or 0, error.segment_id or "")
        if key not in element_loops:
            element_loops[key] = builder.segment_loop(error)
            loops.append(element_loops[key])
        loop = element_loops[key]
        noted = sum(1 for seg in loop if seg[0] == builder.element_tag)
        if error.element_position is not None and noted < _MAX_ELEMENT_NOTES:
            loop.append(builder.element_note(error))
    return [seg for loop in loops for seg in loop]


def _set_loop(builder: _Builder, outcome: SetOutcome) -> list[list[Element]]:
    return [builder.ak2(outcome), *_segment_loops(builder, outcome.errors), builder.set_trailer(outcome)]


def _group_trailer(group: GroupOutcome) -> list[Element]:
    accepted = 0 if group.errors else sum(1 for outcome in group.sets if not outcome.rejected)
    if group.errors or accepted == 0:
        verdict = "R"
    elif accepted >= group.received_count:
        verdict = "A"
    else:
        verdict = "P"
    included = group.declared_count if group.declared_count is not None else group.received_count
    codes = _first_distinct(error.spec.group_ak9 for error in group.errors)
    return ["AK9", verdict, str(included), str(group.received_count), str(accepted), *codes]


def build_functional_ack(
    group: GroupOutcome, kind: AckKind | None = None, *, delimiters: Delimiters | None = None,
) -> tuple[AckKind, list[list[Element]]]:
    """Build a 997 or 999 body (without ST/SE) acknowledging ``group``.

    ``kind`` defaults to :func:`ack_kind` of the group's GS08. Pass the outbound
    ``delimiters`` so that copied received values (AK404 bad data, IDs) drop any
    character the outbound interchange uses as a delimiter; without them such a
    value makes the writer raise.
    """
    chosen: AckKind = kind or ack_kind(group.version)
    if chosen not in ("997", "999"):
        raise ValueError(f"unknown functional acknowledgement kind {chosen!r}")
    _check_levels(group.errors, frozenset({"group"}), "group")
    for outcome in group.sets:
        _check_levels(outcome.errors, _SET_LEVELS, "transaction set")
    builder = _Builder(chosen, group.version, delimiters)
    body: list[list[Element]] = [builder.ak1(group)]
    for outcome in group.sets:
        body.extend(_set_loop(builder, outcome))
    body.append(_group_trailer(group))
    return chosen, body


def ack_out_set(
    group: GroupOutcome, control_number: int, kind: AckKind | None = None, *, delimiters: Delimiters | None = None,
) -> OutSet:
    """The acknowledgement of ``group`` as an :class:`OutSet` ready for the writer.

    Put it in an ``FA`` group whose GS08 is ``ACK_GROUP_VERSION[out_set.set_id]``.
    """
    chosen, body = build_functional_ack(group, kind, delimiters=delimiters)
    return OutSet(chosen, control_number, body, ACK_IMPLEMENTATION_REF[chosen])


def ta1_note_code(error: EdiError) -> str:
    """The TA105 note code the catalogue gives ``error`` (ValueError when it has none)."""
    code = error.spec.ta1
    if code is None:
        raise ValueError(f"{error.code} has no TA1 note code in the catalogue")
    return code


def build_ta1(interchange_control_number: str, date: str, time: str, accepted: bool, note_code: str) -> Segment:
    """TA1*ISA13*ISA09*ISA10*A|E|R*TA105 acknowledging one received interchange.

    ``accepted`` with note ``000`` gives ``A``; accepted with another note gives ``E``
    (accepted, errors noted); not accepted gives ``R`` and needs a real note code.
    An ISA13 that is not 1-9 digits cannot be echoed in TA101 (N0 9/9): ValueError.
    """
    control = interchange_control_number.strip()
    if not control.isdigit() or len(control) > 9:
        raise ValueError(f"TA101: interchange control number {interchange_control_number!r} is not 1-9 digits")
    if not (date.isdigit() and len(date) == 6 and time.isdigit() and len(time) == 4):
        raise ValueError(f"TA102/TA103: date {date!r} / time {time!r} must be YYMMDD / HHMM")
    if not (note_code.isdigit() and len(note_code) == 3):
        raise ValueError(f"TA105: note code {note_code!r} must be three digits")
    if accepted:
        status = "A" if note_code == TA1_NO_ERROR else "E"
    elif note_code == TA1_NO_ERROR:
        raise ValueError("a rejecting TA1 needs a note code other than 000")
    else:
        status = "R"
    return ["TA1", control.zfill(9), date, time, status, note_code]


def ta1_for(header: InterchangeHeader, error: EdiError | None = None, *, accepted: bool | None = None) -> Segment:
    """TA1 for a received ISA: accepted when ``error`` is None, else with the error's catalogue note code.

    ``accepted`` overrides the default (rejected when there is an error), for errors
    noted on an interchange that is still processed.
    """
    is_accepted = (error is None) if accepted is None else accepted
    note = TA1_NO_ERROR if error is None else ta1_note_code(error)
    return build_ta1(header.control_number, header.date, header.time, is_accepted, note)
