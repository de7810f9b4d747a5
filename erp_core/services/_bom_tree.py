"""Read-side BOM structure for one call: revisions and components loaded on demand, memoised.

Explosion and the feasibility check walk the same sub-assemblies many times (every
order line of an item, every level of a BOM); this loader reads each item's
revisions and each revision's components once per call, and fetches the revisions
of all components of a revision in one query as soon as that revision is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, Table, select
from sqlmodel import Session

from erp_core.models import Item
from erp_core.models_bom import BomComponent, BomRevision
from erp_core.services._in_chunks import in_chunks

_REVISION: Table = BomRevision.__table__  # type: ignore[assignment]
_COMPONENT: Table = BomComponent.__table__  # type: ignore[assignment]
_ITEM: Table = Item.__table__  # type: ignore[assignment]
_REVISION_COLUMNS = (
    _REVISION.c.id,
    _REVISION.c.item_id,
    _REVISION.c.revision,
    _REVISION.c.effective_from,
    _REVISION.c.effective_to,
)  # in RevisionRef's field order


@dataclass(frozen=True, slots=True)
class RevisionRef:
    """A BOM revision's identity and effectivity window (``effective_to`` exclusive, None = open)."""

    id: int
    item_id: int
    revision: str
    effective_from: date
    effective_to: date | None

    def applies_on(self, day: date) -> bool:
        """True when this revision is the one in force on ``day``."""
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


@dataclass(frozen=True, slots=True)
class ComponentRef:
    """One component line with its item's number and unit (for explosion and netting)."""

    find_number: int
    item_id: int
    part: str
    quantity: Decimal
    uom: str


def pick_effective(revisions: Iterable[RevisionRef], day: date) -> RevisionRef | None:
    """The revision in force on ``day`` among one item's revisions, or None.

    Windows never overlap (the import closes a predecessor when its successor starts);
    should they, the latest start wins, the later import on a tie.
    """
    best: RevisionRef | None = None
    for revision in revisions:
        if revision.applies_on(day) and (
            best is None or (revision.effective_from, revision.id) > (best.effective_from, best.id)
        ):
            best = revision
    return best


class BomTree:
    """Memoised BOM reads inside one session (valid while nothing changes the BOM tables)."""

    def __init__(self, session: Session) -> None:
        self._connection = session.connection()
        self._revisions: dict[int, tuple[RevisionRef, ...]] = {}
        self._by_id: dict[int, RevisionRef] = {}
        self._components: dict[int, tuple[ComponentRef, ...]] = {}

    def revisions(self, item_id: int) -> tuple[RevisionRef, ...]:
        """All revisions of an item, oldest effectivity first."""
        if item_id not in self._revisions:
            self.prefetch((item_id,))
        return self._revisions[item_id]

    def has_bom(self, item_id: int) -> bool:
        """True when the item has at least one BOM revision (it is made from components)."""
        return bool(self.revisions(item_id))

    def effective(self, item_id: int, day: date) -> RevisionRef | None:
        """The item's revision in force on ``day``, or None."""
        return pick_effective(self.revisions(item_id), day)

    def by_id(self, revision_id: int) -> RevisionRef | None:
        """A revision by id (loads its item's revisions)."""
        if revision_id not in self._by_id:
            item_id = self._connection.execute(
                select(_REVISION.c.item_id).where(_REVISION.c.id == revision_id)
            ).scalar_one_or_none()
            if item_id is None:
                return None
            self.revisions(item_id)
        return self._by_id.get(revision_id)

    def components(self, revision_id: int) -> tuple[ComponentRef, ...]:
        """The revision's component lines by find number; their items' revisions are prefetched."""
        found = self._components.get(revision_id)
        if found is None:
            query = (
                select(
                    _COMPONENT.c.find_number,
                    _COMPONENT.c.item_id,
                    _ITEM.c.item_number,
                    _COMPONENT.c.quantity,
                    _COMPONENT.c.uom,
                )
                .join(_ITEM, _ITEM.c.id == _COMPONENT.c.item_id)
                .where(_COMPONENT.c.bom_revision_id == revision_id)
                .order_by(_COMPONENT.c.find_number)
            )
            found = tuple(ComponentRef(*row) for row in self._connection.execute(query))
            self._components[revision_id] = found
            self.prefetch(component.item_id for component in found)
        return found

    def prefetch(self, item_ids: Iterable[int]) -> None:
        """Load the revisions of every item in ``item_ids`` not loaded yet (one query per 1,000)."""
        for chunk in in_chunks(item_id for item_id in item_ids if item_id not in self._revisions):
            grouped: dict[int, list[RevisionRef]] = {item_id: [] for item_id in chunk}
            query = (
                select(*_REVISION_COLUMNS)
                .where(_REVISION.c.item_id.in_(chunk))
                .order_by(_REVISION.c.effective_from, _REVISION.c.id)
            )
            for row in self._connection.execute(query):
                revision = RevisionRef(*row)
                grouped[revision.item_id].append(revision)
                self._by_id[revision.id] = revision
            self._revisions.update((item_id, tuple(revisions)) for item_id, revisions in grouped.items())


def load_bom_links(connection: Connection, item_ids: Iterable[int]) -> dict[int, tuple[RevisionRef, ...]]:
    """The BOM revisions of those ``item_ids`` that have any, for linking booked order lines.

    One query per 1,000 items: booking calls this once per batch with the batch's
    candidate items, then picks per line with :func:`pick_effective` in memory.
    """
    found: dict[int, list[RevisionRef]] = {}
    for chunk in in_chunks(item_ids):
        query = select(*_REVISION_COLUMNS).where(_REVISION.c.item_id.in_(chunk))
        for row in connection.execute(query):
            found.setdefault(row.item_id, []).append(RevisionRef(*row))
    return {item_id: tuple(revisions) for item_id, revisions in found.items()}
