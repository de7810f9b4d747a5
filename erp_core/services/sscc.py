"""SSCC-18 (GS1 Serial Shipping Container Code): check digits and gap-free allocation.

An SSCC is the extension digit, the GS1 company prefix, a serial reference filling
the 16 digits after the extension digit, and a mod-10 check digit. Serial
references are handed out from ``erp_sscc_counter`` (one row per prefix and
extension digit) by a single ``UPDATE ... SET last_serial = last_serial + n
RETURNING``: on PostgreSQL the update holds the row lock until the transaction
ends, so concurrent allocators queue behind each other, and a transaction that
rolls back takes its increment with it. Numbers are therefore never handed out
twice and never skipped. On SQLite writers are serialised by ``BEGIN IMMEDIATE``
(:func:`erp_core.db.make_engine`).
"""

from __future__ import annotations

from sqlalchemy import Table, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from erp_core.models_shipping import SsccCounter
from erp_core.services._shipping_errors import ShippingError

__all__ = ["check_sscc", "is_valid_sscc", "next_sscc", "next_ssccs", "sscc_check_digit"]

_COUNTER: Table = SsccCounter.__table__  # type: ignore[assignment]
SSCC_LENGTH = 18
_AI_PREFIXES = ("(00)", "00")


def sscc_check_digit(first17: str) -> int:
    """GS1 mod-10 check digit over 17 digits: weights 3, 1, 3, ... from the rightmost digit."""
    if len(first17) != SSCC_LENGTH - 1 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    raw = first17.encode("ascii")
    weighted = 3 * (sum(raw[0::2]) - 48 * 9) + (sum(raw[1::2]) - 48 * 8)
    return (10 - weighted % 10) % 10


def is_valid_sscc(value: str) -> bool:
    """True for 18 digits whose last one is the right check digit."""
    return (
        len(value) == SSCC_LENGTH
        and value.isascii()
        and value.isdigit()
        and sscc_check_digit(value[:-1]) == int(value[-1])
    )


def check_sscc(value: str) -> str:
    """``value`` as a bare 18-digit SSCC, or ``ShippingError`` ``SHIP_SSCC_INVALID``.

    Scanned labels carry the application identifier: ``(00)`` or a leading ``00``
    on 20 digits is accepted and removed.
    """
    digits = value.strip().replace(" ", "")
    for prefix in _AI_PREFIXES:
        if digits.startswith(prefix) and len(digits) == SSCC_LENGTH + len(prefix):
            digits = digits[len(prefix) :]
            break
    if not is_valid_sscc(digits):
        raise ShippingError.one("SHIP_SSCC_INVALID", f"{value!r} is not an SSCC-18 with a valid check digit")
    return digits


def next_sscc(session: Session, company_prefix: str, extension_digit: int) -> str:
    """Allocate the next SSCC of ``company_prefix`` with ``extension_digit`` (see the module docstring)."""
    return next_ssccs(session, company_prefix, extension_digit, 1)[0]


def next_ssccs(session: Session, company_prefix: str, extension_digit: int, count: int) -> list[str]:
    """Allocate ``count`` consecutive SSCCs in one counter update.

    ``SHIP_SSCC_INVALID`` for a prefix that is not 6 to 12 digits or an extension
    digit outside 0..9; ``SHIP_SSCC_EXHAUSTED`` when the prefix has no serial
    references left (the counter is then unchanged).
    """
    _check_prefix(company_prefix, extension_digit)
    if count < 1:
        raise ValueError("count must be at least 1")
    capacity = 10 ** (SSCC_LENGTH - 2 - len(company_prefix)) - 1
    session.flush()
    with session.begin_nested():  # exhaustion must not leave the increment behind
        last = _increment(session, company_prefix, extension_digit, count)
        if last > capacity:
            raise ShippingError.one(
                "SHIP_SSCC_EXHAUSTED",
                f"company prefix {company_prefix} has no {count} serial reference(s) left (capacity {capacity})",
            )
    width = SSCC_LENGTH - 2 - len(company_prefix)
    bodies = (f"{extension_digit}{company_prefix}{serial:0{width}d}" for serial in range(last - count + 1, last + 1))
    return [body + str(sscc_check_digit(body)) for body in bodies]


def _check_prefix(company_prefix: str, extension_digit: int) -> None:
    valid_prefix = 6 <= len(company_prefix) <= 12 and company_prefix.isascii() and company_prefix.isdigit()
    if not valid_prefix or not 0 <= extension_digit <= 9:
        raise ShippingError.one(
            "SHIP_SSCC_INVALID",
            f"GS1 company prefix {company_prefix!r} / extension digit {extension_digit!r}: "
            "need 6 to 12 digits and a digit 0-9",
        )


def _increment(session: Session, company_prefix: str, extension_digit: int, count: int) -> int:
    """Add ``count`` to the counter row (created at zero if missing); returns the new last serial."""
    key = (_COUNTER.c.company_prefix == company_prefix) & (_COUNTER.c.extension_digit == extension_digit)
    statement = (
        update(_COUNTER).where(key).values(last_serial=_COUNTER.c.last_serial + count).returning(_COUNTER.c.last_serial)
    )
    connection = session.connection()
    last = connection.execute(statement).scalar_one_or_none()
    if last is not None:
        return int(last)
    try:
        with session.begin_nested():
            connection.execute(
                insert(_COUNTER).values(company_prefix=company_prefix, extension_digit=extension_digit, last_serial=0)
            )
    except IntegrityError:
        pass  # another transaction created the row first; the update below queues behind its lock
    return int(connection.execute(statement).scalar_one())
