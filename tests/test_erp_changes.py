"""Order changes with revision history, on SQLite and PostgreSQL: apply, reject whole, never twice."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from erp_fixtures import BACKENDS, count, database_url, make_order
from erp_locks import wait_for_lock_wait
from pydantic import ValidationError
from sqlalchemy import Engine, Table, text, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from erp_core.db import make_engine, upgrade
from erp_core.inputs_changes import LineChangeInput, OrderChangeInput
from erp_core.models import Partner, SalesOrder, SalesOrderLine
from erp_core.models_changes import SalesOrderLineChange, SalesOrderRevision
from erp_core.services import booking, items
from erp_core.services.changes import ChangeResult, apply_order_change
from erp_core.services.order_history import order_detail, order_history

BOOKED_REF = "isa:ZZ:ACMEMED:000000001/gs:1/st:0001"
LINES: Table = SalesOrderLine.__table__  # type: ignore[assignment]


def book(session: Session, po_number: str = "PO-1", lines: int = 3) -> int:
    """Book ``po_number`` (lines 1..n: xref GASKET-7, GTIN WIDGET-1, unknown part) and commit."""
    (result,) = booking.book_orders(session, [make_order(po_number, lines=lines, source_ref=BOOKED_REF)])
    session.commit()
    return result.order_id


def change(*lines: LineChangeInput, purpose: str = "change", source_ref: str = "msg-2", po: str = "PO-1") -> Any:
    return OrderChangeInput(
        partner_id="acme",
        po_number=po,
        purpose=purpose,  # type: ignore[arg-type]
        change_date=date(2025, 11, 24),
        source_ref=source_ref,
        changed_by="acme",
        lines=lines,
    )


def line(ref: str, action: str = "change", **fields: Any) -> LineChangeInput:
    return LineChangeInput(buyer_line_ref=ref, action=action, **fields)  # type: ignore[arg-type]


def apply(session: Session, order_change: OrderChangeInput) -> ChangeResult:
    result = apply_order_change(session, order_change)
    session.commit()
    return result


def stored_lines(engine: Engine, order_id: int) -> list[tuple[Any, ...]]:
    """The order's lines as a separate connection sees them (what is committed)."""
    columns = ("line_no", "buyer_line_ref", "status", "quantity", "unit_price", "requested_date", "item_id")
    query = sa_select(*(LINES.c[name] for name in columns)).where(LINES.c.order_id == order_id)
    query = query.order_by(LINES.c.line_no)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def codes(result: ChangeResult) -> list[tuple[str, str | None]]:
    return [(problem.code, problem.line_ref) for problem in result.problems]


def set_shipped(session: Session, order_id: int, line_no: int, quantity: str) -> None:
    """What the shipment service will do: record a shipped quantity on a line."""
    where = (LINES.c.order_id == order_id, LINES.c.line_no == line_no)
    session.connection().execute(update(LINES).where(*where).values(quantity_shipped=Decimal(quantity)))
    session.commit()


# -- applying -------------------------------------------------------------------------


def test_quantity_up_and_down_price_and_date(session: Session, engine: Engine) -> None:
    order_id = book(session)
    result = apply(
        session,
        change(
            line("1", quantity=Decimal(10)),
            line("2", quantity=Decimal("1.25"), unit_price=Decimal("9.99")),
            line("3", requested_date=date(2026, 1, 15)),
        ),
    )
    assert (result.status, result.order_id, result.revision, result.problems) == ("applied", order_id, 2, ())
    assert [(c.line_no, c.action, c.field, c.old_value, c.new_value) for c in result.changes] == [
        (1, "quantity", "quantity", "1.5", "10"),
        (2, "quantity", "quantity", "2.5", "1.25"),
        (2, "price", "unit_price", "12.345678", "9.99"),
        (3, "date", "requested_date", "2025-12-01", "2026-01-15"),
    ]
    lines = stored_lines(engine, order_id)
    assert [(row[3], row[4], row[5]) for row in lines] == [
        (Decimal("10"), Decimal("12.345678"), date(2025, 12, 1)),
        (Decimal("1.25"), Decimal("9.99"), date(2025, 12, 1)),
        (Decimal("3.5"), Decimal("12.345678"), date(2026, 1, 15)),
    ]
    order = session.get(SalesOrder, order_id)
    assert order is not None and (order.revision, order.status) == (2, "booked")


