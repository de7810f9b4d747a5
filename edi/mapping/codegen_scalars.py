"""Generated-code writing for single values: source lookups, conversion, defaults (see ``codegen``).

Sibling fields reading the same segment tag share one pass over its segments, and
qualifier rules over the same pairs share one pair index per segment. A header value
read inside a loop is looked up once at the top of the function. Converters that cost
more than a dict lookup (dates, decimals, GTINs) go through a per-mapping cache of
their results: they are pure functions of (text, qualifier), their results immutable
(``str``, ``Decimal``, ``date``), and the cache is bounded (it starts over when full),
so it changes nothing but the time taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from edi.mapping.loops import LoopNode
from edi.mapping.plan import ScalarPlan, SourcePlan, Tests

_STR_METHODS = frozenset({"strip", "upper", "lower"})  # converters that are exactly a str method
_MEMOISED = frozenset({"date", "decimal", "implied_decimal", "gtin"})  # converters worth a cache lookup
MEMO_SIZE = 4096  # entries per converter chain before its cache starts over


class SourceWriter:
    """Source lines, fresh local names and the namespace holding non-literal constants."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.body: list[str] = []
        self.namespace: dict[str, Any] = {}
        self._count = 0
        self._target = self.body

    def line(self, depth: int, text: str) -> None:
        self._target.append("    " * depth + text)

    @contextmanager
    def prelude(self) -> Iterator[None]:
        """Write to the top of the function body (loop-invariant lookups) instead of the current place."""
        previous, self._target = self._target, self.head
        try:
            yield
        finally:
            self._target = previous

    def source(self, signature: str) -> str:
        return "\n".join([signature, *self.head, *self.body]) + "\n"

    def local(self, stem: str) -> str:
        self._count += 1
        return f"{stem}{self._count}"

    def const(self, value: Any) -> str:
        if value is None or isinstance(value, (int, str)) and not isinstance(value, bool):
            return repr(value)
        name = self.local("_k")
        self.namespace[name] = value
        return name


