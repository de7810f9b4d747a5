"""Segment order of a transaction set: the loop walker and the error sink.

The walker is the reference definition of where a segment belongs (the innermost
open loop that has its tag at or after its current place) and of the segment-level
errors (unrecognized, not in set, out of order, unexpected, mandatory missing, max
use, loop repeats). The detailed validator drives it segment by segment; the fast
path (:mod:`edi.x12.validate_fast`) drives it once per (state, tag) at compile time
to derive its transition table, so both share this one definition.
"""

from __future__ import annotations

import re

from edi.errors import EdiError, spec
from edi.x12.schema import ElementDef, LoopDef, SetSchema

__all__ = ["REJECTED", "ErrorSink", "Positions", "Walker", "Where"]

_TAG_SHAPE = re.compile(r"[A-Z][A-Z0-9]{1,2}")
REJECTED = "\x00"  # step() result for a segment that does not fit the structure

# (segment position, tag, loop id): where an element error is located
Where = tuple[int, str, "str | None"]
# The walker's place, one child index per open loop from the set level inward.
Positions = tuple[int, ...]


class ErrorSink:
    """Collects errors and builds their messages (only ever on the error path)."""

    __slots__ = ("errors",)

    def __init__(self) -> None:
        self.errors: list[EdiError] = []

    def segment(self, code: str, message: str, position: int, tag: str, loop_id: str | None) -> None:
        self.errors.append(EdiError(code, message, segment_position=position, segment_id=tag, loop_id=loop_id))

    def element(self, code: str, where: Where, el: ElementDef, value: str | None,
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


class _Frame:
    """One open loop instance: the index of the last child matched and use counts."""

    __slots__ = ("counts", "loop", "pos")

    def __init__(self, loop: LoopDef, pos: int) -> None:
        self.loop = loop
        self.pos = pos
        self.counts = [0] * len(loop.children)


class Walker:
    """The state machine over the compiled loops: a stack of open loop instances."""

    def __init__(self, schema: SetSchema, sink: ErrorSink) -> None:
        self._frames = [_Frame(schema.root, -1)]
        self._tags = schema.tags
        self._sink = sink

    @classmethod
    def at(cls, schema: SetSchema, positions: Positions, sink: ErrorSink) -> Walker:
        """A walker placed at ``positions`` (see :meth:`positions`), each child at
        its place seen once. The fast-path compiler uses it to ask "what does this
        tag do from here?": one use is all that can be known of a count without
        tracking it, so repeats beyond the second are left to the caller."""
        walker = cls(schema, sink)
        frames = walker._frames
        frames[0].pos = positions[0]
        for pos in positions[1:]:
            parent = frames[-1]
            frames.append(_Frame(parent.loop.children[parent.pos], pos))  # type: ignore[arg-type]
        for frame in frames:
            if frame.pos >= 0:
                frame.counts[frame.pos] = 1
        return walker

    def positions(self) -> Positions:
        """Where the walker is: the current child index of every open loop."""
        return tuple(frame.pos for frame in self._frames)

    def step(self, tag: str, position: int) -> str | None:
        """Place one segment; return its loop id (None at set level) or REJECTED.

        The innermost open loop that has ``tag`` at or after its current place wins;
        the loops inside it are closed (X12 rule: a segment belongs to the deepest
        loop that can take it)."""
        frames = self._frames
        top = frames[-1]
        indexes = top.loop.entries.get(tag)
        if indexes is not None:  # the segment belongs to the innermost open loop
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
        return REJECTED

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