def test_values_equal_to_the_current_ones_record_nothing(session: Session) -> None:
    order_id = book(session)
    result = apply(session, change(line("1", quantity=Decimal("1.500"), uom="EA")))
    assert (result.status, result.revision, result.changes) == ("applied", 2, ())
    assert order_history(session, order_id)[1].summary == "no line changes"


def test_add_line_resolves_its_item_like_booking(session: Session, engine: Engine) -> None:
    order_id = book(session)
    gasket, widget = items.get_item(session, "GASKET-7"), items.get_item(session, "WIDGET-1")
    assert gasket is not None and widget is not None
    result = apply(
        session,
        change(
            line("4", "add", buyer_part="ACME-G7", quantity=Decimal(5), uom="EA", unit_price=Decimal(2)),
            line("5", "add", vendor_part="WIDGET-1", quantity=Decimal(1), uom="BX"),
            line("6", "add", buyer_part="NOT-KNOWN", quantity=Decimal(1), uom="EA"),
        ),
    )
    assert result.status == "applied"
    assert [(c.line_no, c.buyer_line_ref, c.action, c.field) for c in result.changes] == [
        (4, "4", "add", None),
        (5, "5", "add", None),
        (6, "6", "add", None),
    ]
    added = stored_lines(engine, order_id)[3:]
    assert [(row[0], row[1], row[2], row[3], row[6]) for row in added] == [
        (4, "4", "open", Decimal(5), gasket.id),
        (5, "5", "open", Decimal(1), widget.id),
        (6, "6", "open", Decimal(1), None),
    ]


def test_cancel_line_and_cancelling_every_line_cancels_the_order(session: Session, engine: Engine) -> None:
    order_id = book(session)
    first = apply(session, change(line("2", "cancel")))
    assert [(c.line_no, c.action, c.field, c.old_value, c.new_value) for c in first.changes] == [
        (2, "cancel", "status", "open", "cancelled")
    ]
    assert [row[2] for row in stored_lines(engine, order_id)] == ["open", "cancelled", "open"]
    assert session.get(SalesOrder, order_id).status == "booked"  # type: ignore[union-attr]
    second = apply(session, change(line("1", "cancel"), line("3", "cancel"), source_ref="msg-3"))
    assert (second.status, second.revision) == ("applied", 3)
    assert [row[2] for row in stored_lines(engine, order_id)] == ["cancelled"] * 3
    session.expire_all()
    assert session.get(SalesOrder, order_id).status == "cancelled"  # type: ignore[union-attr]
    assert order_history(session, order_id)[2].summary == "lines: 2 cancelled; order cancelled"


def test_cancel_order_cancels_every_open_line_and_refuses_later_changes(session: Session, engine: Engine) -> None:
    order_id = book(session)
    apply(session, change(line("3", "cancel")))
    result = apply(session, change(purpose="cancel", source_ref="msg-3"))
    assert (result.status, result.revision) == ("applied", 3)
    assert [(c.line_no, c.action) for c in result.changes] == [(1, "cancel"), (2, "cancel")]  # 3 was already
    assert [row[2] for row in stored_lines(engine, order_id)] == ["cancelled"] * 3
    session.expire_all()
    order = session.get(SalesOrder, order_id)
    assert order is not None and (order.status, order.revision) == ("cancelled", 3)
    later = apply(session, change(line("1", quantity=Decimal(1)), source_ref="msg-4"))
    assert (later.status, codes(later)) == ("rejected", [("CHANGE_ORDER_CANCELLED", None)])


