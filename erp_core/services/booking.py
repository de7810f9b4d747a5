"""Booking purchase orders in bulk.

The gateway books thousands of orders per second, so this module works in batches
rather than one ORM object per row. Per batch it runs one pre-query for POs already
booked, the item-resolution queries (cross-references, then items by number and
GTIN, then those items' BOM revisions for the lines' BOM link), and inside one
SAVEPOINT three bulk inserts (orders, parties, lines) plus one query reading the
new order ids back. The bulk inserts skip SQLAlchemy's per-row parameter handling
(:mod:`erp_core.bulk_insert`): values are gathered column by column, converted by
the columns' own bind processors and streamed to the driver's ``executemany`` on
SQLite and to ``COPY`` on PostgreSQL.

"Never booked twice" rests on the ``uq_erp_sales_order_partner_po`` constraint, not
on the pre-query: when a concurrent worker books the same PO between our pre-query
and our INSERT, the batch's SAVEPOINT is rolled back and the batch is retried one
order per SAVEPOINT, so only the raced orders become duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from erp_core.errors import UnknownPartnerError
from erp_core.inputs import OrderInput
from erp_core.models import Item, ItemXref, Partner
from erp_core.services._bom_tree import load_bom_links, pick_effective
from erp_core.services._booking_rows import ORDER_TABLE, BookingWriter, header_columns, line_columns, party_columns
from erp_core.services._in_chunks import in_chunks
from erp_core.types import utc_now

OrderKey = tuple[str, str]  # (partner_id, po_number)
MatchedBy = Literal["xref", "vendor_part", "gtin"]

DEFAULT_BATCH_SIZE = 500

_ORDER = ORDER_TABLE
_ITEM: Table = Item.__table__  # type: ignore[assignment]
_XREF: Table = ItemXref.__table__  # type: ignore[assignment]
_PARTNER: Table = Partner.__table__  # type: ignore[assignment]


class PartRefs(Protocol):
    """The identifiers something names an item by: an order line, a changed line, a forecast."""

    @property
    def buyer_part(self) -> str | None: ...

    @property
    def vendor_part(self) -> str | None: ...

    @property
    def gtin(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class LineResolution:
    """How one line of a booked order was matched to an item (``item_id`` None: not matched)."""

    line_no: int
    item_id: int | None
    matched_by: MatchedBy | None
    bom_revision_id: int | None = None  # the item's BOM revision in force on the requested (else order) date


@dataclass(frozen=True, slots=True)
class BookingResult:
    """The outcome for one input order, in input order.

    ``duplicate`` means the partner's PO number was booked before (by an earlier call,
    a concurrent worker, or earlier in the same input); ``order_id`` is then that
    existing order and ``lines`` is empty.
    """

    partner_id: str
    po_number: str
    order_id: int
    status: Literal["booked", "duplicate"]
    lines: tuple[LineResolution, ...] = ()

    @property
    def unresolved_line_nos(self) -> tuple[int, ...]:
        """Line numbers that did not resolve to an item."""
        return tuple(line.line_no for line in self.lines if line.item_id is None)


@dataclass(frozen=True, slots=True)
class _ItemIndex:
    """Item ids for one batch, keyed the three ways a line can name an item."""

    xref: dict[OrderKey, int]  # (partner_id, customer part) -> item id
    by_number: dict[str, int]
    by_gtin: dict[str, int]

    def item_ids(self) -> set[int]:
        """Every item a line of the batch can resolve to."""
        return {*self.xref.values(), *self.by_number.values(), *self.by_gtin.values()}

    def match(self, partner_id: str, line: PartRefs) -> tuple[int | None, MatchedBy | None]:
        """Partner cross-reference first (the buyer's own number), then our item number, then GTIN."""
        if line.buyer_part is not None and (item_id := self.xref.get((partner_id, line.buyer_part))) is not None:
            return item_id, "xref"
        if line.vendor_part is not None and (item_id := self.by_number.get(line.vendor_part)) is not None:
            return item_id, "vendor_part"
        if line.gtin is not None and (item_id := self.by_gtin.get(line.gtin)) is not None:
            return item_id, "gtin"
        return None, None


def book_orders(
    session: Session, orders: Sequence[OrderInput], *, batch_size: int = DEFAULT_BATCH_SIZE
) -> list[BookingResult]:
    """Book ``orders``; one result per input order, in the same order.

    Does not commit: the caller commits (or rolls back) together with its own work.
    Raises ``UnknownPartnerError`` before writing anything if an order names a
    partner that does not exist.

    Orders are inserted sorted by (partner, PO number), whatever the input order:
    two transactions booking overlapping POs then wait for each other in one
    direction only, instead of deadlocking on PostgreSQL's unique index. (A caller
    that books several times in one transaction, or locks other rows in between,
    can still deadlock and should retry the transaction.)
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    session.flush()
    connection = session.connection()
    _require_partners(connection, {order.partner_id for order in orders})
    writer = BookingWriter.for_connection(connection, utc_now())
    canonical = sorted(range(len(orders)), key=lambda i: (orders[i].partner_id, orders[i].po_number))
    by_position: dict[int, BookingResult] = {}
    for start in range(0, len(canonical), batch_size):
        positions = canonical[start : start + batch_size]
        batch_results = _book_batch(session, [orders[i] for i in positions], writer)
        by_position.update(zip(positions, batch_results, strict=True))
    return [by_position[position] for position in range(len(orders))]


def _book_batch(session: Session, batch: Sequence[OrderInput], writer: BookingWriter) -> list[BookingResult]:
    connection = session.connection()
    keys = [(order.partner_id, order.po_number) for order in batch]
    known = _existing_order_ids(connection, keys)
    fresh: dict[OrderKey, OrderInput] = {}
    for key, order in zip(keys, batch, strict=True):
        if key not in known and key not in fresh:
            fresh[key] = order
    resolutions = _resolve_lines(connection, fresh)
    booked, raced = _insert_orders(session, fresh, resolutions, writer)
    known.update(raced)
    results: list[BookingResult] = []
    reported: set[OrderKey] = set()
    for key in keys:
        if key in booked and key not in reported:
            reported.add(key)
            results.append(BookingResult(key[0], key[1], booked[key], "booked", resolutions[key]))
        else:
            order_id = booked[key] if key in booked else known[key]
            results.append(BookingResult(key[0], key[1], order_id, "duplicate"))
    return results


def _insert_orders(
    session: Session,
    fresh: dict[OrderKey, OrderInput],
    resolutions: dict[OrderKey, tuple[LineResolution, ...]],
    writer: BookingWriter,
) -> tuple[dict[OrderKey, int], dict[OrderKey, int]]:
    """Insert the batch in one SAVEPOINT; on a unique-key race, retry order by order.

    Returns (booked: key -> new order id, raced: key -> id of the order another
    transaction booked first).
    """
    if not fresh:
        return {}, {}
    try:
        with session.begin_nested():
            booked = _insert_rows(session.connection(), fresh, resolutions, writer)
    except IntegrityError:
        # Someone booked one of these POs after our pre-query; find out which.
        return _insert_one_by_one(session, fresh, resolutions, writer)
    return booked, {}


def _insert_one_by_one(
    session: Session,
    fresh: dict[OrderKey, OrderInput],
    resolutions: dict[OrderKey, tuple[LineResolution, ...]],
    writer: BookingWriter,
) -> tuple[dict[OrderKey, int], dict[OrderKey, int]]:
    booked: dict[OrderKey, int] = {}
    raced: dict[OrderKey, int] = {}
    for key, order in fresh.items():
        try:
            with session.begin_nested():
                booked.update(_insert_rows(session.connection(), {key: order}, resolutions, writer))
        except IntegrityError:
            existing = _existing_order_ids(session.connection(), [key])
            if key not in existing:
                raise  # not a duplicate PO: a real integrity problem
            raced[key] = existing[key]
    return booked, raced


def _insert_rows(
    connection: Connection,
    orders: dict[OrderKey, OrderInput],
    resolutions: dict[OrderKey, tuple[LineResolution, ...]],
    writer: BookingWriter,
) -> dict[OrderKey, int]:
    """Insert headers, then read their ids back by natural key, then parties and lines.

    Reading the ids back is cheaper than ``INSERT ... RETURNING`` for many rows:
    SQLite cannot return them in parameter order from one multi-row statement, and
    neither ``executemany`` nor ``COPY`` returns anything.
    """
    batch = list(orders.values())
    writer.orders.execute(connection, header_columns(batch, writer.now))
    found = _existing_order_ids(connection, orders)
    order_ids = [found[key] for key in orders]
    writer.parties.execute(connection, party_columns(batch, order_ids))
    writer.lines.execute(connection, line_columns(batch, order_ids, [resolutions[key] for key in orders]))
    return found


def _resolve_lines(
    connection: Connection, orders: dict[OrderKey, OrderInput]
) -> dict[OrderKey, tuple[LineResolution, ...]]:
    """Each order's line resolutions; equal resolutions share one (immutable) instance.

    A batch has tens of thousands of lines but only (line number x matched item)
    distinct outcomes, and building a frozen dataclass costs several dictionary
    lookups' worth.
    """
    index = _load_item_index(connection, ((order.partner_id, order.lines) for order in orders.values()))
    boms = load_bom_links(connection, index.item_ids())
    shared: dict[tuple[int, int | None, MatchedBy | None, int | None], LineResolution] = {}
    resolved: dict[OrderKey, tuple[LineResolution, ...]] = {}
    for key, order in orders.items():
        resolutions = []
        for line_no, line in enumerate(order.lines, start=1):
            item_id, matched_by = index.match(order.partner_id, line)
            revisions = boms.get(item_id) if boms and item_id is not None else None
            bom = pick_effective(revisions, line.requested_date or order.order_date) if revisions else None
            outcome = (line_no, item_id, matched_by, bom.id if bom is not None else None)
            resolution = shared.get(outcome)
            if resolution is None:
                resolution = shared[outcome] = LineResolution(*outcome)
            resolutions.append(resolution)
        resolved[key] = tuple(resolutions)
    return resolved


def match_items(
    connection: Connection, partner_id: str, refs: Sequence[PartRefs]
) -> list[tuple[int | None, MatchedBy | None]]:
    """(item id, how it matched) for each of ``refs``, resolved exactly as booked order lines are."""
    index = _load_item_index(connection, [(partner_id, refs)])
    return [index.match(partner_id, ref) for ref in refs]


def _load_item_index(connection: Connection, refs: Iterable[tuple[str, Sequence[PartRefs]]]) -> _ItemIndex:
    """The items that the (partner id, lines) pairs in ``refs`` can name, in a few queries."""
    lines_by_partner: dict[str, list[PartRefs]] = {}
    for partner_id, lines in refs:
        lines_by_partner.setdefault(partner_id, []).extend(lines)
    all_lines = [line for lines in lines_by_partner.values() for line in lines]
    xref: dict[OrderKey, int] = {}
    for partner_id, lines in lines_by_partner.items():
        for chunk in in_chunks(_present(line.buyer_part for line in lines)):
            query = select(_XREF.c.customer_part, _XREF.c.item_id).where(
                _XREF.c.partner_id == partner_id, _XREF.c.customer_part.in_(chunk)
            )
            xref.update(((partner_id, part), item_id) for part, item_id in connection.execute(query))
    by_number = _item_ids(connection, _ITEM.c.item_number, _present(line.vendor_part for line in all_lines))
    by_gtin = _item_ids(connection, _ITEM.c.gtin, _present(line.gtin for line in all_lines))
    return _ItemIndex(xref, by_number, by_gtin)


def _item_ids(connection: Connection, column: Any, values: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in in_chunks(values):
        query = select(column, _ITEM.c.id).where(column.in_(chunk))
        found.update((value, item_id) for value, item_id in connection.execute(query))
    return found


def _existing_order_ids(connection: Connection, keys: Iterable[OrderKey]) -> dict[OrderKey, int]:
    """Ids of the orders among ``keys`` that are booked already (one query per partner and chunk)."""
    pos_by_partner: dict[str, set[str]] = {}
    for partner_id, po_number in keys:
        pos_by_partner.setdefault(partner_id, set()).add(po_number)
    found: dict[OrderKey, int] = {}
    for partner_id, po_numbers in pos_by_partner.items():
        for chunk in in_chunks(po_numbers):
            query = select(_ORDER.c.po_number, _ORDER.c.id).where(
                _ORDER.c.partner_id == partner_id, _ORDER.c.po_number.in_(chunk)
            )
            found.update(((partner_id, po_number), order_id) for po_number, order_id in connection.execute(query))
    return found


def _require_partners(connection: Connection, partner_ids: set[str]) -> None:
    known: set[str] = set()
    for chunk in in_chunks(partner_ids):
        known.update(connection.execute(select(_PARTNER.c.id).where(_PARTNER.c.id.in_(chunk))).scalars())
    missing = partner_ids - known
    if missing:
        raise UnknownPartnerError(frozenset(missing))


def _present(values: Iterable[str | None]) -> set[str]:
    return {value for value in values if value is not None}
