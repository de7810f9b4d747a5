"""Forecast buckets without the database: completing their periods, checking them, comparing two forecasts.

The checks report every problem of a forecast at once (as coded problems, not
exceptions) so that the partner can be told everything that is wrong with its
schedule in one answer.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from erp_core.inputs_forecasts import ForecastBucketInput, ForecastInput
from erp_core.services._bom_lines import format_quantity

ForecastProblemCode = Literal["FORECAST_PARTNER_UNKNOWN", "FORECAST_ITEM_UNKNOWN", "FORECAST_INVALID", "FORECAST_STALE"]

_WEEK = timedelta(days=6)  # dates are inclusive: a week ends on the sixth day after it starts


@dataclass(frozen=True, slots=True)
class ForecastProblem:
    """Why a forecast was rejected; ``bucket`` is the 1-based position of the bucket at fault, if one is."""

    code: ForecastProblemCode
    message: str
    bucket: int | None = None


@dataclass(frozen=True, slots=True)
class Period:
    """A bucket with both ends known (inclusive dates)."""

    start: date
    end: date
    interval: str
    commitment: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class BucketDelta:
    """The change of one period between a forecast and the one it superseded.

    Periods are matched by start date and interval; a period on one side only counts
    as zero on the other. Quantities are plain decimal text, dates ISO 8601.
    """

    start: str
    end: str
    interval: str
    commitment: str
    old_quantity: str
    new_quantity: str
    change: str


@dataclass(frozen=True, slots=True)
class CheckedForecast:
    """A forecast's periods (sorted by start) and horizon, or the problems that prevent them."""

    periods: tuple[Period, ...]
    horizon: tuple[date, date] | None
    problems: tuple[ForecastProblem, ...]


def check_forecast(forecast: ForecastInput) -> CheckedForecast:
    """The forecast's complete periods and horizon, with every problem found in them."""
    problems: list[ForecastProblem] = []
    periods: list[tuple[int, Period]] = []
    for number, bucket in enumerate(forecast.buckets, start=1):
        period = _period(bucket, number, problems)
        if period is not None:
            periods.append((number, period))
    periods.sort(key=lambda numbered: numbered[1].start)
    problems.extend(_overlaps(periods))
    horizon = _horizon(forecast, [period for _, period in periods], problems)
    if horizon is not None:
        problems.extend(_outside(horizon, periods))
    return CheckedForecast(tuple(period for _, period in periods), horizon, tuple(problems))


def bucket_delta(old: Iterable[Period], new: Iterable[Period]) -> tuple[BucketDelta, ...]:
    """The periods whose quantity or commitment differ between ``old`` and ``new``, by start date."""
    before = {(p.start, p.interval): p for p in old}
    after = {(p.start, p.interval): p for p in new}
    deltas = []
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        shown = now if now is not None else before[key]
        old_quantity = was.quantity if was else Decimal(0)
        new_quantity = now.quantity if now else Decimal(0)
        if was and now and old_quantity == new_quantity and was.commitment == now.commitment:
            continue
        deltas.append(
            BucketDelta(
                start=shown.start.isoformat(),
                end=shown.end.isoformat(),
                interval=shown.interval,
                commitment=shown.commitment,
                old_quantity=format_quantity(old_quantity),
                new_quantity=format_quantity(new_quantity),
                change=format_quantity(new_quantity - old_quantity),
            )
        )
    return tuple(deltas)


def _period(bucket: ForecastBucketInput, number: int, problems: list[ForecastProblem]) -> Period | None:
    found = len(problems)
    end = bucket.end or _implied_end(bucket)
    if end is None:
        problems.append(_invalid(f"bucket {number}: a flexible bucket needs an end date", number))
    elif end < bucket.start:
        problems.append(_invalid(f"bucket {number}: ends {end} before it starts {bucket.start}", number))
    if bucket.quantity < 0:
        problems.append(_invalid(f"bucket {number}: negative quantity {format_quantity(bucket.quantity)}", number))
    if len(problems) > found or end is None:
        return None
    return Period(bucket.start, end, bucket.interval, bucket.commitment, bucket.quantity)


def _implied_end(bucket: ForecastBucketInput) -> date | None:
    if bucket.interval in ("daily", "discrete"):
        return bucket.start
    if bucket.interval == "weekly":
        return bucket.start + _WEEK
    if bucket.interval == "monthly":
        last_day = calendar.monthrange(bucket.start.year, bucket.start.month)[1]
        return bucket.start.replace(day=last_day)
    return None


def _overlaps(periods: Sequence[tuple[int, Period]]) -> list[ForecastProblem]:
    """Overlapping periods; ``periods`` sorted by start, so each only needs comparing with the latest end."""
    problems = []
    latest: tuple[int, Period] | None = None
    for number, period in periods:
        if latest is not None and period.start <= latest[1].end:
            message = f"bucket {number} ({period.start}) overlaps bucket {latest[0]} (to {latest[1].end})"
            problems.append(_invalid(message, number))
        if latest is None or period.end > latest[1].end:
            latest = (number, period)
    return problems


def _horizon(
    forecast: ForecastInput, periods: Sequence[Period], problems: list[ForecastProblem]
) -> tuple[date, date] | None:
    start = forecast.horizon_start or min((p.start for p in periods), default=None)
    end = forecast.horizon_end or max((p.end for p in periods), default=None)
    if start is None or end is None:
        if not forecast.buckets:
            problems.append(_invalid("a forecast without buckets needs its horizon (start and end)"))
        return None
    if end < start:
        problems.append(_invalid(f"the horizon ends {end} before it starts {start}"))
        return None
    return start, end


def _outside(horizon: tuple[date, date], periods: Sequence[tuple[int, Period]]) -> list[ForecastProblem]:
    start, end = horizon
    return [
        _invalid(f"bucket {number} ({period.start} to {period.end}) is outside the horizon {start} to {end}", number)
        for number, period in periods
        if period.start < start or period.end > end
    ]


def _invalid(message: str, bucket: int | None = None) -> ForecastProblem:
    return ForecastProblem("FORECAST_INVALID", message, bucket)
