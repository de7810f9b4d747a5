"""The booking fast path: compiled inserts fed to the driver store exactly what SQLAlchemy would."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from erp_fixtures import count, make_order
from sqlalchemy import Table, insert, text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session

from erp_core.bulk_insert import BulkInsert, apply_processor
from erp_core.inputs import OrderLineInput
from erp_core.models import SalesOrder, SalesOrderLine
from erp_core.services import booking
from erp_core.services._booking_rows import LINE_COLUMNS, BookingWriter
from erp_core.types import to_millionths

LINE_TABLE: Table = SalesOrderLine.__table__  # type: ignore[assignment]


# -- bulk inserts -----------------------------------------------------------------------

TRICKY_LINES: list[dict[str, Any]] = [
    {"buyer_line_ref": "A\t1", "buyer_part": "back\\slash", "description": "new\nline, Größe ✓ 'quoted' \"x\"",
     "quantity": Decimal("0.000001"), "uom": "EA", "unit_price": Decimal("999999999999.999999"),
     "requested_date": date(2025, 12, 1), "gtin": "00036000291452", "vendor_part": "V|1"},
    {"quantity": Decimal("1.50"), "uom": "CS", "unit_price": None, "requested_date": None, "description": "\\N"},
    {"quantity": Decimal(3), "uom": "EA", "unit_price": Decimal("0"), "description": ""},
]


def stored_lines(session: Session, order_id: int) -> list[tuple[Any, ...]]:
    """The raw stored values (no result processing), line_no made relative to the first line."""
    columns = ", ".join(LINE_COLUMNS[2:])
    query = text(f"SELECT line_no, {columns} FROM erp_sales_order_line WHERE order_id = :order_id ORDER BY line_no")
    rows = session.connection().execute(query, {"order_id": order_id}).all()
    return [(row[0] - rows[0][0], *row[1:]) for row in rows]


@pytest.mark.parametrize("copy_min_rows", [1, 1_000_000], ids=["copy", "executemany"])
def test_bulk_insert_stores_exactly_what_sqlalchemy_stores(session: Session, copy_min_rows: int) -> None:
    """The fast path and ``Connection.execute(insert(...))`` must not differ by one byte (both PostgreSQL paths)."""
    [first, second] = booking.book_orders(session, [make_order("PO-A", lines=1), make_order("PO-B", lines=1)])
    rows = [{"line_no": n, "item_id": None} | line for n, line in enumerate(TRICKY_LINES, start=10)]
    reference = [{key: row.get(key) for key in LINE_COLUMNS} | {"order_id": first.order_id} for row in rows]
    session.connection().execute(insert(LINE_TABLE), reference)
    fast = BulkInsert(LINE_TABLE, LINE_COLUMNS, session.connection().dialect, copy_min_rows=copy_min_rows)
    fast.execute(session.connection(), [[second.order_id if key == "order_id" else row.get(key) for row in rows]
                                        for key in LINE_COLUMNS])
    session.commit()
    assert stored_lines(session, second.order_id)[1:] == stored_lines(session, first.order_id)[1:]
    assert len(stored_lines(session, second.order_id)) == 4


@pytest.mark.parametrize("copy_min_rows", [1, 1_000_000], ids=["copy", "executemany"])
def test_bulk_insert_wraps_driver_errors_like_sqlalchemy(session: Session, copy_min_rows: int) -> None:
    [result] = booking.book_orders(session, [make_order("PO-1", lines=1)])
    fast = BulkInsert(LINE_TABLE, LINE_COLUMNS, session.connection().dialect, copy_min_rows=copy_min_rows)
    duplicate_line_no = [[result.order_id], [1], *([[None]] * 6), [Decimal(1)], ["EA"], [None], [None], [None]]
    with pytest.raises(IntegrityError), session.begin_nested():
        fast.execute(session.connection(), duplicate_line_no)
    assert count(session, SalesOrderLine) == 1  # the transaction is still usable


def test_bulk_insert_refuses_what_the_column_type_refuses(session: Session) -> None:
    line = OrderLineInput.model_construct(quantity=Decimal("0.1234567"), uom="EA")  # skips input validation
    order = make_order("PO-1").model_copy(update={"lines": (line,)})
    with pytest.raises(StatementError, match="does not fit NUMERIC"):
        booking.book_orders(session, [order])
    session.rollback()
    assert count(session, SalesOrder) == 0
    with pytest.raises(ValueError, match="table order"):
        BulkInsert(LINE_TABLE, tuple(reversed(LINE_COLUMNS)), sqlite_dialect.dialect())


def test_booking_inserts_are_compiled_once_per_connection(session: Session) -> None:
    connection = session.connection()
    first = BookingWriter.for_connection(connection, booking.utc_now())
    again = BookingWriter.for_connection(connection, booking.utc_now())
    assert again.lines is first.lines and again.orders is first.orders and again.now >= first.now
    assert first.lines.statement.startswith("INSERT INTO erp_sales_order_line (order_id, line_no, ")


def test_apply_processor_converts_each_distinct_value_once_per_type() -> None:
    calls: list[Any] = []

    def process(value: Any) -> Any:
        calls.append(value)
        return None if value is None else to_millionths(value)

    values = [Decimal("1.5"), None, Decimal("1.50"), Decimal("1.5"), Decimal(2)]
    assert apply_processor(process, values) == [1_500_000, None, 1_500_000, 1_500_000, 2_000_000]
    assert len(calls) == 3  # 1.5 (however written), None, 2
    with pytest.raises(TypeError, match="bool"):  # True == Decimal(1), yet it must not borrow its conversion
        apply_processor(process, [Decimal(1), True])
