"""Grouping a transaction set's segments into loop instances, in one pass.

Loops are data (the mapping's ``loops:`` section). At compile time each loop context
(the header, N1, PO1, PO1/PID, ...) gets a transition table: for a segment tag that
leaves the current context or opens a child loop, how many loops to close, which
loop to open and the table of the context reached. A tag without an entry stays in
the current loop instance (its own members, and segments the mapping never
declared, which the X12 validator has already judged). Grouping is then one dict
lookup per segment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from edi.mapping.model import LoopDef
from edi.x12.model import Segment

SegmentRef = tuple[int, Segment]  # (1-based position in the set, ST = 1; the segment)
Step = tuple[int, "str | None", "dict[str, Step]"]  # (loops to close, loop to open, next table)


class LoopInstance:
    """One occurrence of a loop (or the header): its segments by tag and child loops by name."""

    __slots__ = ("loops", "segs", "start")

    def __init__(self, start: int) -> None:
        self.start = start  # position of the loop's first segment
        self.segs: dict[str, list[SegmentRef]] = {}
        self.loops: dict[str, list[LoopInstance]] = {}


@dataclass(slots=True)
class LoopNode:
    """A loop context: the header (name "") or a declared loop, with its place in the tree."""

    name: str
    start: str
    members: frozenset[str]
    parent: LoopNode | None
    children: dict[str, LoopNode] = field(default_factory=dict)
    table: dict[str, Step] = field(default_factory=dict)

    @property
    def label(self) -> str:
        names = []
        node: LoopNode | None = self
        while node is not None and node.name:
            names.append(node.name)
            node = node.parent
        return "/".join(reversed(names)) or "header"

    def holds(self, tag: str) -> bool:
        """Whether segment ``tag`` is declared in this context (the header holds anything)."""
        if not self.name:
            return all(child.start != tag for child in self.children.values())
        return tag == self.start or tag in self.members


def build_tree(loops: Mapping[str, LoopDef]) -> LoopNode:
    """The loop tree with transition tables filled (definition problems are checked by the compiler)."""
    root = LoopNode("", "", frozenset(), None)
    _add_children(root, loops)
    tags = _all_tags(root)
    for node in _walk(root):
        for tag in tags:
            step = _resolve(node, tag)
            if step is not None:
                node.table[tag] = step
    return root


def _add_children(parent: LoopNode, loops: Mapping[str, LoopDef]) -> None:
    for name, loop in loops.items():
        child = LoopNode(name, loop.start or name, frozenset(loop.members), parent)
        parent.children[name] = child
        _add_children(child, loop.loops)


def _walk(node: LoopNode) -> list[LoopNode]:
    nodes = [node]
    for child in node.children.values():
        nodes += _walk(child)
    return nodes


def _all_tags(root: LoopNode) -> set[str]:
    tags: set[str] = set()
    for node in _walk(root):
        tags |= node.members
        tags.update(child.start for child in node.children.values())
    return tags


def _resolve(node: LoopNode, tag: str) -> Step | None:
    """Where ``tag`` goes when read in ``node``'s context; None means 'stay in the current instance'."""
    pops = 0
    current: LoopNode | None = node
    while current is not None:
        for child in current.children.values():
            if child.start == tag:
                return (pops, child.name, child.table)
        if tag in current.members:
            return (pops, None, current.table) if pops else None
        current = current.parent
        pops += 1
    return None


def group(segments: list[Segment], root_node: LoopNode) -> LoopInstance:
    """Group ``segments`` (ST first, SE last) into loop instances under a header instance."""
    root = LoopInstance(1)
    stack = [root]
    current_segs = root.segs
    table = root_node.table
    end = len(segments) - 1 if segments and segments[-1][0] == "SE" else len(segments)
    pos = 1
    for seg in segments[1:end]:
        pos += 1
        tag = seg[0]
        step = table.get(tag)
        if step is not None:
            pops, opens, table = step
            if pops:
                del stack[-pops:]
            if opens is not None:
                instance = LoopInstance(pos)
                parent_loops = stack[-1].loops
                if opens in parent_loops:
                    parent_loops[opens].append(instance)
                else:
                    parent_loops[opens] = [instance]
                stack.append(instance)
            current_segs = stack[-1].segs
        if tag in current_segs:
            current_segs[tag].append((pos, seg))
        else:
            current_segs[tag] = [(pos, seg)]
    return root
