"""Find an ISA segment in decoded text and derive the interchange's delimiters from it.

X12 declares its delimiters inside the ISA itself: the element separator is the
character right after ``ISA``, the component separator is ISA16 (the character
after the 16th element separator) and the segment terminator is the character
after ISA16. Real files bend the fixed 106-character layout (unpadded IDs, line
breaks inside the ISA, CRLF after a newline terminator), so this module counts
separators instead of trusting positions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from edi.errors import EdiError
from edi.x12.model import Delimiters, Segment

ISA_ELEMENTS = 16
# A padded ISA is 106 characters; unpadded ones are shorter. Anything far longer
# than this without 16 separators is not an ISA (and must not make us buffer forever).
ISA_MAX_CHARS = 2048
_LINE_BREAKS = "\r\n"
_BLANKS = " \t\r\n\v\f"
# Maximum lengths of ISA11..ISA15. When the ISA lacks an element, its 16th separator is
# found in the next segment and these short elements swallow a terminator and a tag.
# (The ID elements are not checked: real files pad them one character too long.)
_TAIL_MAX_LENGTHS = (1, 5, 9, 1, 1)
# First ISA12 version whose ISA11 is the repetition separator (X12 004020).
_REPETITION_SINCE = "00402"


@dataclass(frozen=True, slots=True)
class IsaScan:
    """A parsed ISA: the segment (``seg[16]`` is ISA16), its delimiters and where it ends."""

    segment: Segment
    delimiters: Delimiters
    end: int  # index in the scanned text just past the segment terminator


def is_element_separator(char: str) -> bool:
    """Whether ``char`` may be an element separator (so ``ISA`` + it starts an ISA).

    Control characters such as 0x1C-0x1F are fine (``str.isspace`` calls them
    whitespace, so it is not used); letters, digits and blanks are not.
    """
    return not _unusable(char)


def _unusable(char: str) -> bool:
    """Letters, digits and blanks can never delimit X12 data."""
    return char.isalnum() or char in _BLANKS


def starts_isa(text: str, pos: int) -> bool:
    """Whether an ISA segment starts at ``text[pos]`` (needs 4 characters to tell)."""
    return text.startswith("ISA", pos) and len(text) > pos + 3 and is_element_separator(text[pos + 3])


def scan_isa(text: str, pos: int, *, at_eof: bool, offset: int) -> IsaScan | None:
    """Parse the ISA starting at ``text[pos]`` (``starts_isa`` must hold there).

    Returns ``None`` when ``text`` ends before the ISA does and more text may
    follow (``at_eof`` false). Raises :class:`EdiError` ``ISA_INVALID`` (truncated
    or wrong number of elements) or ``ISA_DELIMITERS`` (unusable delimiters);
    ``offset`` is the file offset of ``text[pos]``, used in those errors.
    """
    sep = text[pos + 3]
    last_sep = _find_last_separator(text, pos, sep)
    if last_sep is None:
        if not at_eof and len(text) - pos <= ISA_MAX_CHARS:
            return None
        raise _isa_error("ISA_INVALID", "ISA segment has fewer than 16 element separators", offset)
    tail = _read_tail(text, last_sep + 1)
    if tail is None:
        if not at_eof:
            return None
        raise _isa_error("ISA_INVALID", "ISA segment ends before its component separator and terminator", offset)
    component, terminator, end = tail
    if len(text) < end + 2 and not at_eof:
        return None  # the line break after the terminator (the suffix) may be in the next chunk
    segment = [*_unwrap(text[pos:last_sep], sep, terminator, offset).split(sep), component]
    if any(len(value) > limit for value, limit in zip(segment[11:16], _TAIL_MAX_LENGTHS, strict=False)):
        # Separators were counted into the next segment: the ISA lacks elements.
        raise _isa_error("ISA_INVALID", "ISA element longer than its maximum: the ISA lacks elements", offset)
    _check_delimiters(sep, component, terminator, offset)
    delimiters = Delimiters(
        element=sep,
        component=component,
        segment=terminator,
        repetition=_repetition(segment, {sep, component, terminator}),
        suffix=_suffix(text, end, terminator),
    )
    return IsaScan(segment=segment, delimiters=delimiters, end=end)


def _find_last_separator(text: str, pos: int, sep: str) -> int | None:
    """Index of the 16th element separator of the ISA at ``pos``, or None if not (yet) there."""
    index = pos + 3
    limit = min(len(text), pos + ISA_MAX_CHARS)
    for _ in range(ISA_ELEMENTS - 1):
        index = text.find(sep, index + 1, limit)
        if index < 0:
            return None
    return index


def _read_tail(text: str, start: int) -> tuple[str, str, int] | None:
    """ISA16, the segment terminator and the index past it, read from ``text[start:]``.

    Line breaks before ISA16 are wrapping, not data. A CR right after ISA16 that is
    followed by LF means the terminator is the newline of a CRLF file.
    """
    index = start
    while index < len(text) and text[index] in _LINE_BREAKS:
        index += 1
    if index + 1 >= len(text):
        return None
    component, terminator = text[index], text[index + 1]
    end = index + 2
    if terminator == "\r":
        if end >= len(text):
            return None
        if text[end] == "\n":
            terminator, end = "\n", end + 1
    return component, terminator, end


def _unwrap(body: str, sep: str, terminator: str, offset: int) -> str:
    """The ISA text up to its 16th separator, without line-wrapping breaks.

    If the terminator (or, for newline terminators, a line starting like a
    segment) occurs before the 16th separator, the ISA lacks elements and the
    separators counted belong to the next segments.
    """
    if terminator in _LINE_BREAKS:
        short = re.search(f"[\r\n][A-Z][A-Z0-9]{{1,2}}{re.escape(sep)}", body) is not None
    else:
        short = terminator in body
    if short:
        raise _isa_error("ISA_INVALID", "ISA segment has fewer than 16 elements", offset)
    if "\r" in body or "\n" in body:
        body = body.replace("\r", "").replace("\n", "")
    return body


def _check_delimiters(sep: str, component: str, terminator: str, offset: int) -> None:
    """Reject delimiters that could not separate data unambiguously."""
    if _unusable(component) or (terminator not in _LINE_BREAKS and _unusable(terminator)):
        message = f"ISA16 {component!r} or terminator {terminator!r} is not a delimiter"
        raise _isa_error("ISA_DELIMITERS", message, offset)
    if len({sep, component, terminator}) != 3:
        raise _isa_error("ISA_DELIMITERS", "element, component and segment delimiters are not distinct", offset)


def _repetition(segment: Segment, taken: set[str]) -> str | None:
    """ISA11 is the repetition separator from 00402 on, when it is a delimiter character."""
    version, isa11 = segment[12].strip(), segment[11]
    if not (len(version) == 5 and version.isdecimal() and version >= _REPETITION_SINCE):
        return None
    if len(isa11) != 1 or _unusable(isa11) or isa11 in taken:
        return None
    return isa11


def _suffix(text: str, end: int, terminator: str) -> str:
    """The line break written after each terminator, as far as the ISA shows it."""
    if terminator in _LINE_BREAKS:
        return ""
    if text.startswith("\r\n", end):
        return "\r\n"
    if text.startswith("\n", end):
        return "\n"
    return ""


def _isa_error(code: str, message: str, offset: int) -> EdiError:
    return EdiError(code, message, segment_id="ISA", offset=offset)