def test_replace_makes_the_lines_given_the_whole_order(session: Session, engine: Engine) -> None:
    order_id = book(session)
    result = apply(
        session,
        change(
            line("1", quantity=Decimal(7)),
            line("4", "add", buyer_part="ACME-G7", quantity=Decimal(2), uom="EA"),
            purpose="replace",
        ),
    )
    assert result.status == "applied"
    rows = stored_lines(engine, order_id)
    assert [(row[0], row[2], row[3]) for row in rows] == [
        (1, "open", Decimal(7)),
        (2, "cancelled", Decimal("2.5")),
        (3, "cancelled", Decimal("3.5")),
        (4, "open", Decimal(2)),
    ]
    assert order_history(session, order_id)[1].kind == "replace"


def test_changing_the_part_re_resolves_the_item(session: Session) -> None:
    order_id = book(session)
    gasket = items.get_item(session, "GASKET-7")
    assert gasket is not None
    result = apply(session, change(line("3", buyer_part="ACME-G7")))
    assert [(c.action, c.field, c.old_value, c.new_value) for c in result.changes] == [
        ("part", "buyer_part", "NOPE-1", "ACME-G7"),
        ("part", "item_id", None, str(gasket.id)),
    ]
    session.expire_all()
    statement = select(SalesOrderLine).where(SalesOrderLine.order_id == order_id, SalesOrderLine.line_no == 3)
    assert session.exec(statement).one().item_id == gasket.id


# -- rejections -------------------------------------------------------------------------


def test_unknown_order_line_and_existing_line(session: Session) -> None:
    book(session)
    unknown_order = apply(session, change(line("1", quantity=Decimal(2)), po="PO-404"))
    assert (unknown_order.status, unknown_order.order_id, codes(unknown_order)) == (
        "rejected",
        None,
        [("CHANGE_ORDER_UNKNOWN", None)],
    )
    apply(session, change(line("2", "cancel")))
    result = apply(
        session,
        change(
            line("9", quantity=Decimal(2)),
            line("2", quantity=Decimal(2)),
            line("1", "add", quantity=Decimal(1), uom="EA"),
            source_ref="msg-3",
        ),
    )
    assert result.status == "rejected"
    assert codes(result) == [
        ("CHANGE_LINE_UNKNOWN", "9"),
        ("CHANGE_LINE_CANCELLED", "2"),
        ("CHANGE_LINE_EXISTS", "1"),
    ]


def test_invalid_changes_are_reported_line_by_line(session: Session) -> None:
    book(session)
    result = apply(
        session,
        change(
            line("1", quantity=Decimal(0)),
            line("2", quantity=Decimal(-3)),
            line("3"),  # names nothing to change
            line("4", "add", quantity=Decimal(1)),  # no unit
            line("5", "add", uom="EA"),  # no quantity
            line("5", "cancel"),  # twice in one message
        ),
    )
    assert codes(result) == [
        ("CHANGE_INVALID", "1"),
        ("CHANGE_INVALID", "2"),
        ("CHANGE_INVALID", "3"),
        ("CHANGE_INVALID", "4"),
        ("CHANGE_INVALID", "5"),
        ("CHANGE_INVALID", "5"),
    ]
    assert all(problem.message for problem in result.problems)
    with pytest.raises(ValidationError):  # shape errors are the input model's
        line("1", quantity=Decimal("0.0000001"))
    with pytest.raises(ValidationError):
        line("1", action="delete")


def test_below_shipped(session: Session) -> None:
    order_id = book(session)
    set_shipped(session, order_id, 2, "2")
    lowered = apply(session, change(line("2", quantity=Decimal("1.5"))))
    assert codes(lowered) == [("CHANGE_BELOW_SHIPPED", "2")]
    assert "1.5 is below 2 shipped" in lowered.problems[0].message
    assert codes(apply(session, change(line("2", "cancel")))) == [("CHANGE_BELOW_SHIPPED", "2")]
    assert codes(apply(session, change(purpose="cancel"))) == [("CHANGE_BELOW_SHIPPED", "2")]
    assert codes(apply(session, change(line("2", uom="CS")))) == [("CHANGE_INVALID", "2")]
    down_to_shipped = apply(session, change(line("2", quantity=Decimal(2))))
    assert (down_to_shipped.status, down_to_shipped.revision) == ("applied", 2)


