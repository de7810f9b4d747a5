"""The validator's compiled fast path: valid orders take it, and it agrees with the detailed walk.

Split from test_x12_validate.py; helpers are shared through that module.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import pytest
from test_x12_validate import CORPUS, HANDMADE, X12_COPIES, Edit, delete, edited, insert, put, read_sets, swap

from edi.errors import EdiError
from edi.x12.model import Delimiters, GroupHeader, InterchangeHeader, Segment, TransactionSet
from edi.x12.schema import ElementDef, SetSchema, load_schema
from edi.x12.validate import validate_set, validate_set_detailed
from edi.x12.validate_fast import accepts

# -- valid generated orders --------------------------------------------------------------------------


def _purchase_order(number: int, lines: int) -> list[Segment]:
    segments: list[Segment] = [
        ["ST", "850", f"{number:04d}"], ["BEG", "00", "SA", f"PO{number}", "", "20240115"], ["CUR", "BY", "USD"],
        ["REF", "DP", "038"], ["PER", "BD", "JANE BUYER", "TE", "5551234567"], ["DTM", "002", "20240201"],
        ["N1", "ST", "ACME DC", "92", "DC01"], ["N3", "1 MAIN ST"], ["N4", "SOLON", "OH", "44139", "US"],
    ]
    for line in range(1, lines + 1):
        segments += [
            ["PO1", str(line), "120", "EA", "9.25", "PE", "BP", "065322-117", "VP", "AB3542", "UP", "012345678905"],
            ["PID", "F", "", "", "", "SMALL WIDGET"],
            ["DTM", "002", "20240201"],
        ]
    segments += [["CTT", str(lines)], ["AMT", "TT", "13045.94"]]
    segments.append(["SE", str(len(segments) + 1), f"{number:04d}"])
    return segments


def test_generated_orders_are_valid_and_take_the_fast_path() -> None:
    interchange = InterchangeHeader(["ISA"] + [""] * 16, Delimiters(), 0, 0)
    group = GroupHeader(["GS", "PO", "A", "B", "20240101", "1200", "1", "X", "004010"], interchange, 0)
    sets = [TransactionSet(_purchase_order(n, 20), group, n, 0) for n in range(300)]
    schema = load_schema("850", "004010")
    assert schema is not None
    assert all(validate_set(tx, schema) == [] for tx in sets)  # speed: bench/bench_validate.py
    assert all(accepts(tx, schema) for tx in sets)  # valid orders take the compiled fast path


# -- the fast path and the detailed path agree ---------------------------------------------

# Delimiter sets the equivalence checks run under: plain, with a repetition separator,
# control characters (no isprintable() shortcut), and regular-expression metacharacters.
DELIMITER_SETS = [
    Delimiters(), Delimiters(repetition="^"), Delimiters("\x1d", "\x1f", "\x1c", "\x1e"),
    Delimiters("|", "\\", "~", "+"),
]


def assert_paths_agree(tx: TransactionSet, schema: SetSchema) -> list[EdiError]:
    """validate_set equals validate_set_detailed; the fast path accepts exactly the
    sets without errors (never an invalid one, and every valid one given here)."""
    detailed = validate_set_detailed(tx, schema)
    assert validate_set(tx, schema) == detailed
    assert validate_set(tx, schema, max_errors=2) == validate_set_detailed(tx, schema, max_errors=2)
    assert accepts(tx, schema) == (detailed == []), [str(e) for e in detailed]
    return detailed


def with_delimiters(tx: TransactionSet, delimiters: Delimiters) -> TransactionSet:
    interchange = InterchangeHeader(tx.interchange.segment, delimiters, 0, 0)
    group = GroupHeader(tx.group.segment, interchange, 0)
    return TransactionSet([list(seg) for seg in tx.segments], group, tx.index, tx.offset)


def sample_sets() -> Iterator[tuple[str, TransactionSet, SetSchema]]:
    """Every set with a declared schema in the test data and the corpus (if present)."""
    folders = [HANDMADE, *sorted(p for p in X12_COPIES.iterdir() if p.is_dir())]
    if CORPUS.is_dir():
        folders += [CORPUS / "x12-850", CORPUS / "x12-997", CORPUS / "x12-999"]
    for folder in folders:
        for path in sorted(p for p in folder.iterdir() if p.suffix not in (".tsv", ".md")):
            for tx in read_sets(path):
                schema = load_schema(tx.id, tx.group.version)
                if schema is not None:
                    yield f"{folder.name}/{path.name}#{tx.index}", tx, schema


def test_fast_and_detailed_paths_agree_on_sample_files() -> None:
    checked = valid = 0
    for name, tx, schema in sample_sets():
        try:
            valid += assert_paths_agree(tx, schema) == []
        except AssertionError as exc:
            raise AssertionError(name) from exc
        checked += 1
    assert checked >= 15 and valid >= 10


TYPED_VALUES = {  # by first letter of the type (DT, TM, R, Nn), or "codes" for a coded ID
    "D": ["20240229", "20230229", "20240431", "20241231", "240115", "2024011", "000229", "20000229", "19000229"],
    "T": ["0000", "2359", "2400", "1260", "235959", "2359599", "23595999", "123", "12:30"],
    "R": ["0", "-1.5", ".5", "10.", "1.2.3", "+1", "1E3", "-", ".", "1234567890123456", "123456789012345.0"],
    "N": ["0", "-12", "12.5", "-", "1234567890", "00012"],
    "codes": ["", "ZZ", "Q", "ABCDEFGHIJK"],
}


def _mutations(rng: random.Random, schema: SetSchema) -> list[Edit]:
    """One random edit of each kind; positions picked with ``rng``."""
    def on_element(change: Callable[[str, Segment, int], str]) -> Edit:
        def edit(segments: list[Segment]) -> None:
            seg = rng.choice(segments)
            elements = schema.segments[seg[0]].elements if seg[0] in schema.segments else ()
            position = rng.randint(1, max(len(elements), len(seg) - 1, 1))
            seg.extend([""] * (position + 1 - len(seg)))
            seg[position] = change(seg[position], seg, position)
        return edit

    def definition(seg: Segment, position: int) -> str:
        elements = schema.segments[seg[0]].elements if seg[0] in schema.segments else ()
        return elements[position - 1].type if position <= len(elements) else "AN"

    def typed(segments: list[Segment]) -> None:  # a good or bad value for a date, time, code, number
        kinds: dict[str, list[tuple[int, ElementDef]]] = {}
        for index, seg in enumerate(segments):
            for el in schema.segments[seg[0]].elements if seg[0] in schema.segments else ():
                kind = "codes" if el.codes else el.type[0]
                if kind in TYPED_VALUES:
                    kinds.setdefault(kind, []).append((index, el))
        kind = rng.choice(sorted(kinds))
        index, el = rng.choice(kinds[kind])
        put(index, el.position, rng.choice([*TYPED_VALUES[kind], *sorted(el.codes or ())[:3]]))(segments)

    junk = ["20230229", "20241301", "20240115", "2460", "1200", "QQ", "00", "-1.5", "1.2.3", ".", "-", "1E3",
            "ABC\x07", "", "X" * 81, "12345678901234567", "ZZ>1", "A^B^C", "BP", "EA", "92", "ST"]
    return [
        typed,
        lambda segments: insert(rng.randrange(len(segments)),  # a segment repeated 1..12 times: use counts
                                *[list(rng.choice(segments))] * rng.randint(1, 12))(segments),
        on_element(lambda value, seg, pos: value + "X" * rng.randint(1, 40)),  # too long / bad type
        on_element(lambda value, seg, pos: rng.choice(junk)),  # bad date, time, code, number, empty ...
        on_element(lambda value, seg, pos: value[: rng.randint(0, max(len(value) - 1, 0))]),  # too short
        on_element(lambda value, seg, pos: "20240230" if definition(seg, pos) == "DT" else "19990101"),
        lambda segments: rng.choice(segments).append(rng.choice(["", "", "EXTRA"])),  # extra element
        lambda segments: rng.choice(segments).__delitem__(slice(rng.randint(1, 4), None)),  # truncated
        lambda segments: swap(*sorted(rng.sample(range(len(segments)), 2)))(segments),
        lambda segments: insert(rng.randrange(len(segments)), list(rng.choice(segments)))(segments),
        lambda segments: delete(rng.randrange(len(segments)))(segments),
    ]


@pytest.mark.parametrize("delimiters", DELIMITER_SETS, ids=["plain", "repetition", "controls", "metachars"])
def test_fast_and_detailed_paths_agree_on_mutated_sets(delimiters: Delimiters) -> None:
    bases = [tx for path in (HANDMADE / "handmade-850-4010.edi", HANDMADE / "handmade-999-5010.edi",
                             X12_COPIES / "x12-850" / "stedi-README-850-5010.edi",
                             X12_COPIES / "x12-997" / "stupidedi-004010-FA997-pass-1.edi")
             for tx in read_sets(path)]
    rng = random.Random(20240115)
    outcomes = {"valid": 0, "invalid": 0}
    for round_ in range(120):
        tx = with_delimiters(bases[round_ % len(bases)], delimiters)
        schema = load_schema(tx.id, tx.group.version)
        assert schema is not None
        edits = _mutations(rng, schema)
        for edit in (edits[0], *rng.sample(edits, 2)):  # always one typed value, two random edits
            mutant = edited(tx, edit)
            try:
                errors = assert_paths_agree(mutant, schema)
            except AssertionError as exc:
                raise AssertionError(f"round {round_}: {mutant.segments}") from exc
            outcomes["invalid" if errors else "valid"] += 1
    assert outcomes["invalid"] >= 180 and outcomes["valid"] >= 40, outcomes
