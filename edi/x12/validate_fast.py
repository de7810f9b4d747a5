"""The compiled fast path of the validator: is this transaction set free of errors?

Why: the detailed validator costs a few microseconds per segment (a walk over the
open loops, then a Python call per element); the gateway needs about a microsecond
for everything. Almost every set is valid, so the question asked first is only
"valid or not", answered with one dict lookup and one regular-expression match per
segment. Any doubt answers "not", and :func:`edi.x12.validate.validate_set` then
runs the detailed path for the exact coded errors.

The segment-order machine is derived from :class:`~edi.x12.validate_structure.Walker`
itself rather than re-implemented: starting from the empty set, every tag is fed to
a walker placed at each reachable state and the error-free outcomes become the
transition table (a state is the tuple of child indexes of the open loops; there
are a few hundred for an 850). Use counts are the one thing a finite table cannot
hold, so a transition that repeats a child with a finite maximum use carries that
limit and a per-loop-depth counter is checked at run time.

Both tables are built once per schema (structure) and per schema and delimiter set
(segment expressions), cached, and never modified afterwards.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from edi.x12.model import Delimiters, Segment, TransactionSet
from edi.x12.schema import LoopDef, SegmentUse, SetSchema
from edi.x12.validate_patterns import Matcher, segment_matcher
from edi.x12.validate_structure import REJECTED, ErrorSink, Positions, Walker

__all__ = ["accepts"]

_START: Positions = (-1,)  # the set level, before ST
_RESET = -1  # transition "limit": entering a counted child, its count starts at 1
_MAX_CACHED = 64


def accepts(tx: TransactionSet, schema: SetSchema) -> bool:
    """True when the detailed validator is certain to find no error in ``tx``.

    False means "not known to be valid", never "invalid": the caller runs the
    detailed path then."""
    segments = tx.segments
    if not segments:
        return False
    machine = _machine(schema, tx.group.interchange.delimiters)
    return machine is not None and machine.run(segments)


# One transition: (next state, loop depth, limit, segment matcher).
# limit > 0: the segment repeats the child at that depth, whose count must stay <= limit;
# _RESET: it enters a counted child at that depth; 0: nothing to count.
_Transition = tuple["_State", int, int, Matcher]
_State = dict[str, _Transition]


@dataclass(frozen=True, slots=True)
class _Machine:
    """The transition table instantiated for one schema and one set of delimiters."""

    start: _State
    accepting: tuple[_State, ...]  # the states a set may end in (after its SE)
    accepting_without_trailer: tuple[_State, ...]  # ... when SE is missing (an envelope error)
    depth: int  # the number of loop levels (counters needed)
    separator: str
    check_text: bool  # the expressions leave control characters to one isprintable() per set

    def run(self, segments: list[Segment]) -> bool:
        """Walk the set; False at the first segment that might carry an error."""
        texts = list(map(self.separator.join, segments))
        if self.check_text and not "".join(texts).isprintable():
            return False
        state = self.start
        counters = [0] * self.depth
        try:
            for seg, text in zip(segments, texts, strict=True):
                state, depth, limit, match = state[seg[0]]
                if match(text) is None:
                    return False
                if limit:
                    if limit == _RESET:
                        counters[depth] = 1
                    else:
                        count = counters[depth] + 1
                        if count > limit:
                            return False
                        counters[depth] = count
        except KeyError:  # no error-free transition for this tag from here
            return False
        ends = self.accepting if segments[-1][0] == "SE" else self.accepting_without_trailer
        return any(state is end for end in ends)


@dataclass(frozen=True, slots=True)
class _Edge:
    """A transition of the structure table, before delimiters are known."""

    target: Positions
    depth: int
    limit: int


@dataclass(frozen=True, slots=True)
class _Structure:
    edges: dict[Positions, dict[str, _Edge]]  # only the error-free transitions
    accepting: frozenset[Positions]  # states where the set may end (after SE)
    accepting_without_trailer: frozenset[Positions]  # ... where it may end without SE


@functools.lru_cache(maxsize=_MAX_CACHED)
def _machine(schema: SetSchema, delimiters: Delimiters) -> _Machine | None:
    """The machine for ``schema`` and ``delimiters``; None when the delimiters are
    not distinct (the expressions could not tell elements apart)."""
    separators = [delimiters.element, delimiters.component, delimiters.repetition or ""]
    if len(set(separators) - {""}) != len([s for s in separators if s]):
        return None
    structure = _structure(schema)
    # With printable separators, one isprintable() over the set stands in for the
    # control-character test of every text element (stricter: never accepts more).
    check_text = "".join(separators).isprintable()
    matchers = {tag: segment_matcher(schema.segments[tag], delimiters, text_checked=check_text)
                for tag in schema.tags}
    states: dict[Positions, _State] = {positions: {} for positions in structure.edges}
    for positions, edges in structure.edges.items():
        state = states[positions]
        for tag, edge in edges.items():
            state[tag] = (states[edge.target], edge.depth, edge.limit, matchers[tag])
    depth = max(len(positions) for positions in structure.edges)
    accepting = tuple(states[positions] for positions in sorted(structure.accepting))
    untrailed = tuple(states[positions] for positions in sorted(structure.accepting_without_trailer))
    return _Machine(states[_START], accepting, untrailed, depth, delimiters.element, check_text)


@functools.lru_cache(maxsize=_MAX_CACHED)
def _structure(schema: SetSchema) -> _Structure:
    """Every state reachable without an error, and its error-free transitions."""
    edges: dict[Positions, dict[str, _Edge]] = {}
    accepting: set[Positions] = set()
    untrailed: set[Positions] = set()
    pending = [_START]
    while pending:
        positions = pending.pop()
        if positions in edges:
            continue
        out: dict[str, _Edge] = {}
        for tag in sorted(_candidate_tags(schema, positions)):
            edge = _edge(schema, positions, tag)
            if edge is not None:
                out[tag] = edge
                pending.append(edge.target)
        edges[positions] = out
        if _can_end(schema, positions, trailer=True):
            accepting.add(positions)
        if _can_end(schema, positions, trailer=False):
            untrailed.add(positions)
    return _Structure(edges, frozenset(accepting), frozenset(untrailed))


def _loops(schema: SetSchema, positions: Positions) -> Iterator[LoopDef]:
    """The open loops of a state, from the set level inward."""
    loop = schema.root
    yield loop
    for pos in positions[:-1]:
        loop = loop.children[pos]  # type: ignore[assignment]
        yield loop


def _candidate_tags(schema: SetSchema, positions: Positions) -> set[str]:
    return {tag for loop in _loops(schema, positions) for tag in loop.entries}


def _edge(schema: SetSchema, positions: Positions, tag: str) -> _Edge | None:
    """What the walker does with ``tag`` at ``positions``, if it reports nothing."""
    sink = ErrorSink()
    walker = Walker.at(schema, positions, sink)
    if walker.step(tag, 1) == REJECTED or sink.errors:
        return None
    target = walker.positions()
    # A loop start pushes a frame at its first child (0); no other step leaves the
    # innermost loop at 0, because a loop's own start tag is not among its entries.
    depth = len(target) - 2 if len(target) > 1 and target[-1] == 0 else len(target) - 1
    child = list(_loops(schema, target))[depth].children[target[depth]]
    limit = _limit(child, repeated=positions[depth] == target[depth])
    return _Edge(target, depth, limit)


def _limit(child: SegmentUse | LoopDef, repeated: bool) -> int:
    """How a transition into ``child`` counts. A maximum of 1 needs no counter: the
    walker already reported its second use, so that transition does not exist."""
    if child.max_use is None or child.max_use == 1:
        return 0
    return child.max_use if repeated else _RESET


def _can_end(schema: SetSchema, positions: Positions, trailer: bool) -> bool:
    sink = ErrorSink()
    Walker.at(schema, positions, sink).finish(1, trailer=trailer)
    return not sink.errors