def test_a_change_with_one_bad_line_leaves_the_order_untouched(session: Session, engine: Engine) -> None:
    order_id = book(session)
    before = stored_lines(engine, order_id)
    result = apply(
        session,
        change(
            line("1", quantity=Decimal(99)),
            line("4", "add", buyer_part="ACME-G7", quantity=Decimal(1), uom="EA"),
            line("3", "cancel"),
            line("7", unit_price=Decimal(1)),
        ),
    )
    assert (result.status, result.revision, codes(result)) == ("rejected", 1, [("CHANGE_LINE_UNKNOWN", "7")])
    assert stored_lines(engine, order_id) == before
    assert count(session, SalesOrderRevision) == 0 and count(session, SalesOrderLineChange) == 0
    session.expire_all()
    assert session.get(SalesOrder, order_id).revision == 1  # type: ignore[union-attr]
    retried = apply(session, change(line("1", quantity=Decimal(99)), source_ref="msg-2"))  # same message, fixed
    assert (retried.status, retried.revision) == ("applied", 2)


def test_the_same_message_twice_is_a_duplicate(session: Session) -> None:
    order_id = book(session)
    first = apply(session, change(line("1", quantity=Decimal(4))))
    again = apply(session, change(line("1", quantity=Decimal(8))))
    assert (again.status, again.order_id, again.revision, again.changes) == ("duplicate", order_id, 2, ())
    booking_message = apply(session, change(line("1", quantity=Decimal(8)), source_ref=BOOKED_REF))
    assert (booking_message.status, booking_message.revision) == ("duplicate", 1)
    assert first.revision == 2
    assert count(session, SalesOrderRevision) == 1
    session.expire_all()
    assert session.get(SalesOrder, order_id).revision == 2  # type: ignore[union-attr]


# -- history and detail ----------------------------------------------------------------


def test_history_and_detail(session: Session) -> None:
    order_id = book(session)
    added = line("4", "add", vendor_part="WIDGET-1", quantity=Decimal(1), uom="EA")
    apply(session, change(line("1", quantity=Decimal(10)), added))
    apply(session, change(line("2", "cancel"), source_ref="msg-3"))
    history = order_history(session, order_id)
    assert [(r.revision, r.kind, r.source_ref, r.changed_by, r.summary) for r in history] == [
        (1, "booked", BOOKED_REF, "acme", "booked with 3 lines"),
        (2, "change", "msg-2", "acme", "lines: 1 changed, 1 added"),
        (3, "change", "msg-3", "acme", "lines: 1 cancelled"),
    ]
    assert history[1].change_date == "2025-11-24" and history[1].changed_at.endswith("+00:00")
    assert [(c.line_no, c.action, c.old_value, c.new_value) for c in history[1].changes] == [
        (1, "quantity", "1.5", "10"),
        (4, "add", None, None),
    ]
    detail = order_detail(session, "acme", "PO-1")
    assert detail is not None and (detail.id, detail.revision, detail.status) == (order_id, 3, "booked")
    assert [(ln.line_no, ln.status, ln.quantity, ln.quantity_shipped, ln.item_number) for ln in detail.lines] == [
        (1, "open", "10", "0", "GASKET-7"),
        (2, "cancelled", "2.5", "0", "WIDGET-1"),
        (3, "open", "3.5", "0", None),
        (4, "open", "1", "0", "WIDGET-1"),
    ]
    assert detail.lines[0].requested_date == "2025-12-01" and detail.lines[0].unit_price == "12.345678"
    assert detail.parties["ship_to"]["id_code"] == "DC4"
    assert detail.revisions == tuple(history)
    assert json.loads(json.dumps(detail.as_dict()))["revisions"][1]["changes"][0]["new_value"] == "10"
    assert "bom_revision_id" in asdict(detail.lines[0])
    assert order_detail(session, "acme", "PO-404") is None


# -- schema defaults -------------------------------------------------------------------


