"""Bills of materials: import with ECO diff, revision lookup by effectivity, multi-level explosion.

Import rules (:func:`import_bom`):

* A file holds one assembly's revision; lines with a ``parent`` describe its
  sub-assemblies (flat multi-level files). Each assembly gets its own revision: the
  top item the file's ``revision``; a sub-assembly the label given in
  ``subassembly_revisions``, else the file's ``revision`` too. A sub-assembly whose
  content equals its current revision and has no explicit label keeps that revision
  (nothing new is written), so a product file re-used across top-level revisions
  does not multiply identical sub-assembly revisions.
* Same label, same content: ``unchanged``. Same label, other content (or another
  explicit ``effective_from``): ``BOM_REVISION_EXISTS``. A new revision may not start
  before its item's latest one (``BOM_EFFECTIVITY``); it closes its predecessor on
  its own ``effective_from``.
* An assembly that contains itself at any level, through the file or through stored
  BOMs of any revision, is ``BOM_CYCLE``; unmergeable duplicate lines, clashing find
  numbers or designators and invalid fields are ``BOM_INVALID``.
* Unknown items (components, and the top item) are created, described by the file.
* Nothing is written unless everything is valid; the writes share one SAVEPOINT.

Like every erp_core service, nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from erp_core.errors import ErpError, NotFoundError
from erp_core.inputs_bom import BomInput
from erp_core.models import Item
from erp_core.models_bom import BomRevision
from erp_core.services._bom_import import AssemblyOutcome, BomImportResult, run_import, stored_lines
from erp_core.services._bom_lines import (
    BomDiff,
    BomProblem,
    ComponentChange,
    ComponentLine,
    diff_lines,
    format_quantity,
)
from erp_core.services._bom_tree import BomTree, RevisionRef
from erp_core.services.items import require_item

__all__ = [
    "AssemblyOutcome",
    "BomCycleError",
    "BomDiff",
    "BomImportResult",
    "BomProblem",
    "BomView",
    "ComponentChange",
    "ComponentLine",
    "ExplodedLine",
    "bom_diff",
    "bom_record",
    "diff_record",
    "effective_revision",
    "end_bom",
    "explode",
    "get_bom",
    "import_bom",
    "import_record",
    "revision_records",
]

MAX_LEVELS = 50
"""Deeper than any real product structure; reaching it means the stored BOMs loop."""


class BomCycleError(ErpError):
    """Stored BOMs contain a loop (imports refuse them; only direct table edits can create one)."""


@dataclass(frozen=True, slots=True)
class BomView:
    """One BOM revision with its components, usable after the session closes."""

    item_number: str
    revision: str
    revision_id: int
    effective_from: date
    effective_to: date | None
    description: str | None
    source_ref: str | None
    components: tuple[ComponentLine, ...]
    subassemblies: frozenset[str]  # parts among the components that have BOMs of their own


@dataclass(frozen=True, slots=True)
class ExplodedLine:
    """One line of an indented (multi-level) BOM for a quantity of the top item.

    ``bom_revision`` is the revision of ``parent`` the line comes from; ``total_quantity``
    is ``quantity_per`` times the parent's total.
    """

    level: int
    parent: str
    find_number: int
    part: str
    quantity_per: Decimal
    total_quantity: Decimal
    uom: str
    bom_revision: str


def import_bom(session: Session, bom: BomInput | Mapping[str, Any], *, today: date | None = None) -> BomImportResult:
    """Import a BOM revision (and its sub-assemblies); see the module docstring for the rules.

    ``bom`` may be a plain mapping (a parsed file): validation errors then come back
    as ``BOM_INVALID`` problems in a ``rejected`` result instead of being raised.
    ``today`` is the default ``effective_from`` (the current date when None).
    """
    return run_import(session, bom, today or date.today())


def effective_revision(session: Session, item_id: int, on_date: date) -> BomRevision | None:
    """The item's BOM revision in force on ``on_date``, or None."""
    statement = (
        select(BomRevision)
        .where(BomRevision.item_id == item_id, BomRevision.effective_from <= on_date)
        .where((col(BomRevision.effective_to).is_(None)) | (col(BomRevision.effective_to) > on_date))
        .order_by(col(BomRevision.effective_from).desc(), col(BomRevision.id).desc())
        .limit(1)
    )
    return session.exec(statement).first()


def get_bom(session: Session, item_number: str, revision: str | None = None, on: date | None = None) -> BomView:
    """A revision by label, else the one in force on ``on`` (today when None); ``NotFoundError`` if none."""
    item = require_item(session, item_number)
    if revision is not None:
        row = _revision_by_label(session, item, revision)
    else:
        day = on or date.today()
        row = effective_revision(session, item.id, day)  # type: ignore[arg-type]
        if row is None:
            raise NotFoundError(f"{item.item_number} has no BOM revision in force on {day}")
    lines = stored_lines(session.connection(), row.id)  # type: ignore[arg-type]
    tree = BomTree(session)
    parts = _item_ids_by_number(session, [line.part for line in lines])
    tree.prefetch(parts.values())
    return BomView(
        item_number=item.item_number,
        revision=row.revision,
        revision_id=row.id,  # type: ignore[arg-type]
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        description=row.description,
        source_ref=row.source_ref,
        components=lines,
        subassemblies=frozenset(part for part, item_id in parts.items() if tree.has_bom(item_id)),
    )


def bom_diff(session: Session, item_number: str, rev_a: str, rev_b: str) -> BomDiff:
    """What changes from revision ``rev_a`` to ``rev_b`` of an item (one level)."""
    item = require_item(session, item_number)
    first, second = _revision_by_label(session, item, rev_a), _revision_by_label(session, item, rev_b)
    connection = session.connection()
    return diff_lines(stored_lines(connection, first.id), stored_lines(connection, second.id))  # type: ignore[arg-type]


