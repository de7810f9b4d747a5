"""End to end on the embedded default: file in inbox -> ledger -> ERP core -> 997/999 in outbox."""

from __future__ import annotations

import json
from pathlib import Path

from support import DATA, Workdir, ack_sets, assert_rejected, interchange_copy, messages, orders, tags, write_variant

PO_4010 = DATA / "gateway" / "acme-850-4010.x12"
PO_5010 = DATA / "gateway" / "acme-850-5010.x12"


def test_inbox_850_is_booked_and_acknowledged(workdir: Workdir) -> None:
    workdir.drop(PO_4010)
    result = workdir.run("run", "--once")
    assert result.code == 0, result.err
    assert not list((workdir.root / "inbox").iterdir()), "picked-up file must leave the inbox"

    booked = {o["po_number"]: o for o in orders(workdir)}
    assert set(booked) == {"4500012345", "4500012346"}
    assert booked["4500012345"]["lines"] == 3

    sets = messages(workdir, "--kind", "set")
    assert sorted(s["status"] for s in sets) == ["acknowledged", "acknowledged"]
    assert {s["ack_code"] for s in sets} == {"A"}
    interchange = messages(workdir, "--kind", "interchange")[0]
    assert interchange["status"] == "acknowledged"

    [ack_file] = workdir.outbox_files()
    assert ack_file.parent.name == "acme"
    [ack] = ack_sets(ack_file)
    assert ack[0][:2] == ["ST", "997"]
    assert tags(ack, "AK1")[0][1:3] == ["PO", "101"]
    assert [s[1:3] for s in tags(ack, "AK2")] == [["850", "0001"], ["850", "0002"]]
    assert all(s[1] == "A" for s in tags(ack, "AK5"))
    assert tags(ack, "AK9")[0][1:5] == ["A", "2", "2", "2"]
    head = ack_file.read_text().split("~")[0].split("*")
    assert (head[5], head[6].strip(), head[7], head[8].strip()) == ("ZZ", "EDIPULSE", "ZZ", "ACMEMED")


def test_raw_file_is_archived_by_hash_before_processing(workdir: Workdir) -> None:
    import hashlib

    workdir.drop(PO_4010)
    assert workdir.run("run", "--once").code == 0
    [file_msg] = messages(workdir, "--kind", "file")
    sha = hashlib.sha256(PO_4010.read_bytes()).hexdigest()
    archived = workdir.root / "data" / "archive" / sha[:2] / sha[2:4] / sha
    assert archived.read_bytes() == PO_4010.read_bytes()
    assert file_msg["status"] == "processed"


def test_resubmitted_interchange_is_detected_and_not_booked_again(workdir: Workdir, tmp_path: Path) -> None:
    assert workdir.run("ingest", PO_4010).code == 0
    copy = tmp_path / "again.x12"
    copy.write_bytes(PO_4010.read_bytes())
    assert_rejected(workdir.run("ingest", copy))
    assert len(orders(workdir)) == 2
    dup = messages(workdir, "--status", "duplicate", "--kind", "interchange")
    assert len(dup) == 1 and dup[0]["error_code"] == "DUPLICATE_INTERCHANGE"
    assert len(workdir.outbox_files()) == 1, "no second 997 for a resubmission"


def test_same_po_in_a_new_interchange_is_not_booked_twice(workdir: Workdir, tmp_path: Path) -> None:
    assert workdir.run("ingest", PO_4010).code == 0
    again = write_variant(tmp_path, PO_4010, "new-isa13.x12", ("*000000101*", "*000000102*"),
                          ("IEA*1*000000101", "IEA*1*000000102"))
    assert_rejected(workdir.run("ingest", again))
    assert len(orders(workdir)) == 2
    dups = messages(workdir, "--status", "duplicate", "--kind", "set")
    assert {d["error_code"] for d in dups} == {"BOOK_DUPLICATE_PO"} and len(dups) == 2


