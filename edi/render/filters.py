"""Template filters: how values become text in each outbound format.

Formatting is code, not template arithmetic: a date becomes CCYYMMDD or YYMMDD by
the X12 version, a Decimal never shows an exponent, an implied-decimal amount is
exact or refused. Every filter maps ``None`` to ``""`` (an absent optional element
or cell) and refuses what it cannot format faithfully with a
:class:`~edi.render.errors.TemplateValueError` (``RENDER_VALUE``), which the
renderer reports with the template line. Floats are refused everywhere: a float
has already lost the exact quantity or price.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from edi.render.errors import TemplateValueError

_SHORT_DATES_BEFORE = "004010"  # X12 DT is YYMMDD before version 004010
_DATE_FORMATS = {"CCYYMMDD": "%Y%m%d", "YYMMDD": "%y%m%d"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula / DDE triggers
_CSV_SPECIAL = ('"', "\n", "\r")


def _fail(message: str) -> TemplateValueError:
    return TemplateValueError("RENDER_VALUE", message)


def to_decimal(value: Any, what: str) -> Decimal:
    """``value`` as a finite Decimal: Decimal, int or a numeric string; never a float or bool."""
    if isinstance(value, bool | float):
        raise _fail(f"{what}: {value!r} is a {type(value).__name__}; pass an exact Decimal")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise _fail(f"{what}: {value!r} is not a number") from None
    else:
        raise _fail(f"{what}: {value!r} ({type(value).__name__}) is not a number")
    if not number.is_finite():
        raise _fail(f"{what}: {value!r} is not a finite number")
    return number


def _plain(number: Decimal) -> str:
    """Fixed-point text of ``number`` (never an exponent); negative zero reads as zero."""
    return format(abs(number) if number.is_zero() else number, "f")


def x12decimal(value: Any, places: int | None = None) -> str:
    """An X12 ``R`` value: fixed point, trailing zeros trimmed (``4.50`` -> ``4.5``, ``1E+2`` -> ``100``).

    ``places`` rounds half-up to that many decimals first (an explicit choice of the template).
    """
    if value is None:
        return ""
    number = to_decimal(value, "x12decimal")
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _plain(number.normalize())


def decimal(value: Any, places: int | None = None) -> str:
    """Fixed-point text for XML and CSV, keeping the scale given (``12.50`` stays ``12.50``).

    ``places`` rounds half-up to that many decimals.
    """
    if value is None:
        return ""
    number = to_decimal(value, "decimal")
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return _plain(number)


def cents(value: Any, places: int = 2) -> str:
    """An implied-decimal X12 ``Nn`` value (TDS01 is N2): ``12.34`` -> ``1234``, ``-5.5`` -> ``-550``.

    A value with more decimals than ``places`` is refused rather than rounded: an
    invoice total must already be exact in the currency's minor unit.
    """
    if value is None:
        return ""
    number = to_decimal(value, "cents")
    scaled = number.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise _fail(f"cents: {value!r} has more than {places} decimals; round it before rendering")
    return _plain(scaled.quantize(Decimal(1)))


def _as_date(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.date):  # datetime is a date too
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise _fail(f"{what}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
    raise _fail(f"{what}: {value!r} ({type(value).__name__}) is not a date")


@pass_context
def x12date(context: Context, value: Any, fmt: str | None = None) -> str:
    """An X12 ``DT`` value: CCYYMMDD, or YYMMDD for versions before 004010.

    The version is the one being rendered (``x12.version`` in the context); ``fmt``
    (``"CCYYMMDD"`` / ``"YYMMDD"``) overrides it for partners that differ.
    """
    if value is None:
        return ""
    if fmt is None:
        info = context.get("x12")
        version = getattr(info, "version", None) or _SHORT_DATES_BEFORE
        fmt = "YYMMDD" if version[:6] < _SHORT_DATES_BEFORE else "CCYYMMDD"
    pattern = _DATE_FORMATS.get(fmt)
    if pattern is None:
        raise _fail(f"x12date: format {fmt!r} must be one of {sorted(_DATE_FORMATS)}")
    return _as_date(value, "x12date").strftime(pattern)


def x12time(value: Any, seconds: bool = False) -> str:
    """An X12 ``TM`` value: HHMM, or HHMMSS with ``seconds``."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value.strip())
        except ValueError:
            raise _fail(f"x12time: {value!r} is not an ISO time (HH:MM[:SS])") from None
    if not isinstance(value, dt.time | dt.datetime):
        raise _fail(f"x12time: {value!r} ({type(value).__name__}) is not a time")
    return value.strftime("%H%M%S" if seconds else "%H%M")


def iso(value: Any) -> str:
    """ISO 8601 text of a date, time or datetime (XML ``xs:date`` / ``xs:dateTime``)."""
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise _fail(f"iso: {value!r} ({type(value).__name__}) is not a date or time")


def csv_cell(value: Any, delimiter: str = ",") -> str:
    """One CSV cell, quoted when needed and safe to open in a spreadsheet.

    Text starting with ``= + - @`` (or a tab / carriage return) is prefixed with ``'``
    so a spreadsheet shows it instead of evaluating it (formula injection). Numbers
    are written as numbers: a negative quantity stays ``-5``.
    """
    if value is None:
        return ""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return decimal(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if not isinstance(value, str):
        raise _fail(f"csv: {value!r} ({type(value).__name__}) cannot be a CSV cell")
    text = f"'{value}" if value.startswith(_FORMULA_START) else value
    if delimiter in text or any(char in text for char in _CSV_SPECIAL):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_row(values: Iterable[Any], delimiter: str = ",") -> str:
    """A CSV record (without line end) from a list of cell values, each through :func:`csv_cell`."""
    if isinstance(values, str | bytes):
        raise _fail("csvrow: expects a list of cells, got a string")
    return delimiter.join(csv_cell(value, delimiter) for value in values)


def id_pairs(*pairs: Any) -> tuple[Any, ...]:
    """Qualifier/value pairs flattened, the ones without a value dropped.

    ``seg("PO1", ..., *id_pairs(("BP", line.buyer_part), ("VP", line.vendor_part)))``
    writes PO106/PO107 onwards without empty pairs in between (LIN, IT1 and ACK work
    the same way).
    """
    flat: list[Any] = []
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise _fail(f"id_pairs: {pair!r} is not a (qualifier, value) pair")
        if pair[1] is not None and pair[1] != "":
            flat.extend(pair)
    return tuple(flat)


#: Global function name -> function, available in every template.
GLOBALS: Mapping[str, Callable[..., Any]] = MappingProxyType({"id_pairs": id_pairs})

#: Filter name -> function, installed in every template environment.
FILTERS: Mapping[str, Callable[..., str]] = MappingProxyType({
    "x12date": x12date,
    "x12time": x12time,
    "x12decimal": x12decimal,
    "cents": cents,
    "decimal": decimal,
    "iso": iso,
    "csv": csv_cell,
    "csvrow": csv_row,
})
