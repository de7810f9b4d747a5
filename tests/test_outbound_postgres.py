"""Several gateway workers sending one partner's business documents at once, on PostgreSQL.

Real PostgreSQL on 127.0.0.1:5432 (a fresh database per test, ``erp_fixtures.postgres_database``)
and real worker processes, each with its own context and engine: released together by a
barrier, or queued in a chosen order on the partner's control numbers (the order that once
deadlocked an 810 run against an 856 run). Either way every shipment must get exactly one 856
and one 810 (and one ERP invoice), every shipped lot one 863 and one PDF certificate, and the
partner's ISA13, GS06 and ST02 numbers must run 1..n without a hole or a repeat, as written in
the archived interchanges and as the ledger records them; a later run sends nothing.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
from erp_fixtures import add_acme, postgres_database
from erp_shipping_support import book, carton, pallet, ship_line, shipped
from outbound_doc_support import OUTBOUND, archived_text, valid_sets, widget_lot
from sqlalchemy import Connection, create_engine, func, select, text
from sqlmodel import Session

from edi.x12.model import TransactionSet
from erp_core.models_billing import Invoice
from erp_core.models_shipping import Shipment, ShipmentLine
from gateway.context import Context
from gateway.ledger.models import ControlCounter, Message, OutboundDocument
from gateway.outbound.documents import run_due
from gateway.settings import Settings

pytestmark = pytest.mark.postgres

SHIPMENTS = 20  # two shipments draw on each lot: one certificate per lot, however many shipments
LOTS = SHIPMENTS // 2
WORKER_TIMEOUT = 120  # seconds; only a hung worker ever comes near it
ALL_KINDS = None  # run_due's default: every document that is due unasked (all but the 870)
# What the scheduler's per-kind jobs would run side by side on several workers.
BY_KIND: tuple[list[str] | None, ...] = (["856"], ["810"], ["863", "certificate"])
# Forked after the imports, so a worker starts in milliseconds (a fresh interpreter per worker
# costs seconds). Each opens its own engine after the fork and never touches a connection it
# inherited; it ends with os._exit, so those are not closed under the parent either.
PROCESSES = multiprocessing.get_context("fork")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The settings (as plain data, for the workers) of a gateway on a fresh PostgreSQL database
    holding partner acme and SHIPMENTS confirmed shipments of LOTS passing lots."""
    with postgres_database() as url:
        settings = {"gateway": {"x12_id": "ZZ:EDIPULSE"}, "database": {"url": url},
                    "outbound": {"acme": {**OUTBOUND, "documents": ["856", "863", "certificate", "810"]}},
                    "base_dir": str(tmp_path)}
        ctx = _open(settings)
        try:
            with Session(ctx.engine) as session:
                add_acme(session)
                session.commit()
                for lot in range(1, LOTS + 1):
                    widget_lot(session, f"W-{lot:03d}")
                for n in range(1, SHIPMENTS + 1):
                    _ship(session, n, f"W-{(n + 1) // 2:03d}")
        finally:
            ctx.close()
        yield settings


def _ship(session: Session, n: int, lot_number: str) -> None:
    """Order PO-n booked; 3 WIDGET-1 of the lot shipped as SH-n on a pallet in two cartons."""
    _, widget_line = book(session, f"PO-{n}")
    shipped(session, f"SH-{n}", ship_line(widget_line, 2, lot_number=lot_number, package_ref="C1"),
            ship_line(widget_line, 1, lot_number=lot_number, package_ref="C2"),
            packages=(pallet("P1"), carton("C1", "P1"), carton("C2", "P1")))


def _worker(settings: dict[str, Any], kinds: list[str] | None, start: Barrier, results: Any) -> None:
    """One gateway worker: its own context and engine; runs the documents due once everyone is ready."""
    ctx = _open(settings)
    try:
        start.wait(WORKER_TIMEOUT)
        results.put(("ok", run_due(ctx, kinds=kinds)))
    except Exception as exc:  # noqa: BLE001  # process boundary: the test reports what a worker hit
        results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        ctx.close()


