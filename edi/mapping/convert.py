"""Value converters a mapping rule can chain: text clean-up, dates, exact decimals, GTINs, code lists.

A converter is built once per rule at load time (``build_converter``) and called per
value as ``fn(raw, qualifier)``; ``qualifier`` is the X12 qualifier the value was
found under ("" when the rule has none), which the GTIN check needs (a UK value is a
GTIN-14, an EN value an EAN-13, an UP value a UPC-A). A bad value raises
:class:`ConversionError`, which the engine reports as MAP_INVALID_VALUE.

Numbers go through :class:`~decimal.Decimal` only: an order quantity or price must
come out exactly as sent, never via float.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

Converter = Callable[[str, str], Any]


class ConversionError(ValueError):
    """A source value cannot be converted (reported as MAP_INVALID_VALUE)."""


@dataclass(frozen=True, slots=True)
class ConverterDef:
    """A named converter: the type it produces and how to build it from its YAML argument."""

    name: str
    output: type
    build: Callable[[Any, Mapping[str, Mapping[str, str]]], Converter]
    help: str


# -- text ----------------------------------------------------------------------------------------

def _no_arg(name: str, fn: Converter) -> Callable[[Any, Mapping[str, Mapping[str, str]]], Converter]:
    def build(arg: Any, _code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
        if arg is not None:
            raise ValueError(f"converter '{name}' takes no argument")
        return fn
    return build


def _strip(value: str, _q: str) -> str:
    return value.strip()


def _upper(value: str, _q: str) -> str:
    return value.upper()


def _lower(value: str, _q: str) -> str:
    return value.lower()


_LEADING_CODE = re.compile(r"[A-Za-z0-9]*")


def _first_component(value: str, _q: str) -> str:
    """The leading letters and digits: the first component of a composite whose first component
    is a code (C001 unit of measure in UIT01/POC05). Converters do not see the delimiters, but a
    delimiter is never a letter or digit, so the code ends where the first delimiter starts."""
    match = _LEADING_CODE.match(value)
    return match.group(0) if match else ""


# -- dates ---------------------------------------------------------------------------------------

def _build_date(arg: Any, _code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    """CCYYMMDD, or YYMMDD with a century window: YY < pivot is 20YY, else 19YY (pivot 50 by default)."""
    pivot = 50
    if arg is not None:
        if not isinstance(arg, Mapping) or set(arg) - {"pivot"}:
            raise ValueError("converter 'date' takes {pivot: <0-99>}")
        pivot = _int_arg(arg.get("pivot", "50"), "pivot", 0, 99)

    def convert(value: str, _q: str) -> dt.date:
        if not (value.isascii() and value.isdigit()):
            raise ConversionError(f"date {value!r} is not CCYYMMDD or YYMMDD")
        try:
            if len(value) == 8:
                return dt.date.fromisoformat(value)  # ISO basic format CCYYMMDD; digits checked above
            if len(value) == 6:
                yy = int(value[:2])
                return dt.date((2000 if yy < pivot else 1900) + yy, int(value[2:4]), int(value[4:]))
        except ValueError as exc:
            raise ConversionError(f"date {value!r} does not exist") from exc
        raise ConversionError(f"date {value!r} is not CCYYMMDD or YYMMDD")
    return convert


# -- numbers -------------------------------------------------------------------------------------

_DECIMAL_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER_RE = re.compile(r"-?[0-9]+")


def _decimal(value: str, _q: str) -> Decimal:
    """X12 type R: optional minus, digits, optional decimal point. No exponent, no NaN."""
    if _DECIMAL_RE.fullmatch(value) is None:
        raise ConversionError(f"{value!r} is not a decimal number")
    return Decimal(value)


def _build_implied_decimal(arg: Any, _code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    """X12 type Nn: an integer with ``n`` implied decimal places ("1250" with N2 is 12.50)."""
    places = _int_arg(arg, "implied_decimal", 0, 9)

    def convert(value: str, _q: str) -> Decimal:
        if _INTEGER_RE.fullmatch(value) is None:
            raise ConversionError(f"{value!r} is not an implied-decimal (N{places}) number")
        return Decimal(value).scaleb(-places)
    return convert


# -- GTIN ----------------------------------------------------------------------------------------

#: Product ID qualifier -> digit counts it may carry. UK is the GTIN-14 itself; EN an EAN-13
#: (or EAN-8); UP a UPC-A; UA an U.P.C./EAN case code (GTIN-14).
DEFAULT_GTIN_LENGTHS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {"UK": (14,), "EN": (13, 8), "UP": (12,), "UA": (14,)}
)


def gs1_check_digit_ok(digits: str) -> bool:
    """GS1 mod-10: weights 3,1,3,... from the right, excluding the check digit."""
    body = digits[-2::-1].encode("ascii")  # right to left, check digit excluded; bytes sum at C speed
    odd, even = body[::2], body[1::2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return (10 - total % 10) % 10 == ord(digits[-1]) - 48


def _build_gtin(arg: Any, _code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    """Validate a GTIN against its qualifier's length and the check digit; zero-pad it to 14 digits."""
    lengths = dict(DEFAULT_GTIN_LENGTHS)
    if arg is not None:
        if not isinstance(arg, Mapping) or not arg:
            raise ValueError("converter 'gtin' takes {QUALIFIER: length or [lengths]}")
        lengths = {str(q): _lengths_arg(v) for q, v in arg.items()}

    def convert(value: str, qualifier: str) -> str:
        allowed = lengths.get(qualifier, (8, 12, 13, 14))
        if not (value.isascii() and value.isdigit()) or len(value) not in allowed:
            want = " or ".join(str(n) for n in allowed)
            raise ConversionError(f"GTIN {value!r} ({qualifier or 'no qualifier'}) must be {want} digits")
        if not gs1_check_digit_ok(value):
            raise ConversionError(f"GTIN {value!r} has a wrong check digit")
        return value.zfill(14)
    return convert


