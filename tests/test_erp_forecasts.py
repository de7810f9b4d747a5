"""Forecasts on SQLite and PostgreSQL: supersession keeps history, deltas per period, coded rejections."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from erp_fixtures import count, make_order
from erp_locks import wait_for_lock_wait
from pydantic import ValidationError
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from erp_core.inputs_forecasts import ForecastBucketInput, ForecastInput
from erp_core.models_forecasts import Forecast, ForecastBucket
from erp_core.services import booking, items
from erp_core.services.forecasts import ForecastResult, book_forecast, list_forecasts


def bucket(start: str, quantity: str | int, interval: str = "weekly", **fields: Any) -> ForecastBucketInput:
    return ForecastBucketInput(
        start=date.fromisoformat(start), interval=interval, quantity=Decimal(quantity), **fields  # type: ignore[arg-type]
    )


def forecast(*buckets: ForecastBucketInput, source_ref: str = "830-1#1", **fields: Any) -> ForecastInput:
    values: dict[str, Any] = {
        "partner_id": "acme",
        "buyer_part": "ACME-G7",
        "ship_to": "DC4",
        "reference": "REL-1",
        "issue_date": date(2026, 1, 2),
        "source_ref": source_ref,
        "buckets": buckets,
        **fields,
    }
    return ForecastInput(**values)


FIRST = (
    bucket("2026-01-05", 100, commitment="firm"),
    bucket("2026-01-12", 100, commitment="firm"),
    bucket("2026-01-19", 50),
    bucket("2026-02-01", "400.5", "monthly"),
)


def book(session: Session, value: ForecastInput) -> ForecastResult:
    result = book_forecast(session, value)
    session.commit()
    return result


def deltas(result: ForecastResult) -> list[tuple[str, str, str, str, str]]:
    return [(d.start, d.commitment, d.old_quantity, d.new_quantity, d.change) for d in result.delta]


def test_first_forecast(session: Session) -> None:
    result = book(session, forecast(*FIRST))
    assert (result.status, result.superseded_id, result.delta, result.problems) == ("booked", None, (), ())
    (record,) = list_forecasts(session)
    assert (record.id, record.item_number, record.ship_to, record.kind, record.status) == (
        result.forecast_id,
        "GASKET-7",
        "DC4",
        "planning",
        "current",
    )
    assert (record.horizon_start, record.horizon_end, record.uom, record.supersedes) == (
        "2026-01-05",
        "2026-02-28",
        "EA",  # the item's unit when the forecast names none
        None,
    )
    assert [(b.start, b.end, b.interval, b.commitment, b.quantity) for b in record.buckets] == [
        ("2026-01-05", "2026-01-11", "weekly", "firm", "100"),
        ("2026-01-12", "2026-01-18", "weekly", "firm", "100"),
        ("2026-01-19", "2026-01-25", "weekly", "planning", "50"),
        ("2026-02-01", "2026-02-28", "monthly", "planning", "400.5"),
    ]
    assert json.loads(json.dumps(asdict(record)))["buckets"][3]["quantity"] == "400.5"


def test_a_newer_forecast_supersedes_and_reports_the_delta(session: Session) -> None:
    first = book(session, forecast(*FIRST))
    second = book(
        session,
        forecast(
            bucket("2026-01-12", 120, commitment="firm"),  # +20
            bucket("2026-01-19", 50, commitment="firm"),  # same quantity, now firm
            bucket("2026-01-26", 30, "daily"),  # new period
            bucket("2026-02-01", "400.5", "monthly"),  # unchanged: not in the delta
            source_ref="830-2#1",
            reference="REL-2",
            issue_date=date(2026, 1, 9),
        ),
    )
    assert (second.status, second.superseded_id) == ("booked", first.forecast_id)
    assert deltas(second) == [
        ("2026-01-05", "firm", "100", "0", "-100"),  # dropped period counts as zero
        ("2026-01-12", "firm", "100", "120", "20"),
        ("2026-01-19", "firm", "50", "50", "0"),
        ("2026-01-26", "planning", "0", "30", "30"),
    ]
    (current,) = list_forecasts(session)
    assert (current.id, current.supersedes, current.reference) == (second.forecast_id, first.forecast_id, "REL-2")
    assert current.delta == second.delta
    history = list_forecasts(session, include_history=True)
    assert [(r.id, r.status, r.superseded_by) for r in history] == [
        (second.forecast_id, "current", None),
        (first.forecast_id, "superseded", second.forecast_id),
    ]
    assert len(history[1].buckets) == 4 and history[1].delta == ()  # old rows are kept whole
    assert count(session, ForecastBucket) == 8


def test_a_forecast_without_buckets_clears_demand(session: Session) -> None:
    book(session, forecast(*FIRST[:2]))
    cleared = book(
        session,
        forecast(
            source_ref="830-2#1",
            horizon_start=date(2026, 1, 5),
            horizon_end=date(2026, 3, 31),
            issue_date=date(2026, 1, 9),
        ),
    )
    assert cleared.status == "booked"
    assert deltas(cleared) == [
        ("2026-01-05", "firm", "100", "0", "-100"),
        ("2026-01-12", "firm", "100", "0", "-100"),
    ]


def test_keys_partner_item_ship_to_and_kind_are_independent(session: Session) -> None:
    base = book(session, forecast(*FIRST))
    others = [
        book(session, forecast(*FIRST, source_ref="a", ship_to="DC9")),
        book(session, forecast(*FIRST, source_ref="b", ship_to=None)),
        book(session, forecast(*FIRST, source_ref="c", kind="shipping")),
        book(session, forecast(*FIRST, source_ref="d", buyer_part=None, gtin="036000291452")),  # WIDGET-1
    ]
    assert [r.superseded_id for r in others] == [None] * 4
    no_ship_to = book(session, forecast(*FIRST, source_ref="e", ship_to=None, issue_date=date(2026, 1, 3)))
    assert no_ship_to.superseded_id == others[1].forecast_id
    assert len(list_forecasts(session)) == 5
    assert {r.id for r in list_forecasts(session, item_number="WIDGET-1")} == {others[3].forecast_id}
    assert base.forecast_id in {r.id for r in list_forecasts(session, partner_id="acme", item_number="GASKET-7")}
    assert list_forecasts(session, partner_id="nobody") == []


def test_duplicate_and_stale_forecasts(session: Session) -> None:
    first = book(session, forecast(*FIRST))
    again = book(session, forecast(bucket("2026-01-05", 1)))  # same message reference
    assert (again.status, again.forecast_id) == ("duplicate", first.forecast_id)
    stale = book(session, forecast(*FIRST, source_ref="830-0#1", issue_date=date(2025, 12, 26)))
    assert stale.status == "rejected"
    assert [p.code for p in stale.problems] == ["FORECAST_STALE"]
    assert count(session, Forecast) == 1 and count(session, ForecastBucket) == 4


def test_unknown_partner_and_item(session: Session) -> None:
    unknown = book(session, forecast(*FIRST, buyer_part="NOPE", vendor_part="NOPE-2"))
    assert [(p.code, p.message) for p in unknown.problems] == [
        ("FORECAST_ITEM_UNKNOWN", "no item for buyer_part NOPE, vendor_part NOPE-2")
    ]
    no_part = book(session, forecast(*FIRST, buyer_part=None))
    assert [p.code for p in no_part.problems] == ["FORECAST_ITEM_UNKNOWN"]
    partner = book(session, forecast(*FIRST, partner_id="nobody"))
    assert [p.code for p in partner.problems] == ["FORECAST_PARTNER_UNKNOWN"]
    items.add_xref(session, "acme", "NOPE", "WIDGET-1")
    session.commit()
    assert book(session, forecast(*FIRST, buyer_part="NOPE")).status == "booked"  # resolved like order lines


def test_invalid_buckets_are_all_reported_and_nothing_is_written(session: Session) -> None:
    result = book(
        session,
        forecast(
            bucket("2026-01-05", 10),
            bucket("2026-01-08", 10, "daily"),  # inside the week before
            bucket("2026-02-10", 10, "flexible", end=date(2026, 2, 1)),  # ends before it starts
            bucket("2026-03-01", -5, "monthly"),  # negative
            bucket("2026-04-01", 5, "flexible"),  # flexible without an end
            bucket("2026-06-01", 5, "daily"),  # outside the horizon
            horizon_start=date(2026, 1, 1),
            horizon_end=date(2026, 5, 31),
        ),
    )
    assert result.status == "rejected"
    assert [(p.code, p.bucket) for p in result.problems] == [
        ("FORECAST_INVALID", 3),
        ("FORECAST_INVALID", 4),
        ("FORECAST_INVALID", 5),
        ("FORECAST_INVALID", 2),
        ("FORECAST_INVALID", 6),
    ]
    assert "overlaps bucket 1" in result.problems[3].message
    inverted = book(session, forecast(horizon_start=date(2026, 2, 1), horizon_end=date(2026, 1, 1)))
    assert [p.code for p in inverted.problems] == ["FORECAST_INVALID"]
    assert book(session, forecast()).problems[0].message.startswith("a forecast without buckets needs its horizon")
    assert count(session, Forecast) == 0
    with pytest.raises(ValidationError):
        bucket("2026-01-05", "1.0000001")
    with pytest.raises(ValidationError):
        bucket("2026-01-05", 1, "yearly")


def test_two_sessions_booking_the_same_item_leave_one_current(session: Session, engine: Engine) -> None:
    """B starts while A's forecast is uncommitted; B waits for the item lock, then supersedes A's."""
    outcome: list[ForecastResult] = []

    def second() -> None:
        with Session(engine) as other:
            outcome.append(book_forecast(other, forecast(*FIRST, source_ref="830-b#1", issue_date=date(2026, 1, 3))))
            other.commit()

    with Session(engine) as first:
        mine = book_forecast(first, forecast(*FIRST, source_ref="830-a#1"))
        thread = threading.Thread(target=second)
        thread.start()
        if engine.dialect.name == "postgresql":
            wait_for_lock_wait(engine)
        first.commit()
        thread.join(timeout=60)
    assert [(r.status, r.superseded_id) for r in outcome] == [("booked", mine.forecast_id)]
    current = session.exec(select(Forecast.id).where(Forecast.status == "current")).all()
    assert current == [outcome[0].forecast_id]


@pytest.mark.postgres
def test_booking_a_forecast_does_not_block_orders_for_the_item(session: Session, engine: Engine) -> None:
    """The item lock is FOR NO KEY UPDATE: order lines referencing the item (FOR KEY SHARE) go through."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    with Session(engine) as first:
        book_forecast(first, forecast(*FIRST))  # holds the GASKET-7 row lock until the end of the block
        with Session(engine) as other:
            other.connection().execute(text("SET LOCAL lock_timeout = '5s'"))  # fails instead of hanging
            (result,) = booking.book_orders(other, [make_order("PO-F", lines=1)])  # line 1 is GASKET-7
            other.commit()
        first.commit()
    assert result.status == "booked"
