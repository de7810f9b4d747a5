"""Importing a BOM file: validate, merge, check cycles and effectivity, then write all or nothing.

Everything is checked before the first write, so a rejected import leaves the
session exactly as it was; the writes share one SAVEPOINT, so a failure half-way
(a concurrent import of the same revision) leaves nothing behind either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session

from erp_core.errors import AlreadyExistsError
from erp_core.inputs_bom import BomComponentInput, BomInput
from erp_core.models import Item
from erp_core.models_bom import BomComponent, BomRevision
from erp_core.services._bom_lines import BomDiff, BomProblem, ComponentLine, diff_lines, merge_lines
from erp_core.services._in_chunks import in_chunks

_ITEM: Table = Item.__table__  # type: ignore[assignment]
_REVISION: Table = BomRevision.__table__  # type: ignore[assignment]
_COMPONENT: Table = BomComponent.__table__  # type: ignore[assignment]

ImportStatus = Literal["created", "unchanged", "rejected"]


@dataclass(frozen=True, slots=True)
class AssemblyOutcome:
    """What the import did for one assembly of the file (the top item or a sub-assembly)."""

    part: str
    revision: str
    revision_id: int
    status: Literal["created", "unchanged"]
    previous_revision: str | None
    diff: BomDiff


@dataclass(frozen=True, slots=True)
class BomImportResult:
    """The outcome of :func:`erp_core.services.boms.import_bom`.

    ``diff`` compares the top item's imported revision with the revision before it
    (every component "added" for a first revision; None when rejected).
    ``revision_ids`` are the revisions' ids, the top item's first (``assemblies`` says which is whose).
    """

    status: ImportStatus
    item_number: str
    revision: str
    revision_ids: tuple[int, ...] = ()
    diff: BomDiff | None = None
    assemblies: tuple[AssemblyOutcome, ...] = ()
    problems: tuple[BomProblem, ...] = ()
    created_items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Existing:
    id: int
    revision: str
    effective_from: date
    effective_to: date | None
    lines: tuple[ComponentLine, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    part: str
    label: str
    lines: tuple[ComponentLine, ...]
    previous: _Existing | None
    reuse: _Existing | None  # set: nothing to write for this assembly


def run_import(session: Session, data: BomInput | Mapping[str, Any], today: date) -> BomImportResult:
    """Validate and import ``data`` (see :func:`erp_core.services.boms.import_bom`)."""
    bom = _validated(data)
    if isinstance(bom, BomImportResult):
        return bom
    session.flush()
    connection = session.connection()
    assemblies, problems = _assemblies(bom)
    if not problems:
        cycle = _find_cycle(connection, {part: {line.part for line in lines} for part, lines in assemblies.items()})
        if cycle:
            problems.append(BomProblem("BOM_CYCLE", f"assembly contains itself: {' > '.join(cycle)}", cycle[0]))
    if problems:
        return _rejected(bom, problems)
    item_ids = _item_ids(connection, {bom.item_number} | {line.part for lines in assemblies.values() for line in lines})
    plans = [_plan(connection, bom, part, lines, item_ids.get(part), today) for part, lines in assemblies.items()]
    problems = [problem for plan in plans if isinstance(plan, BomProblem) for problem in (plan,)]
    if problems:
        return _rejected(bom, problems)
    return _write(session, bom, [plan for plan in plans if isinstance(plan, _Plan)], item_ids, today)


def _validated(data: BomInput | Mapping[str, Any]) -> BomInput | BomImportResult:
    if isinstance(data, BomInput):
        return data
    try:
        return BomInput.model_validate(data)
    except ValidationError as exc:
        problems = tuple(
            BomProblem("BOM_INVALID", f"{_location(error['loc'])}: {error['msg']}") for error in exc.errors()
        )
        return BomImportResult(
            "rejected", str(data.get("item_number", "")), str(data.get("revision", "")), problems=problems
        )


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "BOM"


def _rejected(bom: BomInput, problems: Sequence[BomProblem]) -> BomImportResult:
    return BomImportResult("rejected", bom.item_number, bom.revision, problems=tuple(problems))


def _assemblies(bom: BomInput) -> tuple[dict[str, tuple[ComponentLine, ...]], list[BomProblem]]:
    """The file's lines grouped by parent (the top item first) and merged per part."""
    parts = {line.part for line in bom.components}
    grouped: dict[str, list[BomComponentInput]] = {bom.item_number: []}
    problems: list[BomProblem] = []
    for line in bom.components:
        parent = line.parent or bom.item_number
        if parent != bom.item_number and parent not in parts:
            message = f"parent {parent} of {line.part} is neither {bom.item_number} nor a component of it"
            problems.append(BomProblem("BOM_INVALID", message, line.part))
        grouped.setdefault(parent, []).append(line)
    problems.extend(
        BomProblem("BOM_INVALID", f"revision given for {part}, which is not a sub-assembly in this BOM", part)
        for part in bom.subassembly_revisions
        if part not in grouped or part == bom.item_number
    )
    if not grouped[bom.item_number]:
        problems.append(BomProblem("BOM_INVALID", f"no component belongs to {bom.item_number} itself"))
    merged: dict[str, tuple[ComponentLine, ...]] = {}
    for parent, lines in grouped.items():
        merged[parent], merge_problems = merge_lines(parent, lines)
        problems.extend(merge_problems)
    return merged, problems


