"""What the lot, inspection, alert, import and trace services share: the coded error and lookups.

Every refusal of these services is a :class:`QualityError` with a stable ``code``
(``LOT_EXISTS``, ``INSPECTION_LIMITS_INVALID``, ...), so that the MES import can report
it per row and the gateway can put it in the ledger without parsing messages.
"""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from erp_core.errors import ErpError
from erp_core.models import Item
from erp_core.models_quality import Lot
from erp_core.services._bom_lines import format_quantity


class QualityError(ErpError):
    """A lot, inspection, nonconformance or alert operation refused; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


def require_item(session: Session, item_number: str, code: str) -> Item:
    """The item with our item number, or ``QualityError(code)``."""
    item = session.exec(select(Item).where(Item.item_number == item_number.strip())).first()
    if item is None or item.id is None:
        raise QualityError(code, f"item {item_number!r} does not exist")
    return item


def find_lot(session: Session, item_number: str, lot_number: str) -> Lot | None:
    """The lot ``lot_number`` of item ``item_number``, or None."""
    statement = (
        select(Lot)
        .join(Item, Item.id == Lot.item_id)  # type: ignore[arg-type]
        .where(Item.item_number == item_number.strip(), Lot.lot_number == lot_number.strip())
    )
    return session.exec(statement).first()


def require_lot(session: Session, item_number: str, lot_number: str, code: str) -> Lot:
    """The lot, or ``QualityError(code)`` naming both numbers."""
    lot = find_lot(session, item_number, lot_number)
    if lot is None:
        raise QualityError(code, f"item {item_number!r} has no lot {lot_number!r}")
    return lot


def lot_by_id(session: Session, lot_id: int, code: str) -> Lot:
    """The lot with this id, or ``QualityError(code)``."""
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise QualityError(code, f"lot id {lot_id} does not exist")
    return lot


def decimal_text(value: Decimal | None) -> str | None:
    """A stored decimal as plain text without trailing zeros (``"12.5"``, ``"3"``), or None."""
    return None if value is None else format_quantity(value)


def outside_limits(value: Decimal, lower: Decimal | None, upper: Decimal | None) -> bool:
    """True when ``value`` lies below ``lower`` or above ``upper`` (limits are inclusive; None is open)."""
    return (lower is not None and value < lower) or (upper is not None and value > upper)
