"""The rows a booking writes (order headers, parties, lines), laid out for :class:`BulkInsert`.

Values are gathered column by column, one list comprehension per column over all of
a batch's lines: that is the cheapest way to walk tens of thousands of input models
in Python, and it hands :class:`~erp_core.bulk_insert.BulkInsert` the
column-wise layout it converts and streams without building a tuple per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Dialect, Table

from erp_core.bulk_insert import BulkInsert
from erp_core.inputs import OrderInput, PartyInput
from erp_core.models import SalesOrder, SalesOrderLine, SalesOrderParty

if TYPE_CHECKING:
    from erp_core.services.booking import LineResolution

Columns = list[list[Any]]

ORDER_TABLE: Table = SalesOrder.__table__  # type: ignore[assignment]
PARTY_TABLE: Table = SalesOrderParty.__table__  # type: ignore[assignment]
LINE_TABLE: Table = SalesOrderLine.__table__  # type: ignore[assignment]

# Inserted columns, in table order (BulkInsert checks it); the builders below follow them.
ORDER_COLUMNS = (
    "partner_id", "po_number", "order_date", "purpose", "currency", "status", "revision", "source_ref", "created_at",
)
_PARTY_FIELDS = tuple(PartyInput.model_fields)
PARTY_COLUMNS = ("order_id", "role", *_PARTY_FIELDS)
LINE_COLUMNS = (
    "order_id", "line_no", "buyer_line_ref", "item_id", "buyer_part", "vendor_part", "gtin", "description",
    "quantity", "uom", "unit_price", "requested_date", "bom_revision_id",
)
_party_values = attrgetter(*_PARTY_FIELDS)
_INSERTS_KEY = "erp_core.booking.inserts"  # in Connection.info


@dataclass(frozen=True, slots=True)
class BookingWriter:
    """What one ``book_orders`` call writes with: its timestamp and the three compiled inserts."""

    now: datetime
    orders: BulkInsert
    parties: BulkInsert
    lines: BulkInsert

    @classmethod
    def for_connection(cls, connection: Connection, now: datetime) -> BookingWriter:
        """The inserts compiled for ``connection``'s dialect, once per pooled DBAPI connection.

        Compiling costs most of a millisecond, which a gateway booking one small
        interchange at a time would pay on every call; ``Connection.info`` lives as
        long as the DBAPI connection (and its dialect) does.
        """
        inserts = connection.info.get(_INSERTS_KEY)
        if inserts is None:
            inserts = connection.info[_INSERTS_KEY] = compile_inserts(connection.dialect)
        return cls(now, *inserts)


def compile_inserts(dialect: Dialect) -> tuple[BulkInsert, BulkInsert, BulkInsert]:
    """The order, party and line inserts for ``dialect``."""
    return (
        BulkInsert(ORDER_TABLE, ORDER_COLUMNS, dialect),
        BulkInsert(PARTY_TABLE, PARTY_COLUMNS, dialect),
        BulkInsert(LINE_TABLE, LINE_COLUMNS, dialect),
    )


def header_columns(orders: Sequence[OrderInput], now: datetime) -> Columns:
    """Order header values; every new order is ``booked``, revision 1, created ``now``."""
    return [
        [order.partner_id for order in orders],
        [order.po_number for order in orders],
        [order.order_date for order in orders],
        [order.purpose for order in orders],
        [order.currency for order in orders],
        ["booked"] * len(orders),
        [1] * len(orders),
        [order.source_ref for order in orders],
        [now] * len(orders),
    ]


def party_columns(orders: Sequence[OrderInput], order_ids: Sequence[int]) -> Columns:
    """One row per ship-to / bill-to the buyer sent."""
    rows = []
    for order, order_id in zip(orders, order_ids, strict=True):
        if order.ship_to is not None:
            rows.append((order_id, "ship_to", *_party_values(order.ship_to)))
        if order.bill_to is not None:
            rows.append((order_id, "bill_to", *_party_values(order.bill_to)))
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in PARTY_COLUMNS]


def line_columns(
    orders: Sequence[OrderInput], order_ids: Sequence[int], resolutions: Sequence[tuple[LineResolution, ...]]
) -> Columns:
    """Every line of ``orders``; ``resolutions[i]`` holds the line numbers and items of ``orders[i]``."""
    lines = [line for order in orders for line in order.lines]
    resolved = [resolution for per_order in resolutions for resolution in per_order]
    if len(resolved) != len(lines):
        raise ValueError(f"{len(lines)} lines but {len(resolved)} resolutions")
    return [
        [order_id for order, order_id in zip(orders, order_ids, strict=True) for _ in order.lines],
        [resolution.line_no for resolution in resolved],
        [line.buyer_line_ref for line in lines],
        [resolution.item_id for resolution in resolved],
        [line.buyer_part for line in lines],
        [line.vendor_part for line in lines],
        [line.gtin for line in lines],
        [line.description for line in lines],
        [line.quantity for line in lines],
        [line.uom for line in lines],
        [line.unit_price for line in lines],
        [line.requested_date for line in lines],
        [resolution.bom_revision_id for resolution in resolved],
    ]
