"""The planner behind :mod:`erp_core.services.feasibility`: stock netting and finite capacity, in memory.

One :class:`Planner` plans demands (order lines) one after another, each taking the
stock and work-centre capacity the earlier ones left. Everything is exact
(``Decimal`` quantities, ``Fraction`` day loads) and depends only on the database
content and ``today``, so the same question always gets the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal

from sqlalchemy import Table, select
from sqlmodel import Session

from erp_core.models_bom import ItemRouting, WorkCentre
from erp_core.services._bom_lines import format_quantity
from erp_core.services._bom_tree import BomTree, RevisionRef, pick_effective
from erp_core.services.inventory import on_hand

LineStatus = Literal["accept", "accept_changed", "backorder", "reject"]

_ROUTING: Table = ItemRouting.__table__  # type: ignore[assignment]
_CENTRE: Table = WorkCentre.__table__  # type: ignore[assignment]
_DAY = timedelta(days=1)
_FULL_DAY = Fraction(1)


class _Reject:
    """Marker: the demand cannot be met at all."""


REJECT: Final = _Reject()
Supply = date | None | _Reject  # ready on a date, backorder (None), or reject


@dataclass(frozen=True, slots=True)
class Demand:
    """One open order line as the planner sees it (``quantity`` is what is still to ship)."""

    line_id: int
    line_no: int
    buyer_line_ref: str | None
    item_id: int | None
    item_number: str | None
    quantity: Decimal
    uom: str
    requested_date: date | None
    bom_revision_id: int | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The planner's answer for one demand."""

    status: LineStatus
    promised_date: date | None
    promised_quantity: Decimal
    reasons: tuple[str, ...]
    bom_revision: str | None


@dataclass(frozen=True, slots=True)
class _Routing:
    centre_id: int | None
    centre_code: str | None
    rate: Decimal | None  # units per working day at the centre
    working_days: int
    lead_time_days: int