def _find_cycle(connection: Connection, file_edges: dict[str, set[str]]) -> list[str] | None:
    """A path ``A > ... > A`` through the file's assemblies and the stored BOMs (all revisions), or None."""
    edges = dict(file_edges)
    frontier = {child for children in file_edges.values() for child in children} - edges.keys()
    while frontier:
        stored = _stored_edges(connection, frontier)
        edges.update(stored)
        edges.update((part, set()) for part in frontier - stored.keys())
        frontier = {child for children in stored.values() for child in children} - edges.keys()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in file_edges:
        path = _dfs(root, edges, state)
        if path:
            return path
    return None


def _dfs(root: str, edges: dict[str, set[str]], state: dict[str, int]) -> list[str] | None:
    if state.get(root):
        return None
    path = [root]
    stack = [iter(sorted(edges.get(root, ())))]
    state[root] = 1
    while stack:
        child = next(stack[-1], None)
        if child is None:
            state[path.pop()] = 2
            stack.pop()
        elif state.get(child) == 1:
            return [*path[path.index(child) :], child]
        elif not state.get(child):
            state[child] = 1
            path.append(child)
            stack.append(iter(sorted(edges.get(child, ()))))
    return None


def _stored_edges(connection: Connection, parents: set[str]) -> dict[str, set[str]]:
    parent_item, child_item = aliased(_ITEM), aliased(_ITEM)
    found: dict[str, set[str]] = {}
    for chunk in in_chunks(parents):
        query = (
            select(parent_item.c.item_number, child_item.c.item_number)
            .select_from(_COMPONENT)
            .join(_REVISION, _REVISION.c.id == _COMPONENT.c.bom_revision_id)
            .join(parent_item, parent_item.c.id == _REVISION.c.item_id)
            .join(child_item, child_item.c.id == _COMPONENT.c.item_id)
            .where(parent_item.c.item_number.in_(chunk))
        )
        for parent, child in connection.execute(query):
            found.setdefault(parent, set()).add(child)
    return found


