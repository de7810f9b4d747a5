"""X12 860 (PO change), 830 (planning schedule) and 862 (shipping schedule), end to end.

Every case runs the real pipeline: ``read_events`` -> ``validate_set`` against the
declared schema -> the default mapping's ``apply``. Hand-made files (the golden inputs
in mappings/default/golden) must come out clean; hand-made broken variants must give
the specific coded error, in validation and in mapping; vendored samples pin what the
gateway says about real-world files. Each mapped set is also mapped through the
reference (explain) path, which must agree with the fast path.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from support import CORPUS, DATA
from test_mapping_differential import mutate

from edi.canonical import PlanningSchedule, PurchaseOrderChange
from edi.errors import EdiError
from edi.mapping import CompiledMapping, MapResult, load_mapping
from edi.x12.model import TransactionSet
from edi.x12.reader import read_events
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set

REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "mappings"
GOLDEN = MAPPINGS / "default" / "golden"
X12 = DATA / "x12"
MD_860, MD_830, MD_862 = GOLDEN / "md-860-4010.x12", GOLDEN / "md-830-4010.x12", GOLDEN / "md-862-5010.x12"
MODELS = {"860": PurchaseOrderChange, "830": PlanningSchedule, "862": PlanningSchedule}


@pytest.fixture(scope="module")
def mappings() -> dict[str, CompiledMapping]:
    return {set_id: load_mapping(MAPPINGS / "default" / f"{set_id}.yaml", [MAPPINGS]) for set_id in MODELS}


def only_set(path: Path) -> TransactionSet:
    sets = [event for event in read_events(path) if isinstance(event, TransactionSet)]
    assert len(sets) == 1, f"{path.name}: expected one transaction set"
    return sets[0]


def validate(tx: TransactionSet) -> list[EdiError]:
    schema = load_schema(tx.id, tx.group.version)
    assert schema is not None, f"no schema for {tx.id}"
    return validate_set(tx, schema)


def apply(mappings: dict[str, CompiledMapping], tx: TransactionSet) -> MapResult:
    """The mapping result, checked against the reference (explain) path."""
    mapping = mappings[tx.id]
    fast = mapping.apply(tx)
    slow = mapping.apply(tx, explain=True)
    assert [e.to_dict() for e in fast.errors] == [e.to_dict() for e in slow.errors]
    assert fast.document == slow.document
    if fast.document is not None:
        model = MODELS[tx.id]
        assert isinstance(fast.document, model)
        assert model.model_validate(fast.document.model_dump()) == fast.document
    return fast


def codes(errors: list[EdiError]) -> list[tuple[str, str | None, int | None, int | None]]:
    return [(e.code, e.segment_id, e.segment_position, e.element_position) for e in errors]


def variant(source: Path, tmp_path: Path, change: Callable[[list[str]], list[str]]) -> TransactionSet:
    """A copy of a hand-made file (segments ended by "~" and a newline) with ``change`` applied
    to its segments, SE01 recounted: the only defect is the one the test introduces."""
    segments = source.read_text(encoding="utf-8").split("~\n")[:-1]
    changed = change(segments)
    st = next(i for i, s in enumerate(changed) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(changed) if s.startswith("SE*"))
    changed[se] = f"SE*{se - st + 1}*{changed[se].split('*')[2]}"
    target = tmp_path / source.name
    target.write_text("~\n".join(changed) + "~\n", encoding="utf-8")
    tx = only_set(target)
    assert tx.errors == []
    return tx


def replace(old: str, new: str | None) -> Callable[[list[str]], list[str]]:
    """Replace the one segment equal to ``old`` (None: delete it)."""
    def change(segments: list[str]) -> list[str]:
        assert segments.count(old) == 1, old
        at = segments.index(old)
        return segments[:at] + ([] if new is None else [new]) + segments[at + 1:]
    return change


# -- hand-made files: clean ----------------------------------------------------------------------

@pytest.mark.parametrize("path", [MD_860, MD_830, MD_862], ids=lambda p: p.name)
def test_handmade_files_are_valid_and_map_cleanly(mappings: dict[str, CompiledMapping], path: Path) -> None:
    tx = only_set(path)
    assert validate(tx) == []
    result = apply(mappings, tx)
    assert result.errors == []
    assert mappings[tx.id].map_clean(tx) == result.document  # the fast path maps it by itself


def test_860_lines_carry_code_action_and_values(mappings: dict[str, CompiledMapping]) -> None:
    doc = apply(mappings, only_set(MD_860)).document
    assert isinstance(doc, PurchaseOrderChange)
    assert (doc.po_number, doc.purpose, doc.change_sequence) == ("MD-PO-24017", "change", "3")
    assert (doc.po_date, doc.change_date, doc.currency) == (dt.date(2024, 3, 1), dt.date(2024, 3, 12), "USD")
    assert [(line.change_code, line.action) for line in doc.lines] == [
        ("QI", "quantity_increase"), ("DI", "cancel"), ("PC", "price_change"), ("AI", "add"), ("RS", "date_change")]
    first, added, rescheduled = doc.lines[0], doc.lines[3], doc.lines[4]
    assert (first.quantity, first.quantity_left_to_receive, first.unit_price) == (
        Decimal("240"), Decimal("200"), Decimal("48.75"))
    assert first.gtin == "10885403123450" and added.gtin == "04006381333931"  # EN padded to 14 digits
    assert first.requested_date == dt.date(2024, 3, 22)  # line DTM
    assert added.requested_date == dt.date(2024, 4, 5)  # SCH
    assert doc.lines[1].requested_date == dt.date(2024, 3, 29)  # header DTM*002
    assert rescheduled.requested_date == dt.date(2024, 4, 12)
    assert rescheduled.description == "ECG ELECTRODE FOAM AG/AGCL 50 PER PACK"
    assert doc.ship_to is not None and doc.ship_to.id == "NWH-DOCK3" and doc.ship_to.country == "US"
    assert doc.to_json_dict()["lines"][1]["unit_price"] == "112.00"  # exact decimals in the JSON contract


def test_830_every_fst_is_a_bucket_in_order(mappings: dict[str, CompiledMapping]) -> None:
    doc = apply(mappings, only_set(MD_830)).document
    assert isinstance(doc, PlanningSchedule)
    assert (doc.kind, doc.reference, doc.release, doc.purpose) == ("planning", "FC-2024-W11", "REL-0311", "replace")
    assert (doc.schedule_type, doc.quantity_type) == ("delivery", "discrete")
    assert (doc.issue_date, doc.horizon_start, doc.horizon_end) == (
        dt.date(2024, 3, 10), dt.date(2024, 3, 11), dt.date(2024, 6, 30))
    syringe, electrode = doc.items
    assert (syringe.buyer_part, syringe.vendor_part, syringe.gtin, syringe.po_number) == (
        "NW-SYR-10ML", "SY10-LL", "10885403123450", "MD-BLANKET-7")
    # The two SDP-grouped FSTs come first, then the FST loop, exactly as sent.
    assert [(b.quantity, b.commitment, b.interval, b.start, b.end) for b in syringe.buckets] == [
        (Decimal("120"), "firm", "discrete", dt.date(2024, 3, 18), None),
        (Decimal("120"), "firm", "discrete", dt.date(2024, 3, 25), None),
        (Decimal("480"), "planning", "weekly", dt.date(2024, 4, 1), None),
        (Decimal("1500.5"), "planning", "monthly", dt.date(2024, 5, 1), None),
        (Decimal("900"), "planning", "flexible", dt.date(2024, 6, 1), dt.date(2024, 6, 30))]
    assert syringe.ship_to is None and doc.ship_to is not None and doc.ship_to.id == "NWH-DOCK3"
    assert electrode.ship_to is not None and electrode.ship_to.id == "NWH-EAST"  # the item's own N1
    assert electrode.uom == "PK"  # first component of the composite UIT01 "PK>>>EA>50"


def test_862_is_a_shipping_schedule_and_jit_is_not_a_bucket(mappings: dict[str, CompiledMapping]) -> None:
    doc = apply(mappings, only_set(MD_862)).document
    assert isinstance(doc, PlanningSchedule)
    assert (doc.kind, doc.reference, doc.release, doc.issue_date) == (
        "shipping", "SS-2024-0412", "REL-0412", dt.date(2024, 4, 10))
    assert [[b.quantity for b in item.buckets] for item in doc.items] == [
        [Decimal("60"), Decimal("60")], [Decimal("250"), Decimal("250.25")]]
    assert doc.envelope.version == "005010"


# -- hand-made broken variants: the specific coded error -----------------------------------------

BCH = "BCH*04*SA*MD-PO-24017**3*20240301*****20240312"
POC2 = "POC*2*DI*0*0*CS*112.00**BP*NW-GLV-NIT-M*VP*GLN-M-200"


def test_860_without_po_number(mappings: dict[str, CompiledMapping], tmp_path: Path) -> None:
    tx = variant(MD_860, tmp_path, replace(BCH, BCH.replace("MD-PO-24017", "")))
    assert codes(validate(tx)) == [("ELEM_MANDATORY_MISSING", "BCH", 2, 3)]
    result = apply(mappings, tx)
    assert result.document is None
    assert [(e.code, e.extra.get("field"), e.segment_id) for e in result.errors] == [
        ("MAP_REQUIRED_MISSING", "po_number", "BCH")]


def test_860_with_an_unknown_change_type(mappings: dict[str, CompiledMapping], tmp_path: Path) -> None:
    tx = variant(MD_860, tmp_path, replace(POC2, POC2.replace("*DI*", "*XX*")))
    errors = validate(tx)
    assert codes(errors) == [("ELEM_INVALID_CODE", "POC", 16, 2)] and errors[0].bad_value == "XX"
    result = apply(mappings, tx)
    assert [(e.code, e.extra.get("field"), e.bad_value) for e in result.errors] == [
        ("MAP_INVALID_VALUE", "lines[1].action", "XX")]  # change_code keeps the raw code


def test_860_with_a_response_code_is_valid_x12_but_not_a_buyer_change(
        mappings: dict[str, CompiledMapping], tmp_path: Path) -> None:
    """OC (original confirmation) is in the X12 code list but answers a change; it is not one."""
    tx = variant(MD_860, tmp_path, replace(POC2, POC2.replace("*DI*", "*OC*")))
    assert validate(tx) == []
    result = apply(mappings, tx)
    assert [(e.code, e.extra.get("field"), e.bad_value) for e in result.errors] == [
        ("MAP_INVALID_VALUE", "lines[1].action", "OC")]
    assert "not in code list 'line_action'" in result.errors[0].message


def test_830_bucket_with_an_impossible_date(mappings: dict[str, CompiledMapping], tmp_path: Path) -> None:
    tx = variant(MD_830, tmp_path, replace("FST*480*D*W*20240401", "FST*480*D*W*20240231"))
    errors = validate(tx)
    assert codes(errors) == [("ELEM_INVALID_DATE", "FST", 14, 4)] and errors[0].bad_value == "20240231"
    result = apply(mappings, tx)
    assert [(e.code, e.extra.get("field"), e.segment_position) for e in result.errors] == [
        ("MAP_INVALID_VALUE", "items[0].buckets[2].start", 14)]


def test_830_item_without_buckets(mappings: dict[str, CompiledMapping], tmp_path: Path) -> None:
    """FST is optional in X12, so the set is valid; an item with no quantity is not a schedule."""
    def drop_fsts_of_second_item(segments: list[str]) -> list[str]:
        second = segments.index("LIN*2*BP*NW-ECG-ELEC*VP*ECG-AG-50")
        return segments[:second] + [s for s in segments[second:] if not s.startswith("FST*")]
    tx = variant(MD_830, tmp_path, drop_fsts_of_second_item)
    assert validate(tx) == []
    result = apply(mappings, tx)
    assert [(e.code, e.extra.get("field")) for e in result.errors] == [("MAP_REQUIRED_MISSING", "items[1].buckets")]


def test_862_item_without_unit(mappings: dict[str, CompiledMapping], tmp_path: Path) -> None:
    tx = variant(MD_862, tmp_path, replace("UIT*EA", None))
    assert [(e.code, e.segment_id) for e in validate(tx)] == [("SEG_MANDATORY_MISSING", "UIT")]
    assert apply(mappings, tx).ok  # the mapping itself needs no unit


# -- vendored samples ----------------------------------------------------------------------------

def test_stupidedi_003010_860_fail_fixture(mappings: dict[str, CompiledMapping]) -> None:
    """stupidedi filed this 860 under "fail" because its own 003010 BCH declares BCH04 (release
    number) mandatory; the same bytes later moved to its "pass" fixtures. BCH04 is optional in
    the standard, so the set is valid here; BCH03's trailing blank is stripped by the mapping and
    the missing BCH11 (not in 003010) falls back to DTM*007."""
    tx = only_set(X12 / "x12-860" / "stupidedi-003010-PC860-fail-1.edi")
    assert validate(tx) == []
    doc = apply(mappings, tx).document
    assert isinstance(doc, PurchaseOrderChange)
    assert (doc.po_number, doc.purpose, doc.po_date, doc.change_date) == (
        "SP7301", "reissue", dt.date(2007, 6, 29), dt.date(2007, 6, 28))
    (line,) = doc.lines
    assert (line.change_code, line.action, line.quantity, line.buyer_part) == ("CA", "change", Decimal("0.5"),
                                                                               "23710 JA81A")


def test_830_samples(mappings: dict[str, CompiledMapping]) -> None:
    oboe = only_set(X12 / "x12-830" / "oboe-DMX830.TXT")  # GS08 "T": the declared base version applies
    assert validate(oboe) == []
    doc = apply(mappings, oboe).document
    assert isinstance(doc, PlanningSchedule)
    (item,) = doc.items
    assert (item.buyer_part, item.po_number, len(item.buckets)) == ("50000545", "P12938", 25)
    assert [b.interval for b in item.buckets].count("weekly") == 11

    passing = only_set(X12 / "x12-830" / "stupidedi-004010-PS830-pass-1.edi")
    # N101 "EV" is not in the (deliberately short) shared entity code list.
    assert [(e.code, e.segment_id, e.bad_value) for e in validate(passing)] == [("ELEM_INVALID_CODE", "N1", "EV")]
    doc = apply(mappings, passing).document
    assert isinstance(doc, PlanningSchedule)
    assert [item.uom for item in doc.items] == ["PC", "PC"]  # composite UIT01 "PC>>>LB>>3.25"
    assert doc.items[1].ship_to is not None and doc.items[1].ship_to.id == "NMC18"

    old = only_set(X12 / "x12-830" / "stupidedi-002001-PO830-fail-1.edi")  # "UNT" is a typo for UIT
    assert [(e.code, e.segment_id) for e in validate(old)][:2] == [("SEG_NOT_IN_SET", "UNT"),
                                                                    ("SEG_NOT_IN_SET", "J2X")]


def test_862_samples(mappings: dict[str, CompiledMapping]) -> None:
    documents = []
    for name in ("edirails-ansix12.edi", "edirails-ansix12_newlines.edi"):
        tx = only_set(X12 / "x12-862" / name)
        # BSS07 (release) and BSS08 (reference) are both absent: syntax rule R0708.
        assert codes(validate(tx)) == [("ELEM_CONDITIONAL_MISSING", "BSS", 2, 7)]
        documents.append(apply(mappings, tx).document)
    assert documents[0] == documents[1]
    assert isinstance(documents[0], PlanningSchedule)
    assert [b.quantity for b in documents[0].items[0].buckets] == [Decimal("13"), Decimal("77"), Decimal("68")]

    stupidedi = only_set(X12 / "x12-862" / "stupidedi-004010-SS862-fail-1.edi")
    assert validate(stupidedi) == []
    doc = apply(mappings, stupidedi).document
    assert isinstance(doc, PlanningSchedule)
    assert [(i.line_no, len(i.buckets)) for i in doc.items] == [("1", 1), ("2", 1)]


needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present in this checkout")


@pytest.mark.corpus
@needs_corpus
def test_corpus_oopf_860_placeholder_date(mappings: dict[str, CompiledMapping]) -> None:
    """CDDL sample, read in place: BCH06 holds the text "PO DATE" and an N1 lost its terminator."""
    tx = only_set(CORPUS / "x12-860" / "oopf-Example1.txt")
    assert [e.code for e in tx.errors] == ["SE_COUNT_MISMATCH"]
    errors = validate(tx)
    assert codes(errors)[0] == ("ELEM_TOO_SHORT", "BCH", 2, 6) and errors[0].bad_value == "PO DATE"
    result = apply(mappings, tx)
    assert [(e.code, e.extra.get("field")) for e in result.errors] == [("MAP_INVALID_VALUE", "po_date")]


@pytest.mark.corpus
@needs_corpus
def test_corpus_bots_830_without_schedule_ids(mappings: dict[str, CompiledMapping]) -> None:
    """GPL sample, read in place: neither BFR02 nor BFR03 (rule R0203); weekly SDQ buckets."""
    tx = only_set(CORPUS / "x12-830" / "bots-830-004010UCS-01.x12")
    assert codes(validate(tx)) == [("ELEM_CONDITIONAL_MISSING", "BFR", 2, 2)]
    doc = apply(mappings, tx).document
    assert isinstance(doc, PlanningSchedule)
    (item,) = doc.items
    assert (doc.reference, item.buyer_part, item.vendor_part) == (None, "71238654", "12307")
    assert len(item.buckets) == 12 and {b.interval for b in item.buckets} == {"weekly"}


# -- schemas and the fast path -------------------------------------------------------------------

@pytest.mark.parametrize("set_id", sorted(MODELS))
def test_schemas_cover_003xxx_to_005xxx(set_id: str) -> None:
    for version, base in (("003010", "004010"), ("004010", "004010"), ("005010", "005010")):
        schema = load_schema(set_id, version)
        assert schema is not None and schema.base_version == base


EXTRA = ("POC*9*QD*5*5*EA*1.00**BP*X-1", "POC*9*ZZ", "FST*1*C*D*20240101", "FST*1*Q*D*2024", "FST*x*C*D*20240101",
         "LIN*9*BP*P-9", "UIT*EA", "N1*ST*Dock*92*D1", "DTM*002*20240101", "SCH*1*EA***002*20240110", "SDP*Y*Y",
         "JIT*1*0800", "BCH*01*SA*X**1*20240101", "PID*F****Extra", "CUR*BY*eur")


def test_fast_and_reference_paths_agree_on_mutations(mappings: dict[str, CompiledMapping]) -> None:
    """Seeded random edits of the hand-made sets reach clean and error paths; both back-ends agree."""
    rng = random.Random(860_830)
    bases = [only_set(path) for path in (MD_860, MD_830, MD_862)]
    outcomes = []
    for number in range(240):
        base = bases[number % len(bases)]
        tx = TransactionSet(mutate(base.segments, rng, EXTRA), base.group, base.index, base.offset)
        result = apply(mappings, tx)
        outcomes.append(result.ok)
        assert (mappings[tx.id].map_clean(tx) is not None) == result.ok
    assert 0 < sum(outcomes) < len(outcomes)