def _start(settings: dict[str, Any], kinds: list[str] | None, start: Barrier, results: Any) -> BaseProcess:
    worker = PROCESSES.Process(target=_worker, args=(settings, kinds, start, results))
    worker.start()
    return worker


def _outcomes(workers: list[BaseProcess], results: Any) -> list[int]:
    """Every worker's created message ids; fails with what a worker hit, if one failed."""
    try:
        outcomes = [results.get(timeout=WORKER_TIMEOUT) for _ in workers]
    finally:
        for worker in workers:
            worker.join(WORKER_TIMEOUT)
    assert [worker.exitcode for worker in workers] == [0] * len(workers)
    failures = [detail for status, detail in outcomes if status != "ok"]
    assert failures == [], failures
    return [message_id for _, created in outcomes for message_id in created]


def run_workers(settings: dict[str, Any], kinds_per_worker: tuple[list[str] | None, ...]) -> list[int]:
    """Run ``run_due`` in one process per entry, released at the same moment; the message ids created."""
    start, results = PROCESSES.Barrier(len(kinds_per_worker)), PROCESSES.Queue()
    return _outcomes([_start(settings, kinds, start, results) for kinds in kinds_per_worker], results)


def run_queued(settings: dict[str, Any], kinds_per_worker: tuple[list[str] | None, ...]) -> list[int]:
    """Run the workers one after another into a wait on the partner's ST counter, held here,
    then release them: PostgreSQL hands the row on in the order they queued."""
    engine = create_engine(settings["database"]["url"])
    results, workers = PROCESSES.Queue(), []
    try:
        with engine.connect() as watcher, engine.connect() as gate:
            watcher.execution_options(isolation_level="AUTOCOMMIT")  # pg_stat_activity fresh on each look
            _counter_row(gate)
            gate.execute(select(ControlCounter).where(ControlCounter.partner_id == "acme",
                                                      ControlCounter.kind == "st").with_for_update())
            for kinds in kinds_per_worker:
                workers.append(_start(settings, kinds, PROCESSES.Barrier(1), results))
                _wait_until_waiting(watcher, workers)
            gate.rollback()
    finally:
        engine.dispose()
    return _outcomes(workers, results)


def _counter_row(connection: Connection) -> None:
    """The partner's ST counter row (at 0, as a partner that never had a number) for the gate to lock."""
    connection.execute(ControlCounter.__table__.insert().values(partner_id="acme", kind="st", last_value=0))
    connection.commit()


def _wait_until_waiting(watcher: Connection, workers: list[BaseProcess]) -> None:
    """Until every worker started waits for a lock (or one has ended, which the outcomes report)."""
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'")
    deadline = time.monotonic() + WORKER_TIMEOUT
    while watcher.execute(waiting).scalar_one() < len(workers) and all(w.is_alive() for w in workers):
        assert time.monotonic() < deadline, "the workers never reached the partner's control numbers"
        time.sleep(0.02)


def _open(settings: dict[str, Any]) -> Context:
    return Context.open(Settings.model_validate(settings))