def _item_ids(connection: Connection, parts: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in in_chunks(parts):
        query = select(_ITEM.c.item_number, _ITEM.c.id).where(_ITEM.c.item_number.in_(chunk))
        found.update((number, item_id) for number, item_id in connection.execute(query))
    return found


def stored_lines(connection: Connection, revision_id: int) -> tuple[ComponentLine, ...]:
    """A stored revision's components as :class:`ComponentLine` (by find number)."""
    query = (
        select(
            _COMPONENT.c.find_number,
            _ITEM.c.item_number,
            _COMPONENT.c.quantity,
            _COMPONENT.c.uom,
            _COMPONENT.c.ref_designators,
            _COMPONENT.c.notes,
            _ITEM.c.description,
        )
        .join(_ITEM, _ITEM.c.id == _COMPONENT.c.item_id)
        .where(_COMPONENT.c.bom_revision_id == revision_id)
        .order_by(_COMPONENT.c.find_number)
    )
    return tuple(
        ComponentLine(number, part, quantity, uom, tuple((designators or "").split()), notes, description)
        for number, part, quantity, uom, designators, notes, description in connection.execute(query)
    )


def _existing(connection: Connection, item_id: int | None) -> list[_Existing]:
    if item_id is None:
        return []
    query = (
        select(_REVISION.c.id, _REVISION.c.revision, _REVISION.c.effective_from, _REVISION.c.effective_to)
        .where(_REVISION.c.item_id == item_id)
        .order_by(_REVISION.c.effective_from, _REVISION.c.id)
    )
    return [_Existing(*row, lines=stored_lines(connection, row[0])) for row in connection.execute(query)]


def _plan(
    connection: Connection,
    bom: BomInput,
    part: str,
    lines: tuple[ComponentLine, ...],
    item_id: int | None,
    today: date,
) -> _Plan | BomProblem:
    """Create, reuse, or refuse one assembly's revision (see ``import_bom`` for the rules)."""
    top = part == bom.item_number
    label = bom.revision if top else bom.subassembly_revisions.get(part, bom.revision)
    explicit = top or part in bom.subassembly_revisions
    existing = _existing(connection, item_id)
    latest = existing[-1] if existing else None
    same = next((revision for revision in existing if revision.revision == label), None)
    if same is not None:
        if same.lines != lines:
            return BomProblem("BOM_REVISION_EXISTS", f"{part} revision {label} exists with other components", part)
        if bom.effective_from is not None and bom.effective_from != same.effective_from:
            message = f"{part} revision {label} exists, effective from {same.effective_from}, not {bom.effective_from}"
            return BomProblem("BOM_REVISION_EXISTS", message, part)
        return _Plan(part, label, lines, _before(existing, same), same)
    if not explicit and latest is not None and latest.lines == lines:
        return _Plan(part, latest.revision, lines, _before(existing, latest), latest)
    starts = bom.effective_from or today
    if latest is not None and starts < latest.effective_from:
        message = (
            f"{part} revision {label} would start {starts}, before revision {latest.revision} ({latest.effective_from})"
        )
        return BomProblem("BOM_EFFECTIVITY", message, part)
    return _Plan(part, label, lines, latest, None)


def _before(existing: list[_Existing], revision: _Existing) -> _Existing | None:
    index = existing.index(revision)
    return existing[index - 1] if index else None


def _write(
    session: Session, bom: BomInput, plans: list[_Plan], item_ids: dict[str, int], today: date
) -> BomImportResult:
    starts = bom.effective_from or today
    descriptions = {line.part: (line.description, line.uom) for plan in plans for line in plan.lines}
    created_items = sorted({bom.item_number, *descriptions} - item_ids.keys())
    outcomes: list[AssemblyOutcome] = []
    try:
        with session.begin_nested():
            for part in created_items:
                description, uom = descriptions.get(part, (bom.description, "EA"))
                item = Item(item_number=part, description=description or part, uom=uom)
                session.add(item)
                session.flush()
                item_ids[part] = item.id  # type: ignore[assignment]
            for plan in plans:
                outcomes.append(_write_assembly(session, bom, plan, item_ids, starts))
    except IntegrityError as exc:
        raise AlreadyExistsError(f"BOM {bom.item_number} revision {bom.revision} was imported concurrently") from exc
    top = outcomes[0]
    status: ImportStatus = "created" if any(o.status == "created" for o in outcomes) else "unchanged"
    return BomImportResult(
        status,
        bom.item_number,
        bom.revision,
        revision_ids=tuple(o.revision_id for o in outcomes),
        diff=top.diff,
        assemblies=tuple(outcomes),
        created_items=tuple(created_items),
    )


def _write_assembly(
    session: Session, bom: BomInput, plan: _Plan, item_ids: dict[str, int], starts: date
) -> AssemblyOutcome:
    previous_lines = plan.previous.lines if plan.previous else ()
    diff = diff_lines(previous_lines, plan.lines)
    previous_label = plan.previous.revision if plan.previous else None
    if plan.reuse is not None:
        return AssemblyOutcome(plan.part, plan.reuse.revision, plan.reuse.id, "unchanged", previous_label, diff)
    item_id = item_ids[plan.part]
    if plan.previous is not None and (plan.previous.effective_to is None or plan.previous.effective_to > starts):
        predecessor = session.get(BomRevision, plan.previous.id)
        if predecessor is not None:
            predecessor.effective_to = starts
            session.add(predecessor)
    revision = BomRevision(
        item_id=item_id,
        revision=plan.label,
        effective_from=starts,
        description=bom.description if plan.part == bom.item_number else None,
        source_ref=bom.source_ref,
    )
    revision.components = [
        BomComponent(
            find_number=line.find_number,
            item_id=item_ids[line.part],
            quantity=line.quantity,
            uom=line.uom,
            ref_designators=" ".join(line.ref_designators) or None,
            notes=line.notes,
        )
        for line in plan.lines
    ]
    session.add(revision)
    session.flush()
    return AssemblyOutcome(plan.part, plan.label, revision.id, "created", previous_label, diff)  # type: ignore[arg-type]