def _lengths_arg(value: Any) -> tuple[int, ...]:
    items = value if isinstance(value, list) else [value]
    lengths = tuple(_int_arg(v, "gtin length", 8, 14) for v in items)
    if not lengths:
        raise ValueError("a GTIN qualifier needs at least one length")
    return lengths


# -- code lists ----------------------------------------------------------------------------------

def _build_codes(arg: Any, code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    """Translate a code through a named code list (``code_lists:``) or an inline mapping."""
    if isinstance(arg, str):
        if arg not in code_lists:
            known = ", ".join(sorted(code_lists)) or "none"
            raise ValueError(f"unknown code list {arg!r} (defined: {known})")
        table, label = dict(code_lists[arg]), arg
    elif isinstance(arg, Mapping) and arg and all(isinstance(v, str) for v in arg.values()):
        table, label = {str(k): v for k, v in arg.items()}, "inline"
    else:
        raise ValueError("converter 'codes' takes a code list name or a {code: value} mapping of strings")

    def convert(value: str, _q: str) -> str:
        try:
            return table[value]
        except KeyError:
            raise ConversionError(f"code {value!r} is not in code list {label!r}") from None
    return convert


def _int_arg(value: Any, what: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} must be a whole number, not {value!r}") from exc
    if not low <= number <= high:
        raise ValueError(f"{what} must be between {low} and {high}, not {number}")
    return number


CONVERTERS: Mapping[str, ConverterDef] = MappingProxyType({
    d.name: d for d in (
        ConverterDef("strip", str, _no_arg("strip", _strip), "remove surrounding blanks"),
        ConverterDef("upper", str, _no_arg("upper", _upper), "upper-case"),
        ConverterDef("lower", str, _no_arg("lower", _lower), "lower-case"),
        ConverterDef("first_component", str, _no_arg("first_component", _first_component),
                     "leading code of a composite (C001 unit: 'PC>>>LB' is 'PC')"),
        ConverterDef("date", dt.date, _build_date, "CCYYMMDD or YYMMDD (century window {pivot: 50})"),
        ConverterDef("decimal", Decimal, _no_arg("decimal", _decimal), "exact decimal (X12 R)"),
        ConverterDef("implied_decimal", Decimal, _build_implied_decimal, "implied decimal places (X12 Nn)"),
        ConverterDef("gtin", str, _build_gtin, "GTIN checked and zero-padded to 14 digits"),
        ConverterDef("codes", str, _build_codes, "translate through a code list"),
    )
})


def build_chain(steps: list[Converter]) -> Converter | None:
    """Fold converters into one callable (None for an empty chain: the raw text is the value)."""
    if not steps:
        return None
    if len(steps) == 1:
        return steps[0]
    if len(steps) == 2:
        first, second = steps

        def two(value: str, qualifier: str) -> Any:
            return second(first(value, qualifier), qualifier)
        return two
    chain = tuple(steps)

    def many(value: str, qualifier: str) -> Any:
        result: Any = value
        for step in chain:
            result = step(result, qualifier)
        return result
    return many
