"""Helpers shared by the test modules (importable as ``support``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edi.x12.model import InterchangeEnd, TransactionSet
from edi.x12.reader import read_events

DATA = Path(__file__).resolve().parent / "data"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@dataclass
class Workdir:
    root: Path
    run: Callable[..., CliResult]

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    def outbox_files(self) -> list[Path]:
        return sorted(p for p in (self.root / "outbox").rglob("*") if p.is_file())

    def drop(self, source: Path, name: str | None = None) -> Path:
        target = self.root / "inbox" / (name or source.name)
        shutil.copyfile(source, target)
        return target


def ack_sets(path: Path) -> list[list[list[str]]]:
    """The transaction sets of an acknowledgement file, checked for a sound envelope."""
    sets = []
    for event in read_events(path):
        if isinstance(event, TransactionSet):
            assert not event.errors, event.errors
            sets.append(event.segments)
        if isinstance(event, InterchangeEnd):
            assert not event.errors, event.errors
    return sets


def tags(segments: list[list[str]], tag: str) -> list[list[str]]:
    return [s for s in segments if s[0] == tag]


def messages(wd: Workdir, *args: str) -> list[dict]:
    result = wd.run("messages", "--json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def orders(wd: Workdir) -> list[dict]:
    result = wd.run("orders", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)


def write_variant(tmp: Path, source: Path, name: str, *edits: tuple[str, str]) -> Path:
    text = source.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    target = tmp / name
    target.write_text(text)
    return target


def interchange_copy(isa13: int, po_base: int) -> str:
    """The sample 850 interchange with its own ISA13 and PO numbers (two POs: po_base, po_base + 1)."""
    text = (DATA / "gateway" / "acme-850-4010.x12").read_text()
    text = text.replace("*000000101*", f"*{isa13:09d}*").replace("IEA*1*000000101", f"IEA*1*{isa13:09d}")
    return text.replace("4500012345", f"{po_base:010d}").replace("4500012346", f"{po_base + 1:010d}")


def assert_rejected(result: CliResult) -> None:
    """A CLI run that refused (part of) its input: exit 1 and one readable error line, no traceback."""
    assert result.code == 1, (result.code, result.err)
    assert "Traceback" not in result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
