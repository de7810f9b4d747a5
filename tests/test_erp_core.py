"""erp_core services on SQLite and PostgreSQL: partners, items, booking, exact decimals."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from datetime import UTC, date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import pytest
from erp_fixtures import add_acme, count, make_order, postgres_database
from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy import Engine, Table, func, insert, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session

from erp_core.db import make_engine, upgrade
from erp_core.errors import AlreadyExistsError, InUseError, NotFoundError, UnknownPartnerError
from erp_core.gtin import gtin_check_digit, normalize_gtin
from erp_core.inputs import OrderInput, OrderLineInput
from erp_core.models import SalesOrder, SalesOrderLine
from erp_core.services import booking, items, orders, partners
from erp_core.types import exact_millionths, fits_exactly, to_millionths

LINE_TABLE: Table = SalesOrderLine.__table__  # type: ignore[assignment]


# -- engine -------------------------------------------------------------------------


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    with engine.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 1, "busy_timeout": 30000}
    engine.dispose()


def test_sqlite_transactions_take_the_write_lock_at_begin(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: a second writer waits at BEGIN instead of failing after reading."""
    path = tmp_path / "locks.db"
    engine = make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT 1"))  # a read only, yet the write lock is held
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # free once the transaction ended
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


def test_engine_urls() -> None:
    assert make_engine("postgresql://postgres@127.0.0.1/x").dialect.driver == "psycopg"
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://localhost/x")


# -- partners -----------------------------------------------------------------------


def test_partner_crud_and_x12_lookup(session: Session) -> None:
    partners.add_partner(session, "zeta", name="Zeta Health", x12_ids=[("01", "123456789"), ("ZZ", "ZETA")])
    session.commit()
    found = partners.find_partner_by_x12(session, "ZZ", "ZETA           ")  # ISA06 is space-padded
    assert found is not None and found.id == "zeta"
    assert partners.find_partner_by_x12(session, "01", "ZETA") is None
    updated = partners.update_partner(session, "zeta", ack_preference="999", gs_id="ZETAGS")
    session.commit()
    assert (updated.name, updated.ack_preference, updated.gs_id) == ("Zeta Health", "999", "ZETAGS")
    listed = partners.list_partners(session)
    assert [p.id for p in listed] == ["acme", "zeta"]
    record = partners.partner_record(listed[1])
    assert record["x12_ids"] == ["01:123456789", "ZZ:ZETA"]
    assert str(record["created_at"]).endswith("+00:00")


def test_partner_duplicates_leave_the_transaction_usable(session: Session) -> None:
    with pytest.raises(AlreadyExistsError):
        partners.add_partner(session, "acme", name="Again", x12_ids=[("ZZ", "OTHER")])
    with pytest.raises(AlreadyExistsError):  # acme's address cannot be given to another partner
        partners.add_partner(session, "beta", name="Beta", x12_ids=[("ZZ", "ACMEMED")])
    partners.add_partner(session, "gamma", name="Gamma", x12_ids=[("ZZ", "GAMMA")])
    session.commit()
    assert [p.id for p in partners.list_partners(session)] == ["acme", "gamma"]
    assert partners.get_partner(session, "beta") is None
    assert partners.find_partner_by_x12(session, "ZZ", "OTHER") is None


def test_partner_input_is_validated(session: Session) -> None:
    with pytest.raises(ValidationError):
        partners.add_partner(session, "Bad Slug", name="x")
    with pytest.raises(ValidationError):
        partners.add_partner(session, "ok", name="x", ack_preference="998")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        partners.add_partner(session, "ok", name="x", x12_ids=[("ZZZ", "A")])
    with pytest.raises(NotFoundError):
        partners.update_partner(session, "nobody", name="x")


