"""The local spool folder: complete files only, one worker per file, atomic delivery."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from transports.local import LocalFolder


def test_temporary_names_and_hidden_files_are_never_picked_up(tmp_path: Path) -> None:
    for name in ("po.x12", "po2.x12.part", ".hidden", "upload.tmp", "x.filepart"):
        (tmp_path / name).write_text("ISA")
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "po3.edi").write_text("ISA")
    assert sorted(e.relative for e in LocalFolder(tmp_path).ready(0)) == ["acme/po3.edi", "po.x12"]


def test_a_file_still_growing_is_left_for_the_next_look(tmp_path: Path) -> None:
    path = tmp_path / "big.x12"
    path.write_text("ISA*00")
    folder = LocalFolder(tmp_path)
    timer = threading.Timer(0.05, lambda: path.write_text("ISA*00*more bytes"))
    timer.start()
    picked = list(folder.ready(0.3))
    timer.join()
    assert picked == []
    assert [e.relative for e in folder.ready(0.05)] == ["big.x12"]


def test_only_one_worker_claims_a_file(tmp_path: Path) -> None:
    (tmp_path / "po.x12").write_text("ISA")
    folder = LocalFolder(tmp_path)
    [entry] = folder.ready(0)
    first = folder.claim(entry, "host:1")
    second = folder.claim(entry, "host:2")
    assert first is not None and second is None
    assert first.path.read_text() == "ISA"
    assert list(folder.ready(0)) == [], "a claimed file is hidden from other workers"
    folder.remove(first)
    assert list(tmp_path.iterdir()) == [], "claim folders are cleaned up"


def test_claims_of_dead_workers_are_released(tmp_path: Path) -> None:
    (tmp_path / "po.x12").write_text("ISA")
    folder = LocalFolder(tmp_path)
    [entry] = folder.ready(0)
    assert folder.claim(entry, "host:99999") is not None
    assert folder.release_claims(lambda name: name == "host_99999") == ["po.x12"]
    assert [e.relative for e in folder.ready(0)] == ["po.x12"]


def test_delivery_is_atomic_and_stays_inside_the_folder(tmp_path: Path) -> None:
    folder = LocalFolder(tmp_path)
    target = folder.deliver("acme/997-000000001.x12", b"ISA~")
    assert target.read_bytes() == b"ISA~"
    assert [p.name for p in target.parent.iterdir()] == ["997-000000001.x12"], "no temporary left behind"
    with pytest.raises(ValueError, match="outside"):
        folder.deliver("../escape.x12", b"x")
    assert not (tmp_path.parent / "escape.x12").exists()


def test_file_removed_by_another_process_between_looks_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "po.x12"
    path.write_text("ISA")
    folder = LocalFolder(tmp_path)
    timer = threading.Timer(0.05, lambda: os.unlink(path))
    timer.start()
    assert list(folder.ready(0.2)) == []
    timer.join()