def test_one_bad_set_rejects_only_itself(workdir: Workdir, tmp_path: Path) -> None:
    bad = write_variant(tmp_path, PO_4010, "bad-date.x12",
                        ("BEG*00*SA*4500012346**20261120", "BEG*00*SA*4500012346**20261340"))
    assert_rejected(workdir.run("ingest", bad))
    assert [o["po_number"] for o in orders(workdir)] == ["4500012345"]
    [rejected] = messages(workdir, "--status", "error", "--kind", "set")
    assert rejected["error_code"] == "ELEM_INVALID_DATE" and rejected["ack_code"] == "R"
    [ack] = ack_sets(workdir.outbox_files()[0])
    assert tags(ack, "AK9")[0][1:5] == ["P", "2", "2", "1"]
    assert tags(ack, "AK3")[0][1:3] == ["BEG", "2"]
    assert tags(ack, "AK4")[0][1] == "5" and tags(ack, "AK4")[0][3] == "8"
    assert [s[1] for s in tags(ack, "AK5")] == ["A", "R"]


def test_se_count_mismatch_is_coded_in_the_997(workdir: Workdir, tmp_path: Path) -> None:
    bad = write_variant(tmp_path, PO_4010, "se.x12", ("SE*16*0002", "SE*18*0002"))
    assert_rejected(workdir.run("ingest", bad))
    [rejected] = messages(workdir, "--status", "error", "--kind", "set")
    assert rejected["error_code"] == "SE_COUNT_MISMATCH"
    [ack] = ack_sets(workdir.outbox_files()[0])
    assert tags(ack, "AK5")[1][1:3] == ["R", "4"]


def test_truncated_interchange_is_rejected_whole_with_ta1(workdir: Workdir, tmp_path: Path) -> None:
    text = PO_4010.read_text()
    cut = tmp_path / "truncated.x12"
    cut.write_text(text[: text.index("GE*2*101")])
    assert_rejected(workdir.run("ingest", cut))
    assert orders(workdir) == [], "nothing of a truncated interchange is booked"
    [interchange] = messages(workdir, "--kind", "interchange")
    assert interchange["status"] == "error" and interchange["error_code"] == "IEA_MISSING"
    [ack_file] = workdir.outbox_files()
    ta1 = [s for s in ack_file.read_text().split("~") if s.strip().startswith("TA1")]
    assert ta1 and ta1[0].strip().split("*")[4:6] == ["R", "023"]


def test_unknown_sender_is_refused_then_reprocessed(workdir: Workdir, tmp_path: Path) -> None:
    other = write_variant(tmp_path, PO_4010, "other.x12", ("ZZ*ACMEMED        ", "ZZ*OTHERCO        "))
    assert_rejected(workdir.run("ingest", other))
    assert orders(workdir) == []
    [refused] = messages(workdir, "--kind", "interchange")
    assert refused["status"] == "refused" and refused["error_code"] == "PARTNER_UNKNOWN"
    assert workdir.outbox_files() == []
    assert workdir.run("partners", "add", "other", "--x12", "ZZ:OTHERCO").code == 0
    result = workdir.run("messages", "reprocess", str(refused["id"]))
    assert result.code == 0, result.err
    assert len(orders(workdir)) == 2
    shown = json.loads(workdir.run("messages", "show", str(refused["id"]), "--json").out)
    assert shown["status"] == "acknowledged" and shown["attempts"] == 2
    assert [e["status"] for e in shown["events"]][:2] == ["received", "refused"]


def test_5010_group_is_answered_with_999(workdir: Workdir) -> None:
    assert workdir.run("ingest", PO_5010).code == 0
    [ack] = ack_sets(workdir.outbox_files()[0])
    assert ack[0][:2] == ["ST", "999"]
    assert tags(ack, "AK1")[0][1:4] == ["PO", "201", "005010"]
    assert tags(ack, "IK5")[0][1] == "A"


def test_ack_control_numbers_are_gap_free_per_partner(workdir: Workdir, tmp_path: Path) -> None:
    for n in range(3):
        variant = tmp_path / f"n{n}.x12"
        variant.write_text(interchange_copy(110 + n, 9_000_000_000 + 10 * n))
        assert workdir.run("ingest", variant).code == 0
    numbers = sorted(int(p.read_text().split("~")[0].split("*")[13]) for p in workdir.outbox_files())
    assert numbers == [1, 2, 3]


def test_non_x12_file_is_a_coded_error_and_kept(workdir: Workdir, tmp_path: Path) -> None:
    junk = tmp_path / "invoice.pdf"
    junk.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")
    result = workdir.run("ingest", junk)
    assert result.code == 1
    assert "FILE_NOT_X12" in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    [file_msg] = messages(workdir, "--kind", "file")
    assert file_msg["status"] == "error" and file_msg["error_code"] == "FILE_NOT_X12"
