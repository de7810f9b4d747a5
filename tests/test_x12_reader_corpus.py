"""The reader against real sample files: counts, envelope verdicts, and pyx12 as a second opinion.

Expectations come from the SOURCES.tsv notes written when the samples were
collected (checked there by an independent script), not from this reader:
``N ISA/N GS/N ST`` in the description and CONSISTENT/INCONSISTENT in the
``x12_envelope_counts`` column. Permissive samples (and hand-made broken
variants of them) are vendored under tests/data/x12; the copyleft ones are read
in place from ../shared/corpus and skipped where that is absent.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyx12.errors import X12Error
from pyx12.rawx12file import RawX12File

from edi.x12.model import (
    Delimiters,
    Event,
    FileError,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    Segment,
    TransactionSet,
)
from edi.x12.reader import read_events, read_segments

VENDORED = Path(__file__).resolve().parent / "data" / "x12"
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
PERMISSIVE = ("MIT", "BSD", "Apache")
_COUNTS = re.compile(r"(\d+) ISA/(\d+) GS/(\d+) ST")


@dataclass(frozen=True)
class Sample:
    path: Path
    name: str
    counts: tuple[int, int, int]
    consistent: bool
    licence: str


def _load(root: Path) -> list[Sample]:
    samples = []
    with open(root / "SOURCES.tsv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            match = _COUNTS.search(row["description"])
            if not row["local_file"].startswith(("x12-", "handmade/")) or not match:
                continue
            verdict = row["x12_envelope_counts (IEA/GE/SE + control numbers)"]
            samples.append(Sample(root / row["local_file"], row["local_file"],
                                  (int(match[1]), int(match[2]), int(match[3])),
                                  verdict.startswith("CONSISTENT"), row["license"]))
    return samples


def _vendored() -> list[Sample]:
    return _load(VENDORED)


def _shared() -> list[object]:
    """Corpus samples not vendored (copyleft ones), read in place."""
    if not (SHARED / "SOURCES.tsv").is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/corpus is absent"))]
    vendored = {sample.name for sample in _vendored()}
    return [pytest.param(sample, id=sample.name, marks=pytest.mark.corpus)
            for sample in _load(SHARED) if sample.name not in vendored]


ALL = [pytest.param(sample, id=sample.name) for sample in _vendored()] + _shared()


def summarise(events: list[Event]) -> tuple[tuple[int, int, int], list[str]]:
    """(interchanges, groups, sets) and every error code, from the reader's events."""
    counts = [0, 0, 0]
    codes: list[str] = []
    for event in events:
        if isinstance(event, InterchangeHeader | GroupHeader | TransactionSet):
            counts[(InterchangeHeader, GroupHeader, TransactionSet).index(type(event))] += 1
        if isinstance(event, TransactionSet | GroupEnd | InterchangeEnd):
            codes += [error.code for error in event.errors]
        elif isinstance(event, FileError):
            codes.append(event.error.code)
    return (counts[0], counts[1], counts[2]), codes


def test_vendored_samples_are_permissive_and_present() -> None:
    samples = _vendored()
    assert len(samples) >= 40
    for sample in samples:
        assert sample.path.is_file(), sample.name
        assert sample.licence.startswith(PERMISSIVE), f"{sample.name} is {sample.licence}: may not be vendored"


@pytest.mark.parametrize("sample", ALL)
def test_counts_and_envelope_verdict(sample: Sample) -> None:
    counts, codes = summarise(list(read_events(sample.path)))
    assert counts == sample.counts
    assert (not codes) == sample.consistent, codes


@pytest.mark.parametrize("sample", ALL)
def test_same_events_with_tiny_chunks(sample: Sample) -> None:
    """Chunk boundaries (even inside multi-byte characters) must not change anything."""
    whole = list(read_events(sample.path))
    tiny = list(read_events(sample.path, chunk_size=7))
    assert [repr(event) for event in tiny] == [repr(event) for event in whole]


def _pyx12_segments(path: Path) -> tuple[list[Segment], str] | None:
    """pyx12's segments, normalised as X12 reads them (no line breaks, no indentation)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            raw = RawX12File(handle)
            term, sep = raw.seg_term, raw.ele_term
            lines = list(raw)
    except (X12Error, UnicodeDecodeError):
        return None  # pyx12 accepts only 106-char ISAs of versions 00401/00501
    segments = []
    for line in lines:
        flat = line.rstrip("\r") if term in "\r\n" else line.replace("\r", "").replace("\n", "")
        segments.append(flat.lstrip(" \t\r\n").split(sep))
    return segments, term


def _first_delimiters_prefix(pairs: list[tuple[Segment, Delimiters]]) -> list[Segment]:
    """Our segments up to the first interchange whose delimiters differ (pyx12 knows only the first)."""
    first = pairs[0][1]
    prefix = []
    for segment, delimiters in pairs:
        if (delimiters.element, delimiters.segment) != (first.element, first.segment):
            break
        prefix.append(segment)
    return prefix


@pytest.mark.parametrize("sample", ALL)
def test_segments_match_pyx12(sample: Sample) -> None:
    if sample.name.startswith("handmade/"):
        pytest.skip("hand-made breakage (pyx12 stops at an empty segment, keeps trailing text)")
    theirs = _pyx12_segments(sample.path)
    if theirs is None:
        pytest.skip("pyx12 rejects this file")
    pyx12_segments, term = theirs
    pairs = list(read_segments(sample.path))
    ours = _first_delimiters_prefix(pairs)
    if len(ours) < len(pairs):
        assert pyx12_segments[: len(ours)] == ours
        return
    text = sample.path.read_text(encoding="utf-8-sig")
    if not text.rstrip(" \t\r\n".replace(term, "")).endswith(term):
        ours = ours[:-1]  # pyx12 drops a last segment that lacks its terminator
    assert pyx12_segments == ours


def test_pyx12_cross_check_covers_many_files() -> None:
    """Guard against the cross-check silently skipping everything."""
    accepted = [s for s in _vendored() if _pyx12_segments(s.path) is not None]
    assert len(accepted) >= 20
