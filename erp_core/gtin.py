"""GTIN normalisation.

Buyers send GTIN-8, UPC-A (GTIN-12), EAN-13 or GTIN-14 in the same element; GS1
defines all of them as the same number left-padded with zeros to 14 digits, so items
and order lines store the 14-digit form and lookups compare like with like.
"""

from __future__ import annotations

GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def gtin_check_digit(gtin14: str) -> int:
    """GS1 mod-10 check digit of a 14-digit GTIN (computed over its first 13 digits).

    Written with byte-slice sums rather than a per-digit loop: it runs once per
    order line, at tens of thousands of lines per second.
    """
    raw = gtin14.encode("ascii")
    weighted = 3 * (sum(raw[0:13:2]) - 48 * 7) + (sum(raw[1:12:2]) - 48 * 6)
    return (10 - weighted % 10) % 10


def normalize_gtin(value: str) -> str:
    """Return ``value`` as a 14-digit GTIN; raise ``ValueError`` when it is not a GTIN.

    The check digit is verified so a mistyped number cannot silently resolve to
    another item. Runs once per order line when orders are validated, hence the
    shortcut: with the check digit itself weighted 1, the weighted sum of all 14
    digits of a valid GTIN is a multiple of 10 (one pass, no separate check-digit
    computation).
    """
    digits = value.strip()
    if len(digits) not in GTIN_LENGTHS or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"GTIN must be 8, 12, 13 or 14 digits, got {value!r}")
    padded = digits.zfill(14)
    raw = padded.encode("ascii")
    if (3 * sum(raw[0:14:2]) + sum(raw[1:14:2]) - 48 * 28) % 10:
        raise ValueError(f"GTIN {value!r} has a wrong check digit")
    return padded
