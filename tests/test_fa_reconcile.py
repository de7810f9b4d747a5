"""A partner's 997/999 about our 855s: matched by GS06 + ST02, per-set verdicts, unmatched sets kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session
from support import DATA, Workdir, messages

from edi.x12.model import GroupHeader, TransactionSet
from edi.x12.reader import read_events
from gateway.db import open_engine
from gateway.ledger.models import FaReceipt, Message
from gateway.settings import load_settings


def _engine(wd: Workdir):  # noqa: ANN202
    return open_engine(load_settings(wd.config).database_url)


def _our_855(wd: Workdir) -> tuple[str, list[str]]:
    """GS06 and the ST02s of the 855 group we wrote to the outbox."""
    path = next(p for p in wd.outbox_files() if "855" in p.name)
    gs06, st02s = "", []
    for event in read_events(path):
        if isinstance(event, GroupHeader):
            gs06 = event.control_number
        if isinstance(event, TransactionSet):
            st02s.append(event.control_number)
    return gs06, st02s


def _fa(isa13: int, kind: str, body: list[str]) -> str:
    """An FA interchange from acme to us holding one 997/999 set with ``body`` between ST and SE."""
    version = "004010" if kind == "997" else "005010X231A1"
    segments = [f"ST*{kind}*0001", *body]
    return "\n".join([
        f"ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *261121*1015*U*00401*{isa13:09d}*0*P*>~",
        f"GS*FA*ACMEMED*EDIPULSE*20261121*1015*{isa13}*X*{version}~",
        *(s + "~" for s in segments), f"SE*{len(segments) + 1}*0001~", f"GE*1*{isa13}~", f"IEA*1*{isa13:09d}~", ""])


def _sent_855s(workdir: Workdir) -> tuple[str, list[str]]:
    assert workdir.run("partners", "update", "acme", "--po-acks").code == 0
    workdir.drop(DATA / "gateway" / "acme-850-4010.x12")
    assert workdir.run("run", "--once").code == 0
    return _our_855(workdir)


def _ingest(wd: Workdir, tmp: Path, name: str, text: str) -> None:
    path = tmp / name
    path.write_text(text)
    result = wd.run("ingest", path)
    assert result.code == 0, result.err


def _out_sets(wd: Workdir) -> list[dict]:
    return sorted((m for m in messages(wd, "--kind", "set") if m["direction"] == "out"), key=lambda m: m["id"])


def test_855_sets_are_recorded_and_await_their_997(workdir: Workdir) -> None:
    gs06, st02s = _sent_855s(workdir)
    sets = _out_sets(workdir)
    assert [(m["set_id"], m["gs06"], m["st02"], m["status"]) for m in sets] == \
        [("855", gs06, st02, "awaiting-fa") for st02 in st02s]
    parent = next(m for m in messages(workdir) if m["id"] == sets[0]["parent_id"])
    assert parent["status"] == "sent" and parent["set_id"] == "855"


def test_997_accepts_one_rejects_other_and_keeps_unmatched(workdir: Workdir, tmp_path: Path) -> None:
    gs06, st02s = _sent_855s(workdir)
    assert len(st02s) == 2
    body = [f"AK1*PR*{gs06}", f"AK2*855*{st02s[0]}", "AK5*A", f"AK2*855*{st02s[1]}", "AK5*R*5",
            "AK2*855*9999", "AK5*A", "AK9*P*3*3*2"]
    _ingest(workdir, tmp_path, "fa.x12", _fa(301, "997", body))
    first, second = _out_sets(workdir)
    assert (first["status"], first["ack_code"], first["error_code"]) == ("acknowledged", "A", None)
    assert (second["status"], second["ack_code"], second["error_code"]) == ("rejected", "R", "FA_REJECTED")
    parent = next(m for m in messages(workdir) if m["id"] == first["parent_id"])
    assert (parent["status"], parent["ack_code"]) == ("acknowledged", "P")
    with Session(_engine(workdir)) as session:
        receipts = list(session.execute(select(FaReceipt).order_by(FaReceipt.id)).scalars())
    assert [(r.set_control, r.code, r.result, r.error_code, r.outbound_id) for r in receipts] == [
        (st02s[0], "A", "matched", None, first["id"]), (st02s[1], "R", "matched", None, second["id"]),
        ("9999", "A", "unmatched", "FA_UNMATCHED", None)]
    assert receipts[1].error_codes == "5"
    fa_set = next(m for m in messages(workdir, "--kind", "set") if m["set_id"] == "997")
    assert fa_set["status"] == "booked" and fa_set["direction"] == "in"  # read and applied; never acknowledged
    assert not [p for p in workdir.outbox_files() if p.name.startswith("997") and "301" in p.name]


def test_999_group_verdict_without_ik2_acknowledges_every_set(workdir: Workdir, tmp_path: Path) -> None:
    gs06, _ = _sent_855s(workdir)
    _ingest(workdir, tmp_path, "fa999.x12", _fa(302, "999", [f"AK1*PR*{gs06}*004010", "AK9*A*2*2*2"]))
    sets = _out_sets(workdir)
    assert [(m["status"], m["ack_code"]) for m in sets] == [("acknowledged", "A")] * 2
    parent = next(m for m in messages(workdir) if m["id"] == sets[0]["parent_id"])
    assert (parent["status"], parent["ack_code"]) == ("acknowledged", "A")


def test_997_for_a_group_we_never_sent_is_unmatched(workdir: Workdir, tmp_path: Path) -> None:
    stray = tmp_path / "stray.x12"
    stray.write_text(_fa(303, "997", ["AK1*IN*777", "AK9*R*1*1*0*3"]))
    result = workdir.run("ingest", stray)
    assert result.code == 1 and "FA_UNMATCHED" in result.err  # kept, and shown as an error on its own row
    assert [m["error_code"] for m in messages(workdir, "--kind", "set")] == ["FA_UNMATCHED"]
    with Session(_engine(workdir)) as session:
        receipts = list(session.execute(select(FaReceipt)).scalars())
        outbound = list(session.execute(select(Message).where(Message.direction == "out")).scalars())
    assert [(r.functional_id, r.group_control, r.code, r.result, r.error_code, r.error_codes) for r in receipts] \
        == [("IN", "777", "R", "unmatched", "FA_UNMATCHED", "3")]
    assert outbound == []


def test_translate_reads_a_999(workdir: Workdir) -> None:
    result = workdir.run("translate", "--json", DATA / "x12" / "x12-999" / "staedi-simple999.edi")
    assert result.code == 0, result.err
    assert '"functional_ack"' in result.out and '"group_control": "17456"' in result.out
    assert '"code": "R"' in result.out and '"error_codes": [\n            "5"' in result.out