def test_partner_delete(session: Session) -> None:
    partners.add_partner(session, "temp", name="Temp", x12_ids=[("ZZ", "TEMP")])
    items.add_xref(session, "temp", "T-1", "WIDGET-1")
    session.commit()
    partners.delete_partner(session, "temp")
    session.commit()
    assert partners.find_partner_by_x12(session, "ZZ", "TEMP") is None
    assert items.list_xrefs(session, "temp") == []
    booking.book_orders(session, [make_order("PO-1")])
    session.commit()
    with pytest.raises(InUseError):
        partners.delete_partner(session, "acme")
    session.rollback()
    assert partners.get_partner(session, "acme") is not None


# -- items --------------------------------------------------------------------------


def test_items_and_cross_references(session: Session) -> None:
    widget = items.get_item(session, "WIDGET-1")
    assert widget is not None and widget.gtin == "00036000291452"  # stored as GTIN-14
    assert items.find_item_by_gtin(session, "036000291452") == widget  # UPC-A form finds it
    with pytest.raises(AlreadyExistsError):
        items.add_item(session, "WIDGET-2", description="same GTIN", gtin="0036000291452")
    with pytest.raises(ValidationError):
        items.add_item(session, "WIDGET-3", description="bad check digit", gtin="036000291453")
    with pytest.raises(AlreadyExistsError):
        items.add_xref(session, "acme", "ACME-G7", "WIDGET-1")
    with pytest.raises(NotFoundError):
        items.add_xref(session, "acme", "ACME-X", "NO-SUCH-ITEM")
    items.add_xref(session, "acme", "ACME-W1-ALT", "WIDGET-1")
    session.commit()
    assert [(x.customer_part, i.item_number) for x, i in items.list_xrefs(session, "acme")] == [
        ("ACME-G7", "GASKET-7"),
        ("ACME-W1-ALT", "WIDGET-1"),
    ]
    items.remove_xref(session, "acme", "ACME-W1-ALT")
    session.commit()
    assert len(items.list_xrefs(session, "acme")) == 1
    assert [i.item_number for i in items.list_items(session)] == ["GASKET-7", "WIDGET-1"]


# -- booking ------------------------------------------------------------------------


def test_book_orders_stores_orders_lines_parties_and_resolution(session: Session) -> None:
    results = booking.book_orders(session, [make_order("PO-1", source_ref="msg-17"), make_order("PO-2", lines=1)])
    session.commit()
    assert [(r.po_number, r.status) for r in results] == [("PO-1", "booked"), ("PO-2", "booked")]
    gasket, widget = items.get_item(session, "GASKET-7"), items.get_item(session, "WIDGET-1")
    assert gasket is not None and widget is not None
    assert [(line.item_id, line.matched_by) for line in results[0].lines] == [
        (gasket.id, "xref"),
        (widget.id, "gtin"),
        (None, None),
    ]
    assert results[0].unresolved_line_nos == (3,)
    session.expunge_all()
    order = orders.get_order(session, "acme", "PO-1")
    assert order is not None and order.id == results[0].order_id
    session.close()  # everything promised must be loaded already
    assert (order.status, order.revision, order.purpose, order.source_ref) == ("booked", 1, "original", "msg-17")
    assert order.created_at.tzinfo == UTC
    assert [line.line_no for line in order.lines] == [1, 2, 3]
    assert [line.item_id for line in order.lines] == [gasket.id, widget.id, None]
    assert order.lines[1].gtin == "00036000291452" and order.lines[1].buyer_line_ref == "2"
    assert order.lines[0].quantity == Decimal("1.5") and order.lines[0].requested_date == date(2025, 12, 1)
    ship_to = order.party("ship_to")
    assert ship_to is not None and (ship_to.name, ship_to.id_code, ship_to.state) == ("Acme DC 4", "DC4", "TN")
    bill_to = order.party("bill_to")
    assert bill_to is not None and bill_to.postal_code == "02110"