class ScalarCode:
    """Writes value lookups, noting which tags and loops the fast grouping must keep."""

    def __init__(self, tree: LoopNode, writer: SourceWriter) -> None:
        self.tree = tree
        self.w = writer
        self.reads: dict[int, set[str]] = {}
        self.built: set[int] = set()
        self.hoisted: dict[SourcePlan, tuple[str, str]] = {}

    def _read(self, node: LoopNode, tag: str) -> None:
        self.reads.setdefault(id(node), set()).add(tag)

    def _enter(self, node: LoopNode) -> None:
        current: LoopNode | None = node
        while current is not None:
            self.built.add(id(current))
            current = current.parent

    # -- scalars ---------------------------------------------------------------------------------

    def lookups(self, plans: list[ScalarPlan], node: LoopNode, inst: str, depth: int) -> dict[str, tuple[str, str]]:
        """Write every source lookup of ``plans`` (sibling fields); return each field's raw and qualifier variable.

        First sources reading the same segment tag of the same instance share one pass over its segments
        (and one pair index per segment); fallbacks follow, each only while the value is still missing.
        """
        found: dict[str, tuple[str, str]] = {}
        shared: dict[tuple[str, str], list[tuple[SourcePlan, str, str]]] = {}
        for plan in plans:
            raw = self.w.local("r")
            qualifier = self.w.local("q") if any(s.qualifiers for s in plan.sources) else "''"
            self.w.line(depth, f"{raw} = None")
            if qualifier != "''":
                self.w.line(depth, f"{qualifier} = ''")
            found[plan.name] = (raw, qualifier)
            first = plan.sources[0]
            if first.loop is None and not (first.header and inst != "root"):
                self._read(self.tree if first.header else node, first.tag)
                shared.setdefault(("root" if first.header else inst, first.tag), []).append((first, raw, qualifier))
        for (container, tag), members in shared.items():
            self.shared_pass(container, tag, members, depth)
        for plan in plans:
            raw, qualifier = found[plan.name]
            rest = plan.sources[1:] if plan.sources[0].loop is None and not (plan.sources[0].header and
                                                                              inst != "root") else plan.sources
            for source in rest:
                self.w.line(depth, f"if {raw} is None:")
                self.source(source, node, inst, raw, qualifier, depth + 1)
        return found

    def shared_pass(self, container: str, tag: str, members: list[tuple[SourcePlan, str, str]], depth: int) -> None:
        """One loop over the segments ``tag`` of ``container`` serving several first sources."""
        seg, size = self.w.local("s"), self.w.local("n")
        parts = {raw: self.w.local("p") for source, raw, _ in members if source.join is not None}
        for variable in parts.values():
            self.w.line(depth, f"{variable} = []")
        self.w.line(depth, f"for {seg} in {container}.get({tag!r}, ()):")
        body = depth + 1
        self.w.line(body, f"{size} = len({seg})")
        ranges: dict[tuple[int, int], list[str]] = {}
        for source, raw, _ in members:
            if source.qualifiers:
                ranges.setdefault((source.first, source.last), []).append(raw)
        index = {}
        for (first, last), raws in ranges.items():
            index[first, last] = self.w.local("px")
            needed = " or ".join(f"{raw} is None" for raw in raws)
            self.w.line(body, f"{index[first, last]} = _pair_index({seg}, {first}, {last}) if {needed} else None")
        for source, raw, qualifier in members:
            if source.qualifiers:
                tests = self._tests(seg, source.tests, None, size) if source.tests else ""
                self.w.line(body, f"if {raw} is None{' and ' + tests if tests else ''}:")
                at = self.w.local("a")
                pairs = index[source.first, source.last]
                self.w.line(body + 1, f"{at} = " + " or ".join(f"{pairs}.get({q!r})" for q in source.qualifiers))
                self.w.line(body + 1, f"if {at}:")
                self.w.line(body + 2, f"{raw} = {seg}[{at}]")
                self.w.line(body + 2, f"{qualifier} = {seg}[{at} - 1]")
            elif source.join is not None:
                self.w.line(body, f"if {self._tests(seg, source.tests, source.elem, size)}:")
                self.w.line(body + 1, f"{parts[raw]}.append({seg}[{source.elem}])")
            else:
                self.w.line(body, f"if {raw} is None and {self._tests(seg, source.tests, source.elem, size)}:")
                self.w.line(body + 1, f"{raw} = {seg}[{source.elem}]")
        for source, raw, _ in members:
            if source.join is not None:
                self._joined(raw, parts[raw], source.join, depth)

    def _joined(self, raw: str, parts: str, separator: str, depth: int) -> None:
        self.w.line(depth, f"if {parts}:")
        self.w.line(depth + 1, f"{raw} = {parts}[0] if len({parts}) == 1 else {separator!r}.join({parts})")

    def source(self, source: SourcePlan, node: LoopNode, inst: str, raw: str, qualifier: str, depth: int) -> None:
        """Write the lookup of one source on its own: on a hit, ``raw`` (and ``qualifier``) are set.

        A header source read inside a loop is the same for every instance: it is looked up once,
        at the top of the function, and only copied here.
        """
        if source.header and inst != "root":
            hoisted_raw, hoisted_qualifier = self._hoisted(source)
            self.w.line(depth, f"{raw} = {hoisted_raw}")
            if source.qualifiers:
                self.w.line(depth, f"{qualifier} = {hoisted_qualifier}")
            return
        holder = self.tree if source.header else node
        container = "root" if source.header else inst
        parts = self.w.local("p") if source.join is not None else None
        if parts is not None:
            self.w.line(depth, f"{parts} = []")
        search_depth = depth
        if source.loop is not None:
            holder = holder.children[source.loop]
            self._enter(holder)
            child = self.w.local("c")
            self.w.line(depth, f"for {child} in {container}.get({'/' + source.loop!r}, ()):")
            container, search_depth = child, depth + 1
        self._read(holder, source.tag)
        self._search(source, container, raw, qualifier, parts, search_depth)
        if source.loop is not None and parts is None:
            self.w.line(depth + 1, f"if {raw} is not None:")
            self.w.line(depth + 2, "break")
        if parts is not None:
            self._joined(raw, parts, source.join or "", depth)

    def _hoisted(self, source: SourcePlan) -> tuple[str, str]:
        """Variables, set at the top of the function, holding a header source's raw value and qualifier."""
        if source not in self.hoisted:
            raw, qualifier = self.w.local("hr"), self.w.local("hq")
            with self.w.prelude():
                self.w.line(1, f"{raw} = None")
                self.w.line(1, f"{qualifier} = ''")
                self.source(source, self.tree, "root", raw, qualifier, 1)
            self.hoisted[source] = (raw, qualifier)
        return self.hoisted[source]

    def _search(self, source: SourcePlan, inst: str, raw: str, qualifier: str, parts: str | None,
                depth: int) -> None:
        seg = self.w.local("s")
        self.w.line(depth, f"for {seg} in {inst}.get({source.tag!r}, ()):")
        if source.qualifiers:
            body = depth + 1
            if source.tests:
                self.w.line(body, f"if {self._tests(seg, source.tests, None)}:")
                body += 1
            at = self.w.local("a")
            self.w.line(body, f"{at} = _find_pair({seg}, {self.w.const(source.qualifiers)}, {source.first}, "
                              f"{source.last})")
            self.w.line(body, f"if {at} > 0:")
            self.w.line(body + 1, f"{raw} = {seg}[{at}]")
            self.w.line(body + 1, f"{qualifier} = {seg}[{at} - 1]")
            self.w.line(body + 1, "break")
            return
        self.w.line(depth + 1, f"if {self._tests(seg, source.tests, source.elem)}:")
        if parts is not None:
            self.w.line(depth + 2, f"{parts}.append({seg}[{source.elem}])")
        else:
            self.w.line(depth + 2, f"{raw} = {seg}[{source.elem}]")
            self.w.line(depth + 2, "break")

    def _tests(self, seg: str, tests: Tests, elem: int | None, size: str | None = None) -> str:
        """The condition: every position present, ``elem`` non-blank, each where-test passed."""
        positions = [index for index, _codes in tests] + ([elem] if elem is not None else [])
        conditions = [f"{size or f'len({seg})'} > {max(positions)}"]
        if elem is not None:
            conditions.append(f"{seg}[{elem}]")
        conditions += [f"{seg}[{index}] in {self.w.const(codes)}" for index, codes in tests]
        return " and ".join(conditions)

    def value(self, plan: ScalarPlan, raw: str, qualifier: str, depth: int) -> str:
        """Write the conversion of a looked-up value (or the default); return the value's variable."""
        value = self.w.local("v")
        self.w.line(depth, f"if {raw} is None:")
        self._absent(plan, value, depth + 1)
        self.w.line(depth, "else:")
        self._convert(plan, raw, qualifier, value, depth + 1)
        return value

    def _absent(self, plan: ScalarPlan, value: str, depth: int) -> None:
        """No value (or a blank one): the default, nothing, or - for a required field - give up."""
        if plan.default is not None:
            self.w.line(depth, f"{value} = {self.w.const(plan.default)}")
        elif plan.required:
            self.w.line(depth, "return None")
        else:
            self.w.line(depth, f"{value} = None")

    def _convert(self, plan: ScalarPlan, raw: str, qualifier: str, value: str, depth: int) -> None:
        expression, calls = raw, False
        for conv_name, converter in plan.steps:
            if conv_name in _STR_METHODS:
                expression = f"{expression}.{conv_name}()"
            else:
                expression, calls = f"{self.w.const(converter)}({expression}, {qualifier})", True
        if any(conv_name in _MEMOISED for conv_name, _ in plan.steps):
            memo = self.w.const({})
            key = raw if qualifier == "''" else f"({raw}, {qualifier})"
            self.w.line(depth, f"{value} = {memo}.get({key})")
            self.w.line(depth, f"if {value} is None:")
            self._call(expression, value, depth + 1)
            self.w.line(depth + 1, f"if len({memo}) >= {MEMO_SIZE}:")
            self.w.line(depth + 2, f"{memo}.clear()")
            self.w.line(depth + 1, f"{memo}[{key}] = {value}")
        elif calls:
            self._call(expression, value, depth)
        else:
            self.w.line(depth, f"{value} = {expression}")
        if plan.steps and plan.output is str:  # a converted text may come out blank
            self.w.line(depth, f"if not {value}:")
            self._absent(plan, value, depth + 1)

    def _call(self, expression: str, value: str, depth: int) -> None:
        self.w.line(depth, "try:")
        self.w.line(depth + 1, f"{value} = {expression}")
        self.w.line(depth, "except _ConversionError:")
        self.w.line(depth + 1, "return None")
