"""GS1 UDI strings: GTIN + expiry + lot (+ serial) as human-readable text and as barcode data.

Element order is (01) GTIN, (17) expiry, (10) lot, (21) serial: the order GS1 and
the FDA GUDID examples print, and the one that needs the fewest separators in the
barcode, because the fixed-length fields come first. In the barcode data string
(:func:`udi_data`) a variable-length field (10) that is followed by another field
ends with FNC1, transmitted by scanners as ASCII GS (``\\x1d``); that is the
character used here. The symbology identifier (``]d2`` for GS1 DataMatrix) is not
part of the data and is left to whoever prints the symbol.

Expiry is YYMMDD; GS1 resolves the century with a sliding window (years up to 49
ahead of today are in the future), so dates in 2000-2099 are safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from erp_core.gtin import normalize_gtin

GS = "\x1d"
"""The FNC1 separator as transmitted in barcode data."""

_CHARSET_82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")


class UdiError(ValueError):
    """A UDI cannot be built from these values; ``code`` is ``UDI_INVALID``."""

    code = "UDI_INVALID"


@dataclass(frozen=True, slots=True)
class UdiParts:
    """Validated UDI fields (GTIN as 14 digits, expiry as YYMMDD text)."""

    gtin: str
    expiry: str | None
    lot: str
    serial: str | None

    def elements(self) -> list[tuple[str, str]]:
        """The (AI, value) pairs present, in printing order: 01, 17 (if any), 10, 21 (if any)."""
        pairs = [("01", self.gtin), ("17", self.expiry), ("10", self.lot), ("21", self.serial)]
        return [(ai, value) for ai, value in pairs if value is not None]


def udi(gtin: str, lot: str, expiry: date | None, serial: str | None = None) -> str:
    """The human-readable interpretation: ``(01)GTIN(17)YYMMDD(10)LOT(21)SERIAL``.

    ``expiry`` None leaves out (17) (a product without an expiry date); ``serial``
    None leaves out (21). ``UdiError`` for an invalid GTIN, lot or serial.
    """
    return "".join(f"({ai}){value}" for ai, value in udi_parts(gtin, lot, expiry, serial).elements())


def udi_data(gtin: str, lot: str, expiry: date | None, serial: str | None = None) -> str:
    """The barcode data string: AIs concatenated, GS after the lot when a serial follows."""
    # Only the lot is variable-length and followed by another element (the serial), so GS goes before (21).
    return "".join((GS if ai == "21" else "") + ai + value
                   for ai, value in udi_parts(gtin, lot, expiry, serial).elements())


def udi_parts(gtin: str, lot: str, expiry: date | None, serial: str | None = None) -> UdiParts:
    """The fields checked and formatted; ``UdiError`` names the bad one."""
    try:
        gtin14 = normalize_gtin(gtin)
    except ValueError as exc:
        raise UdiError(str(exc)) from None
    for name, value in (("lot", lot), ("serial", serial)):
        if value is not None and not _CHARSET_82.match(value):
            raise UdiError(f"{name} {value!r} is not 1-20 characters of GS1 character set 82")
    return UdiParts(gtin14, expiry.strftime("%y%m%d") if expiry else None, lot, serial)
