"""Running compiled plans over a cursor: values, fallbacks, converters, defaults, every error collected.

Empty text is no value: ``<cbc:ID/>`` and an empty CSV cell count as missing, so a
``required`` rule reports them and a ``default`` applies to them, as for X12 elements.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from edi.docmap.cursor import Cursor, Hit
from edi.docmap.plan import FieldPlan, GroupPlan, ScalarPlan, Source
from edi.docmap.trace import DocRun
from edi.mapping.convert import ConversionError
from edi.mapping.results import field_path


def evaluate_fields(plans: tuple[FieldPlan, ...], cursor: Cursor, run: DocRun, prefix: str) -> dict[str, Any]:
    """The values of ``plans`` read at ``cursor`` (errors go to ``run``)."""
    return {plan.name: evaluate(plan, cursor, run, field_path(prefix, plan.name)) for plan in plans}


def evaluate(plan: FieldPlan, cursor: Cursor, run: DocRun, path: str) -> Any:
    if isinstance(plan, GroupPlan):
        return _group(plan, cursor, run, path)
    return _scalar(plan, cursor, run, path)


# -- groups --------------------------------------------------------------------------------------

def _group(plan: GroupPlan, cursor: Cursor, run: DocRun, path: str) -> Any:
    targets = [cursor]
    if plan.select is not None:
        try:
            targets, problem = cursor.select(plan.select)
        except etree.XPathError as exc:  # compiled and probed at load time; evaluation can still fail
            targets, problem = [], f"XPath failed: {exc}"
        if problem is not None:
            run.invalid(path, plan.info, plan.select, None, problem)
    if plan.many:
        items = [evaluate_fields(plan.fields, target, run, f"{path}[{index}]")
                 for index, target in enumerate(targets)]
        if not items and plan.required:
            run.missing(path, plan.info, (plan.select,) if plan.select else (), "no item found")
        return items
    if not targets:
        if plan.required:
            run.missing(path, plan.info, (plan.select,) if plan.select else ())
        return None
    values = evaluate_fields(plan.fields, targets[0], run, path)
    if not plan.required and all(v is None or v == [] for v in values.values()):
        return None  # an object the document does not fill at all is absent, not an object of nulls
    return values


# -- scalars -------------------------------------------------------------------------------------

def _lookup(plan: ScalarPlan, cursor: Cursor, run: DocRun, path: str) -> tuple[Source | None, list[Hit]]:
    """The first source (the rule's own, then its fallbacks) that has a non-blank value here."""
    for source in plan.sources:
        try:
            hits, problem = cursor.values(source)
        except etree.XPathError as exc:
            hits, problem = [], f"XPath failed: {exc}"
        if problem is not None:
            run.invalid(path, plan.info, source, hits[0] if hits else None, problem)
        hits = [hit for hit in hits if hit.raw.strip()]
        if hits:
            return source, hits
    return None, []


def _scalar(plan: ScalarPlan, cursor: Cursor, run: DocRun, path: str) -> Any:
    source, hits = _lookup(plan, cursor, run, path)
    if not hits:
        return _absent(plan, cursor, run, path)
    if plan.many:
        return _many(plan, source, hits, run, path)
    hit = hits[0]
    if plan.join is not None and len(hits) > 1:
        hit = Hit(plan.join.join(h.raw for h in hits), hit.line, hit.row)
    value = _convert(plan, source, hit, run, path)
    run.trace(path, plan.info, source, hit, value)
    return value


def _many(plan: ScalarPlan, source: Source | None, hits: list[Hit], run: DocRun, path: str) -> list[Any]:
    values = []
    for hit in hits:
        parts = plan.split.split(hit.raw) if plan.split is not None else [hit.raw]
        for part in parts:
            if part.strip():
                value = _convert(plan, source, Hit(part, hit.line, hit.row), run, path)
                if value is not None:
                    values.append(value)
    run.trace(path, plan.info, source, hits[0], values)
    return values


def _convert(plan: ScalarPlan, source: Source | None, hit: Hit, run: DocRun, path: str) -> Any:
    if plan.chain is None:
        return hit.raw
    try:
        return plan.chain(hit.raw, "")
    except ConversionError as exc:
        run.invalid(path, plan.info, source, hit, str(exc))
        return None


def _absent(plan: ScalarPlan, cursor: Cursor, run: DocRun, path: str) -> Any:
    if plan.default is not None and plan.default != []:
        run.trace(path, plan.info, plan.sources[0] if plan.sources else None, None, plan.default)
        return plan.default
    if plan.required:
        reason = _missing_column(plan, cursor)
        run.missing(path, plan.info, plan.sources, reason)
    return [] if plan.many else None


def _missing_column(plan: ScalarPlan, cursor: Cursor) -> str | None:
    """For a CSV rule, say so when the column is not in the header at all (a different layout)."""
    index = getattr(cursor, "index", None)
    columns = [s.text for s in plan.sources if s.kind == "column"]
    if index is None or not columns or any(index(c) is not None for c in columns):
        return None
    return " / ".join(repr(c) for c in columns) + " not in the header"