def test_booking_twice_reports_duplicates_and_writes_nothing(session: Session) -> None:
    first = booking.book_orders(session, [make_order("PO-1"), make_order("PO-2")])
    session.commit()
    again = booking.book_orders(session, [make_order("PO-2"), make_order("PO-3"), make_order("PO-3")])
    session.commit()
    assert [(r.po_number, r.status) for r in again] == [
        ("PO-2", "duplicate"),
        ("PO-3", "booked"),
        ("PO-3", "duplicate"),
    ]
    assert again[0].order_id == first[1].order_id and again[0].lines == ()
    assert again[2].order_id == again[1].order_id
    assert count(session, SalesOrder) == 3
    assert count(session, SalesOrderLine) == 9


def test_results_keep_input_order_across_batches(session: Session) -> None:
    inputs = [make_order(f"PO-{n:02d}", lines=2) for n in (5, 3, 9, 1, 7, 2, 8, 4, 6, 0)]
    results = booking.book_orders(session, inputs, batch_size=3)
    session.commit()
    assert [r.po_number for r in results] == [o.po_number for o in inputs]
    assert len({r.order_id for r in results}) == 10
    by_id = {o.id: o.po_number for o in orders.list_orders(session, limit=100)}
    assert all(by_id[r.order_id] == r.po_number for r in results)


