"""Reading sales orders back; booking lives in :mod:`erp_core.services.booking`."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from erp_core.models import SalesOrder, SalesOrderLine
from erp_core.services.booking import BookingResult, LineResolution, book_orders

__all__ = [
    "BookingResult",
    "LineResolution",
    "book_orders",
    "get_order",
    "get_order_by_id",
    "list_orders",
    "order_records",
]


def list_orders(session: Session, partner_id: str | None = None, *, limit: int = 100) -> list[SalesOrder]:
    """The most recently booked orders first, optionally for one partner.

    Headers only: lines and parties are not loaded (use :func:`get_order`).
    """
    statement = select(SalesOrder).order_by(col(SalesOrder.id).desc()).limit(limit)
    if partner_id is not None:
        statement = statement.where(SalesOrder.partner_id == partner_id)
    return list(session.exec(statement).all())


def get_order(session: Session, partner_id: str, po_number: str) -> SalesOrder | None:
    """One order with its lines (by line number) and parties loaded, usable after the session closes."""
    statement = (
        select(SalesOrder)
        .where(SalesOrder.partner_id == partner_id, SalesOrder.po_number == po_number)
        .options(selectinload(SalesOrder.lines), selectinload(SalesOrder.parties))  # type: ignore[arg-type]
    )
    return session.exec(statement).first()


def get_order_by_id(session: Session, order_id: int) -> SalesOrder | None:
    """Like :func:`get_order`, by the id a :class:`BookingResult` carries."""
    statement = (
        select(SalesOrder)
        .where(SalesOrder.id == order_id)
        .options(selectinload(SalesOrder.lines), selectinload(SalesOrder.parties))  # type: ignore[arg-type]
    )
    return session.exec(statement).first()


def order_records(session: Session, partner_id: str | None = None, *, limit: int = 100) -> list[dict[str, object]]:
    """JSON-ready order summaries with their line counts, newest first (one query)."""
    line_count = func.count(col(SalesOrderLine.id)).label("lines")
    statement = (
        select(SalesOrder, line_count)
        .outerjoin(SalesOrderLine, col(SalesOrderLine.order_id) == col(SalesOrder.id))
        .group_by(col(SalesOrder.id))
        .order_by(col(SalesOrder.id).desc())
        .limit(limit)
    )
    if partner_id is not None:
        statement = statement.where(SalesOrder.partner_id == partner_id)
    return [
        {
            "id": order.id,
            "partner_id": order.partner_id,
            "po_number": order.po_number,
            "order_date": order.order_date.isoformat(),
            "purpose": order.purpose,
            "currency": order.currency,
            "lines": lines,
            "status": order.status,
            "revision": order.revision,
            "source_ref": order.source_ref,
            "created_at": order.created_at.isoformat(),
        }
        for order, lines in session.exec(statement).all()
    ]
