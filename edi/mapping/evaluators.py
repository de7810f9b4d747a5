"""The reference back-end: plans turned into evaluator closures that report everything.

This path reports every error of a transaction set (required values missing, values
that do not convert) and, with ``explain``, a trace of where each field came from. The
fast path (``edi.mapping.codegen``) hands a set over to it whenever anything is amiss,
so its results are the engine's results.

An evaluator is ``ev(instance, header, run, prefix) -> value``; ``prefix`` is the
field path of the enclosing object ("lines[3]"), used only to name errors/traces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edi.mapping import getters as g
from edi.mapping.convert import ConversionError
from edi.mapping.loops import LoopInstance
from edi.mapping.plan import FieldPlan, GroupPlan, ScalarPlan, SourcePlan
from edi.mapping.results import Hit, Run, field_path

Evaluator = Callable[[LoopInstance, LoopInstance, Run, str], Any]
FieldTable = tuple[tuple[str, Evaluator], ...]


def field_table(plans: tuple[FieldPlan, ...]) -> FieldTable:
    """One evaluator per field plan, in mapping order."""
    return tuple((plan.name, evaluator(plan)) for plan in plans)


def evaluator(plan: FieldPlan) -> Evaluator:
    if isinstance(plan, GroupPlan):
        return _many(plan) if plan.many else _one(plan)
    if not plan.sources:
        return _constant(plan)
    if len(plan.sources) == 1 and _is_plain(plan.sources[0]):
        return _plain_scalar(plan, plan.sources[0].tag, plan.sources[0].elem)
    return _scalar(plan, [(getter(source), source.header) for source in plan.sources])


def _is_plain(source: SourcePlan) -> bool:
    return not (source.qualifiers or source.tests or source.loop or source.join is not None or source.header)


def getter(source: SourcePlan) -> g.SegmentGetter:
    """The compiled lookup of one source."""
    if source.qualifiers:
        single = g.pairs_getter(source.tag, source.qualifiers, source.first, source.last, source.tests)
        return g.child_loop(source.loop, single) if source.loop else single
    if source.join is not None:
        if source.loop is not None:
            return g.child_loop_joined(source.loop, source.tag, source.elem, source.tests, source.join)
        return g.joined(g.element_all(source.tag, source.elem, source.tests), source.join)
    single = g.element_getter(source.tag, source.elem, source.tests)
    return g.child_loop(source.loop, single) if source.loop else single


# -- containers ----------------------------------------------------------------------------------

def _one(plan: GroupPlan) -> Evaluator:
    """An object field: from the first matching child loop instance (or the current one without 'loop')."""
    name, info, header, required = plan.name, plan.info, plan.header, plan.required
    table = field_table(plan.fields)
    if plan.loop is None:
        def ev_here(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
            sub = field_path(prefix, name)
            src = root if header else inst
            return {fname: fev(src, root, run, sub) for fname, fev in table}
        return ev_here
    select = g.loop_selector(plan.loop, plan.loop_tests)

    def ev_loop(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
        found = select(root if header else inst)
        if not found:
            if required:
                run.missing(field_path(prefix, name), info, inst.start if prefix else None)
            return None
        sub = field_path(prefix, name)
        return {fname: fev(found[0], root, run, sub) for fname, fev in table}
    return ev_loop


def _many(plan: GroupPlan) -> Evaluator:
    """A list field: one item per matching child loop instance."""
    name, info, header, required = plan.name, plan.info, plan.header, plan.required
    table = field_table(plan.fields)
    select = g.loop_selector(plan.loop or "", plan.loop_tests)

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


# -- scalars -------------------------------------------------------------------------------------

def _constant(plan: ScalarPlan) -> Evaluator:
    name, value, info = plan.name, plan.default, plan.info

    def ev(_inst: LoopInstance, _root: LoopInstance, run: Run, prefix: str) -> Any:
        if run.traces is not None:
            run.trace(field_path(prefix, name), info, None, value)
        return value
    return ev


def _finish(spec: ScalarPlan, hit: Hit | None, inst: LoopInstance, run: Run, prefix: str) -> Any:
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


def _plain_scalar(spec: ScalarPlan, tag: str, elem: int) -> Evaluator:
    """The most common rule (``path: TAG01`` in the current loop), lookup inlined."""
    chain = spec.chain

    def ev(inst: LoopInstance, _root: LoopInstance, run: Run, prefix: str) -> Any:
        found = inst.segs.get(tag)
        if found is not None:
            for pos, seg in found:
                if elem < len(seg) and seg[elem]:
                    raw = seg[elem]
                    if run.traces is None:  # traces and blank values go through _finish
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


def _scalar(spec: ScalarPlan, sources: list[tuple[g.SegmentGetter, bool]]) -> Evaluator:
    """Any other scalar rule: try each source (the rule, then its fallbacks) in order."""
    if len(sources) == 1:
        ((get, header),) = sources
        chain = spec.chain

        def ev_one(inst: LoopInstance, root: LoopInstance, run: Run, prefix: str) -> Any:
            hit = get(root if header else inst)
            if hit is not None and run.traces is None:  # traces and blank values go through _finish
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