def end_bom(session: Session, item_number: str, effective_to: date) -> BomRevision:
    """Make an item obsolete from ``effective_to`` on: its revision in force then stops applying.

    Revisions starting later are left alone (importing a new revision revives an item).
    """
    item = require_item(session, item_number)
    current = effective_revision(session, item.id, effective_to)  # type: ignore[arg-type]
    if current is None:
        raise NotFoundError(f"{item.item_number} has no BOM revision in force on {effective_to}")
    current.effective_to = effective_to
    session.add(current)
    session.flush()
    return current


def explode(session: Session, item_number: str, quantity: Decimal | int, on_date: date) -> list[ExplodedLine]:
    """The indented BOM for ``quantity`` of an item, each level using the revision in force on ``on_date``.

    Depth first, by find number; sub-assemblies without a revision in force that day
    appear as plain lines. ``NotFoundError`` when the item has no BOM in force.
    """
    item = require_item(session, item_number)
    tree = BomTree(session)
    top = tree.effective(item.id, on_date)  # type: ignore[arg-type]
    if top is None:
        raise NotFoundError(f"{item.item_number} has no BOM revision in force on {on_date}")
    lines: list[ExplodedLine] = []
    _explode_into(lines, tree, item.item_number, top, Decimal(quantity), on_date, (item.id,))  # type: ignore[arg-type]
    return lines


def _explode_into(
    lines: list[ExplodedLine],
    tree: BomTree,
    parent: str,
    revision: RevisionRef,
    total: Decimal,
    on_date: date,
    path: tuple[int, ...],
) -> None:
    if len(path) > MAX_LEVELS:
        raise BomCycleError(f"BOM of {parent} is more than {MAX_LEVELS} levels deep: stored BOMs loop")
    for component in tree.components(revision.id):
        needed = component.quantity * total
        lines.append(
            ExplodedLine(
                len(path),
                parent,
                component.find_number,
                component.part,
                component.quantity,
                needed,
                component.uom,
                revision.revision,
            )
        )
        sub = tree.effective(component.item_id, on_date)
        if sub is not None:
            if component.item_id in path:
                raise BomCycleError(f"{component.part} contains itself (stored BOMs loop)")
            _explode_into(lines, tree, component.part, sub, needed, on_date, (*path, component.item_id))


# -- JSON-ready records (CLI and APIs) -----------------------------------------------


def bom_record(view: BomView) -> dict[str, object]:
    """A BOM revision as JSON-ready data."""
    return {
        "item_number": view.item_number,
        "revision": view.revision,
        "effective_from": view.effective_from.isoformat(),
        "effective_to": view.effective_to.isoformat() if view.effective_to else None,
        "description": view.description,
        "source_ref": view.source_ref,
        "components": [
            {**_line_record(line), "subassembly": line.part in view.subassemblies} for line in view.components
        ],
    }


def diff_record(diff: BomDiff) -> dict[str, object]:
    """An ECO diff as JSON-ready data."""
    return {
        "added": [_line_record(line) for line in diff.added],
        "removed": [_line_record(line) for line in diff.removed],
        "changed": [
            {"part": change.part, "field": change.field, "old": change.old, "new": change.new}
            for change in diff.changed
        ],
    }


def import_record(result: BomImportResult) -> dict[str, object]:
    """An import result as JSON-ready data."""
    return {
        "status": result.status,
        "item_number": result.item_number,
        "revision": result.revision,
        "created_items": list(result.created_items),
        "assemblies": [
            {
                "part": a.part,
                "revision": a.revision,
                "revision_id": a.revision_id,
                "status": a.status,
                "previous_revision": a.previous_revision,
            }
            for a in result.assemblies
        ],
        "diff": diff_record(result.diff) if result.diff is not None else None,
        "problems": [{"code": p.code, "message": p.message, "part": p.part} for p in result.problems],
    }


def revision_records(session: Session, item_number: str) -> list[dict[str, object]]:
    """An item's BOM revisions, oldest effectivity first."""
    item = require_item(session, item_number)
    statement = (
        select(BomRevision)
        .where(BomRevision.item_id == item.id)
        .order_by(col(BomRevision.effective_from), col(BomRevision.id))
    )
    return [
        {
            "revision": row.revision,
            "effective_from": row.effective_from.isoformat(),
            "effective_to": row.effective_to.isoformat() if row.effective_to else None,
            "description": row.description,
            "source_ref": row.source_ref,
            "created_at": row.created_at.isoformat(),
        }
        for row in session.exec(statement).all()
    ]


def _line_record(line: ComponentLine) -> dict[str, object]:
    return {
        "find_number": line.find_number,
        "part": line.part,
        "description": line.description,
        "quantity": format_quantity(line.quantity),
        "uom": line.uom,
        "ref_designators": list(line.ref_designators),
        "notes": line.notes,
    }


def _revision_by_label(session: Session, item: Item, label: str) -> BomRevision:
    statement = select(BomRevision).where(BomRevision.item_id == item.id, BomRevision.revision == label.strip())
    row = session.exec(statement).first()
    if row is None:
        raise NotFoundError(f"{item.item_number} has no BOM revision {label!r}")
    return row


def _item_ids_by_number(session: Session, parts: list[str]) -> dict[str, int]:
    if not parts:
        return {}
    statement = select(Item.item_number, Item.id).where(col(Item.item_number).in_(parts))
    return {number: item_id for number, item_id in session.exec(statement).all() if item_id is not None}
