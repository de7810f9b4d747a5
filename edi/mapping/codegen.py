"""The fast back-end: a mapping's plans generated as one specialised Python function.

Applying a mapping through the reference evaluators costs a closure call, a hit tuple
and a field-path string per field and per line, plus a pydantic validation of the
result. For a clean purchase order none of that bookkeeping is used. So, once per
mapping, the plans are written out as straight-line Python source (loops over the
loop instances, tests and converters inlined, values in local variables), compiled
with ``compile()``, and the canonical models are built directly (``construct``).

The generated function only maps clean sets: at the first thing that would be an error
(a required value missing, a value that does not convert) it returns None and the
engine runs the reference path, which reports exactly what it always reported. So the
fast path never has to produce an error or a trace, only the same document.

Only values from the plans reach the source as literals: ints, and strings through
``repr``; everything else (code sets, converters, models) is bound by name in the
function's namespace. Mapping files cannot inject code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from edi.mapping.codegen_scalars import ScalarCode, SourceWriter
from edi.mapping.construct import construct_lines, constructible
from edi.mapping.convert import ConversionError
from edi.mapping.envelope import envelope_model
from edi.mapping.fastgroup import FastGrouping, build_fast_grouping, group_fast
from edi.mapping.getters import find_pair, pair_index
from edi.mapping.loops import LoopNode
from edi.mapping.plan import FieldPlan, GroupPlan, LoopTests, ScalarPlan
from edi.x12.model import TransactionSet


@dataclass(frozen=True)
class FastMapper:
    """A mapping's generated function with the grouping tables it needs; ``source`` is kept for reading."""

    grouping: FastGrouping
    function: Callable[[Any, str | None, TransactionSet], Any]
    source: str

    def map(self, tx: TransactionSet, partner: str | None) -> Any:
        """The canonical document of ``tx``, or None when the reference path must decide."""
        return self.function(group_fast(tx.segments, self.grouping), partner, tx)


def generate(plans: tuple[FieldPlan, ...], model: type[BaseModel], tree: LoopNode, name: str) -> FastMapper | None:
    """The fast mapper of ``plans`` (filling ``model``), or None when ``model`` must be validated."""
    if not constructible(model):
        return None
    writer = SourceWriter()
    gen = _Generator(tree, writer)
    engine_filled = {"type": repr(model.model_fields["type"].default), "partner": "partner",
                     "envelope": "_envelope(tx)"}
    document = gen.model(plans, model, tree, "root", 1, engine_filled)
    writer.line(1, f"return {document}")
    source = writer.source("def map_fast(root, partner, tx):")
    namespace = dict(writer.namespace, _new=object.__new__, _set=object.__setattr__, _find_pair=find_pair,
                     _pair_index=pair_index, _ConversionError=ConversionError, _envelope=envelope_model)
    exec(compile(source, f"<mapping {name}>", "exec"), namespace)  # noqa: S102 - source generated above
    return FastMapper(build_fast_grouping(tree, gen.reads, gen.built), namespace["map_fast"], source)


class _Generator(ScalarCode):
    """Walks the plans: models, objects and lists here, values in :class:`ScalarCode`."""

    def model(self, plans: tuple[FieldPlan, ...], model: type[BaseModel], node: LoopNode, inst: str, depth: int,
              extra: dict[str, str]) -> str:
        """Write the fields' code and the model's construction; return the model's variable."""
        scalars = [plan for plan in plans if isinstance(plan, ScalarPlan) and plan.sources]
        raws = self.lookups(scalars, node, inst, depth)
        values = {}
        for plan in plans:
            if isinstance(plan, GroupPlan):
                group = self.many if plan.many else self.one
                values[plan.name] = group(plan, node, inst, depth)
            elif plan.sources:
                values[plan.name] = self.value(plan, *raws[plan.name], depth)
            else:
                values[plan.name] = self.w.const(plan.default)
        values |= extra
        items = []
        for fname, info in model.model_fields.items():
            items.append(f"{fname!r}: {values[fname] if fname in values else self.w.const(info.default)}")
        fields_set = self.w.const(frozenset(values))
        var = self.w.local("m")
        for text in construct_lines(var, self.w.const(model), f"{{{', '.join(items)}}}", f"set({fields_set})"):
            self.w.line(depth, text)
        return var

    def _children(self, plan: GroupPlan, node: LoopNode, inst: str) -> tuple[LoopNode, str]:
        base = self.tree if plan.header else node
        child = base.children[plan.loop or ""]
        self._enter(child)
        for tag, _elem, _codes in plan.loop_tests:
            self._read(child, tag)
        return child, f"{'root' if plan.header else inst}.get({'/' + (plan.loop or '')!r}, ())"

    def many(self, plan: GroupPlan, node: LoopNode, inst: str, depth: int) -> str:
        items, child_var = self.w.local("items"), self.w.local("c")
        child, children = self._children(plan, node, inst)
        self.w.line(depth, f"{items} = []")
        self.w.line(depth, f"for {child_var} in {children}:")
        inner = self._loop_test(plan.loop_tests, child_var, depth + 1)
        value = self.model(plan.fields, plan.model, child, child_var, inner, {})
        self.w.line(inner, f"{items}.append({value})")
        if plan.required:
            self.w.line(depth, f"if not {items}:")
            self.w.line(depth + 1, "return None")
        return items

    def one(self, plan: GroupPlan, node: LoopNode, inst: str, depth: int) -> str:
        var = self.w.local("o")
        if plan.loop is None:
            holder = self.tree if plan.header else node
            value = self.model(plan.fields, plan.model, holder, "root" if plan.header else inst, depth, {})
            self.w.line(depth, f"{var} = {value}")
            return var
        child_var = self.w.local("c")
        child, children = self._children(plan, node, inst)
        self.w.line(depth, f"{var} = None")
        self.w.line(depth, f"for {child_var} in {children}:")
        inner = self._loop_test(plan.loop_tests, child_var, depth + 1)
        value = self.model(plan.fields, plan.model, child, child_var, inner, {})
        self.w.line(inner, f"{var} = {value}")
        self.w.line(inner, "break")
        if plan.required:
            self.w.line(depth, f"if {var} is None:")
            self.w.line(depth + 1, "return None")
        return var

    def _loop_test(self, tests: LoopTests, inst: str, depth: int) -> int:
        """Open an ``if`` for a loop selector's tests (first segment of each tag); return the body depth."""
        if not tests:
            return depth
        conditions = []
        for tag, elem, codes in tests:
            first = self.w.local("f")
            conditions.append(f"({first} := {inst}.get({tag!r})) and len({first}[0]) > {elem} "
                              f"and {first}[0][{elem}] in {self.w.const(codes)}")
        self.w.line(depth, f"if {' and '.join(conditions)}:")
        return depth + 1

