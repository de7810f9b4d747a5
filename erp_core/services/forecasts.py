"""Booking customer forecasts (X12 830/862): each new one supersedes the current one and reports the delta.

A forecast is kept per partner, item, ship-to and kind. Booking a newer one marks
the current one ``superseded`` (its rows stay, pointing at their successor) and
returns the per-period change between the two, which is what planning acts on.

Concurrency: the item row is locked ``FOR NO KEY UPDATE`` while a forecast for it is
booked, so two transactions cannot both find "no current forecast" and both become
current; the lock does not conflict with the key-share locks that order lines
referencing the item take. On SQLite ``BEGIN IMMEDIATE`` serialises writers anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session, col, select

from erp_core.inputs_forecasts import ForecastInput
from erp_core.models import Item, Partner
from erp_core.models_forecasts import Forecast, ForecastBucket
from erp_core.services._bom_lines import format_quantity
from erp_core.services._forecast_buckets import (
    BucketDelta,
    ForecastProblem,
    Period,
    bucket_delta,
    check_forecast,
)
from erp_core.services._in_chunks import in_chunks
from erp_core.services.booking import match_items

__all__ = [
    "BucketDelta",
    "BucketRecord",
    "ForecastProblem",
    "ForecastRecord",
    "ForecastResult",
    "book_forecast",
    "list_forecasts",
]


@dataclass(frozen=True, slots=True)
class ForecastResult:
    """The outcome of booking one forecast.

    ``booked``: ``forecast_id`` is the new forecast, ``superseded_id`` the one it
    replaced (None for the first) and ``delta`` the periods that changed against it.
    ``duplicate``: the same message was booked before as ``forecast_id``.
    ``rejected``: nothing was written; ``problems`` says why.
    """

    status: Literal["booked", "duplicate", "rejected"]
    forecast_id: int | None = None
    superseded_id: int | None = None
    delta: tuple[BucketDelta, ...] = ()
    problems: tuple[ForecastProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class BucketRecord:
    """One stored bucket (dates ISO 8601, quantity plain decimal text)."""

    start: str
    end: str
    interval: str
    commitment: str
    quantity: str


@dataclass(frozen=True, slots=True)
class ForecastRecord:
    """A stored forecast with its buckets and its delta against the forecast it superseded."""

    id: int
    partner_id: str
    item_number: str
    ship_to: str | None
    kind: str
    reference: str
    uom: str
    horizon_start: str
    horizon_end: str
    issue_date: str
    source_ref: str
    received_at: str
    status: str
    superseded_by: int | None
    supersedes: int | None
    buckets: tuple[BucketRecord, ...]
    delta: tuple[BucketDelta, ...]


def book_forecast(session: Session, forecast: ForecastInput) -> ForecastResult:
    """Book ``forecast``, superseding the current one for the same partner, item, ship-to and kind.

    Does not commit. A forecast issued before the current one is rejected
    (``FORECAST_STALE``): schedules can arrive out of order, and an older one must
    not replace newer demand.
    """
    checked = check_forecast(forecast)
    if checked.problems or checked.horizon is None:
        return ForecastResult("rejected", problems=checked.problems)
    session.flush()
    item, problem = _item(session, forecast)
    if item is None or item.id is None:
        return ForecastResult("rejected", problems=(problem,) if problem else ())
    same_key = _same_key(forecast, item.id)
    earlier = session.exec(select(Forecast.id).where(*same_key, Forecast.source_ref == forecast.source_ref)).first()
    if earlier is not None:
        return ForecastResult("duplicate", forecast_id=earlier)
    current = session.exec(
        select(Forecast).where(*same_key, Forecast.status == "current").execution_options(populate_existing=True)
    ).first()
    if current is not None and forecast.issue_date < current.issue_date:
        message = f"issued {forecast.issue_date}, before current forecast {current.reference} ({current.issue_date})"
        return ForecastResult("rejected", problems=(ForecastProblem("FORECAST_STALE", message),))
    with session.begin_nested():
        new_id = _insert(session, forecast, item, checked.periods, checked.horizon)
        if current is not None:
            current.status, current.superseded_by = "superseded", new_id
            session.add(current)
            session.flush()
    if current is None:
        return ForecastResult("booked", forecast_id=new_id)
    old = _periods_by_forecast(session, [current.id])[current.id]  # type: ignore[index]
    return ForecastResult("booked", new_id, current.id, bucket_delta(old, checked.periods))


def list_forecasts(
    session: Session, partner_id: str | None = None, item_number: str | None = None, *, include_history: bool = False
) -> list[ForecastRecord]:
    """Current forecasts (with ``include_history`` also superseded ones), newest first per key.

    Ordered by partner, item number, ship-to and kind. Each record carries its
    buckets and its delta against the forecast it superseded (empty for a first one).
    """
    statement = (
        select(Forecast, Item.item_number)
        .join(Item, col(Item.id) == col(Forecast.item_id))
        .order_by(
            col(Forecast.partner_id), col(Item.item_number), col(Forecast.ship_to), col(Forecast.kind),
            col(Forecast.id).desc(),
        )
    )
    if partner_id is not None:
        statement = statement.where(Forecast.partner_id == partner_id)
    if item_number is not None:
        statement = statement.where(Item.item_number == item_number)
    if not include_history:
        statement = statement.where(Forecast.status == "current")
    rows = session.exec(statement).all()
    ids = [forecast.id for forecast, _ in rows if forecast.id is not None]
    predecessors = _predecessors(session, ids)
    periods = _periods_by_forecast(session, [*ids, *predecessors.values()])
    return [_record(forecast, number, predecessors.get(forecast.id), periods) for forecast, number in rows]  # type: ignore[arg-type]


def _item(session: Session, forecast: ForecastInput) -> tuple[Item | None, ForecastProblem | None]:
    """The forecast's item, locked for this transaction, or the problem that prevents finding it."""
    if session.get(Partner, forecast.partner_id) is None:
        return None, ForecastProblem("FORECAST_PARTNER_UNKNOWN", f"partner {forecast.partner_id!r} does not exist")
    ((item_id, _matched_by),) = match_items(session.connection(), forecast.partner_id, [forecast])
    if item_id is None:
        named = ", ".join(
            f"{name} {value}"
            for name in ("buyer_part", "vendor_part", "gtin")
            if (value := getattr(forecast, name)) is not None
        )
        return None, ForecastProblem("FORECAST_ITEM_UNKNOWN", f"no item for {named or 'a forecast naming no part'}")
    locked = select(Item).where(Item.id == item_id).with_for_update(key_share=True)
    return session.exec(locked).one(), None


