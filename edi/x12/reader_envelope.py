"""The envelope state machine behind :mod:`edi.x12.reader`.

It follows the ISA > GS > ST nesting as segments stream by and checks what the
envelope promises: IEA01/GE01/SE01 counts, IEA02/GE02/SE02 control numbers,
trailers that never come, segments outside a group or set. It holds one open
transaction set; the reader appends body segments to it directly (the hot path
never calls into this module) and asks for events only on envelope segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edi.errors import EdiError
from edi.x12.model import (
    Event,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    Segment,
    TransactionSet,
    element,
)

ENVELOPE_TAGS = frozenset({"GS", "GE", "ST", "SE", "IEA"})
# Per set, group or interchange: a badly broken file must not grow an error list without bound.
_MAX_ERRORS = 100


def _add(errors: list[EdiError], error: EdiError) -> None:
    if len(errors) < _MAX_ERRORS:
        errors.append(error)


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _same_control(trailer: str, header: str) -> bool:
    """Control numbers match as strings without spaces, or as numbers when both are digits."""
    trailer, header = trailer.strip(), header.strip()
    return trailer == header or (_is_number(trailer) and _is_number(header) and int(trailer) == int(header))


def _count_matches(value: str, actual: int) -> bool:
    """Trailer counts may be zero-padded: ``"0000000031"`` counts 31."""
    value = value.strip()
    return _is_number(value) and int(value) == actual


@dataclass(slots=True)
class _OpenSet:
    segments: list[Segment]
    offset: int
    index: int
    errors: list[EdiError] = field(default_factory=list)
    dropped: int = 0  # segments not kept because of max_set_segments

    @property
    def count(self) -> int:
        return len(self.segments) + self.dropped


@dataclass(slots=True)
class _OpenGroup:
    header: GroupHeader
    errors: list[EdiError] = field(default_factory=list)
    sets: int = 0
    straying: bool = False  # a stray segment was reported since the last valid envelope segment


@dataclass(slots=True)
class _OpenInterchange:
    header: InterchangeHeader
    errors: list[EdiError] = field(default_factory=list)
    groups: int = 0
    straying: bool = False


class Envelope:
    """The ISA > GS > ST nesting as segments stream by: counts, control numbers, trailers.

    Each ``*_segment`` method returns the events the segment completes. A missing
    trailer is detected when the next ST/GS/IEA (or a new ISA, or the end of the
    file) arrives, and the open levels are closed with the matching ``*_MISSING``.
    Stray segments are reported once per run, not once each.
    """

    def __init__(self, max_set_segments: int, *, keep_loose: bool = False) -> None:
        self.interchange: _OpenInterchange | None = None
        self.group: _OpenGroup | None = None
        self.tset: _OpenSet | None = None
        self._limit = max_set_segments
        self._loose: list[Segment] | None = [] if keep_loose else None

    def open_interchange(self, header: InterchangeHeader) -> None:
        self.interchange = _OpenInterchange(header)

    def set_segments(self) -> list[Segment] | None:
        """The open set's segment list (the reader appends body segments to it directly)."""
        return self.tset.segments if self.tset is not None else None

    def take_loose(self) -> list[Segment]:
        """Segments seen outside any set since the last call (only with ``keep_loose``)."""
        if not self._loose:
            return []
        loose, self._loose = self._loose, []
        return loose

    def envelope_segment(self, seg: Segment, offset: int) -> list[Event]:
        tag = seg[0]
        if tag == "ST":
            return self._start_set(seg, offset)
        if tag == "SE":
            return self._end_set(seg, offset)
        if tag == "GS":
            return self._start_group(seg, offset)
        if tag == "GE":
            return self._end_group(seg, offset)
        return self._end_interchange(seg, offset)

    def empty_segment(self, offset: int) -> None:
        error = EdiError("SEG_EMPTY", "empty segment (two terminators in a row)", offset=offset)
        if self.tset is not None:
            error.segment_position = self.tset.count + 1
            _add(self.tset.errors, error)
        elif self.group is not None:
            _add(self.group.errors, error)
        elif self.interchange is not None:
            _add(self.interchange.errors, error)

    def loose_segment(self, seg: Segment, offset: int) -> None:
        """A segment outside any transaction set (TA1 is legal between ISA and GS)."""
        if self._loose is not None:
            self._loose.append(seg)
        tag, group, interchange = seg[0], self.group, self.interchange
        if group is not None:
            if not group.straying:
                group.straying = True
                _add(group.errors, EdiError("GS_UNEXPECTED_SEGMENT", f"{tag} outside a transaction set",
                                            segment_id=tag, offset=offset))
        elif interchange is not None and tag != "TA1" and not interchange.straying:
            interchange.straying = True
            _add(interchange.errors, EdiError("ISA_UNEXPECTED_SEGMENT", f"{tag} outside a functional group",
                                              segment_id=tag, offset=offset))

    def enforce_limit(self) -> None:
        """Keep at most ``max_set_segments`` of the open set in memory (checked per block)."""
        tset = self.tset
        if tset is None or len(tset.segments) <= self._limit:
            return
        if tset.dropped == 0:
            _add(tset.errors, EdiError("SET_TOO_LARGE", f"transaction set exceeds {self._limit} segments",
                                       segment_id="ST", offset=tset.offset))
        tset.dropped += len(tset.segments) - self._limit
        del tset.segments[self._limit:]

    def close_missing(self, offset: int) -> list[Event]:
        """Close every open level at ``offset`` (end of input or a new ISA) as truncated."""
        events = self._close_set(offset) + self._close_group(offset)
        interchange, self.interchange = self.interchange, None
        if interchange is not None:
            _add(interchange.errors, EdiError("IEA_MISSING", "interchange ends without an IEA trailer",
                                              segment_id="IEA", offset=offset))
            events.append(InterchangeEnd(interchange.header, interchange.groups, None, interchange.errors))
        return events

    def _start_set(self, seg: Segment, offset: int) -> list[Event]:
        events = self._close_set(offset)
        group = self.group
        if group is None:
            self.loose_segment(seg, offset)
            return events
        group.sets += 1
        group.straying = False
        tset = _OpenSet([seg], offset, group.sets - 1)
        if not element(seg, 1).strip():
            _add(tset.errors, EdiError("ST_INVALID_ID", "ST01 is empty", segment_id="ST", segment_position=1,
                                       element_position=1, offset=offset))
        if not element(seg, 2).strip():
            _add(tset.errors, EdiError("ST_CONTROL_NUMBER", "ST02 is empty", segment_id="ST", segment_position=1,
                                       element_position=2, offset=offset))
        self.tset = tset
        return events

    def _end_set(self, seg: Segment, offset: int) -> list[Event]:
        tset = self.tset
        if tset is None:
            self.loose_segment(seg, offset)
            return []
        self.tset = None
        tset.segments.append(seg)
        se01, se02, st02 = element(seg, 1), element(seg, 2), element(tset.segments[0], 2)
        if not _count_matches(se01, tset.count):
            _add(tset.errors, EdiError("SE_COUNT_MISMATCH", f"SE01 is {se01!r} but the set has {tset.count} segments",
                                       segment_id="SE", segment_position=tset.count, element_position=1,
                                       bad_value=se01, offset=offset))
        if not _same_control(se02, st02):
            _add(tset.errors, EdiError("SE_CONTROL_MISMATCH", f"SE02 {se02!r} does not match ST02 {st02!r}",
                                       segment_id="SE", segment_position=tset.count, element_position=2,
                                       bad_value=se02, offset=offset))
        return [self._emit_set(tset)]

    def _close_set(self, offset: int) -> list[Event]:
        tset, self.tset = self.tset, None
        if tset is None:
            return []
        _add(tset.errors, EdiError("SE_MISSING", f"set {element(tset.segments[0], 2)!r} has no SE trailer",
                                   segment_id="SE", segment_position=tset.count + 1, offset=offset))
        return [self._emit_set(tset)]

    def _emit_set(self, tset: _OpenSet) -> TransactionSet:
        assert self.group is not None  # a set is only ever opened inside a group
        return TransactionSet(tset.segments, self.group.header, tset.index, tset.offset, tset.errors)

    def _start_group(self, seg: Segment, offset: int) -> list[Event]:
        events = self._close_set(offset) + self._close_group(offset)
        interchange = self.interchange
        assert interchange is not None  # segments are only split inside an interchange
        interchange.groups += 1
        interchange.straying = False
        header = GroupHeader(seg, interchange.header, interchange.groups - 1)
        group = _OpenGroup(header)
        gs06 = element(seg, 6).strip()
        if len(seg) < 9 or not gs06:
            _add(group.errors, EdiError("GS_INVALID", f"GS has {len(seg) - 1} of 8 elements or no GS06",
                                        segment_id="GS", offset=offset))
        elif not _is_number(gs06):
            _add(group.errors, EdiError("GS_CONTROL_NUMBER", f"GS06 {gs06!r} is not numeric", segment_id="GS",
                                        element_position=6, bad_value=gs06, offset=offset))
        self.group = group
        events.append(header)
        return events

    def _close_group(self, offset: int) -> list[Event]:
        group, self.group = self.group, None
        if group is None:
            return []
        _add(group.errors, EdiError("GE_MISSING", f"group {group.header.control_number!r} has no GE trailer",
                                    segment_id="GE", offset=offset))
        return [GroupEnd(group.header, group.sets, None, group.errors)]

    def _end_group(self, seg: Segment, offset: int) -> list[Event]:
        events = self._close_set(offset)
        group = self.group
        if group is None:
            self.loose_segment(seg, offset)
            return events
        self.group = None
        ge01, ge02, gs06 = element(seg, 1), element(seg, 2), group.header.control_number
        if not _count_matches(ge01, group.sets):
            _add(group.errors, EdiError("GE_COUNT_MISMATCH", f"GE01 is {ge01!r} but the group has {group.sets} sets",
                                        segment_id="GE", element_position=1, bad_value=ge01, offset=offset))
        if not _same_control(ge02, gs06):
            _add(group.errors, EdiError("GE_CONTROL_MISMATCH", f"GE02 {ge02!r} does not match GS06 {gs06!r}",
                                        segment_id="GE", element_position=2, bad_value=ge02, offset=offset))
        events.append(GroupEnd(group.header, group.sets, seg, group.errors))
        return events

    def _end_interchange(self, seg: Segment, offset: int) -> list[Event]:
        events = self._close_set(offset) + self._close_group(offset)
        interchange, self.interchange = self.interchange, None
        assert interchange is not None  # segments are only split inside an interchange
        iea01, iea02, isa13 = element(seg, 1), element(seg, 2), interchange.header.control_number
        if not _count_matches(iea01, interchange.groups):
            _add(interchange.errors, EdiError(
                "IEA_COUNT_MISMATCH", f"IEA01 is {iea01!r} but the interchange has {interchange.groups} groups",
                segment_id="IEA", element_position=1, bad_value=iea01, offset=offset))
        if not _same_control(iea02, isa13):
            _add(interchange.errors, EdiError("IEA_CONTROL_MISMATCH", f"IEA02 {iea02!r} does not match ISA13 {isa13!r}",
                                              segment_id="IEA", element_position=2, bad_value=iea02, offset=offset))
        events.append(InterchangeEnd(interchange.header, interchange.groups, seg, interchange.errors))
        return events
