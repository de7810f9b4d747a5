"""The YAML mapping engine: converters, loop grouping, qualifier pairs, fallbacks, errors, overrides."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from edi.mapping import CompiledMapping, find_mapping, load_mapping
from edi.mapping.convert import CONVERTERS, ConversionError
from edi.x12.model import Delimiters, GroupHeader, InterchangeHeader, TransactionSet
from edi.x12.reader import read_events

REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "mappings"
DEFAULT_850 = MAPPINGS / "default" / "850.yaml"
GOLDEN = MAPPINGS / "default" / "golden"

ISA = ("ISA*00*          *00*          *ZZ*MERCYHEALTH    *ZZ*ACMEMED        *240315*0930*U*00401*000000077*0*P*>")


def make_tx(*segments: str, version: str = "004010") -> TransactionSet:
    """A transaction set from ``*``-separated segment texts (ST and SE added)."""
    header = InterchangeHeader(ISA.split("*"), Delimiters(), 0, 0)
    group = GroupHeader(f"GS*PO*MERCY*ACME*20240315*0930*77*X*{version}".split("*"), header, 0)
    segs = [s.split("*") for s in ("ST*850*0042", *segments)]
    segs.append(["SE", str(len(segs) + 1), "0042"])
    return TransactionSet(segs, group, 0, 0)


@pytest.fixture(scope="module")
def default() -> CompiledMapping:
    return load_mapping(DEFAULT_850, [MAPPINGS])


def build(name: str, arg: Any = None, code_lists: dict[str, dict[str, str]] | None = None) -> Any:
    return CONVERTERS[name].build(arg, code_lists or {})


# -- converters ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("20240229", dt.date(2024, 2, 29)),
    ("240102", dt.date(2024, 1, 2)),
    ("491231", dt.date(2049, 12, 31)),
    ("500101", dt.date(1950, 1, 1)),
    ("991231", dt.date(1999, 12, 31)),
])
def test_date_formats_and_century_window(raw: str, expected: dt.date) -> None:
    assert build("date")(raw, "") == expected


def test_date_pivot_is_configurable() -> None:
    convert = build("date", {"pivot": "80"})
    assert convert("790101", "") == dt.date(2079, 1, 1)
    assert convert("800101", "") == dt.date(1980, 1, 1)


@pytest.mark.parametrize("raw", ["20230229", "2024-01-02", "2401", "2024010", "２０２４０１０２", "20241301"])
def test_date_rejects_junk(raw: str) -> None:
    with pytest.raises(ConversionError):
        build("date")(raw, "")


@pytest.mark.parametrize(("raw", "expected"), [
    ("12.50", "12.50"), ("0008", "8"), ("-3", "-3"), (".5", "0.5"), ("7.", "7"), ("1249.995", "1249.995"),
])
def test_decimal_is_exact(raw: str, expected: str) -> None:
    value = build("decimal")(raw, "")
    assert isinstance(value, Decimal)
    assert format(value, "f") == expected  # exactly as sent: trailing zeros kept, no float rounding


@pytest.mark.parametrize("raw", ["1e3", "1.2E3", "NaN", "Infinity", " 1", "+1", "1,5", "", ".", "1_000", "１２"])
def test_decimal_rejects_junk(raw: str) -> None:
    with pytest.raises(ConversionError):
        build("decimal")(raw, "")


def test_implied_decimal() -> None:
    convert = build("implied_decimal", "2")
    assert convert("1250", "") == Decimal("12.50")
    assert format(convert("1250", ""), "f") == "12.50"
    assert convert("-5", "") == Decimal("-0.05")
    with pytest.raises(ConversionError):
        convert("12.5", "")


@pytest.mark.parametrize(("raw", "qualifier", "expected"), [
    ("10885403123450", "UK", "10885403123450"),
    ("4006381333931", "EN", "04006381333931"),
    ("036000291452", "UP", "00036000291452"),
    ("96385074", "EN", "00000096385074"),
])
def test_gtin_padding(raw: str, qualifier: str, expected: str) -> None:
    assert build("gtin")(raw, qualifier) == expected


@pytest.mark.parametrize(("raw", "qualifier"), [
    ("10885403123451", "UK"),  # wrong check digit
    ("036000291452", "EN"),  # a UPC-A is not an EAN-13
    ("4006381333931", "UK"),  # only a 14-digit value is a GTIN-14
    ("40063813339A1", "EN"),
])
def test_gtin_rejects(raw: str, qualifier: str) -> None:
    with pytest.raises(ConversionError):
        build("gtin")(raw, qualifier)


def test_codes_named_and_inline() -> None:
    named = build("codes", "purpose", {"purpose": {"00": "original", "05": "replace"}})
    assert named("05", "") == "replace"
    with pytest.raises(ConversionError, match="'99' is not in code list 'purpose'"):
        named("99", "")
    assert build("codes", {"EA": "each"})("EA", "") == "each"


# -- the default 850 mapping ----------------------------------------------------------------

HEADER = ("BEG*05*SA*PO-1**20240315", "DTM*002*20240405")


def test_purpose_codes_and_currency_default(default: CompiledMapping) -> None:
    result = default.apply(make_tx(*HEADER, "PO1*1*2*EA*3.10"))
    assert result.errors == []
    assert result.document is not None
    assert result.document.purpose == "replace"
    assert result.document.currency == "USD"  # no CUR segment
    confirmed = default.apply(make_tx("BEG*06*SA*PO-1**20240315", "CUR*BY*cad", "PO1*1*2*EA"))
    assert confirmed.document is not None
    assert (confirmed.document.purpose, confirmed.document.currency) == ("confirmation", "CAD")


def test_qualifier_pairs_anywhere_in_po106_to_po125(default: CompiledMapping) -> None:
    pairs = "*".join(["ZZ*X"] * 6)  # PO106..PO117
    tx = make_tx(*HEADER, f"PO1*1*2*EA*3**{pairs}*BP*FAR-AWAY*VP*V-9")
    result = default.apply(tx)
    assert result.document is not None
    line = result.document.lines[0]
    assert (line.buyer_part, line.vendor_part) == ("FAR-AWAY", "V-9")


def test_qualifier_only_matches_qualifier_positions(default: CompiledMapping) -> None:
    # "BP" appears as a *value* (PO107), never as a qualifier: no buyer part.
    result = default.apply(make_tx(*HEADER, "PO1*1*2*EA*3**VP*BP"))
    assert result.document is not None
    assert result.document.lines[0].buyer_part is None
    assert result.document.lines[0].vendor_part == "BP"


def test_gtin_prefers_uk_over_en_whatever_the_order(default: CompiledMapping) -> None:
    result = default.apply(make_tx(*HEADER, "PO1*1*2*EA*3**EN*4006381333931*UK*10885403123450"))
    assert result.document is not None
    assert result.document.lines[0].gtin == "10885403123450"


def test_requested_date_fallback_chain(default: CompiledMapping) -> None:
    tx = make_tx(
        *HEADER,
        "PO1*1*1*EA", "DTM*037*20240401",  # line DTM
        "PO1*2*1*EA", "SCH*1*EA***002*20240402",  # SCH
        "PO1*3*1*EA", "DTM*999*20240403",  # line DTM with a qualifier not taken -> header DTM*002
    )
    result = default.apply(tx)
    assert result.document is not None
    dates = [line.requested_date for line in result.document.lines]
    assert dates == [dt.date(2024, 4, 1), dt.date(2024, 4, 2), dt.date(2024, 4, 5)]
    no_header_date = default.apply(make_tx("BEG*00*SA*PO-1**20240315", "PO1*1*1*EA"))
    assert no_header_date.document is not None
    assert no_header_date.document.lines[0].requested_date is None


def test_n1_loops_are_selected_by_qualifier_and_kept_apart(default: CompiledMapping) -> None:
    tx = make_tx(
        "BEG*00*SA*PO-1**20240315",
        "N1*BT*Billing Dept*92*B1", "N3*PO Box 1", "N4*Boise*ID*83701*US",
        "N1*ST*Main Dock*92*S1", "N3*1 Dock Rd*Door 4", "N4*Nampa*ID*83651",
        "PO1*1*1*EA", "N1*ST*Line Level Dock*92*L1", "N3*Elsewhere",
    )
    result = default.apply(tx)
    assert result.document is not None
    ship, bill = result.document.ship_to, result.document.bill_to
    assert ship is not None
    assert bill is not None
    assert (ship.name, ship.address1, ship.address2, ship.city, ship.country) == (
        "Main Dock", "1 Dock Rd", "Door 4", "Nampa", None)
    assert (bill.name, bill.address1, bill.postal_code) == ("Billing Dept", "PO Box 1", "83701")


def test_description_joins_pid_loops(default: CompiledMapping) -> None:
    tx = make_tx(*HEADER, "PO1*1*1*EA", "PID*F****Catheter,", "PID*S**VI*FOO", "PID*F****sterile", "PO4*1")
    result = default.apply(tx)
    assert result.document is not None
    assert result.document.lines[0].description == "Catheter, sterile"


def test_required_missing_names_field_and_location(default: CompiledMapping) -> None:
    result = default.apply(make_tx("BEG*00*SA***20240315", "PO1*1*1*EA", "PO1*2**EA"))
    assert result.document is None
    by_field = {e.extra["field"]: e for e in result.errors}
    assert set(by_field) == {"po_number", "lines[1].quantity"}
    po_number = by_field["po_number"]
    assert (po_number.code, po_number.segment_id, po_number.element_position) == ("MAP_REQUIRED_MISSING", "BEG", 3)
    quantity = by_field["lines[1].quantity"]
    assert (quantity.segment_id, quantity.segment_position, quantity.element_position) == ("PO1", 4, 2)
    assert quantity.spec.set_ak5 == "5"
    assert quantity.level == "document"


def test_no_lines_is_required_missing(default: CompiledMapping) -> None:
    result = default.apply(make_tx("BEG*00*SA*PO-1**20240315"))
    assert [(e.code, e.extra["field"]) for e in result.errors] == [("MAP_REQUIRED_MISSING", "lines")]


def test_invalid_value_carries_bad_value(default: CompiledMapping) -> None:
    result = default.apply(make_tx(*HEADER, "PO1*1*1*EA*1", "PO1*2*3*EA*9,95"))
    assert result.document is None
    (error,) = result.errors
    assert (error.code, error.extra["field"], error.segment_position, error.element_position, error.bad_value) == (
        "MAP_INVALID_VALUE", "lines[1].unit_price", 5, 4, "9,95")


def test_unknown_purpose_code_is_invalid(default: CompiledMapping) -> None:
    result = default.apply(make_tx("BEG*99*SA*PO-1**20240315", "PO1*1*1*EA"))
    assert [(e.code, e.extra["field"], e.bad_value) for e in result.errors] == [
        ("MAP_INVALID_VALUE", "purpose", "99")]


def test_json_shape_is_the_contract(default: CompiledMapping) -> None:
    result = default.apply(make_tx(*HEADER, "N1*ST*Dock*92*S1", "PO1*1*12*EA*12.50**UK*10885403123450"))
    assert result.document is not None
    data = result.document.to_json_dict()
    assert list(data) == ["type", "partner", "po_number", "order_date", "purpose", "currency", "ship_to",
                          "bill_to", "lines", "envelope"]
    assert list(data["ship_to"]) == ["name", "id", "address1", "address2", "city", "state", "postal_code",
                                     "country"]
    assert list(data["lines"][0]) == ["line_no", "buyer_part", "vendor_part", "gtin", "description", "quantity",
                                      "uom", "unit_price", "requested_date"]
    assert data["lines"][0]["quantity"] == "12"
    assert data["lines"][0]["unit_price"] == "12.50"
    assert data["order_date"] == "2024-03-15"
    assert data["envelope"] == {
        "interchange_control_number": "000000077", "group_control_number": "77", "set_control_number": "0042",
        "sender_id": "ZZ:MERCYHEALTH", "receiver_id": "ZZ:ACMEMED", "version": "004010"}
    text = json.dumps(data)
    assert json.loads(text, parse_float=lambda s: pytest.fail(f"float {s} in canonical JSON")) == data


def test_explain_traces_rules_and_sources(default: CompiledMapping) -> None:
    result = default.apply(make_tx(*HEADER, "PO1*1*12*EA*12.50"), explain=True)
    traces = {t.field: t for t in result.explain}
    yaml_lines = DEFAULT_850.read_text(encoding="utf-8").splitlines()
    po_number = traces["po_number"]
    assert (po_number.value, po_number.segment_id, po_number.segment_position, po_number.element_position) == (
        "PO-1", "BEG", 2, 3)
    assert po_number.yaml_path == "fields.po_number"
    assert yaml_lines[po_number.line - 1].strip().startswith("po_number:")
    assert traces["currency"].source == "default"
    date = traces["lines[0].requested_date"]  # header fallback
    assert (date.value, date.segment_position, date.source) == (dt.date(2024, 4, 5), 3, "segment")
    assert traces["lines[0].unit_price"].to_dict()["value"] == "12.50"
    assert default.apply(make_tx(*HEADER, "PO1*1*12*EA")).explain == []


def test_default_mapping_handles_corpus_po_from_reader(default: CompiledMapping) -> None:
    (tx,) = [e for e in read_events(GOLDEN / "nodex12-850.edi") if isinstance(e, TransactionSet)]
    result = default.apply(tx, partner="xyz")
    assert result.document is not None
    assert result.document.partner == "xyz"
    assert len(result.document.lines) == 6
    assert sum((line.quantity * (line.unit_price or 0) for line in result.document.lines), Decimal(0)) == Decimal(
        "13045.94")  # the AMT*1 total the buyer sent


# -- partner overrides and lookup ------------------------------------------------------------

def partner_file(root: Path, text: str, partner: str = "acme") -> Path:
    path = root / "partners" / partner / "850.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_partner_override_merges_removes_and_inherits_loops(tmp_path: Path) -> None:
    path = partner_file(tmp_path, """\
        extends: default/850.yaml
        fields:
          ship_to: null
          bill_to:
            where: {N101: BY}
          lines:
            fields:
              gtin: null
              buyer_part: {path: PO1, qualifier: IN, pairs: [6, 25]}
        """)
    mapping = load_mapping(path, [tmp_path, MAPPINGS])
    assert mapping.source_files == (DEFAULT_850, path)
    tx = make_tx(*HEADER, "N1*ST*Dock", "N1*BY*Buyer Co*92*B-7", "N3*7 Buyer St",
                 "PO1*1*1*EA*2**BP*B-1*IN*I-1*UK*10885403123450", "PID*F****Gauze")
    result = mapping.apply(tx)
    assert result.errors == []
    doc = result.document
    assert doc is not None
    assert doc.ship_to is None
    assert doc.bill_to is not None
    assert (doc.bill_to.name, doc.bill_to.address1) == ("Buyer Co", "7 Buyer St")  # fields inherited
    line = doc.lines[0]
    assert (line.buyer_part, line.gtin, line.description) == ("I-1", None, "Gauze")


def test_find_mapping_prefers_partner_then_default(tmp_path: Path) -> None:
    partner_file(tmp_path, "extends: default/850.yaml\nversions: [0050]\n")
    roots = [tmp_path, MAPPINGS]
    assert find_mapping("850", "005010", "acme", roots) == tmp_path / "partners" / "acme" / "850.yaml"
    assert find_mapping("850", "004010VICS", "acme", roots) == MAPPINGS / "default" / "850.yaml"
    assert find_mapping("850", "004010", None, roots) == MAPPINGS / "default" / "850.yaml"
    assert find_mapping("850", "003040", None, roots) == MAPPINGS / "default" / "850.yaml"
    assert find_mapping("850", "002001", None, roots) is None
    assert find_mapping("855", "004010", "acme", roots) is None
    with pytest.raises(ValueError, match="cannot name a mapping folder"):
        find_mapping("850", "004010", "../etc", roots)


def test_wrong_transaction_set_is_refused(default: CompiledMapping) -> None:
    tx = make_tx("BAK*00*AC*PO-1*20240315")
    tx.segments[0][1] = "855"
    result = default.apply(tx)
    assert result.document is None
    assert [(e.code, e.bad_value) for e in result.errors] == [("MAP_NO_MAPPING", "855")]


def test_compiled_mapping_metadata(default: CompiledMapping) -> None:
    assert default.transaction_set == "850"
    assert default.versions == ("0030", "0040", "0050")
    assert default.handles("004010X357")
    assert default.handles("003040") and not default.handles("002001")


# -- the fast path ---------------------------------------------------------------------------

def test_fast_path_maps_clean_sets_and_gives_up_on_errors(default: CompiledMapping) -> None:
    clean = make_tx(*HEADER, "N1*ST*Dock*92*S1", "PO1*1*12*EA*12.50**UK*10885403123450", "PID*F****Gauze")
    document = default.map_clean(clean, "acme")
    assert document is not None
    assert document == default.apply(clean, partner="acme").document
    assert document.lines[0].gtin == "10885403123450"
    assert default.generated_source is not None
    assert default.generated_source.startswith("def map_fast(")
    for broken in (make_tx(*HEADER, "PO1*1*12*EA*12,50"), make_tx("BEG*00*SA***20240315", "PO1*1*1*EA"),
                   make_tx(*HEADER)):
        assert default.map_clean(broken) is None
        assert default.apply(broken).errors  # the reference path reports what is wrong


def test_partner_that_is_not_text_is_still_reported(default: CompiledMapping) -> None:
    result = default.apply(make_tx(*HEADER, "PO1*1*2*EA*3.10"), partner=123)  # type: ignore[arg-type]
    assert result.document is None
    assert [(e.code, e.extra["field"]) for e in result.errors] == [("MAP_INVALID_VALUE", "partner")]


def test_documents_share_no_mutable_state(default: CompiledMapping) -> None:
    tx = make_tx(*HEADER, "PO1*1*2*EA*3.10", "PO1*2*2*EA*3.10")
    first, second = default.apply(tx).document, default.apply(tx).document
    assert first is not None
    assert second is not None
    assert first == second
    first.lines[0].uom = "CS"
    first.lines.append(first.lines[1])
    assert second.lines[0].uom == "EA"
    assert len(second.lines) == 2
    assert "uom" in second.lines[0].model_fields_set
    assert second.lines[1].model_fields_set == second.lines[0].model_fields_set
    assert second.lines[1].model_fields_set is not second.lines[0].model_fields_set


def test_converter_caches_stay_correct_past_their_size(default: CompiledMapping) -> None:
    from edi.mapping.codegen_scalars import MEMO_SIZE

    for number in range(MEMO_SIZE + 50):
        document = default.apply(make_tx(*HEADER, f"PO1*1*{number}*EA*{number}.25")).document
        assert document is not None
        assert (document.lines[0].quantity, document.lines[0].unit_price) == (Decimal(number),
                                                                              Decimal(f"{number}.25"))


def test_pair_index_agrees_with_find_pair() -> None:
    import random

    from edi.mapping.getters import find_pair, pair_index

    rng = random.Random(25)
    values = ["", "BP", "VP", "UK", "EN", "x", "IN"]
    for _ in range(5000):
        seg = ["PO1", *(rng.choice(values) for _ in range(rng.randint(0, 26)))]
        first = rng.randint(1, 8)
        last = first + 2 * rng.randint(0, 10) + 1
        index = pair_index(seg, first, last)
        for qualifiers in (("BP", "IN"), ("VP",), ("UK", "EN", "UP"), ("",)):
            expected = find_pair(seg, qualifiers, first, last)
            assert next((index[q] for q in qualifiers if q in index), -1) == expected, (seg, first, last)


def test_only_plain_models_are_built_without_validation() -> None:
    from pydantic import BaseModel, Field, field_validator

    from edi.canonical import Envelope, Line, Party, PurchaseOrder
    from edi.mapping.construct import constructible

    class Checked(BaseModel):
        code: str

        @field_validator("code")
        @classmethod
        def _upper(cls, value: str) -> str:
            return value.upper()

    class Bounded(BaseModel):
        code: str = Field(max_length=3)

    class Aliased(BaseModel):
        code: str = Field(alias="Code")

    class Counted(BaseModel):
        count: int

    class Listed(BaseModel):
        codes: list[str] = Field(default_factory=list)

    class Nested(BaseModel):
        inner: Checked | None = None

    assert all(constructible(model) for model in (PurchaseOrder, Line, Party, Envelope))
    assert not any(constructible(model) for model in (Checked, Bounded, Aliased, Counted, Listed, Nested))
