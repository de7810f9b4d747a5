"""The X12 data model shared by the reader, the validator, the mapper and the writer.

A segment is a plain ``list[str]``: ``seg[0]`` is the tag and ``seg[n]`` is element n
(1-based, as X12 numbers them). Composite elements and repetitions stay unsplit in the
list; use :func:`components` / :func:`repetitions` with the interchange's delimiters.
Trailing empty elements may be absent: read elements with :func:`element`.

The reader (``edi.x12.reader``) yields the events below, in document order, holding
one transaction set in memory at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edi.errors import EdiError

Segment = list[str]


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = None  # None where ISA11 is a standards identifier ("U")
    suffix: str = ""  # written after each segment terminator (e.g. "\n"); never read

    def all(self) -> frozenset[str]:
        chars = {self.element, self.component, self.segment}
        if self.repetition:
            chars.add(self.repetition)
        return frozenset(chars)


def element(seg: Segment, n: int, default: str = "") -> str:
    """Element ``n`` (1-based) of ``seg``, or ``default`` when absent."""
    return seg[n] if n < len(seg) else default


def components(value: str, delims: Delimiters) -> list[str]:
    return value.split(delims.component)


def repetitions(value: str, delims: Delimiters) -> list[str]:
    return value.split(delims.repetition) if delims.repetition else [value]


@dataclass(slots=True)
class InterchangeHeader:
    """An ISA segment and what it says (event: start of an interchange)."""

    segment: Segment
    delimiters: Delimiters
    index: int  # 0-based position of the interchange within the file
    offset: int  # character offset of "ISA" within the decoded file

    @property
    def sender_qualifier(self) -> str:
        return self.segment[5].strip()

    @property
    def sender_id(self) -> str:
        return self.segment[6].strip()

    @property
    def receiver_qualifier(self) -> str:
        return self.segment[7].strip()

    @property
    def receiver_id(self) -> str:
        return self.segment[8].strip()

    @property
    def date(self) -> str:
        return self.segment[9]

    @property
    def time(self) -> str:
        return self.segment[10]

    @property
    def version(self) -> str:
        return self.segment[12]

    @property
    def control_number(self) -> str:
        return self.segment[13].strip()

    @property
    def ack_requested(self) -> str:
        return self.segment[14]

    @property
    def usage(self) -> str:
        return self.segment[15]


@dataclass(slots=True)
class GroupHeader:
    """A GS segment (event: start of a functional group)."""

    segment: Segment
    interchange: InterchangeHeader
    index: int  # 0-based position of the group within its interchange

    @property
    def functional_id(self) -> str:
        return element(self.segment, 1)

    @property
    def sender(self) -> str:
        return element(self.segment, 2).strip()

    @property
    def receiver(self) -> str:
        return element(self.segment, 3).strip()

    @property
    def control_number(self) -> str:
        return element(self.segment, 6).strip()

    @property
    def agency(self) -> str:
        return element(self.segment, 7).strip()

    @property
    def version(self) -> str:
        """GS08, e.g. ``004010`` or ``005010X222A1``."""
        return element(self.segment, 8).strip()


@dataclass(slots=True)
class TransactionSet:
    """One ST..SE transaction set with its segments (ST and SE included).

    ``errors`` holds envelope errors of the set itself (SE missing, SE count or
    control number mismatch); syntax and mapping errors are found later.
    """

    segments: list[Segment]
    group: GroupHeader
    index: int  # 0-based position of the set within its group
    offset: int  # character offset of the ST segment within the decoded file
    errors: list[EdiError] = field(default_factory=list)

    @property
    def interchange(self) -> InterchangeHeader:
        return self.group.interchange

    @property
    def id(self) -> str:
        return element(self.segments[0], 1)

    @property
    def control_number(self) -> str:
        return element(self.segments[0], 2)

    @property
    def implementation_ref(self) -> str:
        return element(self.segments[0], 3)


@dataclass(slots=True)
class GroupEnd:
    """A GE segment, or its absence (event: end of a functional group)."""

    header: GroupHeader
    set_count: int  # transaction sets actually seen
    segment: Segment | None  # None when GE is missing
    errors: list[EdiError] = field(default_factory=list)


@dataclass(slots=True)
class InterchangeEnd:
    """An IEA segment, or its absence (event: end of an interchange)."""

    header: InterchangeHeader
    group_count: int  # functional groups actually seen
    segment: Segment | None  # None when IEA is missing (truncated interchange)
    errors: list[EdiError] = field(default_factory=list)


@dataclass(slots=True)
class FileError:
    """A problem that is not inside any interchange (event): not X12, bad encoding,
    garbage between or after interchanges, an ISA that cannot be parsed."""

    error: EdiError


Event = InterchangeHeader | GroupHeader | TransactionSet | GroupEnd | InterchangeEnd | FileError
