"""Every X12 file of the sample corpus through `edipulse translate`: it translates or fails with a
coded error — never a traceback, never an internal error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support import CORPUS, DATA, CliResult

from edi.errors import CATALOGUE


def _x12_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SOURCES.tsv"
                  and (p.parent.name.startswith("x12") or p.suffix in {".x12", ".edi", ".txt"}))


CORPUS_FILES = _x12_files(CORPUS) if CORPUS.is_dir() else []
CORPUS_FILES = [p for p in CORPUS_FILES if p.parent.name.startswith("x12-")]
VENDORED = _x12_files(DATA / "x12") + _x12_files(DATA / "gateway")


def _check(cli: Callable[..., CliResult], path: Path) -> dict:
    result = cli("translate", path, "--json")
    assert result.code in (0, 1), f"{path.name}: exit {result.code}: {result.err}"
    assert "Traceback" not in result.err and "internal error" not in result.err
    report = json.loads(result.out)
    for error in report["errors"]:
        assert error["code"] in CATALOGUE, error
        assert error["message"]
    if result.code == 1:
        assert report["errors"], f"{path.name}: exit 1 without a coded error"
    else:
        assert not report["errors"]
    return report


@pytest.mark.corpus
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_translates_or_fails_with_a_code(cli: Callable[..., CliResult], path: Path) -> None:
    report = _check(cli, path)
    if path.parent.name == "x12-850" and "fail" not in path.name and not report["errors"]:
        assert report["documents"], f"{path.name}: an 850 that translates yields purchase orders"


@pytest.mark.parametrize("path", VENDORED, ids=lambda p: p.name)
def test_vendored_file_translates_or_fails_with_a_code(cli: Callable[..., CliResult], path: Path) -> None:
    _check(cli, path)


def test_corpus_is_exercised_somewhere() -> None:
    """The required coverage must not depend on ../shared: vendored samples exist."""
    assert len(VENDORED) >= 5