class Planner:
    """Allocates stock and capacity to demands in the order they are planned."""

    def __init__(self, session: Session, today: date, horizon_days: int) -> None:
        self._session = session
        self.today = today
        self.horizon_end = today + timedelta(days=horizon_days)
        self.tree = BomTree(session)
        self._stock: dict[int, Decimal] = {}
        self._routings: dict[int, _Routing | None] = {}
        self._load: dict[int, dict[date, Fraction]] = {}

    def plan(self, demand: Demand) -> Outcome:
        """Plan one demand, consuming what it needs; earlier plans are never revisited."""
        if demand.item_id is None:
            return _rejected(None, "ITEM_UNKNOWN: the line did not resolve to one of our items")
        due = demand.requested_date or self.today
        revision, not_before, obsolete = self._revision(demand, due)
        if obsolete is not None:
            return _rejected(None, obsolete)
        reasons: list[str] = []
        self._prefetch([demand.item_id])
        from_stock = self._take(demand.item_id, demand.quantity)
        if from_stock:
            reasons.append(f"FROM_STOCK: {format_quantity(from_stock)} {demand.uom} from stock")
        make = demand.quantity - from_stock
        ready: Supply = self.today
        if make:
            ready = self._make_or_buy(demand.item_id, revision, make, due, reasons)
        label = revision.revision if revision is not None else None
        if isinstance(ready, _Reject):
            self._stock[demand.item_id] += from_stock  # give back: a rejected line ships nothing
            return _rejected(label, *reasons)
        if ready is None:
            return Outcome("backorder", None, from_stock, tuple(reasons), label)
        if not_before is not None and not_before > ready:
            reasons.append(f"BOM_NOT_EFFECTIVE: revision {label} applies from {not_before}")
            ready = not_before
        return _dated(demand, max(ready, due), self.today, reasons, label)

    # -- BOM, stock, routing lookups ---------------------------------------------------

    def _revision(self, demand: Demand, due: date) -> tuple[RevisionRef | None, date | None, str | None]:
        """(revision to explode, date it starts applying if later than ``due``, obsolescence reason)."""
        revisions = self.tree.revisions(demand.item_id)  # type: ignore[arg-type]
        if not revisions:
            return None, None, None
        latest = max(revisions, key=lambda r: (r.effective_from, r.id))
        if latest.effective_to is not None and latest.effective_to <= due:
            return None, None, f"ITEM_OBSOLETE: {demand.item_number} has no BOM after {latest.effective_to}"
        linked = self.tree.by_id(demand.bom_revision_id) if demand.bom_revision_id is not None else None
        current = linked or pick_effective(revisions, due)
        if current is not None:
            return current, None, None
        upcoming = next(r for r in revisions if r.effective_from > due)
        return upcoming, upcoming.effective_from, None

    def _prefetch(self, item_ids: Iterable[int]) -> None:
        missing = {item_id for item_id in item_ids if item_id not in self._stock}
        if missing:
            found = on_hand(self._session, missing)
            self._stock.update((item_id, found.get(item_id, Decimal(0))) for item_id in missing)
            self._load_routings(missing)

    def _take(self, item_id: int, quantity: Decimal) -> Decimal:
        taken = min(self._stock[item_id], quantity)
        self._stock[item_id] -= taken
        return taken

    def _load_routings(self, item_ids: set[int]) -> None:
        query = (
            select(
                _ROUTING.c.item_id,
                _ROUTING.c.work_centre_id,
                _CENTRE.c.code,
                _ROUTING.c.units_per_day,
                _CENTRE.c.daily_capacity,
                _CENTRE.c.working_days,
                _ROUTING.c.lead_time_days,
            )
            .outerjoin(_CENTRE, _CENTRE.c.id == _ROUTING.c.work_centre_id)
            .where(_ROUTING.c.item_id.in_(sorted(item_ids)))
        )
        self._routings.update((item_id, None) for item_id in item_ids)
        for item_id, centre_id, code, units, capacity, days, lead in self._session.connection().execute(query):
            self._routings[item_id] = _Routing(centre_id, code, units or capacity, days or 0, lead)

    # -- supply ------------------------------------------------------------------------

    def _make_or_buy(
        self, item_id: int, revision: RevisionRef | None, quantity: Decimal, due: date, reasons: list[str]
    ) -> Supply:
        routing = self._routings[item_id]
        if routing is None and revision is None:
            reasons.append("NO_SUPPLY_PLAN: no stock, BOM or routing covers the quantity; a planner must promise it")
            return None
        if routing is not None and routing.centre_id is not None and self._exceeds_capacity(routing, quantity, due):
            days = float(Fraction(quantity) / Fraction(routing.rate))  # type: ignore[arg-type]
            reasons.append(
                f"CAPACITY_EXCEEDED: {format_quantity(quantity)} needs {days:.1f} working days at "
                f"{routing.centre_code}, more than it has until {max(self.horizon_end, due)}"
            )
            return REJECT  # checked before anything is allocated: a rejected line takes nothing
        if revision is None and routing is not None and routing.centre_id is None:
            return self._arrival(routing.lead_time_days, self.today, "BOUGHT_IN", "", quantity, reasons)
        ready = self._components(revision, quantity, due, reasons, (item_id,)) if revision else self.today
        if ready is None:
            return None
        if routing is None or routing.centre_id is None:
            reasons.append("CAPACITY_UNKNOWN: no work centre routing; only components were checked")
            return ready
        return self._schedule(routing, quantity, ready, due, reasons)

    def _components(
        self, revision: RevisionRef, quantity: Decimal, due: date, reasons: list[str], path: tuple[int, ...]
    ) -> date | None:
        """When the components for ``quantity`` of the revision's item are all there (None: not in the horizon)."""
        components = self.tree.components(revision.id)
        self._prefetch(component.item_id for component in components)
        ready = self.today
        for component in components:
            short = (required := component.quantity * quantity) - self._take(component.item_id, required)
            if not short:
                continue
            sub = self.tree.effective(component.item_id, due) if component.item_id not in path else None
            routing = self._routings[component.item_id]
            lead = routing.lead_time_days if routing is not None else None
            if sub is not None:
                built = self._components(sub, short, due, reasons, (*path, component.item_id))
                if built is None:
                    return None
                arrival = self._arrival(lead or 0, built, "SUBASSEMBLY_SHORT", component.part, short, reasons)
            elif lead is None:
                reasons.append(
                    f"COMPONENT_NO_LEAD_TIME: {component.part} short {format_quantity(short)} "
                    f"{component.uom} and no lead time is known"
                )
                return None
            else:
                arrival = self._arrival(lead, self.today, "COMPONENT_SHORT", component.part, short, reasons)
            if arrival is None:
                return None
            ready = max(ready, arrival)
        return ready

    def _arrival(
        self, lead_days: int, start: date, code: str, part: str, short: Decimal, reasons: list[str]
    ) -> date | None:
        arrival = start + timedelta(days=lead_days)
        what = f"{part} short {format_quantity(short)}" if part else f"{format_quantity(short)} to buy"
        if arrival > self.horizon_end:
            reasons.append(f"BEYOND_HORIZON: {what}, available {arrival}, after the horizon ({self.horizon_end})")
            return None
        reasons.append(f"{code}: {what}, lead time {lead_days} days, available {arrival}")
        return arrival

    # -- capacity ------------------------------------------------------------------------

    def _exceeds_capacity(self, routing: _Routing, quantity: Decimal, due: date) -> bool:
        """True when even an idle work centre cannot make ``quantity`` between tomorrow and the horizon."""
        days_needed = Fraction(quantity) / Fraction(routing.rate)  # type: ignore[arg-type]
        return days_needed > _working_days_between(self.today + _DAY, max(self.horizon_end, due), routing)

    def _schedule(
        self, routing: _Routing, quantity: Decimal, ready: date, due: date, reasons: list[str]
    ) -> date | None:
        """Load the work centre backwards from ``due``, then forwards; the day production completes.

        Production starts the next working day at the earliest, and not before the
        components are there (``ready``). What fits is allocated even when the rest
        does not fit the horizon: later lines must not count on that capacity.
        """
        days_needed = Fraction(quantity) / Fraction(routing.rate)  # type: ignore[arg-type]
        first = _working_day(max(ready, self.today + _DAY), routing)
        horizon_end = max(self.horizon_end, due)
        load = self._load.setdefault(routing.centre_id, {})  # type: ignore[arg-type]
        remaining, finish, contended = days_needed, due, False
        for day in _scan(first, due, horizon_end):
            if not remaining:
                break
            if routing.working_days >> day.weekday() & 1:
                taken = load.get(day, Fraction(0))
                contended = contended or taken > 0
                if (used := min(_FULL_DAY - taken, remaining)) > 0:
                    load[day] = taken + used
                    remaining -= used
                    finish = max(finish, day)
        code = routing.centre_code
        if remaining:
            reasons.append(f"CAPACITY_BEYOND_HORIZON: {code} is booked up until {horizon_end}")
            return None
        if finish <= due:
            return finish
        if contended:
            reasons.append(f"CAPACITY_FULL: {code} is loaded by earlier orders; production completes {finish}")
        elif finish > first:
            reasons.append(f"PRODUCTION_TIME: {float(days_needed):.1f} working days at {code} from {first}")
        elif ready <= self.today:  # otherwise the component reasons explain the date
            reasons.append(f"PRODUCTION_START: {code} can start {first} at the earliest")
        return finish


