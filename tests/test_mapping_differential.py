"""Differential tests: the mapping engine's results must not change when the engine is optimised.

``tests/data/mapping/engine_baseline.json`` holds what the engine returned *before* its
fast path was written (documents, every error field, explain traces) for:
  * every transaction set of every golden input, through its folder's mapping;
  * every 850 in ../shared/corpus/x12-850 (skipped where the corpus is absent), through the
    default and the example-partner mapping; stored as SHA-256 digests, because most of
    those files are GPL/CDDL and their content may not be copied into the repository;
  * seeded random mutations of the in-repo inputs and of the corpus (as digests, to keep the
    file small; the golden records are kept whole, for readable diffs): values
    swapped for edge cases (blanks, bad dates and numbers, foreign qualifiers), elements
    dropped, segments deleted, duplicated, swapped or inserted.

Each case is mapped with ``explain=False`` (the fast path) and ``explain=True`` (the
reference path); both must give the same document (fields set included) and errors.
After a *deliberate* change of results, rewrite the baseline with
``EDIPULSE_BASELINE_UPDATE=1 pytest tests/test_mapping_differential.py`` and review the diff.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from edi.canonical import PurchaseOrder
from edi.errors import EdiError
from edi.mapping import CompiledMapping, MapResult, load_mapping
from edi.x12.model import Segment, TransactionSet
from edi.x12.reader import read_events

REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "mappings"
BASELINE = REPO / "tests" / "data" / "mapping" / "engine_baseline.json"
CORPUS_850 = REPO / ".." / "shared" / "corpus" / "x12-850"
IN_REPO_INPUTS = sorted(MAPPINGS.glob("**/golden/*.edi")) + sorted((REPO / "tests" / "data" / "gateway").glob("*.x12"))
MAPPING_FILES = {"default": MAPPINGS / "default" / "850.yaml",
                 "partner": MAPPINGS / "partners" / "example-partner" / "850.yaml"}
SEED = 850_4010
REPO_MUTATIONS = 400
CORPUS_MUTATIONS = 200


@dataclass(frozen=True)
class Case:
    """One transaction set to map, with the mapping (key of MAPPING_FILES) and partner id to use."""

    key: str
    mapping: str
    partner: str | None
    tx: TransactionSet


# -- inputs --------------------------------------------------------------------------------------

def sets_of(path: Path) -> list[TransactionSet]:
    return [e for e in read_events(path) if isinstance(e, TransactionSet)]


def mapping_key(path: Path) -> str:
    return "partner" if "partners" in path.parts else "default"


def golden_cases() -> list[Case]:
    return [Case(f"repo/{path.relative_to(REPO).as_posix()}#{index}", mapping_key(path),
                 "example-partner" if mapping_key(path) == "partner" else None, tx)
            for path in IN_REPO_INPUTS for index, tx in enumerate(sets_of(path))]


def corpus_cases() -> list[Case]:
    cases = []
    for path in sorted(CORPUS_850.glob("*")):
        for index, tx in enumerate(sets_of(path)):
            for key in MAPPING_FILES:
                cases.append(Case(f"corpus/{path.name}#{index}/{key}", key, None, tx))
    return cases


EDGE_VALUES = (
    "", " ", "  padded  ", "x" * 100, "Ünïcødé", "00", "01", "05", "99", "ST", "BT", "BY", "BP", "IN", "VP", "UK",
    "EN", "UP", "F", "X", "S", "002", "010", "037", "999", "20240229", "20230229", "240102", "991231", "2024-01-02",
    "12.50", "-3", ".5", "7.", "1e3", "9,95", "NaN", "10885403123450", "10885403123451", "4006381333931",
    "036000291452", "EA", "ea", "usd", "USD", "cad",
)
EXTRA_SEGMENTS = (
    "DTM*010*20240101", "DTM*002*240215", "DTM*037*2024", "SCH*1*EA***002*240102", "SCH*5*EA***010*20240110",
    "PID*X****Extra text", "PID*F****  padded  ", "PID*S**VI*FOO", "N1*ST*Other Dock*92*O1", "N1*BT", "N3*1 Road",
    "N4*Town*ST*12345*us", "CUR*SE*eur", "CUR*BY", "REF*CO*REL-9", "REF*CO", "PO1*9*1*EA*1.00**UK*10885403123450",
    "PO1*10**EA", "CTT*1", "MSG*hello", "SLN*1**I*1*EA", "BEG*01*SA*DUP**20240101", "PO4*1",
)


def mutate(segments: list[Segment], rng: random.Random, extra: tuple[str, ...] = EXTRA_SEGMENTS) -> list[Segment]:
    """A copy of ``segments`` with 1-6 random edits (ST and SE are mostly left alone)."""
    segs = [list(seg) for seg in segments]
    for _ in range(rng.randint(1, 6)):
        inner = range(1, max(len(segs) - 1, 2))
        at = rng.choice(inner) if len(segs) > 2 else 0
        op = rng.random()
        if op < 0.45 and at < len(segs):
            seg = segs[at]
            elem = rng.randint(1, max(len(seg), 2))
            seg.extend([""] * (elem + 1 - len(seg)))
            seg[elem] = rng.choice(EDGE_VALUES)
        elif op < 0.55 and at < len(segs) and len(segs[at]) > 2:
            del segs[at][rng.randint(2, len(segs[at]) - 1):]
        elif op < 0.65 and len(segs) > 3:
            del segs[at]
        elif op < 0.75 and at < len(segs):
            segs.insert(at, list(segs[at]))
        elif op < 0.85 and at + 1 < len(segs):
            segs[at], segs[at + 1] = segs[at + 1], segs[at]
        else:
            segs.insert(at, rng.choice(extra).split("*"))
    return segs


def mutation_cases(bases: list[Case], count: int, prefix: str, seed: int) -> list[Case]:
    rng = random.Random(seed)
    cases = []
    for number in range(count):
        base = bases[number % len(bases)]
        tx = TransactionSet(mutate(base.tx.segments, rng), base.tx.group, base.tx.index, base.tx.offset)
        mapping = rng.choice(sorted(MAPPING_FILES))
        cases.append(Case(f"{prefix}/{number}/{mapping}", mapping, rng.choice((None, "acme")), tx))
    return cases


# -- results -------------------------------------------------------------------------------------

def error_record(error: EdiError) -> dict[str, Any]:
    return {"code": error.code, "message": error.message, "segment_position": error.segment_position,
            "segment_id": error.segment_id, "loop_id": error.loop_id, "element_position": error.element_position,
            "component_position": error.component_position, "element_ref": error.element_ref,
            "bad_value": error.bad_value, "offset": error.offset, "extra": error.extra}


def fields_set(model: BaseModel) -> Any:
    """Which fields a model (and its sub-models) had set: part of its identity for exclude_unset dumps."""
    nested = {}
    for name in model.model_fields_set:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            nested[name] = fields_set(value)
        elif isinstance(value, list):
            nested[name] = [fields_set(v) for v in value if isinstance(v, BaseModel)]
        else:
            nested[name] = None
    return nested


def record(mapping: CompiledMapping, case: Case) -> dict[str, Any]:
    """The case's results; the fast and the explain path must agree on document and errors."""
    fast = mapping.apply(case.tx, partner=case.partner)
    slow = mapping.apply(case.tx, partner=case.partner, explain=True)
    assert fast.explain == []
    assert_same_result(fast, slow, case.key)
    clean = mapping.map_clean(case.tx, case.partner)
    assert (clean is not None) == fast.ok, case.key  # the fast path maps exactly the sets without errors
    assert clean is None or clean == fast.document
    return {"document": None if fast.document is None else fast.document.to_json_dict(),
            "errors": [error_record(e) for e in fast.errors],
            "explain": [trace.to_dict() for trace in slow.explain]}