def test_bulk_booked_lines_are_open_and_unshipped(session: Session, engine: Engine) -> None:
    """The bulk path (COPY on PostgreSQL from 64 rows) leaves status and shipped to the server defaults."""
    order_id = book(session, lines=70)
    rows = stored_lines(engine, order_id)
    assert len(rows) == 70 and {row[2] for row in rows} == {"open"}
    shipped = session.exec(select(SalesOrderLine.quantity_shipped).where(SalesOrderLine.order_id == order_id)).all()
    assert set(shipped) == {Decimal(0)}
    assert session.get(Partner, "acme").send_po_acks is False  # type: ignore[union-attr]


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_keeps_existing_lines_open_and_unshipped(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade(engine, "e0001")
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO erp_partner (id, name, ack_preference, created_at) "
                                        "VALUES ('acme', 'Acme', 'auto', CURRENT_TIMESTAMP)"))
                connection.execute(text("INSERT INTO erp_sales_order (id, partner_id, po_number, order_date, purpose, "
                                        "currency, status, revision, created_at) VALUES (1, 'acme', 'PO-1', "
                                        "'2025-11-20', 'original', 'USD', 'booked', 1, CURRENT_TIMESTAMP)"))
                connection.execute(text("INSERT INTO erp_sales_order_line (id, order_id, line_no, quantity, uom) "
                                        "VALUES (1, 1, 1, 5, 'EA')"))
            upgrade(engine, "e0002")
            with engine.connect() as connection:
                line_row = connection.execute(text("SELECT status, quantity_shipped FROM erp_sales_order_line")).one()
                acks = connection.execute(text("SELECT send_po_acks FROM erp_partner")).scalar_one()
            assert (line_row[0], int(line_row[1]), bool(acks)) == ("open", 0, False)
            with pytest.raises(IntegrityError, match="ck_erp_sales_order_line_status"), engine.begin() as connection:
                connection.execute(text("UPDATE erp_sales_order_line SET status = 'gone'"))
        finally:
            engine.dispose()


# -- concurrency -----------------------------------------------------------------------


def test_two_sessions_changing_one_order_make_sequential_revisions(session: Session, engine: Engine) -> None:
    """B starts while A holds the order uncommitted; B waits, then sees A's change (old value 10)."""
    order_id = book(session)
    outcome: list[ChangeResult] = []

    def second() -> None:
        with Session(engine) as other:
            outcome.append(apply_order_change(other, change(line("1", quantity=Decimal(20)), source_ref="msg-b")))
            other.commit()

    with Session(engine) as first:
        mine = apply_order_change(first, change(line("1", quantity=Decimal(10)), source_ref="msg-a"))
        thread = threading.Thread(target=second)
        thread.start()
        if engine.dialect.name == "postgresql":
            wait_for_lock_wait(engine)
        first.commit()  # on SQLite, B cannot even begin before this (BEGIN IMMEDIATE)
        thread.join(timeout=60)
    assert (mine.status, mine.revision) == ("applied", 2)
    assert [(r.status, r.revision) for r in outcome] == [("applied", 3)]
    assert [(c.old_value, c.new_value) for c in outcome[0].changes] == [("10", "20")]
    assert [r.revision for r in order_history(session, order_id)] == [1, 2, 3]


@pytest.mark.postgres
def test_the_same_message_in_two_sessions_is_applied_once(session: Session, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises whole transactions; the row lock is PostgreSQL's")
    book(session)
    outcome: list[ChangeResult] = []

    def second() -> None:
        with Session(engine) as other:
            outcome.append(apply_order_change(other, change(line("1", quantity=Decimal(10)))))
            other.commit()

    with Session(engine) as first:
        apply_order_change(first, change(line("1", quantity=Decimal(10))))
        thread = threading.Thread(target=second)
        thread.start()
        wait_for_lock_wait(engine)
        first.commit()
        thread.join(timeout=60)
    assert [(r.status, r.revision) for r in outcome] == [("duplicate", 2)]
    assert count(session, SalesOrderRevision) == 1

