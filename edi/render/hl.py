"""HL numbering by code: templates name the levels, code numbers them.

An X12 hierarchical set (856 ship notice, 842, 870 ...) numbers its ``HL`` segments:
HL01 is the sequence number, HL02 the HL01 of the parent level, HL04 says whether
children follow (``1``) or not (``0``). None of that is known where a template writes
a level: HL04 depends on levels written later, and a template that counted by hand
would break the moment a partner's override added or skipped a level. So a template
only says which level it opens and under which parent::

    {% set s = hl.open("S") %}
    {{ seg(*s.segment()) }}
    {% for order in shipment.orders %}
    {% set o = hl.open("O", s) %}
    {{ seg(*o.segment()) }}
    ...
    {{ seg("CTT", hl.count()) }}

``segment()`` gives ``("HL", <HL01>, <HL02>, code, <HL04>)`` where the bracketed
values are :class:`Deferred`: ``seg()`` records them as they are and the renderer
fills them after the whole set is rendered, from the segments the output actually
shows (:meth:`HLNumbering.finish`): HL01 counts HL segments in output order, HL02 is
the parent's number, HL04 is ``1`` when any child level was written. ``hl.count()``
is the number of HL segments (CTT01 of an 856).

A level written twice, a child written before (or without) its parent, or an HL
segment written with literal numbers is refused (``RENDER_HL``): a partner never
receives a broken hierarchy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableSequence, Sequence
from typing import Any

from edi.render.errors import TemplateValueError

_LEVEL_CODE = re.compile(r"[A-Z0-9]{1,2}")


class HLError(ValueError):
    """The hierarchy a template wrote is inconsistent; the renderer reports it as ``RENDER_HL``."""


class Deferred:
    """An element value known only once the whole set is rendered.

    ``placeholder`` stands in for it while ``seg()`` checks the segment against the
    delimiters (the final value is digits, so it cannot contain one).
    """

    __slots__ = ()
    placeholder = "1"

    def resolve(self) -> str:
        """The final element text (after :meth:`HLNumbering.finish`)."""
        raise NotImplementedError


class HLevel:
    """One hierarchical level a template opened: its code and parent; numbered at the end."""

    __slots__ = ("_child_flag", "_number", "_parent_number", "code", "has_children", "number", "parent")

    def __init__(self, code: str, parent: HLevel | None) -> None:
        self.code = code
        self.parent = parent
        self.number: int | None = None  # HL01, set by HLNumbering.finish
        self.has_children = False
        self._number = _LevelNumber(self)
        self._parent_number = _LevelNumber(parent) if parent is not None else None
        self._child_flag = _ChildFlag(self)

    def segment(self) -> tuple[Any, ...]:
        """The HL segment's tag and elements, for ``seg(*level.segment())``."""
        return ("HL", self._number, self._parent_number, self.code, self._child_flag)


class _LevelNumber(Deferred):
    """HL01 of a level (or HL02 of its child)."""

    __slots__ = ("level",)

    def __init__(self, level: HLevel) -> None:
        self.level = level

    def resolve(self) -> str:
        if self.level.number is None:
            raise HLError(f"level {self.level.code} is referred to but its HL segment was never written")
        return str(self.level.number)


class _ChildFlag(Deferred):
    """HL04: 1 when a child level of this one was written, else 0."""

    __slots__ = ("level",)

    def __init__(self, level: HLevel) -> None:
        self.level = level

    def resolve(self) -> str:
        return "1" if self.level.has_children else "0"


class _Count(Deferred):
    """The number of HL segments in the set (CTT01 of an 856)."""

    __slots__ = ("numbering",)

    def __init__(self, numbering: HLNumbering) -> None:
        self.numbering = numbering

    def resolve(self) -> str:
        return str(self.numbering.total)


class HLNumbering:
    """The ``hl`` object of one render: opens levels, numbers them once the output is known."""

    __slots__ = ("total",)

    def __init__(self) -> None:
        self.total = 0

    def open(self, code: str, parent: HLevel | None = None) -> HLevel:
        """A new level with HL03 ``code`` (``"S"``, ``"O"``, ``"P"`` ...) under ``parent``."""
        if not isinstance(code, str) or not _LEVEL_CODE.fullmatch(code):
            raise TemplateValueError("RENDER_HL", f"hl.open: level code {code!r} is not 1-2 letters or digits")
        if parent is not None and not isinstance(parent, HLevel):
            raise TemplateValueError("RENDER_HL", f"hl.open: parent {parent!r} is not a level from hl.open")
        return HLevel(code, parent)

    def count(self) -> Deferred:
        """The number of HL segments the set will hold, filled in after rendering."""
        return _Count(self)

    def finish(self, body: Iterable[Sequence[Any]]) -> None:
        """Number the levels whose HL segments ``body`` shows, in order; HLError when inconsistent."""
        number = 0
        for segment in body:
            if segment[0] != "HL":
                continue
            first = segment[1] if len(segment) > 1 else None
            if not isinstance(first, _LevelNumber):
                raise HLError("an HL segment was written with literal values; write it as "
                              "seg(*hl.open(code, parent).segment()): HL01/HL02/HL04 are numbered by code")
            level = first.level
            if level.number is not None:
                raise HLError(f"the HL segment of level {level.code} (HL {level.number}) was written twice")
            parent = level.parent
            if parent is not None:
                if parent.number is None:
                    raise HLError(f"level {level.code} was written before (or without) its parent level "
                                  f"{parent.code}")
                parent.has_children = True
            number += 1
            level.number = number
        self.total = number


def has_deferred(segment: Sequence[Any]) -> bool:
    """Whether ``segment`` holds a value to fill after rendering."""
    return any(isinstance(element, Deferred) for element in segment)


def check_form(segment: Sequence[Any]) -> list[Any]:
    """``segment`` with placeholders for its deferred values (for the delimiter check)."""
    return [element.placeholder if isinstance(element, Deferred) else element for element in segment]


def resolve(segments: Iterable[MutableSequence[Any]]) -> None:
    """Replace every deferred value of ``segments`` by its final text, in place."""
    for segment in segments:
        for position, element in enumerate(segment):
            if isinstance(element, Deferred):
                segment[position] = element.resolve()