def assert_sent_once(ctx: Context, created: list[int]) -> None:
    """Each shipment one 856 + one 810 + one invoice, each lot one 863 + one PDF; numbers 1..n.

    ``created``: the message ids the runs returned (interchanges and PDF files).
    """
    with Session(ctx.engine) as session:
        shipments = {s.id: s for s in session.execute(select(Shipment)).scalars()}
        lot_ids = _lot_ids(session)
        documents = list(session.execute(select(OutboundDocument)).scalars())
        invoices = list(session.execute(select(Invoice)).scalars())
        messages = {m.id: m for m in session.execute(select(Message).where(Message.direction == "out")).scalars()}
    assert len(shipments) == SHIPMENTS and len(lot_ids) == LOTS
    assert all(doc.status == "created" and doc.message_id is not None for doc in documents)
    by_kind = Counter((doc.kind, doc.erp_table) for doc in documents)
    assert by_kind == {("856", "erp_shipment"): SHIPMENTS, ("810", "erp_shipment"): SHIPMENTS,
                       ("863", "erp_lot"): LOTS, ("certificate", "erp_lot"): LOTS}
    for kind, ids in (("856", set(shipments)), ("810", set(shipments)), ("863", lot_ids),
                      ("certificate", lot_ids)):
        assert {doc.erp_id for doc in documents if doc.kind == kind} == ids, kind
    carriers = [doc.message_id for doc in documents]
    assert len(set(carriers)) == len(carriers), "one set (or PDF file) per document"

    sets = [m for m in messages.values() if m.kind == "set"]
    assert Counter(m.set_id for m in sets) == {"856": SHIPMENTS, "863": LOTS, "810": SHIPMENTS}
    assert {doc.message_id for doc in documents if doc.kind != "certificate"} == {m.id for m in sets}
    pdfs = [m for m in messages.values() if m.kind == "file"]
    assert {doc.message_id for doc in documents if doc.kind == "certificate"} == {m.id for m in pdfs}
    interchanges = [m for m in messages.values() if m.kind == "interchange"]
    assert sorted(created) == sorted(m.id for m in interchanges + pdfs)

    assert sorted(i.shipment_id for i in invoices) == sorted(shipments), "one ERP invoice per shipment"
    set_ids = {m.id for m in sets if m.set_id == "810"}
    assert all(i.message_ref and int(i.message_ref.rsplit(" ", 1)[1].rstrip(")")) in set_ids for i in invoices)
    assert all(s.asn_message_ref and "856 ISA13" in s.asn_message_ref for s in shipments.values())
    _assert_gap_free(ctx, interchanges, sets)


def _lot_ids(session: Session) -> set[int]:
    return set(session.execute(select(ShipmentLine.lot_id).distinct()).scalars())


def _assert_gap_free(ctx: Context, interchanges: list[Message], set_rows: list[Message]) -> None:
    """ISA13, GS06 and ST02 as written in the archived interchanges run 1..n, as the ledger says."""
    written: list[TransactionSet] = [tx for m in interchanges for tx in valid_sets(archived_text(ctx, m.id))]
    isa13 = sorted(int(m.isa13 or 0) for m in interchanges)
    assert isa13 == list(range(1, len(interchanges) + 1))
    assert sorted({int(tx.group.interchange.control_number) for tx in written}) == isa13
    gs06 = sorted({(tx.group.interchange.control_number, tx.group.control_number) for tx in written})
    assert sorted(int(g) for _, g in gs06) == list(range(1, len(gs06) + 1))
    st02 = sorted(int(tx.control_number) for tx in written)
    assert st02 == list(range(1, len(set_rows) + 1))
    in_ledger = sorted((m.isa13, int(m.gs06 or 0), int(m.st02 or 0)) for m in set_rows)
    assert in_ledger == sorted((tx.group.interchange.control_number, int(tx.group.control_number),
                                int(tx.control_number)) for tx in written)


def _counts(ctx: Context) -> tuple[int, int, int]:
    with Session(ctx.engine) as session:
        return tuple(session.execute(select(func.count()).select_from(model)).scalar_one()  # type: ignore[return-value]
                     for model in (OutboundDocument, Message, Invoice))


def _second_round_sends_nothing(ctx: Context) -> None:
    before = _counts(ctx)
    assert run_due(ctx) == []
    assert _counts(ctx) == before


def test_three_workers_released_together_send_every_document_once(site: dict[str, Any]) -> None:
    created = run_workers(site, (ALL_KINDS,) * 3)
    ctx = _open(site)
    try:
        assert_sent_once(ctx, created)
        _second_round_sends_nothing(ctx)
    finally:
        ctx.close()


def test_invoice_run_queued_behind_ship_notices_does_not_deadlock(site: dict[str, Any]) -> None:
    """The 856 run gets the partner's numbers first, the 810 run next: the 810 run must not lock
    a shipment the 856 run is about to mark while it waits (PostgreSQL would kill one of them)."""
    created = run_queued(site, BY_KIND)
    ctx = _open(site)
    try:
        assert_sent_once(ctx, created)
        _second_round_sends_nothing(ctx)
    finally:
        ctx.close()