def _scan(first: date, due: date, horizon_end: date) -> Iterator[date]:
    """The days to load: from ``due`` back to ``first``, then from after ``due`` on to the horizon."""
    day = min(due, horizon_end)
    while day >= first:
        yield day
        day -= _DAY
    day = max(due + _DAY, first)
    while day <= horizon_end:
        yield day
        day += _DAY


def _working_day(day: date, routing: _Routing) -> date:
    """``day`` or the next working day of the centre (a week at most: the mask has a day set)."""
    while not routing.working_days >> day.weekday() & 1:
        day += _DAY
    return day


def _working_days_between(first: date, last: date, routing: _Routing) -> int:
    return sum(1 for n in range((last - first).days + 1) if routing.working_days >> (first + _DAY * n).weekday() & 1)


def _rejected(label: str | None, *reasons: str) -> Outcome:
    return Outcome("reject", None, Decimal(0), tuple(reasons), label)


def _dated(demand: Demand, promised: date, today: date, reasons: list[str], label: str | None) -> Outcome:
    requested = demand.requested_date
    if requested is not None and requested < today:
        reasons.append(f"REQUESTED_DATE_PAST: {requested} is before today ({today})")
    if requested is None or promised <= requested:
        return Outcome("accept", requested or promised, demand.quantity, tuple(reasons), label)
    return Outcome("accept_changed", promised, demand.quantity, tuple(reasons), label)
