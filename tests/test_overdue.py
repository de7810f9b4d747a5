"""Outbound sets without a 997/999 within their window: listed, marked overdue once, still settled later."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlmodel import Session
from support import Workdir, messages
from test_fa_reconcile import _engine, _fa, _ingest, _out_sets, _sent_855s

from gateway.ledger.models import MessageEvent, utcnow
from gateway.outbound.reconcile import mark_overdue, overdue_sets
from gateway.scheduler.config import FunctionalAckSettings


def _backdate_sending(wd: Workdir, hours: float) -> None:
    """Pretend the 855 interchange was sent ``hours`` ago (its 'sent' event)."""
    with Session(_engine(wd)) as session:
        session.execute(update(MessageEvent).where(MessageEvent.status == "sent")
                        .values(at=utcnow() - timedelta(hours=hours)))
        session.commit()


def test_windows_per_partner_and_document_with_default() -> None:
    windows = FunctionalAckSettings.model_validate({"window_hours": 24, "documents": {856: 4},
                                                    "partners": {"acme": {856: 2, "810": 48}}})
    assert windows.window("acme", "856") == timedelta(hours=2)
    assert windows.window("other", "856") == timedelta(hours=4)
    assert windows.window("acme", "855") == timedelta(hours=24)
    assert windows.shortest() == timedelta(hours=2)


def test_sets_become_overdue_after_their_window_once(workdir: Workdir) -> None:
    _sent_855s(workdir)
    windows = FunctionalAckSettings.model_validate({"partners": {"acme": {"855": 2}}})
    with Session(_engine(workdir)) as session:
        assert overdue_sets(session, windows) == []  # just sent
        later = utcnow() + timedelta(hours=2, minutes=1)
        assert [o.message.set_id for o in overdue_sets(session, windows, later)] == ["855", "855"]
        assert overdue_sets(session, windows, later, partner_id="nobody") == []
        first = mark_overdue(session, windows, later)
        session.commit()
        assert len(first) == 2 and mark_overdue(session, windows, later + timedelta(hours=1)) == []
        session.commit()
        events = session.execute(select(MessageEvent.status).where(MessageEvent.message_id.in_(first))).scalars()
        assert sorted(events) == ["awaiting-fa"] * 2 + ["overdue"] * 2
    sets = _out_sets(workdir)
    assert {(m["status"], m["error_code"]) for m in sets} == {("overdue", "FA_OVERDUE")}


def test_cli_lists_overdue_and_a_late_997_settles_them(workdir: Workdir, tmp_path: Path) -> None:
    gs06, st02s = _sent_855s(workdir)
    assert messages(workdir, "--overdue") == []
    _backdate_sending(workdir, 25)  # the default window is 24 hours
    listed = messages(workdir, "--overdue")
    assert [(m["set_id"], m["st02"], m["window_hours"]) for m in listed] == [("855", s, 24.0) for s in st02s]
    assert workdir.run("messages", "--overdue").out.count("855") >= 2  # the table form
    _ingest(workdir, tmp_path, "late.x12", _fa(401, "997", [f"AK1*PR*{gs06}", "AK9*A*2*2*2"]))
    assert messages(workdir, "--overdue") == []
    assert {m["status"] for m in _out_sets(workdir)} == {"acknowledged"}


def test_housekeeping_marks_overdue_through_run_once(workdir: Workdir) -> None:
    _sent_855s(workdir)
    _backdate_sending(workdir, 30)
    with workdir.config.open("a") as config:
        config.write("schedule:\n  jobs:\n    - {name: housekeeping, job: housekeeping, cron: '*/15 * * * *'}\n")
    result = workdir.run("run", "--once")
    assert result.code == 0, result.err
    assert "housekeeping: ok:" in result.out and "2 set(s) now overdue" in result.out
    assert {m["status"] for m in _out_sets(workdir)} == {"overdue"}
