"""Compiled value getters: closures that find a rule's source value in a loop instance.

Each getter is specialised when the mapping is compiled (no where-test, one test,
several; qualifier pairs; child loops; joined values) so applying a mapping runs
straight-line code per field instead of interpreting the rule each time.

A getter takes the loop instance to search (the evaluator picks the current loop or
the header, per the rule's ``scope``) and returns a :data:`Hit` or None.
"""

from __future__ import annotations

from collections.abc import Callable

from edi.mapping.loops import LoopInstance
from edi.mapping.results import Hit
from edi.x12.model import Segment

SegmentGetter = Callable[[LoopInstance], "Hit | None"]
AllGetter = Callable[[LoopInstance], list[Hit]]
Source = tuple[SegmentGetter, bool]  # (getter, read from the header instead of the current loop)
Tests = tuple[tuple[int, frozenset[str]], ...]  # (element position, accepted codes)


def matches(seg: Segment, tests: Tests) -> bool:
    """Whether ``seg`` passes every where-test."""
    size = len(seg)
    return all(index < size and seg[index] in codes for index, codes in tests)


def element_getter(tag: str, elem: int, tests: Tests) -> SegmentGetter:
    """First segment ``tag`` passing ``tests`` with a non-empty element ``elem``."""
    if not tests:
        def get_plain(inst: LoopInstance) -> Hit | None:
            found = inst.segs.get(tag)
            if found is not None:
                for pos, seg in found:
                    if elem < len(seg) and seg[elem]:
                        return (seg[elem], pos, elem, "")
            return None
        return get_plain
    if len(tests) == 1:
        ((test_at, codes),) = tests

        def get_one_test(inst: LoopInstance) -> Hit | None:
            found = inst.segs.get(tag)
            if found is not None:
                for pos, seg in found:
                    size = len(seg)
                    if test_at < size and seg[test_at] in codes and elem < size and seg[elem]:
                        return (seg[elem], pos, elem, "")
            return None
        return get_one_test

    def get_tested(inst: LoopInstance) -> Hit | None:
        found = inst.segs.get(tag)
        if found is not None:
            for pos, seg in found:
                if elem < len(seg) and seg[elem] and matches(seg, tests):
                    return (seg[elem], pos, elem, "")
        return None
    return get_tested


def find_pair(seg: Segment, qualifiers: tuple[str, ...], first: int, last: int) -> int:
    """Index of the value after the most preferred qualifier present at a qualifier position, or -1."""
    stop = min(last, len(seg) - 1)  # a qualifier at ``stop - 1`` is the last with room for its value
    for qualifier in qualifiers:
        if qualifier not in seg:  # C-speed pre-check: most qualifiers are absent
            continue
        index = first
        while True:
            try:
                index = seg.index(qualifier, index, stop)
            except ValueError:
                break
            if (index - first) % 2 == 0 and seg[index + 1]:
                return index + 1
            index += 1
    return -1


def pair_index(seg: Segment, first: int, last: int) -> dict[str, int]:
    """Qualifier -> index of its value, for the first occurrence of each qualifier in pairs first..last
    whose value is not blank. ``find_pair(seg, qs, first, last)`` is the entry of the first of ``qs``
    present here (or -1): one pass serves every qualifier rule reading the same segment."""
    stop = last if last < len(seg) else len(seg) - 1  # as in find_pair: room for the value after a qualifier
    index: dict[str, int] = {}
    at = first
    while at < stop:  # a while loop: cheaper than range() for the usual handful of pairs
        qualifier = seg[at]
        if qualifier not in index and seg[at + 1]:
            index[qualifier] = at + 1
        at += 2
    return index


def pairs_getter(tag: str, qualifiers: tuple[str, ...], first: int, last: int, tests: Tests) -> SegmentGetter:
    """The value after the first qualifier of ``qualifiers`` (in preference order) found in pairs first..last."""
    def get(inst: LoopInstance) -> Hit | None:
        found = inst.segs.get(tag)
        if found is None:
            return None
        for pos, seg in found:
            if tests and not matches(seg, tests):
                continue
            at = find_pair(seg, qualifiers, first, last)
            if at > 0:
                return (seg[at], pos, at, seg[at - 1])
        return None
    return get


def element_all(tag: str, elem: int, tests: Tests) -> AllGetter:
    """Every non-empty element ``elem`` of segments ``tag`` passing ``tests`` (for joined values)."""
    def get_all(inst: LoopInstance) -> list[Hit]:
        found = inst.segs.get(tag)
        if found is None:
            return []
        return [(seg[elem], pos, elem, "") for pos, seg in found
                if elem < len(seg) and seg[elem] and matches(seg, tests)]
    return get_all


def child_loop(name: str, inner: SegmentGetter) -> SegmentGetter:
    """First hit of ``inner`` across the instance's child loops ``name``."""
    def get(inst: LoopInstance) -> Hit | None:
        for child in inst.loops.get(name, ()):
            hit = inner(child)
            if hit is not None:
                return hit
        return None
    return get


def child_loop_joined(name: str, tag: str, elem: int, tests: Tests, separator: str) -> SegmentGetter:
    """Element ``elem`` of segments ``tag`` across the child loops ``name``, joined (e.g. PID descriptions)."""
    def get(inst: LoopInstance) -> Hit | None:
        children = inst.loops.get(name)
        if not children:
            return None
        first: Hit | None = None
        parts: list[str] = []
        for child in children:
            for pos, seg in child.segs.get(tag, ()):
                if elem < len(seg) and seg[elem] and (not tests or matches(seg, tests)):
                    parts.append(seg[elem])
                    if first is None:
                        first = (seg[elem], pos, elem, "")
        if first is None or len(parts) == 1:
            return first
        return (separator.join(parts), first[1], first[2], first[3])
    return get


def joined(inner: AllGetter, separator: str) -> SegmentGetter:
    """All hits joined into one value, located at the first hit."""
    def get(inst: LoopInstance) -> Hit | None:
        hits = inner(inst)
        if not hits:
            return None
        if len(hits) == 1:
            return hits[0]
        first = hits[0]
        return (separator.join(hit[0] for hit in hits), first[1], first[2], first[3])
    return get


def loop_selector(name: str, tests: tuple[tuple[str, int, frozenset[str]], ...]
                  ) -> Callable[[LoopInstance], list[LoopInstance]]:
    """Child loop instances ``name`` whose segments pass ``tests`` ((tag, element, codes); first segment of tag)."""
    def select(inst: LoopInstance) -> list[LoopInstance]:
        children = inst.loops.get(name)
        if not children:
            return []
        if not tests:
            return children
        return [child for child in children if _loop_matches(child, tests)]
    return select


def _loop_matches(inst: LoopInstance, tests: tuple[tuple[str, int, frozenset[str]], ...]) -> bool:
    for tag, index, codes in tests:
        found = inst.segs.get(tag)
        if not found:
            return False
        seg = found[0][1]
        if index >= len(seg) or seg[index] not in codes:
            return False
    return True
