"""Value and syntax-rule checks of the detailed validator: one function per X12
data element type, and the meaning of the segment syntax rules (P R E C L).

Each check takes a non-empty value and its :class:`ElementDef` and returns the
coded error it breaks (``"ELEM_TOO_LONG"`` ...) or None. They are the reference
semantics of an element type: the compiled fast path
(:mod:`edi.x12.validate_patterns`) must accept exactly the values these accept,
and the equivalence tests hold the two together. Kept apart from the segment and
structure logic so that both the detailed path and the reviewers of the fast path
read one definition.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType

from edi.x12.schema import ElementDef

__all__ = ["VALUE_CHECKS", "ValueCheck", "check_text", "rule_violation"]

ValueCheck = Callable[[str, ElementDef], "str | None"]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_REAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:E-?\d+)?")
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def check_text(value: str, el: ElementDef) -> str | None:
    """AN (and ID without a code list): length, and no control characters."""
    size = len(value)
    if size > el.max_len:
        return "ELEM_TOO_LONG"
    if size < el.min_len:
        return "ELEM_TOO_SHORT"
    if not value.isprintable() and _CONTROL.search(value):
        return "ELEM_INVALID_CHAR"
    return None


def _check_id(value: str, el: ElementDef) -> str | None:
    if el.codes is not None and value in el.codes:
        return None
    code = check_text(value, el)
    if code is None and el.codes is not None:
        return "ELEM_INVALID_CODE"
    return code


def _digits_length(digits: int, el: ElementDef) -> str | None:
    """Numeric lengths count digits only: no sign, no decimal point."""
    if digits > el.max_len:
        return "ELEM_TOO_LONG"
    if digits < el.min_len:
        return "ELEM_TOO_SHORT"
    return None


def _check_implied(value: str, el: ElementDef) -> str | None:
    """Nn: digits with implied decimals and an optional leading minus."""
    digits = value[1:] if value[0] == "-" else value
    if not (digits.isascii() and digits.isdigit()):
        return "ELEM_INVALID_NUMBER"
    return _digits_length(len(digits), el)


def _check_real(value: str, el: ElementDef) -> str | None:
    """R: optional minus, digits with at most one decimal point (exponent allowed)."""
    if value.isascii() and value.isdigit():
        return _digits_length(len(value), el)
    if not _REAL.fullmatch(value):
        return "ELEM_INVALID_NUMBER"
    mantissa = value.split("E", 1)[0]
    return _digits_length(len(mantissa) - mantissa.count("-") - mantissa.count("."), el)


def _check_date(value: str, el: ElementDef) -> str | None:
    """DT: CCYYMMDD, or YYMMDD where the element is 6 long (older versions, ISA)."""
    code = _digits_length(len(value), el)
    if code is not None:
        return code
    size = len(value)
    if size not in (6, 8) or not (value.isascii() and value.isdigit()):
        return "ELEM_INVALID_DATE"
    year = int(value[: size - 4])
    month, day = int(value[-4:-2]), int(value[-2:])
    if size == 6:
        year += 2000 if year < 50 else 1900
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]):
        return "ELEM_INVALID_DATE"
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return "ELEM_INVALID_DATE"
    return None


def _check_time(value: str, el: ElementDef) -> str | None:
    """TM: HHMM, HHMMSS, HHMMSSD or HHMMSSDD (24-hour clock)."""
    code = _digits_length(len(value), el)
    if code is not None:
        return code
    if len(value) not in (4, 6, 7, 8) or not (value.isascii() and value.isdigit()):
        return "ELEM_INVALID_TIME"
    seconds = int(value[4:6]) if len(value) >= 6 else 0
    if int(value[:2]) > 23 or int(value[2:4]) > 59 or seconds > 59:
        return "ELEM_INVALID_TIME"
    return None


def _check_binary(value: str, el: ElementDef) -> str | None:
    return None


VALUE_CHECKS: Mapping[str, ValueCheck] = MappingProxyType({
    "AN": check_text, "ID": _check_id, "DT": _check_date, "TM": _check_time, "R": _check_real,
    "B": _check_binary, **{f"N{d}": _check_implied for d in range(10)},
})


def rule_violation(kind: str, positions: tuple[int, ...], present: tuple[bool, ...]) -> tuple[str, int] | None:
    """The error code and element position breaking an X12 syntax rule, or None.

    ``present[i]``: element ``positions[i]`` is there and not empty. The fast path
    derives its rule checks from this same function (a truth table per rule)."""
    missing = "ELEM_CONDITIONAL_MISSING"
    if kind == "P" and any(present) and not all(present):
        return missing, positions[present.index(False)]
    if kind == "R" and not any(present):
        return missing, positions[0]
    if kind == "E" and sum(present) > 1:
        return "ELEM_EXCLUSION", positions[[i for i, here in enumerate(present) if here][1]]
    if kind == "C" and present[0] and not all(present[1:]):
        return missing, positions[1 + present[1:].index(False)]
    if kind == "L" and present[0] and not any(present[1:]):
        return missing, positions[1]
    return None
