"""X12 transaction sets from templates: the template says which segments, code writes the X12.

A template never writes delimiters. It calls ``{{ seg("BAK", "00", "AC", ack.po_number,
ack.po_date | x12date) }}`` once per segment; loops, conditionals, macros and includes
are Jinja's. ``seg`` checks the segment at once (tag, element types, and the partner's
delimiters through :func:`edi.x12.writer.format_segment`, so a refused value is reported
at the template line that wrote it), records it as data and writes a marker line
holding a per-render random token and the segment's index. After rendering, the output
is read back marker by marker: the set body is exactly the segments the output shows,
in its order, and any other text is an error. The token is never visible to the
document's values, so data cannot forge a segment even when a template prints a value
outside ``seg()``. ST/SE (with the segment count) are added by the writer.

Element values: ``str``; ``None`` (an empty element; trailing ones are trimmed); ``int``
and ``Decimal`` (written as :func:`~edi.render.filters.x12decimal`); a tuple for a
composite; a list for a repeated element. Dates and times must go through the
``x12date`` / ``x12time`` filters (the format depends on the version); floats and
booleans are refused.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jinja2 import Undefined

from edi.errors import EdiError
from edi.render.environment import TemplateSet, render_context
from edi.render.errors import RenderError, TemplateValueError
from edi.render.filters import x12decimal
from edi.render.hl import Deferred, HLError, HLNumbering, check_form, resolve
from edi.x12.model import Delimiters, GroupHeader, InterchangeHeader, TransactionSet
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from edi.x12.writer import Element, OutSet, WriterError, format_segment, segment_formatter

_TAG = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})
_SNIPPET = 40


@dataclass(frozen=True, slots=True)
class X12Info:
    """What an X12 template may know about the set it renders (``x12`` in its context)."""

    set_id: str
    version: str  # GS08, e.g. "004010"
    control_number: int


def _scalar(tag: str, position: int, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the missing variable
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        try:
            return x12decimal(value)
        except TemplateValueError as exc:
            raise TemplateValueError(exc.code, f"{tag}{position:02d}: {exc.message}") from None
    hint = "; use the x12date / x12time filter" if hasattr(value, "isoformat") else ""
    raise TemplateValueError("RENDER_VALUE", f"{tag}{position:02d}: {value!r} ({type(value).__name__}) "
                             f"is not an element value{hint}")


def _element(tag: str, position: int, value: Any) -> Element:
    if isinstance(value, tuple):
        return tuple(_scalar(tag, position, part) for part in value)
    if isinstance(value, list):
        return [tuple(_scalar(tag, position, p) for p in item) if isinstance(item, tuple)
                else _scalar(tag, position, item) for item in value]
    return _scalar(tag, position, value)


class _Recorder:
    """The ``seg`` callable of one render: checks, records and marks each segment."""

    __slots__ = ("deferred", "format", "marker", "segments")

    def __init__(self, delimiters: Delimiters) -> None:
        self.format = segment_formatter(delimiters)
        self.marker = f"\x00seg-{secrets.token_hex(8)}:"
        self.segments: list[list[Element]] = []
        self.deferred: list[list[Any]] = []  # segments holding values filled after rendering (HL numbers)

    def __call__(self, tag: Any, *elements: Any) -> str:
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            raise TemplateValueError("RENDER_SEGMENT_REJECTED", f"invalid segment tag {tag!r}")
        if tag in _ENVELOPE_TAGS:
            raise TemplateValueError("RENDER_SEGMENT_REJECTED",
                                     f"{tag} is an envelope segment: the writer adds it, a template may not")
        segment: list[Any] = [tag]
        deferred = False
        for position, value in enumerate(elements, 1):  # plain strings (most values) need no conversion
            if type(value) is str:
                segment.append(value)
            elif isinstance(value, Deferred):
                segment.append(value)
                deferred = True
            else:
                segment.append(_element(tag, position, value))
        try:
            self.format(check_form(segment) if deferred else segment)
        except WriterError as exc:
            raise TemplateValueError("RENDER_SEGMENT_REJECTED", str(exc)) from None
        self.segments.append(segment)
        if deferred:
            self.deferred.append(segment)
        return f"{self.marker}{len(self.segments) - 1}\n"

    def body(self, output: str, name: str) -> list[list[Element]]:
        """The segments ``output`` shows, in its order; text outside ``seg()`` is an error."""
        chunks = output.split(self.marker)
        body: list[list[Element]] = []
        self._no_text(chunks[0], body, name)
        for chunk in chunks[1:]:
            digits, newline, rest = chunk.partition("\n")
            if not (newline and digits.isascii() and digits.isdigit() and int(digits) < len(self.segments)):
                raise self._stray(chunk or "<seg>", body, name)  # a template cut a marker apart
            body.append(self.segments[int(digits)])
            self._no_text(rest, body, name)
        return body

    def _no_text(self, text: str, body: list[list[Element]], name: str) -> None:
        if text.strip():
            raise self._stray(text, body, name)

    def _stray(self, text: str, body: list[list[Element]], name: str) -> RenderError:
        stray = text.strip()
        after = f"after segment {len(body)} ({body[-1][0]})" if body else "before the first segment"
        snippet = stray.replace(self.marker, "<seg>")[:_SNIPPET]
        return RenderError("RENDER_STRAY_TEXT", name, f"text outside seg() {after}: {snippet!r}; "
                           "X12 templates write segments only through seg()")


def render_x12_set(
    templates: TemplateSet,
    name: str,
    context: Mapping[str, Any],
    *,
    set_id: str,
    control_number: int,
    version: str,
    delimiters: Delimiters,
    implementation_ref: str | None = None,
) -> OutSet:
    """Render template ``name`` into one transaction set body (ST/SE are the writer's).

    ``delimiters`` are the ones the interchange will be written with (the partner's,
    as :func:`edi.x12.writer.effective_delimiters` gives them for its ISA12): every
    value is checked against them while rendering. The template sees ``context`` plus
    ``seg``, ``x12`` (:class:`X12Info`) and ``hl`` (:class:`~edi.render.hl.HLNumbering`:
    HL levels numbered by code once the output is known). Raises :class:`RenderError`.
    """
    recorder = _Recorder(delimiters)
    numbering = HLNumbering()
    values = render_context(context, {"seg": recorder, "x12": X12Info(set_id, version, control_number),
                                      "hl": numbering})
    output = templates.run(name, lambda template: template.render(values))
    body = recorder.body(output, name)
    if not body:
        raise RenderError("RENDER_NO_SEGMENTS", name, "the template wrote no segment")
    if recorder.deferred or any(segment[0] == "HL" for segment in body):
        _number_levels(numbering, recorder, body, name)
    return OutSet(set_id, control_number, body, implementation_ref)


def _number_levels(numbering: HLNumbering, recorder: _Recorder, body: list[list[Element]], name: str) -> None:
    """Fill HL01/HL02/HL04 and counts of the segments the output shows (see :mod:`edi.render.hl`)."""
    shown = {id(segment) for segment in body}
    try:
        numbering.finish(body)
        resolve(segment for segment in recorder.deferred if id(segment) in shown)
    except HLError as exc:
        raise RenderError("RENDER_HL", name, str(exc)) from None


def check_out_set(out_set: OutSet, version: str, delimiters: Delimiters) -> list[EdiError]:
    """Validate a rendered set against our schema for ``version`` (GS08), as a partner would.

    Lengths, codes, mandatory elements, syntax rules and segment order are checked on
    the segments exactly as the writer will write them. Returns the coded errors (empty
    when valid); a set without a declared schema raises KeyError (a configuration bug).
    """
    schema = load_schema(out_set.set_id, version)
    if schema is None:
        raise KeyError(f"no schema declared for {out_set.set_id} {version}")
    terminator = len(delimiters.segment + delimiters.suffix)
    control = f"{out_set.control_number:04d}"
    st = ["ST", out_set.set_id, control, *([out_set.implementation_ref] if out_set.implementation_ref else [])]
    segments = [st, *(format_segment(seg, delimiters)[:-terminator].split(delimiters.element)
                      for seg in out_set.body), ["SE", str(len(out_set.body) + 2), control]]
    interchange = InterchangeHeader(["ISA"], delimiters, 0, 0)
    group = GroupHeader(["GS", "", "", "", "", "", "1", "X", version], interchange, 0)
    return validate_set(TransactionSet(segments, group, 0, 0), schema)