def _same_key(forecast: ForecastInput, item_id: int) -> list[Any]:
    ship_to = col(Forecast.ship_to)
    return [
        Forecast.partner_id == forecast.partner_id,
        Forecast.item_id == item_id,
        Forecast.kind == forecast.kind,
        ship_to.is_(None) if forecast.ship_to is None else ship_to == forecast.ship_to,
    ]


def _insert(
    session: Session, forecast: ForecastInput, item: Item, periods: Sequence[Period], horizon: tuple[Any, Any]
) -> int:
    row = Forecast(
        partner_id=forecast.partner_id,
        item_id=item.id,  # type: ignore[arg-type]
        ship_to=forecast.ship_to,
        kind=forecast.kind,
        reference=forecast.reference,
        uom=forecast.uom or item.uom,
        horizon_start=horizon[0],
        horizon_end=horizon[1],
        issue_date=forecast.issue_date,
        source_ref=forecast.source_ref,
    )
    session.add(row)
    session.flush()
    session.add_all(
        ForecastBucket(
            forecast_id=row.id,  # type: ignore[arg-type]
            period_start=p.start,
            period_end=p.end,
            interval=p.interval,
            commitment=p.commitment,
            quantity=p.quantity,
        )
        for p in periods
    )
    session.flush()
    return row.id  # type: ignore[return-value]


def _predecessors(session: Session, ids: Sequence[int]) -> dict[int, int]:
    """successor id -> id of the forecast it superseded, for ``ids``."""
    found: dict[int, int] = {}
    for chunk in in_chunks(ids):
        statement = select(Forecast.superseded_by, Forecast.id).where(col(Forecast.superseded_by).in_(chunk))
        found.update((successor, old) for successor, old in session.exec(statement).all() if successor is not None)
    return found


def _periods_by_forecast(session: Session, ids: Iterable[int]) -> dict[int, list[Period]]:
    wanted = sorted(set(ids))
    found: dict[int, list[Period]] = {forecast_id: [] for forecast_id in wanted}
    for chunk in in_chunks(wanted):
        statement = (
            select(ForecastBucket)
            .where(col(ForecastBucket.forecast_id).in_(chunk))
            .order_by(col(ForecastBucket.forecast_id), col(ForecastBucket.period_start))
        )
        for b in session.exec(statement).all():
            found[b.forecast_id].append(Period(b.period_start, b.period_end, b.interval, b.commitment, b.quantity))
    return found


def _record(
    forecast: Forecast, item_number: str, predecessor: int | None, periods: dict[int, list[Period]]
) -> ForecastRecord:
    own = periods[forecast.id]  # type: ignore[index]
    return ForecastRecord(
        id=forecast.id,  # type: ignore[arg-type]
        partner_id=forecast.partner_id,
        item_number=item_number,
        ship_to=forecast.ship_to,
        kind=forecast.kind,
        reference=forecast.reference,
        uom=forecast.uom,
        horizon_start=forecast.horizon_start.isoformat(),
        horizon_end=forecast.horizon_end.isoformat(),
        issue_date=forecast.issue_date.isoformat(),
        source_ref=forecast.source_ref,
        received_at=forecast.received_at.isoformat(),
        status=forecast.status,
        superseded_by=forecast.superseded_by,
        supersedes=predecessor,
        buckets=tuple(
            BucketRecord(p.start.isoformat(), p.end.isoformat(), p.interval, p.commitment, format_quantity(p.quantity))
            for p in own
        ),
        delta=bucket_delta(periods[predecessor], own) if predecessor is not None else (),
    )
