"""Helpers shared by the test modules (importable as ``support``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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
