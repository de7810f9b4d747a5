"""Render outbound X12 interchanges (ISA/GS/ST envelopes around segment bodies).

The writer is the only place that turns segments into X12 text. It computes every
envelope count (SE01, GE01, IEA01) and pads the fixed-width ISA itself, so callers
only supply bodies, parties, control numbers and a timestamp. It knows nothing about
databases: control numbers are passed in (the gateway allocates them durably).

X12 has no release (escape) character, so a value containing any delimiter of the
interchange cannot be written faithfully. Rather than corrupt the output, the writer
raises :class:`WriterError` naming the segment, the element and the value. Characters
of ``Delimiters.suffix`` (e.g. a newline written after each terminator) are refused
in values too: readers that tolerate line breaks between segments strip them.

An element is a ``str``; a composite is a ``tuple`` of component strings (joined
with the component separator); a repeated element is a ``list`` of occurrences, each a
``str`` or a composite ``tuple`` (joined with the repetition separator, which exists
from ISA12 00402 on). Trailing empty elements and trailing empty components are
trimmed, as X12 requires.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from edi.x12.model import Delimiters

Composite = tuple[str, ...]
Element = str | Composite | list[str | Composite]
OutSegment = Sequence[Element]

_TAG = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_VERSION = re.compile(r"\d{5}")
_ISA_ID_WIDTH = 15
_ISA_LENGTH = 106
_MAX_CONTROL = 999_999_999
_REPETITION_FROM = "00402"  # ISA11 became the repetition separator in version 00402
_USAGES = frozenset({"P", "T", "I"})
_ACK_REQUESTED = frozenset({"0", "1"})
_BLANKS = frozenset(" \t\r\n\v\f")
_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})


class WriterError(ValueError):
    """Outbound data cannot be written as valid X12 (a caller bug or bad master data)."""


@dataclass(frozen=True, slots=True)
class Party:
    """An interchange party: ISA05/06 (sender) or ISA07/08 (receiver).

    ``gs_id`` is the application code used in GS02/GS03 when it differs from the
    interchange ID (many partners use a shorter or departmental code there). The
    writer takes GS02/GS03 from :class:`OutGroup`; :attr:`group_id` is the value to
    put there.
    """

    qualifier: str
    id: str
    gs_id: str | None = None

    @property
    def group_id(self) -> str:
        return self.gs_id if self.gs_id is not None else self.id


@dataclass(frozen=True, slots=True)
class OutSet:
    """One outbound transaction set: its body WITHOUT ST/SE (the writer adds them)."""

    set_id: str
    control_number: int
    body: Sequence[OutSegment]
    implementation_ref: str | None = None  # ST03, required by 5010 implementation guides


@dataclass(frozen=True, slots=True)
class OutGroup:
    """One outbound functional group: GS01/02/03/06/08 and its transaction sets."""

    functional_id: str
    sender_id: str
    receiver_id: str
    control_number: int
    version: str
    sets: Sequence[OutSet]


def effective_delimiters(delimiters: Delimiters, version: str) -> Delimiters:
    """The delimiters that are actually in force for an ISA12 ``version``.

    Before 00402 ISA11 is the standards identifier "U", so a configured repetition
    separator is no delimiter there (values may contain it). From 00402 on it is
    mandatory.
    """
    if version < _REPETITION_FROM:
        return replace(delimiters, repetition=None)
    if not delimiters.repetition:
        raise WriterError(f"ISA12 {version} needs a repetition separator (ISA11); none configured")
    return delimiters


def check_delimiters(delimiters: Delimiters) -> None:
    """Refuse delimiter sets a reader could not recover from the ISA."""
    chars = [delimiters.element, delimiters.component, delimiters.segment]
    if delimiters.repetition is not None:
        chars.append(delimiters.repetition)
    for char in chars:
        if len(char) != 1:
            raise WriterError(f"delimiter {char!r} must be exactly one character")
        if char.isalnum() or char == " ":
            raise WriterError(f"delimiter {char!r} must not be a letter, digit or space")
    # Readers skip line breaks between segments, so only the segment terminator (and
    # ISA16) may be one. The information separators 0x1C-0x1F stay allowed anywhere:
    # real partners use them (e.g. 0x1D as element separator).
    for name, char in (("element", delimiters.element), ("repetition", delimiters.repetition)):
        if char is not None and char in _BLANKS:
            raise WriterError(f"{name} separator {char!r} must not be a blank or line break")
    if len(set(chars)) != len(chars):
        raise WriterError(f"delimiters must be distinct: {chars!r}")
    if any(char in chars or not char.isspace() for char in delimiters.suffix):
        raise WriterError(f"segment suffix {delimiters.suffix!r} must be whitespace and contain no delimiter")


def _forbidden(delimiters: Delimiters) -> frozenset[str]:
    return delimiters.all() | frozenset(delimiters.suffix)


def _check_value(tag: str, position: int, value: str, forbidden: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise WriterError(f"{tag}{position:02d}: value {value!r} is not a string")
    bad = sorted(char for char in set(value) if char in forbidden)
    if bad:
        raise WriterError(f"{tag}{position:02d}: value {value!r} contains delimiter(s) {bad!r}; X12 cannot escape them")
    return value


def _trim(values: list[str]) -> list[str]:
    while values and values[-1] == "":
        values.pop()
    return values


class _Formatter:
    """Renders segments for one set of delimiters (built once per interchange).

    Plain segments (all elements ``str``) take a fast path: join, then one regex scan
    and one count prove that no value holds a delimiter. Anything else, including
    every segment that fails the scan, goes through the element-by-element path,
    which also produces the precise error.
    """

    def __init__(self, delims: Delimiters) -> None:
        self.delims = delims
        self.forbidden = _forbidden(delims)
        others = "".join(sorted(self.forbidden - {delims.element}))
        self.others = re.compile(f"[{re.escape(others)}]")
        self.tail = delims.segment + delims.suffix

    def format(self, seg: OutSegment) -> str:
        if not seg:
            raise WriterError("cannot write a segment without a tag")
        tag = seg[0]
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise WriterError(f"invalid segment tag {tag!r}")
        if tag == "ISA":
            raise WriterError("the ISA is fixed-width: use render_isa()")
        sep = self.delims.element
        values = list(seg[1:])
        if all(isinstance(value, str) for value in values):
            plain = _trim(values)  # type: ignore[arg-type]  # all str, checked above
            line = sep.join(plain)
            if plain and line.count(sep) == len(plain) - 1 and not self.others.search(line):
                return f"{tag}{sep}{line}{self.tail}"
        elements = _trim([self._element(tag, n, value) for n, value in enumerate(seg[1:], 1)])
        if not elements:
            raise WriterError(f"segment {tag} has no data elements")
        return sep.join([tag, *elements]) + self.tail

    def _single(self, tag: str, position: int, value: str | Composite) -> str:
        if isinstance(value, tuple):
            parts = _trim([_check_value(tag, position, part, self.forbidden) for part in value])
            return self.delims.component.join(parts)
        return _check_value(tag, position, value, self.forbidden)

    def _element(self, tag: str, position: int, value: Element) -> str:
        if not isinstance(value, list):
            return self._single(tag, position, value)
        if len(value) > 1 and not self.delims.repetition:
            raise WriterError(f"{tag}{position:02d}: {len(value)} repetitions but the interchange has no "
                              "repetition separator (ISA12 before 00402)")
        return (self.delims.repetition or "").join(self._single(tag, position, item) for item in value)


def format_segment(seg: OutSegment, delims: Delimiters) -> str:
    """Render one segment, including its terminator and ``delims.suffix``.

    Trailing empty elements are trimmed; a segment left without any element is an
    error (X12 has no empty segments). The ISA is fixed-width and is rendered by
    :func:`render_isa`, not here.
    """
    return _Formatter(delims).format(seg)


def segment_formatter(delims: Delimiters) -> Callable[[OutSegment], str]:
    """:func:`format_segment` bound to ``delims`` and prepared once, for callers that format many segments."""
    return _Formatter(delims).format


def _isa_field(name: str, value: str, width: int, forbidden: frozenset[str]) -> str:
    if len(value) > width:
        raise WriterError(f"{name}: value {value!r} is longer than {width} characters")
    return _check_value("ISA", int(name[3:]), value, forbidden).ljust(width)


def _check_control(name: str, number: int) -> int:
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= _MAX_CONTROL:
        raise WriterError(f"{name}: control number {number!r} must be an integer in 1..{_MAX_CONTROL}")
    return number


def render_isa(
    *, sender: Party, receiver: Party, control_number: int, delimiters: Delimiters, usage: str,
    ack_requested: str, version: str, when: datetime,
) -> str:
    """Render the 106-character ISA (terminator included, suffix excluded).

    ``delimiters`` must already be the effective ones (see :func:`effective_delimiters`).
    """
    if not _VERSION.fullmatch(version):
        raise WriterError(f"ISA12: version {version!r} must be five digits")
    if usage not in _USAGES:
        raise WriterError(f"ISA15: usage indicator {usage!r} must be one of {sorted(_USAGES)}")
    if ack_requested not in _ACK_REQUESTED:
        raise WriterError(f"ISA14: acknowledgment requested {ack_requested!r} must be 0 or 1")
    for name, party in (("ISA05", sender), ("ISA07", receiver)):
        if len(party.qualifier) != 2:
            raise WriterError(f"{name}: qualifier {party.qualifier!r} must be two characters")
        if not party.id.strip():
            raise WriterError(f"{name}/{int(name[3:]) + 1:02d}: interchange ID is empty")
    forbidden = _forbidden(delimiters)
    fields = [
        "ISA", "00", " " * 10, "00", " " * 10,
        _isa_field("ISA05", sender.qualifier, 2, forbidden),
        _isa_field("ISA06", sender.id, _ISA_ID_WIDTH, forbidden),
        _isa_field("ISA07", receiver.qualifier, 2, forbidden),
        _isa_field("ISA08", receiver.id, _ISA_ID_WIDTH, forbidden),
        when.strftime("%y%m%d"), when.strftime("%H%M"),
        delimiters.repetition or "U", version,
        f"{_check_control('ISA13', control_number):09d}", ack_requested, usage, delimiters.component,
    ]
    text = delimiters.element.join(fields) + delimiters.segment
    if len(text) != _ISA_LENGTH:  # unreachable unless the field list above is edited wrongly
        raise WriterError(f"rendered ISA is {len(text)} characters, expected {_ISA_LENGTH}")
    return text


def _render_set(out_set: OutSet, fmt: _Formatter) -> str:
    control = f"{_check_control('ST02', out_set.control_number):04d}"
    for seg in out_set.body:
        if seg and seg[0] in _ENVELOPE_TAGS:
            raise WriterError(f"set {out_set.set_id} {control}: body must not contain envelope segment {seg[0]}")
    st: list[Element] = ["ST", out_set.set_id, control]
    if out_set.implementation_ref:
        st.append(out_set.implementation_ref)
    segments = [st, *out_set.body, ["SE", str(len(out_set.body) + 2), control]]
    return "".join(fmt.format(seg) for seg in segments)


def _render_group(group: OutGroup, fmt: _Formatter, when: datetime) -> str:
    if not group.sets:
        raise WriterError(f"group {group.functional_id} {group.control_number}: a group needs at least one set")
    control = str(_check_control("GS06", group.control_number))
    for name, value in (("GS01", group.functional_id), ("GS02", group.sender_id), ("GS03", group.receiver_id),
                        ("GS08", group.version)):
        if not value:
            raise WriterError(f"{name} of group {control} is empty")
    gs: list[Element] = [
        "GS", group.functional_id, group.sender_id, group.receiver_id,
        when.strftime("%Y%m%d"), when.strftime("%H%M"), control, "X", group.version,
    ]
    body = "".join(_render_set(out_set, fmt) for out_set in group.sets)
    ge: list[Element] = ["GE", str(len(group.sets)), control]
    return fmt.format(gs) + body + fmt.format(ge)


def render_interchange(
    *,
    sender: Party,
    receiver: Party,
    groups: Sequence[OutGroup],
    control_number: int,
    delimiters: Delimiters,
    usage: str = "P",
    ack_requested: str = "0",
    version: str = "00401",
    when: datetime,
    ta1: Sequence[OutSegment] = (),
) -> str:
    """Render one complete interchange: ISA, TA1 segments, groups, IEA.

    GS06 is written without leading zeros (data element 28 is N0: leading zeros are
    suppressed); ISA13 is padded to its fixed 9 digits and ST02 to at least 4.
    """
    check_delimiters(delimiters)
    delims = effective_delimiters(delimiters, version)
    isa = render_isa(
        sender=sender, receiver=receiver, control_number=control_number, delimiters=delims, usage=usage,
        ack_requested=ack_requested, version=version, when=when,
    )
    fmt = _Formatter(delims)
    parts = [isa + delims.suffix]
    for seg in ta1:
        if not seg or seg[0] != "TA1":
            raise WriterError(f"ta1 may only hold TA1 segments, got {seg[0] if seg else 'an empty segment'!r}")
        parts.append(fmt.format(seg))
    parts.extend(_render_group(group, fmt, when) for group in groups)
    parts.append(fmt.format(["IEA", str(len(groups)), f"{control_number:09d}"]))
    return "".join(parts)
