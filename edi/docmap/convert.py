"""Converters for XML and CSV values: the X12 ones plus decimal commas, ISO dates, spreadsheet dates, regex.

The X12 converters (``edi.mapping.convert``) are reused as they are. ``decimal`` without
an argument stays strict (X12 R: no exponent, no thousands separator, no NaN) because a
quantity must come out exactly as sent. XML and CSV add forms X12 does not have:

* ``{decimal: comma}``: German/European number style, for spreadsheet exports whose
  partner agreed on it: ``23,90`` is 23.90 and ``1.249,50`` is 1249.50; dots may only
  group thousands (``1.249`` is 1249, ``12.345.678`` 12345678). Anything else is refused
  rather than guessed: ``23.90`` (technical format in a comma column), ``1,2,3``,
  ``1.24.9``, ``1.249,`` and exponents. A mapping states one style per column, never
  both, because ``1.249`` means 1249 in one and 1.249 in the other. X12 mappings keep the
  plain ``decimal`` (X12 numbers never use commas): ``{decimal: comma}`` there is a load
  error.

* ``isodate``: ``2010-01-20`` or an ISO date-time ``2000-10-12T18:41:29-08:00``. The date
  is the one written, not shifted to UTC: an order date is the buyer's calendar day.
* ``date_format: "%d.%m.%Y"``: a fixed ``strptime`` format for spreadsheet exports.
* ``regex: "cXML/([0-9.]+)/"``: the first group (or the whole match) of a pattern, e.g. the
  cXML version from the DOCTYPE URL; no match is a conversion error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from edi.mapping.convert import CONVERTERS, ConversionError, Converter, ConverterDef

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_FORMAT_CODES = frozenset("dmyYbBjaAHIMSpfzZ%")
# Optional minus; whole part ungrouped or grouped by dots in threes; optional comma and fraction digits.
_DECIMAL_COMMA = re.compile(r"(-?)([0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?")
_DECIMAL_STYLES = ("comma",)


def _build_decimal(arg: Any, code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    """``decimal`` (X12 R, as the X12 engine has it) or ``{decimal: comma}`` (see the module docstring)."""
    if arg is None:
        return CONVERTERS["decimal"].build(None, code_lists)
    if arg not in _DECIMAL_STYLES:
        raise ValueError(f"converter 'decimal' takes no argument (1249.50) or 'comma' (1.249,50), not {arg!r}")
    return _decimal_comma


def _decimal_comma(value: str, _q: str) -> Decimal:
    match = _DECIMAL_COMMA.fullmatch(value)
    if match is None:
        raise ConversionError(f"{value!r} is not a decimal-comma number (e.g. 23,90 or 1.249,50; dots only "
                              "group thousands)")
    sign, whole, fraction = match.groups()
    return Decimal(f"{sign}{whole.replace('.', '')}" + (f".{fraction}" if fraction else ""))


def _build_isodate(arg: Any, _code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    if arg is not None:
        raise ValueError("converter 'isodate' takes no argument")

    def convert(value: str, _q: str) -> dt.date:
        match = _ISO_DATE.fullmatch(value.strip())
        if match is None:
            raise ConversionError(f"{value!r} is not an ISO date (YYYY-MM-DD, optionally with a time)")
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError as exc:
            raise ConversionError(f"date {value!r} does not exist") from exc
    return convert


def _build_date_format(arg: Any, _code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    if not isinstance(arg, str) or "%" not in arg:
        raise ValueError("converter 'date_format' takes a strptime format, e.g. \"%d.%m.%Y\"")
    codes = set(re.findall(r"%(.)", arg))
    has_day = bool({"d", "j"} & codes)
    has_month = bool({"m", "b", "B", "j"} & codes)
    if not codes <= _FORMAT_CODES or not (has_day and has_month):
        raise ValueError(f"date_format {arg!r} needs day and month directives (%d %m %Y ...)")

    def convert(value: str, _q: str) -> dt.date:
        try:
            return dt.datetime.strptime(value.strip(), arg).date()
        except ValueError as exc:
            raise ConversionError(f"date {value!r} does not match the format {arg!r}") from exc
    return convert


def _build_regex(arg: Any, _code_lists: Mapping[str, Mapping[str, str]]) -> Converter:
    if not isinstance(arg, str):
        raise ValueError("converter 'regex' takes a regular expression")
    try:
        pattern = re.compile(arg)
    except re.error as exc:
        raise ValueError(f"converter 'regex': {exc}") from None
    if pattern.groups > 1:
        raise ValueError("converter 'regex' takes at most one group (the part to keep)")

    def convert(value: str, _q: str) -> str:
        match = pattern.search(value)
        if match is None:
            raise ConversionError(f"{value!r} does not match {arg!r}")
        return match.group(pattern.groups)
    return convert


DOC_CONVERTERS: Mapping[str, ConverterDef] = MappingProxyType({
    **CONVERTERS,
    **{d.name: d for d in (
        ConverterDef("decimal", Decimal, _build_decimal,
                     "exact decimal: X12 R (1249.50), or {decimal: comma} for 1.249,50"),
        ConverterDef("isodate", dt.date, _build_isodate, "ISO 8601 date or date-time (date part as written)"),
        ConverterDef("date_format", dt.date, _build_date_format, "date in a fixed strptime format"),
        ConverterDef("regex", str, _build_regex, "first group (or whole match) of a regular expression"),
    )},
})
