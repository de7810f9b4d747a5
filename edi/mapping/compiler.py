"""Compiling a validated mapping into evaluators (closures), checking it against the canonical model.

Checks that need the whole mapping happen here and raise :class:`MappingError` with
the file and line of the offending rule: fields that do not exist in the canonical
model, rules whose shape does not fit the field (an object needs ``fields``, a list
a ``loop``), converter chains that produce the wrong type, segments read from a
loop that does not declare them, unknown code lists, defaults that do not convert,
model-required fields not mapped as required.

An evaluator is ``ev(instance, header, run, prefix) -> value``; ``prefix`` is the
field path of the enclosing object ("lines[3]"), used only to name errors/traces.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from edi.canonical import ENGINE_FILLED
from edi.mapping import getters as g
from edi.mapping.convert import CONVERTERS, ConversionError, Converter, build_chain
from edi.mapping.errors import MappingError
from edi.mapping.loops import LoopInstance, LoopNode
from edi.mapping.model import MappingFile, Rule, parse_element_ref
from edi.mapping.results import Hit, RuleInfo, Run, field_path
from edi.mapping.yamlsrc import YamlMap, YamlPath, format_path, locate

Evaluator = Callable[[LoopInstance, LoopInstance, Run, str], Any]
FieldTable = tuple[tuple[str, Evaluator], ...]


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
    """Turns one merged mapping into a field table for a canonical model."""

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

    def fields(self, rules: dict[str, Rule], model: type[BaseModel], node: LoopNode, path: YamlPath) -> FieldTable:
        """Evaluators for ``rules`` (the ``fields`` at ``path``) filling ``model`` in loop context ``node``."""
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
            table.append((name, self.field(name, rule, kind=kind, target=target, node=node, path=here)))
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

    def field(self, name: str, rule: Rule, *, kind: str, target: Any, node: LoopNode, path: YamlPath) -> Evaluator:
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

    def _loop_context(self, rule: Rule, loop: str, node: LoopNode, path: YamlPath
                      ) -> tuple[LoopNode, Callable[[LoopInstance], list[LoopInstance]]]:
        child = self._child(self.tree if rule.scope == "header" else node, loop, path)
        tests = []
        for ref, codes in rule.where.items():
            tag, elem = parse_element_ref(ref)
            if not child.holds(tag):
                raise self.error((*path, "where", ref), f"segment {tag} is not declared in loop {child.label}")
            tests.append((tag, elem, frozenset(codes)))
        return child, g.loop_selector(loop, tuple(tests))

    def one(self, name: str, rule: Rule, rules: dict[str, Rule], *, model: type[BaseModel], node: LoopNode,
            path: YamlPath) -> Evaluator:
        """An object field: from the first matching child loop instance (or the current one without 'loop')."""
        info = self.info(path)
        header = rule.scope == "header"
        if rule.loop is None:
            table = self.fields(rules, model, self.tree if header else node, (*path, "fields"))

            def ev_here(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
                sub = field_path(prefix, name)
                src = root if header else inst
                return {fname: fev(src, root, run, sub) for fname, fev in table}
            return ev_here
        child, select = self._loop_context(rule, rule.loop, node, path)
        table = self.fields(rules, model, child, (*path, "fields"))
        required = rule.required

        def ev_loop(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
            found = select(root if header else inst)
            if not found:
                if required:
                    run.missing(field_path(prefix, name), info, inst.start if prefix else None)
                return None
            sub = field_path(prefix, name)
            return {fname: fev(found[0], root, run, sub) for fname, fev in table}
        return ev_loop

    def many(self, name: str, rule: Rule, loop: str, *, rules: dict[str, Rule], model: type[BaseModel],
             node: LoopNode, path: YamlPath) -> Evaluator:
        """A list field: one item per matching child loop instance."""
        child, select = self._loop_context(rule, loop, node, path)
        table = self.fields(rules, model, child, (*path, "fields"))
        info = self.info(path, child.start)
        required, header = rule.required, rule.scope == "header"

        def ev(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
            base = field_path(prefix, name)
            items = []
            for index, item in enumerate(select(root if header else inst)):
                sub = f"{base}[{index}]"
                items.append({fname: fev(item, root, run, sub) for fname, fev in table})
            if required and not items:
                run.missing(base, info, None)
            return items
        return ev

    # -- scalars -----------------------------------------------------------------------------

    def scalar(self, name: str, rule: Rule, target: Any, node: LoopNode, path: YamlPath) -> Evaluator:
        chain = self.chain(rule, target, path)
        default = self._default(rule, chain, path)
        if rule.path is None:
            return _constant(name, default, self.info(path))
        if rule.qualifier is not None:
            tag, elem = rule.path, None
        else:
            tag, elem = parse_element_ref(rule.path)
        spec = _ScalarSpec(name, chain, default, rule.required, self.info(path, tag, elem))
        sources = self.sources(rule, node, path)
        if elem is not None and not rule.where and rule.loop is None and rule.join is None \
                and rule.fallback is None and rule.scope == "loop":
            return _plain_scalar(spec, tag, elem)
        return _scalar(spec, sources)

    def chain(self, rule: Rule, target: Any, path: YamlPath) -> Converter | None:
        steps: list[Converter] = []
        produced: type = str
        for index, (conv_name, arg) in enumerate(rule.convert):
            here = (*path, "convert", index)
            if produced is not str:
                raise self.error(here, f"converter {conv_name!r} needs text but follows a converter "
                                       f"producing {produced.__name__}")
            spec = CONVERTERS[conv_name]
            try:
                steps.append(spec.build(arg, self.mapping.code_lists))
            except ValueError as exc:
                raise self.error(here, str(exc)) from None
            produced = spec.output
        if produced is not target:
            hint = {"date": "date", "Decimal": "decimal (or implied_decimal)"}.get(target.__name__, "")
            raise self.error(path, f"this field needs a {target.__name__} value but the rule produces "
                                   f"{produced.__name__}" + (f": add 'convert: {hint}'" if hint else ""))
        return build_chain(steps)

    def _default(self, rule: Rule, chain: Converter | None, path: YamlPath) -> Any:
        if rule.default is None:
            return None
        if chain is None:
            return rule.default
        try:
            return chain(rule.default, "")
        except ConversionError as exc:
            raise self.error((*path, "default"), f"default {rule.default!r} does not convert: {exc}") from None

    def sources(self, rule: Rule, node: LoopNode, path: YamlPath) -> list[g.Source]:
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
        found = [(self._segment_getter(rule, rule.path, tag, path), rule.scope == "header")]
        if rule.fallback is not None:
            found += self.sources(rule.fallback, node, (*path, "fallback"))
        return found

    def _segment_getter(self, rule: Rule, source: str, tag: str, path: YamlPath) -> g.SegmentGetter:
        tests = tuple((parse_element_ref(ref)[1], frozenset(codes)) for ref, codes in rule.where.items())
        if rule.qualifier is not None and rule.pairs is not None:
            if rule.join is not None:
                raise self.error((*path, "join"), "'join' cannot be combined with 'qualifier'")
            single = g.pairs_getter(tag, tuple(rule.qualifier), rule.pairs[0], rule.pairs[1], tests)
            return g.child_loop(rule.loop, single) if rule.loop else single
        elem = parse_element_ref(source)[1]
        if rule.join is not None:
            if rule.loop is not None:
                return g.child_loop_joined(rule.loop, tag, elem, tests, rule.join)
            return g.joined(g.element_all(tag, elem, tests), rule.join)
        single = g.element_getter(tag, elem, tests)
        return g.child_loop(rule.loop, single) if rule.loop else single


def _context(node: LoopNode) -> str:
    if not node.name:
        return "the header (it starts a loop)"
    members = ", ".join(sorted(node.members))
    return f"loop {node.label} (start {node.start}; members: {members or 'none'})"


def _constant(name: str, value: Any, info: RuleInfo) -> Evaluator:
    def ev(_inst: LoopInstance, _root: LoopInstance, run: Run, prefix: str) -> Any:
        if run.traces is not None:
            run.trace(field_path(prefix, name), info, None, value)
        return value
    return ev


@dataclass(frozen=True, slots=True)
class _ScalarSpec:
    """What a scalar evaluator does with a value once found."""

    name: str
    chain: Converter | None
    default: Any
    required: bool
    info: RuleInfo


def _finish(spec: _ScalarSpec, hit: Hit | None, inst: LoopInstance, run: Run, prefix: str) -> Any:
    """Convert a hit (or apply the default / report a missing value): shared by both evaluator shapes."""
    if hit is not None:
        value = hit[0]
        if spec.chain is not None:
            try:
                value = spec.chain(value, hit[3])
            except ConversionError as exc:
                run.invalid(field_path(prefix, spec.name), spec.info, hit, str(exc))
                return None
        if value != "":
            if run.traces is not None:
                run.trace(field_path(prefix, spec.name), spec.info, hit, value)
            return value
    if spec.default is None:
        if spec.required:
            position = hit[1] if hit is not None else inst.start if prefix else None
            run.missing(field_path(prefix, spec.name), spec.info, position)
    elif run.traces is not None:
        run.trace(field_path(prefix, spec.name), spec.info, None, spec.default)
    return spec.default


def _plain_scalar(spec: _ScalarSpec, tag: str, elem: int) -> Evaluator:
    """The hot path for the most common rule (``path: TAG01`` in the current loop), lookup inlined."""
    chain = spec.chain

    def ev(inst: LoopInstance, _root: LoopInstance, run: Run, prefix: str) -> Any:
        found = inst.segs.get(tag)
        if found is not None:
            for pos, seg in found:
                if elem < len(seg) and seg[elem]:
                    raw = seg[elem]
                    if run.traces is None:  # fast path; traces and blank values go through _finish
                        if chain is None:
                            return raw
                        try:
                            value = chain(raw, "")
                        except ConversionError as exc:
                            run.invalid(field_path(prefix, spec.name), spec.info, (raw, pos, elem, ""), str(exc))
                            return None
                        if value != "":
                            return value
                    return _finish(spec, (raw, pos, elem, ""), inst, run, prefix)
        return _finish(spec, None, inst, run, prefix)
    return ev


def _scalar(spec: _ScalarSpec, sources: list[g.Source]) -> Evaluator:
    """Any other scalar rule: try each source (the rule, then its fallbacks) in order."""
    if len(sources) == 1:
        ((get, header),) = sources

        chain = spec.chain

        def ev_one(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
            hit = get(root if header else inst)
            if hit is not None and run.traces is None:  # fast path; traces and blank values go through _finish
                if chain is None:
                    return hit[0]
                try:
                    value = chain(hit[0], hit[3])
                except ConversionError as exc:
                    run.invalid(field_path(prefix, spec.name), spec.info, hit, str(exc))
                    return None
                if value != "":
                    return value
            return _finish(spec, hit, inst, run, prefix)
        return ev_one
    alternatives = tuple(sources)

    def ev_first(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
        hit = None
        for get, header in alternatives:
            hit = get(root if header else inst)
            if hit is not None:
                break
        return _finish(spec, hit, inst, run, prefix)
    return ev_first
