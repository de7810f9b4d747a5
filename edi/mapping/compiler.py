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

import types
import typing
from typing import Any

from pydantic import BaseModel

from edi.canonical import ENGINE_FILLED
from edi.mapping.convert import CONVERTERS, ConversionError, Converter, build_chain
from edi.mapping.errors import MappingError
from edi.mapping.loops import LoopNode
from edi.mapping.model import MappingFile, Rule, parse_element_ref
from edi.mapping.plan import FieldPlan, GroupPlan, LoopTests, ScalarPlan, SourcePlan
from edi.mapping.results import RuleInfo
from edi.mapping.yamlsrc import YamlMap, YamlPath, format_path, locate


def _target(annotation: Any) -> tuple[str, Any]:
    """A model field's shape: ("scalar", type) | ("object", model) | ("list", item model)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is list:
        return "list", typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object", annotation
    return "scalar", annotation


class Compiler:
    """Turns one merged mapping into field plans for a canonical model."""

    def __init__(self, mapping: MappingFile, raw: YamlMap, tree: LoopNode) -> None:
        self.mapping = mapping
        self.raw = raw
        self.tree = tree

    def error(self, path: YamlPath, message: str) -> MappingError:
        file, line = locate(self.raw, path)
        return MappingError(file, format_path(path), line, message)

    def info(self, path: YamlPath, tag: str | None = None, elem: int | None = None) -> RuleInfo:
        file, line = locate(self.raw, path)
        return RuleInfo(file, format_path(path), line, tag, elem)

    # -- fields ------------------------------------------------------------------------------

    def fields(self, rules: dict[str, Rule], model: type[BaseModel], node: LoopNode, path: YamlPath
               ) -> tuple[FieldPlan, ...]:
        """Plans for ``rules`` (the ``fields`` at ``path``) filling ``model`` in loop context ``node``."""
        self._check_required(rules, model, path)
        table = []
        for name, rule in rules.items():
            here = (*path, name)
            if name in ENGINE_FILLED:
                raise self.error(here, f"field {name!r} is filled from the envelope, not by the mapping")
            if name not in model.model_fields:
                known = ", ".join(n for n in model.model_fields if n not in ENGINE_FILLED)
                raise self.error(here, f"unknown field {name!r} for {model.__name__} (fields: {known})")
            kind, target = _target(model.model_fields[name].annotation)
            table.append(self.field(name, rule, kind=kind, target=target, node=node, path=here))
        return tuple(table)

    def _check_required(self, rules: dict[str, Rule], model: type[BaseModel], path: YamlPath) -> None:
        for name, info in model.model_fields.items():
            if not info.is_required() or name in ENGINE_FILLED:
                continue
            if name not in rules:
                raise self.error(path, f"field {name!r} is required by {model.__name__} and must be mapped")
            if _target(info.annotation)[0] == "scalar" and not rules[name].required:
                raise self.error((*path, name), f"field {name!r} is required by {model.__name__}: "
                                                "set 'required: true'")

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
        default = self._default(rule, chain, path)
        if rule.path is None:
            return ScalarPlan(name, (), steps, chain, target, default, rule.required, self.info(path))
        if rule.qualifier is not None:
            tag, elem = rule.path, None
        else:
            tag, elem = parse_element_ref(rule.path)
        sources = tuple(self.sources(rule, node, path))
        return ScalarPlan(name, sources, steps, chain, target, default, rule.required, self.info(path, tag, elem))

    def steps(self, rule: Rule, target: Any, path: YamlPath) -> tuple[tuple[str, Converter], ...]:
        """The rule's converters, built and type-checked: each needs text, the last must produce ``target``."""
        steps: list[tuple[str, Converter]] = []
        produced: type = str
        for index, (conv_name, arg) in enumerate(rule.convert):
            here = (*path, "convert", index)
            if produced is not str:
                raise self.error(here, f"converter {conv_name!r} needs text but follows a converter "
                                       f"producing {produced.__name__}")
            spec = CONVERTERS[conv_name]
            try:
                steps.append((conv_name, spec.build(arg, self.mapping.code_lists)))
            except ValueError as exc:
                raise self.error(here, str(exc)) from None
            produced = spec.output
        if produced is not target:
            hint = {"date": "date", "Decimal": "decimal (or implied_decimal)"}.get(target.__name__, "")
            raise self.error(path, f"this field needs a {target.__name__} value but the rule produces "
                                   f"{produced.__name__}" + (f": add 'convert: {hint}'" if hint else ""))
        return tuple(steps)

    def _default(self, rule: Rule, chain: Converter | None, path: YamlPath) -> Any:
        if rule.default is None:
            return None
        if chain is None:
            return rule.default
        try:
            return chain(rule.default, "")
        except ConversionError as exc:
            raise self.error((*path, "default"), f"default {rule.default!r} does not convert: {exc}") from None

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
