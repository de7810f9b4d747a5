"""Column types that behave the same on SQLite and PostgreSQL.

SQLite has no decimal type and no time zones: SQLAlchemy's ``Numeric`` goes through
``float`` there (exact only to ~15 significant digits) and ``DateTime`` comes back
naive. Quantities and prices must be exact and timestamps unambiguous on both
backends, so these decorators pin the storage format per dialect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

DECIMAL_PRECISION = 18
DECIMAL_SCALE = 6
_QUANTUM = Decimal(1).scaleb(-DECIMAL_SCALE)
_LIMIT = Decimal(10) ** (DECIMAL_PRECISION - DECIMAL_SCALE)
_UNITS_PER_ONE = 10**DECIMAL_SCALE
_WHOLE_DIGITS = DECIMAL_PRECISION - DECIMAL_SCALE


def utc_now() -> datetime:
    """The current time as an aware UTC datetime (the only kind erp_core stores)."""
    return datetime.now(UTC)


def to_exact_decimal(value: Decimal | int) -> Decimal:
    """``value`` with exactly six decimal places; ``ValueError`` if that loses digits.

    Floats are refused: a float such as 0.1 is already inexact before it arrives.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"expected Decimal or int, got {type(value).__name__}")
    try:
        exact = Decimal(value).quantize(_QUANTUM)
    except InvalidOperation as exc:
        raise ValueError(f"{value!r} does not fit NUMERIC({DECIMAL_PRECISION},{DECIMAL_SCALE})") from exc
    if exact != value or abs(exact) >= _LIMIT:
        raise ValueError(f"{value!r} does not fit NUMERIC({DECIMAL_PRECISION},{DECIMAL_SCALE}) exactly")
    return exact


def fits_exactly(value: Decimal) -> bool:
    """True when NUMERIC(18,6) holds the finite ``value`` exactly (six places, under 10**12).

    The quick test of input validation (:mod:`erp_core.inputs`), twice per order
    line: cheaper than :func:`exact_millionths` because it needs no integer, and
    cheaper than pydantic's ``max_digits``/``decimal_places``, which normalise the
    value and inspect its digit tuple. The ``adjusted()`` bound comes first so that
    the quantisation can never overflow the context's precision.
    """
    return value.is_finite() and value.adjusted() < _WHOLE_DIGITS and value.quantize(_QUANTUM) == value


def exact_millionths(value: object) -> int | None:
    """``value`` as an integer count of millionths, or None when that is not exact.

    None also for anything but a finite ``Decimal`` below 10**12 in magnitude, and
    for the rare exact values this quick test does not recognise (zero written with
    more than six decimal places): :func:`to_millionths` then falls back to the
    thorough :func:`to_exact_decimal`, so None never wrongly refuses anything.

    The fast path of ``ExactDecimal`` on SQLite, run twice per booked order line: a
    finite Decimal is exact in millionths when its reduced denominator divides
    10**6. The ``adjusted()`` bounds come first so that an absurd exponent
    (``1E+999999``) cannot make ``as_integer_ratio`` build a huge integer.
    """
    if type(value) is Decimal and value.is_finite() and -DECIMAL_SCALE <= value.adjusted() < _WHOLE_DIGITS:
        numerator, denominator = value.as_integer_ratio()
        if _UNITS_PER_ONE % denominator == 0:
            return numerator * (_UNITS_PER_ONE // denominator)
    return None


def to_millionths(value: Decimal | int) -> int:
    """``value`` as an integer count of millionths; ``ValueError`` if that loses digits."""
    units = exact_millionths(value)
    if units is not None:
        return units
    return int(to_exact_decimal(value).scaleb(DECIMAL_SCALE))


def _millionths_or_none(value: Decimal | int | None) -> int | None:
    return None if value is None else to_millionths(value)


def _exact_or_none(value: Decimal | int | None) -> Decimal | None:
    return None if value is None else to_exact_decimal(value)


def _from_millionths(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-DECIMAL_SCALE)


def _quantized(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_QUANTUM)


class ExactDecimal(TypeDecorator[Decimal]):
    """``NUMERIC(18,6)`` on PostgreSQL; on SQLite a ``BIGINT`` count of millionths.

    Integers are exact in SQLite, keep numeric ordering and sum correctly, whereas
    SQLite's NUMERIC affinity keeps only 15 significant digits. Values read back are
    ``Decimal`` with six places on both backends; values that would need rounding
    are refused on both. Raw SQL against SQLite sees the scaled integer (12.5 is
    stored as 12500000).

    ``bind_processor``/``result_processor`` are overridden instead of
    ``process_bind_param``/``process_result_value`` to make one function call per
    value instead of three, which matters when booking tens of thousands of lines
    per second. The storage type's own processors are still applied.
    """

    impl = Numeric(DECIMAL_PRECISION, DECIMAL_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(DECIMAL_PRECISION, DECIMAL_SCALE, asdecimal=True))

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        convert = _millionths_or_none if dialect.name == "sqlite" else _exact_or_none
        inner = self.impl_instance.bind_processor(dialect)
        if inner is None:
            return convert
        return lambda value: inner(convert(value))

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        convert = _from_millionths if dialect.name == "sqlite" else _quantized
        inner = self.impl_instance.result_processor(dialect, coltype)
        if inner is None:
            return convert
        return lambda value: convert(inner(value))


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    Naive datetimes are refused on the way in (their meaning depends on the server's
    zone); SQLite stores the UTC wall time, PostgreSQL a ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: erp_core stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
