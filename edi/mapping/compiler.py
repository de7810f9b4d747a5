"""Compiling a validated mapping into plans (``edi.mapping.plan``), checking it against the canonical model.

Checks that need the whole mapping happen here and raise :class:`MappingError` with
the file and line of the offending rule: fields that do not exist in the canonical
model, rules whose shape does not fit the field (an object needs ``fields``, a list
a ``loop``), converter chains that produce the wrong type, segments read from a
loop that does not declare them, unknown code lists, defaults that do not convert,
model-required fields not mapped as required.

The plans are executed by ``edi.mapping.evaluators`` (reference and explain path) and
``edi.mapping.codegen`` (fast path); neither needs to check anything again.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from edi.mapping.convert import CONVERTERS, Converter, build_chain
from edi.mapping.loops import LoopNode
from edi.mapping.model import MappingFile, Rule, parse_element_ref
from edi.mapping.plan import FieldPlan, GroupPlan, LoopTests, ScalarPlan, SourcePlan
from edi.mapping.rulecheck import RuleChecker
from edi.mapping.yamlsrc import YamlMap, YamlPath


class Compiler(RuleChecker):
    """Turns one merged mapping into field plans for a canonical model."""

    converters = CONVERTERS
    type_hints = {"date": "date", "Decimal": "decimal (or implied_decimal)"}
    engine_filled_hint = "is filled from the envelope, not by the mapping"

    def __init__(self, mapping: MappingFile, raw: YamlMap, tree: LoopNode) -> None:
        super().__init__(raw, mapping.code_lists)
        self.mapping = mapping
        self.tree = tree

    # -- fields ------------------------------------------------------------------------------

    def fields(self, rules: dict[str, Rule], model: type[BaseModel], node: LoopNode, path: YamlPath
               ) -> tuple[FieldPlan, ...]:
        """Plans for ``rules`` (the ``fields`` at ``path``) filling ``model`` in loop context ``node``."""
        self.check_required(rules, model, path)
        table = []
        for name, rule in rules.items():
            here = (*path, name)
            kind, target = self.model_field(name, model, here)
            if kind == "strings":  # a list of plain values is still a list here: it needs a loop
                kind = "list"
            table.append(self.field(name, rule, kind=kind, target=target, node=node, path=here))
        return tuple(table)

    def field(self, name: str, rule: Rule, *, kind: str, target: Any, node: LoopNode, path: YamlPath) -> FieldPlan:
        if kind == "scalar":
            if rule.fields is not None:
                raise self.error((*path, "fields"), f"field {name!r} is a single value: it takes 'path', not 'fields'")
            return self.scalar(name, rule, target, node, path)
        if rule.fields is None:
            raise self.error(path, f"field {name!r} is an object: give it 'fields' (and usually 'loop')")
        if kind == "list":
            if rule.loop is None:
                raise self.error(path, f"field {name!r} is a list: give it the 'loop' each item comes from")
            return self.many(name, rule, rule.loop, rules=rule.fields, model=target, node=node, path=path)
        return self.one(name, rule, rule.fields, model=target, node=node, path=path)

    # -- containers --------------------------------------------------------------------------

    def _child(self, base: LoopNode, name: str, path: YamlPath) -> LoopNode:
        child = base.children.get(name)
        if child is None:
            declared = ", ".join(base.children) or "none"
            raise self.error((*path, "loop"), f"loop {name!r} is not declared under {base.label} "
                                              f"(declared: {declared})")
        return child

    def _loop_context(self, rule: Rule, loop: str, node: LoopNode, path: YamlPath) -> tuple[LoopNode, LoopTests]:
        child = self._child(self.tree if rule.scope == "header" else node, loop, path)
        tests = []
        for ref, codes in rule.where.items():
            tag, elem = parse_element_ref(ref)
            if not child.holds(tag):
                raise self.error((*path, "where", ref), f"segment {tag} is not declared in loop {child.label}")
            tests.append((tag, elem, frozenset(codes)))
        return child, tuple(tests)

    def one(self, name: str, rule: Rule, rules: dict[str, Rule], *, model: type[BaseModel], node: LoopNode,
            path: YamlPath) -> GroupPlan:
        """An object field: from the first matching child loop instance (or the current one without 'loop')."""
        info = self.info(path)
        header = rule.scope == "header"
        if rule.loop is None:
            table = self.fields(rules, model, self.tree if header else node, (*path, "fields"))
            return GroupPlan(name, False, model, None, (), header, rule.required, info, table)
        child, tests = self._loop_context(rule, rule.loop, node, path)
        table = self.fields(rules, model, child, (*path, "fields"))
        return GroupPlan(name, False, model, rule.loop, tests, header, rule.required, info, table)

    def many(self, name: str, rule: Rule, loop: str, *, rules: dict[str, Rule], model: type[BaseModel],
             node: LoopNode, path: YamlPath) -> GroupPlan:
        """A list field: one item per matching child loop instance."""
        child, tests = self._loop_context(rule, loop, node, path)
        table = self.fields(rules, model, child, (*path, "fields"))
        info = self.info(path, child.start)
        return GroupPlan(name, True, model, loop, tests, rule.scope == "header", rule.required, info, table)

    # -- scalars -----------------------------------------------------------------------------

    def scalar(self, name: str, rule: Rule, target: Any, node: LoopNode, path: YamlPath) -> ScalarPlan:
        steps = self.steps(rule, target, path)
        chain = build_chain([step for _, step in steps])
        default = self.converted_default(rule.default, chain, path)
        if rule.path is None:
            return ScalarPlan(name, (), steps, chain, target, default, rule.required, self.info(path))
        if rule.qualifier is not None:
            tag, elem = rule.path, None
        else:
            tag, elem = parse_element_ref(rule.path)
        sources = tuple(self.sources(rule, node, path))
        return ScalarPlan(name, sources, steps, chain, target, default, rule.required, self.info(path, tag, elem))

    def steps(self, rule: Rule, target: Any, path: YamlPath) -> tuple[tuple[str, Converter], ...]:
        """The rule's converters (named), built and type-checked: see :meth:`RuleChecker.typed_steps`."""
        return tuple(self.typed_steps(rule.convert, target, path))

    def sources(self, rule: Rule, node: LoopNode, path: YamlPath) -> list[SourcePlan]:
        """The compiled source lookups of a scalar rule: the rule's own, then its fallbacks in order."""
        for key in ("convert", "default", "fields", "required"):
            if path and path[-1] == "fallback" and getattr(rule, key):
                raise self.error((*path, key), f"a fallback only says where else to look: '{key}' belongs to the "
                                               "main rule")
        if rule.path is None:
            raise self.error(path, "a fallback needs 'path'")
        holder = self.tree if rule.scope == "header" else node
        if rule.loop is not None:
            holder = self._child(holder, rule.loop, path)
        tag = rule.path if rule.qualifier is not None else parse_element_ref(rule.path)[0]
        if not holder.holds(tag):
            raise self.error((*path, "path"), f"segment {tag} is not declared in {_context(holder)}")
        for ref in rule.where:
            if parse_element_ref(ref)[0] != tag:
                raise self.error((*path, "where", ref), f"where {ref}: must test the segment the value comes from "
                                                        f"({tag})")
        found = [self._source(rule, rule.path, tag, path)]
        if rule.fallback is not None:
            found += self.sources(rule.fallback, node, (*path, "fallback"))
        return found

    def _source(self, rule: Rule, source: str, tag: str, path: YamlPath) -> SourcePlan:
        tests = tuple((parse_element_ref(ref)[1], frozenset(codes)) for ref, codes in rule.where.items())
        header = rule.scope == "header"
        if rule.qualifier is not None and rule.pairs is not None:
            if rule.join is not None:
                raise self.error((*path, "join"), "'join' cannot be combined with 'qualifier'")
            return SourcePlan(tag, 0, tests, header, rule.loop, None, tuple(rule.qualifier), *rule.pairs)
        elem = parse_element_ref(source)[1]
        return SourcePlan(tag, elem, tests, header, rule.loop, rule.join)


def _context(node: LoopNode) -> str:
    if not node.name:
        return "the header (it starts a loop)"
    members = ", ".join(sorted(node.members))
    return f"loop {node.label} (start {node.start}; members: {members or 'none'})"