def assert_same_result(fast: MapResult, slow: MapResult, key: str) -> None:
    assert [error_record(e) for e in fast.errors] == [error_record(e) for e in slow.errors], key
    assert (fast.document is None) == (slow.document is None), key
    if fast.document is not None and slow.document is not None:
        assert fast.document == slow.document, key
        assert fields_set(fast.document) == fields_set(slow.document), key
        revalidated = PurchaseOrder.model_validate(fast.document.model_dump())
        assert revalidated == fast.document, key  # skipping validation on the fast path is safe
        assert revalidated.to_json_dict() == fast.document.to_json_dict(), key


def digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


# -- tests ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mappings() -> Iterator[dict[str, CompiledMapping]]:
    """Both mappings, loaded from the repository root so trace file names do not depend on the cwd."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)
        yield {key: load_mapping(path, [MAPPINGS]) for key, path in MAPPING_FILES.items()}


@pytest.fixture(scope="module")
def baseline() -> dict[str, Any]:
    if os.environ.get("EDIPULSE_BASELINE_UPDATE") == "1" or not BASELINE.is_file():
        return {}
    return json.loads(BASELINE.read_text(encoding="utf-8"))


def check(cases: list[Case], mappings: dict[str, CompiledMapping], baseline: dict[str, Any],
          section: str, hashed: bool) -> None:
    """Compare every case with the baseline section (or write the section when updating)."""
    actual = {}
    for case in cases:
        result = record(mappings[case.mapping], case)
        actual[case.key] = digest(result) if hashed else result
    if os.environ.get("EDIPULSE_BASELINE_UPDATE") == "1":
        stored = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.is_file() else {}
        stored[section] = actual
        BASELINE.parent.mkdir(parents=True, exist_ok=True)
        BASELINE.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    expected = baseline[section]
    assert sorted(actual) == sorted(expected)
    mismatched = [key for key in expected if actual[key] != expected[key]]
    assert not mismatched, f"{len(mismatched)} case(s) differ from the baseline, first: {mismatched[0]}"


def test_in_repo_inputs_match_baseline(mappings: dict[str, CompiledMapping], baseline: dict[str, Any]) -> None:
    cases = golden_cases()
    assert len(cases) >= 9
    check(cases, mappings, baseline, "repo", hashed=False)


def test_in_repo_mutations_match_baseline(mappings: dict[str, CompiledMapping], baseline: dict[str, Any]) -> None:
    cases = mutation_cases(golden_cases(), REPO_MUTATIONS, "repo-mutation", SEED)
    outcomes = [mappings[c.mapping].apply(c.tx, partner=c.partner).ok for c in cases]
    assert 0 < sum(outcomes) < len(outcomes)  # the mutations reach both the clean and the error paths
    check(cases, mappings, baseline, "repo-mutation", hashed=True)


needs_corpus = pytest.mark.skipif(not CORPUS_850.is_dir(), reason="../shared/corpus is not present in this checkout")


@pytest.mark.corpus
@needs_corpus
def test_corpus_matches_baseline(mappings: dict[str, CompiledMapping],
                                 baseline: dict[str, Any]) -> None:
    cases = corpus_cases()
    assert len(cases) >= 30
    check(cases, mappings, baseline, "corpus", hashed=True)


@pytest.mark.corpus
@needs_corpus
def test_corpus_mutations_match_baseline(mappings: dict[str, CompiledMapping],
                                         baseline: dict[str, Any]) -> None:
    bases = [c for c in corpus_cases() if c.mapping == "default"]
    check(mutation_cases(bases, CORPUS_MUTATIONS, "corpus-mutation", SEED + 1), mappings, baseline,
          "corpus-mutation", hashed=True)


# -- a mapping using every rule shape the default mapping does not --------------------------------

RICH_FIELDS = """\
fields:
  po_number:
    path: REF02
    where: {REF01: [CO, "it's"]}
    convert: [strip, upper]
    required: true
    fallback: {path: BEG03, fallback: {path: BEG01}}
  order_date: {path: BEG05, convert: {date: {pivot: "80"}}, required: true}
  purpose: {path: BEG01, convert: {codes: purpose}, default: "00"}
  currency: {path: CUR02, where: {CUR01: [BY, SE]}, convert: lower, default: usd}
  ship_to:
    fields:
      name: {path: REF, qualifier: [DP, "x'y\\\\"], pairs: [1, 2]}
      id: {loop: N1, path: N104, where: {N101: ST}}
      address1: {loop: N1, path: N1, qualifier: [ST, BT], pairs: [1, 2]}
      address2: {path: MSG01, join: " | "}
      city: {path: DTM02, where: {DTM01: ["002", "010"]}}
      country: {default: US}
  bill_to:
    loop: N1
    where: {N101: [BT, BY], N103: "92"}
    fields:
      name: {path: N102, convert: [strip, lower]}
      postal_code: {path: N403, default: "00000"}
      state: {path: N402, convert: {codes: {ID: idaho, CA: california}}}
  lines:
    loop: PO1
    where: {PO101: ["1", "2", "3", "4", "9"]}
    fields:
      line_no: {path: PO101, required: true}
      quantity: {path: PO102, convert: {implied_decimal: "2"}, required: true}
      unit_price: {path: PO104, convert: decimal, fallback: {scope: header, path: REF02, where: {REF01: DP}}}
      buyer_part: {path: PO1, qualifier: [BP, IN], pairs: [6, 25], where: {PO103: [EA, CA]}}
      vendor_part:
        path: PO1
        qualifier: VP
        pairs: [6, 11]
        fallback: {loop: PID, path: PID, qualifier: [VI, "q'"], pairs: [2, 3]}
      gtin: {path: PO1, qualifier: [UK, EN, UP], pairs: [6, 25], convert: {gtin: {UK: "14", EN: ["13", "8"]}}}
      description:
        loop: PID
        path: PID05
        join: " / "
        convert: strip
        fallback: {scope: header, path: MSG01, join: " "}
      uom: {path: PO103, convert: [strip, {codes: {EA: each, "C'A": "ca\\"se"}}], default: EA}
      requested_date: {path: DTM02, convert: date, fallback: {scope: header, loop: N9, path: DTM02}}
"""
RICH_SEGMENTS = EXTRA_SEGMENTS + (
    "REF*CO*  rel-1 ", "REF*it's*quoted", "REF*DP*12.5", "REF*x'y\\*odd", "MSG*note one", "MSG*note two",
    "N9*ZZ*1", "DTM*010*20240301", "N1*BY*Buyer*92*B9", "N1*BT*Bill*91*B1", "N4*Boise*ID*83701",
    "PID*S*VI*V-77", "PID*S*q'*Q-1", "PO1*2*1250*C'A*1.5**IN*I-1*VP*V-1", "PO1*4*7*CA**EN*96385074",
)


def rich_mapping(tmp_path: Path) -> CompiledMapping:
    """A standalone mapping with the default's loops and code lists and RICH_FIELDS."""
    default = (MAPPINGS / "default" / "850.yaml").read_text(encoding="utf-8")
    head = default[:default.index("\nfields:")]
    path = tmp_path / "partners" / "rich" / "850.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(head + "\n" + RICH_FIELDS, encoding="utf-8")
    return load_mapping(path, [tmp_path, MAPPINGS])


def test_every_rule_shape_fast_path_matches_reference(tmp_path: Path) -> None:
    """Fast path == reference path for qualifier pairs with tests and via child loops, joins in the
    header and in child loops, header fallbacks inside lines, header objects, two-test loop selectors,
    inline code lists, quotes in codes and qualifiers - over seeded mutations."""
    mapping = rich_mapping(tmp_path)
    source = mapping.generated_source
    assert source is not None
    assert "it's" not in source.replace('"it\'s"', "")  # codes are bound by name, not pasted
    rng = random.Random(SEED + 2)
    bases = golden_cases()
    clean = 0
    for number in range(600):
        base = bases[number % len(bases)]
        tx = TransactionSet(mutate(base.tx.segments, rng, RICH_SEGMENTS), base.tx.group, 0, 0)
        case = Case(f"rich/{number}", "rich", None, tx)
        result = record(mapping, case)
        clean += result["document"] is not None
    assert 100 < clean < 600  # both outcomes are exercised