def test_race_after_the_prequery_falls_back_to_savepoints(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another worker books PO-2 between our pre-query and our INSERT: the unique key decides."""
    earlier = booking.book_orders(session, [make_order("PO-2")])
    session.commit()
    real_existing = booking._existing_order_ids
    calls: list[int] = []

    def blind_first_prequery(connection, keys):  # type: ignore[no-untyped-def]
        calls.append(1)
        return {} if len(calls) == 1 else real_existing(connection, keys)

    monkeypatch.setattr(booking, "_existing_order_ids", blind_first_prequery)
    results = booking.book_orders(session, [make_order("PO-1"), make_order("PO-2"), make_order("PO-3")])
    session.commit()
    assert [(r.po_number, r.status) for r in results] == [("PO-1", "booked"), ("PO-2", "duplicate"), ("PO-3", "booked")]
    assert results[1].order_id == earlier[0].order_id
    assert count(session, SalesOrder) == 3
    assert count(session, SalesOrderLine) == 9


def test_integrity_errors_other_than_duplicates_propagate(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    def index_pointing_at_a_missing_item(connection, orders):  # type: ignore[no-untyped-def]
        return booking._ItemIndex(xref={("acme", "ACME-G7"): 999_999}, by_number={}, by_gtin={})

    monkeypatch.setattr(booking, "_load_item_index", index_pointing_at_a_missing_item)
    with pytest.raises(IntegrityError):
        booking.book_orders(session, [make_order("PO-1")])
    session.rollback()
    assert count(session, SalesOrder) == 0


def test_unknown_partner_is_refused_before_writing(session: Session) -> None:
    with pytest.raises(UnknownPartnerError) as raised:
        booking.book_orders(session, [make_order("PO-1"), make_order("PO-2", partner_id="nobody")])
    assert raised.value.partner_ids == frozenset({"nobody"})
    session.rollback()
    assert count(session, SalesOrder) == 0


def test_concurrent_workers_never_book_a_po_twice(session: Session, engine: Engine) -> None:
    inputs = [make_order(f"PO-{n}", lines=2) for n in range(40)]
    barrier = threading.Barrier(3)
    outcomes: list[list[booking.BookingResult]] = []

    def worker(chunk: list[OrderInput]) -> None:
        with Session(engine) as own:
            barrier.wait()
            outcomes.append(booking.book_orders(own, chunk, batch_size=8))
            own.commit()

    threads = [threading.Thread(target=worker, args=(inputs[offset:] + inputs[:offset],)) for offset in (0, 13, 27)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 3
    booked = [r.po_number for outcome in outcomes for r in outcome if r.status == "booked"]
    assert sorted(booked) == sorted(o.po_number for o in inputs)
    assert count(session, SalesOrder) == 40
    assert count(session, SalesOrderLine) == 80


@pytest.mark.postgres
def test_postgres_worker_blocked_by_an_uncommitted_booking_reports_duplicates() -> None:
    """Deterministic race: B inserts while A holds the same POs uncommitted, then A commits."""
    with postgres_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        try:
            _race_two_workers(engine)
        finally:
            engine.dispose()


def _race_two_workers(engine: Engine) -> None:
    with Session(engine) as setup:
        add_acme(setup)
        setup.commit()
    inputs = [make_order("PO-1"), make_order("PO-2")]
    outcome: list[list[booking.BookingResult]] = []

    def second_worker() -> None:
        with Session(engine) as second:
            outcome.append(booking.book_orders(second, [*inputs, make_order("PO-3")]))
            second.commit()

    with Session(engine) as first:
        mine = booking.book_orders(first, inputs)
        thread = threading.Thread(target=second_worker)
        thread.start()
        _wait_for_lock_wait(engine)
        first.commit()
        thread.join(timeout=30)
    assert [(r.po_number, r.status) for r in outcome[0]] == [
        ("PO-1", "duplicate"),
        ("PO-2", "duplicate"),
        ("PO-3", "booked"),
    ]
    assert [r.order_id for r in outcome[0][:2]] == [r.order_id for r in mine]


def _wait_for_lock_wait(engine: Engine, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    while time.monotonic() < deadline:
        with engine.connect() as probe:
            if probe.execute(query).scalar_one() > 0:
                return
        time.sleep(0.02)
    raise AssertionError("the second worker never waited for the first one's row lock")


# -- decimals and listings ------------------------------------------------------------


def test_decimals_are_exact_in_and_out(session: Session) -> None:
    values = [
        Decimal("0.1") + Decimal("0.2"),
        Decimal("0.000001"),
        Decimal("999999999999.999999"),  # 18 significant digits: more than a double holds
        Decimal("123456789.123457"),
    ]
    lines = tuple(OrderLineInput(buyer_part="P", quantity=v, uom="EA", unit_price=v) for v in values)
    tenths = tuple(OrderLineInput(buyer_part="T", quantity=Decimal("0.1"), uom="EA") for _ in range(10))
    order = OrderInput(partner_id="acme", po_number="DEC-1", order_date=date(2025, 1, 2), lines=lines + tenths)
    booking.book_orders(session, [order])
    session.commit()
    session.expunge_all()
    stored = orders.get_order(session, "acme", "DEC-1")
    assert stored is not None
    assert [line.quantity for line in stored.lines[:4]] == values
    assert [line.unit_price for line in stored.lines[:4]] == values
    assert stored.lines[0].quantity == Decimal("0.3") and str(stored.lines[0].quantity) == "0.300000"
    total = session.exec(
        select(func.sum(SalesOrderLine.quantity)).where(SalesOrderLine.buyer_part == "T")  # type: ignore[arg-type]
    ).one()[0]
    assert total == Decimal("1") and isinstance(total, Decimal)


def test_column_type_refuses_rounding_even_without_input_validation(session: Session) -> None:
    [result] = booking.book_orders(session, [make_order("PO-1", lines=1)])
    row = {"order_id": result.order_id, "line_no": 2, "quantity": Decimal("0.1234567"), "uom": "EA"}
    with pytest.raises(StatementError, match="does not fit NUMERIC"):
        session.connection().execute(insert(SalesOrderLine.__table__), [row])  # type: ignore[arg-type]


def test_inexact_quantities_are_refused() -> None:
    with pytest.raises(ValidationError):
        OrderLineInput(quantity=Decimal("1.0000001"), uom="EA")
    with pytest.raises(ValidationError):
        OrderLineInput(quantity=Decimal("1000000000000"), uom="EA")
    with pytest.raises(ValidationError):
        OrderLineInput(quantity=Decimal("0"), uom="EA")


def _outcome(value: object, validate: Any) -> tuple[Any, ...]:
    try:
        return ("ok", repr(validate(value)))
    except ValidationError as exc:
        return ("error", [(error["type"], error["msg"]) for error in exc.errors()])


@pytest.mark.parametrize(("field", "constraint"), [("quantity", Field(gt=0)), ("unit_price", Field(ge=0))])
def test_amount_validation_matches_pydantic_numeric_constraints(field: str, constraint: Any) -> None:
    """The quick exactness check accepts and refuses exactly what max_digits/decimal_places do, with their errors."""
    reference = TypeAdapter(Annotated[Decimal, constraint, Field(max_digits=18, decimal_places=6)])
    rng = random.Random(850)
    values: list[object] = [
        Decimal(f"{rng.choice('-+')}{rng.randrange(10 ** rng.randint(1, 21))}E{rng.randint(-12, 14)}")
        for _ in range(3000)
    ]
    values += ["0", "-0", "0E-20", "1.0000000", "999999999999.999999", "1E+12", "NaN", "-Infinity", "1E+999999"]
    values += [Decimal("1.000000000000000000000000000001"), 7, 0.5, "abc", True]
    for value in values:
        ours = _outcome(value, lambda v: getattr(OrderLineInput(**{"quantity": 1, "uom": "EA", field: v}), field))
        assert ours == _outcome(value, reference.validate_python), value


def test_exactness_helpers() -> None:
    assert exact_millionths(Decimal("1E+999999")) is None and not fits_exactly(Decimal("1E+999999"))
    assert exact_millionths(Decimal("1E-999999")) is None and not fits_exactly(Decimal("1E-999999"))
    assert to_millionths(Decimal("0E-10")) == 0 and to_millionths(Decimal("-12.5000000")) == -12_500_000
    assert fits_exactly(Decimal("999999999999.999999")) and not fits_exactly(Decimal("1000000000000"))
    with pytest.raises(ValueError, match="exactly"):
        to_millionths(Decimal("0.0000001"))


def test_normalize_gtin_accepts_exactly_the_right_check_digits() -> None:
    rng = random.Random(14)
    for _ in range(2000):
        length = rng.choice((8, 12, 13, 14))
        body = "".join(rng.choice("0123456789") for _ in range(length - 1))
        for check in "0123456789":
            padded = (body + check).zfill(14)
            valid = gtin_check_digit(padded) == int(check)
            if valid:
                assert normalize_gtin(f" {body}{check} ") == padded
            else:
                with pytest.raises(ValueError, match="check digit"):
                    normalize_gtin(body + check)
    with pytest.raises(ValueError, match="8, 12, 13 or 14"):
        normalize_gtin("０３６０００２９１４５２")  # full-width digits are digits, but not ASCII


def test_listing_orders(session: Session) -> None:
    partners.add_partner(session, "zeta", name="Zeta", x12_ids=[("ZZ", "ZETA")])
    for order in (make_order("A-1"), make_order("Z-1", partner_id="zeta", lines=5), make_order("A-2")):
        booking.book_orders(session, [order])
    session.commit()
    assert [o.po_number for o in orders.list_orders(session)] == ["A-2", "Z-1", "A-1"]
    assert [o.po_number for o in orders.list_orders(session, "acme", limit=1)] == ["A-2"]
    records = orders.order_records(session, partner_id="zeta")
    assert [(r["po_number"], r["lines"], r["order_date"]) for r in records] == [("Z-1", 5, "2025-11-20")]
    assert orders.get_order(session, "zeta", "A-1") is None


# -- volume -----------------------------------------------------------------------------


def test_booking_a_large_batch(session: Session) -> None:
    """2,000 POs x 20 lines in one call are all stored (speed is measured by bench/bench_book.py)."""
    inputs = [make_order(f"PERF-{n:05d}", lines=20, source_ref=f"msg-{n}") for n in range(2000)]
    results = booking.book_orders(session, inputs)
    session.commit()
    assert all(r.status == "booked" for r in results)
    assert count(session, SalesOrderLine) == 40_000
