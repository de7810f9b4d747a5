"""Loop grouping for the fast path: only what the mapping reads, in plain dicts.

The reference grouping (``edi.mapping.loops.group``) keeps every segment with its
position, because errors and traces name positions. The fast path never reports
anything (it hands the set to the reference path instead), so it keeps less:

* a loop instance is a dict: segment tag -> list of segments, and ``"/" + loop name``
  -> list of child instances (a tag never starts with "/");
* only the tags some rule reads (its value, its where-tests, a loop selector's tests)
  are stored, and only the loops some rule enters are built; for the others the
  grouping still follows the transitions (so later segments land where the reference
  grouping puts them) but stores nothing.

The transitions are the reference grouping's tables (``LoopNode.table``), re-keyed to
carry the target context's stored tags.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from edi.mapping.loops import LoopNode
from edi.x12.model import Segment

Instance = dict[str, list[Any]]
# (loops to close, opens a loop, child key ("/name", or None: not built), next table, tags stored there)
FastStep = tuple[int, bool, "str | None", "dict[str, FastStep]", frozenset[str]]


@dataclass
class FastGrouping:
    """The header context's transition table and stored tags (the tables link to each other)."""

    table: dict[str, FastStep]
    reads: frozenset[str]


def build_fast_grouping(root: LoopNode, reads: dict[int, set[str]], built: Iterable[int]) -> FastGrouping:
    """Tables for the tree under ``root``. Contexts are named by ``id(node)``: ``reads`` maps a
    context to the tags read there, ``built`` lists the loops some rule enters."""
    built_ids = set(built)
    nodes = _walk(root)
    tables: dict[int, dict[str, FastStep]] = {id(node): {} for node in nodes}
    stored = {id(node): frozenset(reads.get(id(node), ())) if _is_built(node, built_ids) else frozenset()
              for node in nodes}
    for node in nodes:
        for tag, (pops, opens, _next_table) in node.table.items():
            target = node
            for _ in range(pops):
                assert target.parent is not None  # tables never close the header
                target = target.parent
            key = None
            if opens is not None:
                target = target.children[opens]
                key = f"/{opens}" if _is_built(target, built_ids) else None
            tables[id(node)][tag] = (pops, opens is not None, key, tables[id(target)], stored[id(target)])
    return FastGrouping(tables[id(root)], stored[id(root)])


def _is_built(node: LoopNode, built: set[int]) -> bool:
    return node.parent is None or id(node) in built


def _walk(node: LoopNode) -> list[LoopNode]:
    nodes = [node]
    for child in node.children.values():
        nodes += _walk(child)
    return nodes


def group_fast(segments: list[Segment], grouping: FastGrouping) -> Instance:
    """Group ``segments`` (ST first, SE last) into dict instances under a header instance."""
    root: Instance = {}
    stack: list[Instance | None] = [root]
    current: Any = root  # None inside a loop that is not built (its ``reads`` is then empty)
    table, reads = grouping.table, grouping.reads
    end = len(segments) - 1 if segments and segments[-1][0] == "SE" else len(segments)
    for seg in segments[1:end]:
        tag = seg[0]
        step = table.get(tag)
        if step is not None:
            pops, opens, key, table, reads = step
            if pops:
                del stack[-pops:]
            if not opens:
                current = stack[-1]
            elif key is None:
                current = None
                stack.append(None)
                continue
            else:
                parent: Any = stack[-1]  # the parent of a built loop is built
                current = {tag: [seg]} if tag in reads else {}
                siblings = parent.get(key)
                if siblings is None:
                    parent[key] = [current]
                else:
                    siblings.append(current)
                stack.append(current)
                continue
        if tag in reads:
            found = current.get(tag)
            if found is None:
                current[tag] = [seg]
            else:
                found.append(seg)
    return root
