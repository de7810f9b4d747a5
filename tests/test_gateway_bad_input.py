"""Bad input on the full pipeline: a coded ledger row, the acknowledgement the standard prescribes,
the raw bytes kept, and nothing half-booked."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from support import DATA, Workdir, ack_sets, assert_rejected, messages, orders, tags, write_variant

PO_4010 = DATA / "gateway" / "acme-850-4010.x12"
PO_5010 = DATA / "gateway" / "acme-850-5010.x12"


def archived(workdir: Workdir, data: bytes) -> Path:
    sha = hashlib.sha256(data).hexdigest()
    return workdir.root / "data" / "archive" / sha[:2] / sha[2:4] / sha


@pytest.mark.parametrize(("edit", "code", "ak3", "ak4"), [
    (("PO1*1*250*EA*18.75", "PO1*1*2X0*EA*18.75"), "ELEM_INVALID_NUMBER", ["PO1", "12"], ["2", "330", "6"]),
    (("BEG*00*SA*4500012345**20261120", "BEG*00*SA***20261120"), "ELEM_MANDATORY_MISSING", ["BEG", "2"],
     ["3", "324", "1"]),
    (("CUR*BY*USD~", "ZZZ*BY*USD~"), "SEG_NOT_IN_SET", ["ZZZ", "3"], None),
    (("BEG*00*SA*4500012345", "BEG*99*SA*4500012345"), "ELEM_INVALID_CODE", ["BEG", "2"], ["1", "353", "7"]),
])
def test_syntax_errors_reject_their_set_with_ak3_ak4(workdir: Workdir, tmp_path: Path, edit: tuple[str, str],
                                                     code: str, ak3: list[str], ak4: list[str] | None) -> None:
    bad = write_variant(tmp_path, PO_4010, "bad.x12", edit)
    assert_rejected(workdir.run("ingest", bad))
    [rejected] = messages(workdir, "--status", "error", "--kind", "set")
    assert rejected["error_code"] == code and rejected["st02"] == "0001"
    assert [o["po_number"] for o in orders(workdir)] == ["4500012346"], "the neighbour set is booked"
    [ack] = ack_sets(workdir.outbox_files()[0])
    assert tags(ack, "AK3")[0][1:3] == ak3
    if ak4 is not None:
        assert tags(ack, "AK4")[0][1:4] == ak4
    assert tags(ack, "AK9")[0][1:5] == ["P", "2", "2", "1"]


def test_group_trailer_error_rejects_the_group_and_books_nothing(workdir: Workdir, tmp_path: Path) -> None:
    bad = write_variant(tmp_path, PO_4010, "ge.x12", ("GE*2*101", "GE*3*101"))
    assert_rejected(workdir.run("ingest", bad))
    assert orders(workdir) == []
    sets = messages(workdir, "--kind", "set")
    assert {s["error_code"] for s in sets} == {"GE_COUNT_MISMATCH"}
    [ack] = ack_sets(workdir.outbox_files()[0])
    assert tags(ack, "AK9")[0][1:6] == ["R", "3", "2", "0", "5"]


def test_5010_errors_are_answered_with_ik3_ik4(workdir: Workdir, tmp_path: Path) -> None:
    bad = write_variant(tmp_path, PO_5010, "bad5010.x12", ("BEG*00*SA*4500022001**20261120",
                                                          "BEG*00*SA*4500022001**20261131"))
    assert_rejected(workdir.run("ingest", bad))
    [ack] = ack_sets(workdir.outbox_files()[0])
    assert ack[0][:2] == ["ST", "999"] and ack[0][3] == "005010X231A1"
    assert tags(ack, "IK3")[0][1:3] == ["BEG", "2"]
    assert tags(ack, "IK4")[0][1] == "5" and tags(ack, "IK4")[0][3] == "8"
    assert tags(ack, "IK5")[0][1] == "R"
    assert tags(ack, "AK9")[0][1] == "R"


def test_wrong_encoding_is_coded_and_the_raw_bytes_are_kept(workdir: Workdir, tmp_path: Path) -> None:
    data = PO_4010.read_bytes().replace(b"CATHETER", "CATHÉTER".encode("latin-1"))
    latin = tmp_path / "latin1.x12"
    latin.write_bytes(data)
    result = workdir.run("ingest", latin)
    assert result.code == 1 and "FILE_ENCODING" in result.err
    [file_msg] = messages(workdir, "--kind", "file")
    assert file_msg["error_code"] == "FILE_ENCODING"
    assert archived(workdir, data).read_bytes() == data
    assert orders(workdir) == [], "an interchange cut by a decoding error is not booked"


def test_oversize_file_is_quarantined_and_logged(workdir: Workdir, tmp_path: Path) -> None:
    config = workdir.config
    config.write_text(config.read_text().replace("max_file_bytes: 2147483648", "max_file_bytes: 500"))
    workdir.drop(PO_4010, "big.x12")
    assert workdir.run("run", "--once").code == 0
    [refused] = messages(workdir, "--kind", "file")
    assert refused["status"] == "refused" and refused["error_code"] == "FILE_TOO_LARGE"
    kept = workdir.root / "data" / "archive" / "quarantine" / "big.x12"
    assert kept.read_bytes() == PO_4010.read_bytes()
    assert not (workdir.root / "inbox" / "big.x12").exists()
    assert_rejected(workdir.run("ingest", PO_4010))
    assert PO_4010.is_file(), "a file named on the command line is copied to quarantine, never moved"


def test_interchange_not_addressed_to_us_is_refused_with_ta1(workdir: Workdir, tmp_path: Path) -> None:
    other = write_variant(tmp_path, PO_4010, "elsewhere.x12", ("ZZ*EDIPULSE       ", "ZZ*SOMEONEELSE    "))
    assert_rejected(workdir.run("ingest", other))
    [refused] = messages(workdir, "--kind", "interchange")
    assert refused["status"] == "refused" and refused["error_code"] == "ISA_RECEIVER_UNKNOWN"
    text = workdir.outbox_files()[0].read_text()
    assert "TA1*000000101*261120*1015*R*008" in text
    assert orders(workdir) == []


def test_bad_isa_date_is_rejected_with_ta1(workdir: Workdir, tmp_path: Path) -> None:
    bad = write_variant(tmp_path, PO_4010, "isadate.x12", ("*261120*1015*", "*261340*1015*"))
    assert_rejected(workdir.run("ingest", bad))
    [rejected] = messages(workdir, "--kind", "interchange")
    assert rejected["error_code"] == "ISA_DATE"
    assert orders(workdir) == []


def test_reprocess_refuses_a_successful_message_without_force(workdir: Workdir) -> None:
    assert workdir.run("ingest", PO_4010).code == 0
    interchange = messages(workdir, "--kind", "interchange")[0]
    result = workdir.run("messages", "reprocess", str(interchange["id"]))
    assert result.code == 1 and "--force" in result.err
    forced = workdir.run("messages", "reprocess", str(interchange["id"]), "--force")
    assert forced.code == 0, forced.err
    assert len(orders(workdir)) == 2, "reprocessing never books twice"
    sets = messages(workdir, "--kind", "set")
    assert sorted(s["status"] for s in sets) == ["acknowledged", "acknowledged", "duplicate", "duplicate"]


def test_unknown_message_is_exit_4(workdir: Workdir) -> None:
    assert workdir.run("messages", "show", "999").code == 4
    assert workdir.run("messages", "reprocess", "999").code == 4


def test_message_detail_lists_history_and_children(workdir: Workdir) -> None:
    assert workdir.run("ingest", PO_4010).code == 0
    interchange = messages(workdir, "--kind", "interchange")[0]
    shown = json.loads(workdir.run("messages", "show", str(interchange["id"]), "--json").out)
    assert [c["st02"] for c in shown["children"] if c["kind"] == "set"] == ["0001", "0002"]
    assert [e["status"] for e in shown["events"]] == ["received", "acknowledged"]
    [first_set] = [c for c in shown["children"] if c["st02"] == "0001"]
    detail = json.loads(workdir.run("messages", "show", str(first_set["id"]), "--json").out)
    assert [e["status"] for e in detail["events"]] == ["received", "parsed", "mapped", "booked", "acknowledged"]
    table = workdir.run("messages", "show", str(interchange["id"]))
    assert table.code == 0 and "History" in table.out


def test_broken_partner_mapping_holds_the_interchange_until_fixed(workdir: Workdir) -> None:
    mapping = workdir.root / "mappings" / "partners" / "acme" / "850.yaml"
    mapping.parent.mkdir(parents=True)
    mapping.write_text("extends: default/850.yaml\nfields:\n  po_number: {path: BEG3X}\n")
    translated = workdir.run("translate", PO_4010, "--json")
    assert translated.code == 3
    assert "850.yaml" in translated.err and "fields.po_number.path" in translated.err and "line 3" in translated.err

    assert_rejected(workdir.run("ingest", PO_4010))
    [held] = messages(workdir, "--kind", "interchange")
    assert held["status"] == "error" and held["error_code"] == "MAPPING_INVALID"
    assert orders(workdir) == [] and workdir.outbox_files() == [], "our own mistake is not the sender's rejection"

    mapping.write_text("extends: default/850.yaml\nfields:\n  po_number: {path: BEG03, required: true}\n")
    assert workdir.run("messages", "reprocess", str(held["id"])).code == 0
    assert len(orders(workdir)) == 2 and len(workdir.outbox_files()) == 1


def test_repeated_st02_in_a_group_rejects_the_second_set(workdir: Workdir, tmp_path: Path) -> None:
    bad = write_variant(tmp_path, PO_4010, "st02.x12", ("ST*850*0002", "ST*850*0001"), ("SE*16*0002", "SE*16*0001"))
    assert_rejected(workdir.run("ingest", bad))
    assert [o["po_number"] for o in orders(workdir)] == ["4500012345"]
    [ack] = ack_sets(workdir.outbox_files()[0])
    assert [s[1:] for s in tags(ack, "AK5")] == [["A"], ["R", "23"]]
