"""Converters for XML and CSV values: the X12 ones plus ISO dates, spreadsheet dates and regex extraction.

The X12 converters (``edi.mapping.convert``) are reused as they are: ``decimal`` stays
strict (no exponent, no thousands separator, no NaN) because a quantity must come out
exactly as sent. XML and CSV add date forms X12 does not have:

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
from types import MappingProxyType
from typing import Any

from edi.mapping.convert import CONVERTERS, ConversionError, Converter, ConverterDef

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ][0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?")
_FORMAT_CODES = frozenset("dmyYbBjaAHIMSpfzZ%")


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
        ConverterDef("isodate", dt.date, _build_isodate, "ISO 8601 date or date-time (date part as written)"),
        ConverterDef("date_format", dt.date, _build_date_format, "date in a fixed strptime format"),
        ConverterDef("regex", str, _build_regex, "first group (or whole match) of a regular expression"),
    )},
})
