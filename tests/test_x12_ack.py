"""Tests for the 997 / 999 / TA1 builders: exact segments, catalogue-driven codes, pyx12 cross-check."""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from edi.errors import CATALOGUE, EdiError
from edi.x12.ack import (
    ACK_GROUP_VERSION,
    GroupOutcome,
    SetOutcome,
    ack_kind,
    ack_out_set,
    ack_status_of,
    build_functional_ack,
    build_ta1,
    ta1_for,
    ta1_note_code,
)
from edi.x12.model import Delimiters, InterchangeHeader
from edi.x12.writer import OutGroup, Party, effective_delimiters, format_segment, render_interchange

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
OUT = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")
WHEN = datetime(2024, 3, 5, 9, 30)


def text_of(body: list[list[object]], delims: Delimiters = OUT) -> list[str]:
    """Segments rendered without terminator/suffix, for exact comparisons."""
    return [format_segment(seg, delims)[: -len(delims.segment + delims.suffix)] for seg in body]  # type: ignore[arg-type]


def date_error(position: int = 2) -> EdiError:
    return EdiError("ELEM_INVALID_DATE", "BEG05 is not a date", segment_position=position, segment_id="BEG",
                    element_position=5, element_ref="373", bad_value="20241341")


def mixed_group(version: str) -> GroupOutcome:
    """(b) one good set, one with an element error, one with an SE count mismatch."""
    return GroupOutcome(
        functional_id="PO", control_number="17", version=version, received_count=3, declared_count=3, errors=[],
        sets=[
            SetOutcome("850", "0001"),
            SetOutcome("850", "0002", errors=[date_error()]),
            SetOutcome("850", "0003", errors=[EdiError("SE_COUNT_MISMATCH", "SE01 says 9, counted 8")]),
        ],
    )


def good_group(version: str, count: int = 2, declared: int | None = None, errors: list[EdiError] | None = None
               ) -> GroupOutcome:
    sets = [SetOutcome("850", f"{n + 1:04d}", "005010" if version.startswith("005") else None) for n in range(count)]
    return GroupOutcome("PO", "17", version, sets, errors or [], count, declared)


# -- kind ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "kind"),
    [("004010", "997"), ("004010VICS", "997"), ("003040", "997"), ("005010", "999"), ("005010X222A1", "999"),
     ("006020", "999"), ("", "997"), ("X12", "997")],
)
def test_ack_kind_follows_gs08_release(version: str, kind: str) -> None:
    assert ack_kind(version) == kind


# -- (a) all good -------------------------------------------------------------------


def test_997_for_an_all_good_group() -> None:
    kind, body = build_functional_ack(good_group("004010"))
    assert kind == "997"
    assert text_of(body) == ["AK1*PO*17", "AK2*850*0001", "AK5*A", "AK2*850*0002", "AK5*A", "AK9*A*2*2*2"]


def test_999_for_an_all_good_group() -> None:
    kind, body = build_functional_ack(good_group("005010"))
    assert kind == "999"
    assert text_of(body) == [
        "AK1*PO*17*005010", "AK2*850*0001*005010", "IK5*A", "AK2*850*0002*005010", "IK5*A", "AK9*A*2*2*2",
    ]


# -- (b) one good, one element error, one SE count mismatch -------------------------------


def test_997_for_a_partly_accepted_group() -> None:
    kind, body = build_functional_ack(mixed_group("004010"))
    assert kind == "997"
    assert text_of(body) == [
        "AK1*PO*17",
        "AK2*850*0001", "AK5*A",
        "AK2*850*0002", "AK3*BEG*2**8", "AK4*5*373*8*20241341", "AK5*R*5",
        "AK2*850*0003", "AK5*R*4",
        "AK9*P*3*3*1",
    ]


def test_999_for_a_partly_accepted_group() -> None:
    kind, body = build_functional_ack(mixed_group("005010"))
    assert kind == "999"
    assert text_of(body) == [
        "AK1*PO*17*005010",
        "AK2*850*0001", "IK5*A",
        "AK2*850*0002", "IK3*BEG*2**8", "IK4*5*373*8*20241341", "IK5*R*5",
        "AK2*850*0003", "IK5*R*4",
        "AK9*P*3*3*1",
    ]


def test_997_can_be_forced_for_a_5010_group() -> None:
    """A 5010 997 carries the 5010 elements (AK103, AK203), with AK segments."""
    group = mixed_group("005010")
    group.sets[0].implementation_ref = "005010"
    kind, body = build_functional_ack(group, "997")
    assert kind == "997"
    lines = text_of(body)
    assert lines[:3] == ["AK1*PO*17*005010", "AK2*850*0001*005010", "AK5*A"]
    assert "AK4*5*373*8*20241341" in lines


# -- (c) group-level errors -----------------------------------------------------------


def test_ge_count_mismatch_rejects_the_group_with_code_5() -> None:
    error = EdiError("GE_COUNT_MISMATCH", "GE01 says 3, counted 2")
    _, body = build_functional_ack(good_group("004010", count=2, declared=3, errors=[error]))
    assert text_of(body)[-1] == "AK9*R*3*2*0*5"
    assert text_of(body)[2] == "AK5*A"  # the sets' own verdicts are still reported
    _, body_999 = build_functional_ack(good_group("005010", count=2, declared=3, errors=[error]))
    assert text_of(body_999)[-1] == "AK9*R*3*2*0*5"


def test_missing_ge_uses_the_received_count_and_code_3() -> None:
    _, body = build_functional_ack(good_group("004010", count=1, errors=[EdiError("GE_MISSING", "no GE")]))
    assert text_of(body)[-1] == "AK9*R*1*1*0*3"


def test_several_group_errors_give_distinct_codes() -> None:
    errors = [EdiError("GE_CONTROL_MISMATCH", "x"), EdiError("GE_COUNT_MISMATCH", "y"),
              EdiError("GE_CONTROL_MISMATCH", "z")]
    _, body = build_functional_ack(good_group("004010", count=1, declared=2, errors=errors))
    assert text_of(body)[-1] == "AK9*R*2*1*0*4*5"


def test_all_sets_rejected_gives_ak9_r_without_group_code() -> None:
    group = GroupOutcome("PO", "5", "004010", [SetOutcome("850", "0001", errors=[date_error()])], [], 1)
    _, body = build_functional_ack(group)
    assert text_of(body)[-1] == "AK9*R*1*1*0"


# -- set verdict rules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "trailer"),
    [("BOOK_DUPLICATE_PO", "AK5*A"), ("MAP_REQUIRED_MISSING", "AK5*R*5"), ("MAP_NO_MAPPING", "AK5*R*1"),
     ("BOOK_FAILED", "AK5*R*5"), ("SE_CONTROL_MISMATCH", "AK5*R*3")],
)
def test_document_errors_reject_only_when_the_catalogue_gives_a_code(code: str, trailer: str) -> None:
    group = GroupOutcome("PO", "5", "004010", [SetOutcome("850", "0001", errors=[EdiError(code, "m")])], [], 1)
    _, body = build_functional_ack(group)
    assert text_of(body)[2] == trailer
    assert text_of(body)[-1] == ("AK9*A*1*1*1" if trailer == "AK5*A" else "AK9*R*1*1*0")


def test_one_bad_set_never_rejects_its_neighbours() -> None:
    sets = [SetOutcome("850", f"{n:04d}", errors=[date_error()] if n == 2 else []) for n in range(1, 5)]
    assert [ack_status_of(outcome) for outcome in sets] == ["A", "R", "A", "A"]
    _, body = build_functional_ack(GroupOutcome("PO", "5", "004010", sets, [], 4, 4))
    trailers = [line for line in text_of(body) if line.startswith("AK5")]
    assert trailers == ["AK5*A", "AK5*R*5", "AK5*A", "AK5*A"]
    assert text_of(body)[-1] == "AK9*P*4*4*3"


def test_ak502_lists_distinct_codes_first_five() -> None:
    codes = ["SE_MISSING", "SE_CONTROL_MISMATCH", "SE_COUNT_MISMATCH", "SE_COUNT_MISMATCH", "ST_INVALID_ID",
             "ST_CONTROL_NUMBER", "ST_NOT_SUPPORTED"]
    outcome = SetOutcome("850", "0001", errors=[EdiError(code, "m") for code in codes])
    _, body = build_functional_ack(GroupOutcome("PO", "5", "004010", [outcome], [], 1))
    assert text_of(body)[2] == "AK5*R*2*3*4*6*7"


def test_segment_and_element_errors_in_one_segment_give_separate_ak3_loops() -> None:
    errors = [
        EdiError("ELEM_TOO_LONG", "m", segment_position=5, segment_id="PO1", loop_id="PO1", element_position=7,
                 element_ref="234", bad_value="X" * 150),
        EdiError("SEG_MAX_USE", "m", segment_position=5, segment_id="PO1", loop_id="PO1"),
        EdiError("SEG_UNEXPECTED", "m", segment_position=3, segment_id="ZZZ"),
        EdiError("ELEM_INVALID_CODE", "m", segment_position=5, segment_id="PO1", loop_id="PO1", element_position=3,
                 element_ref="355", bad_value="XX"),
        EdiError("SEG_MANDATORY_MISSING", "no BEG"),  # not locatable: reaches AK5 only
    ]
    _, body = build_functional_ack(GroupOutcome("PO", "5", "004010", [SetOutcome("850", "0001", errors=errors)], [], 1))
    assert text_of(body)[1:-1] == [
        "AK2*850*0001",
        "AK3*ZZZ*3**2",
        "AK3*PO1*5*PO1*5",
        "AK3*PO1*5*PO1*8", "AK4*7*234*5*" + "X" * 99, "AK4*3*355*7*XX",
        "AK5*R*5",
    ]


def test_element_notes_follow_segment_order_and_stop_at_99() -> None:
    errors = [EdiError("ELEM_TOO_LONG", "m", segment_position=9, segment_id="PID", element_position=5)]
    errors += [EdiError("ELEM_INVALID_CODE", "m", segment_position=4, segment_id="PO1", element_position=n % 20 + 1)
               for n in range(120)]
    _, body = build_functional_ack(GroupOutcome("PO", "5", "004010", [SetOutcome("850", "0001", errors=errors)], [], 1))
    tags = [seg[0] for seg in body]
    assert body[2] == ["AK3", "PO1", "4", "", "8"]
    assert tags[3:102] == ["AK4"] * 99 and tags[102] == "AK3" and body[102][1:3] == ["PID", "9"]
    assert tags[103:] == ["AK4", "AK5", "AK9"]


def test_component_and_repetition_positions_form_c030() -> None:
    error = EdiError("ELEM_INVALID_CODE", "m", segment_position=4, segment_id="MEA", element_position=4,
                     component_position=2, element_ref="355", bad_value="Q", extra={"repetition_position": "3"})
    group = GroupOutcome("PO", "5", "004010", [SetOutcome("850", "0001", errors=[error])], [], 1)
    assert "AK4*4:2*355*7*Q" in text_of(build_functional_ack(group)[1])
    group.version = "005010"
    assert "IK4*4:2:3*355*7*Q" in text_of(build_functional_ack(group)[1])


def test_copied_values_lose_outbound_delimiters_and_control_characters() -> None:
    error = EdiError("ELEM_INVALID_CHAR", "m", segment_position=3, segment_id="N1", element_position=2,
                     bad_value="A*B:C^D~E\x07F")
    group = GroupOutcome("PO", "5", "004010", [SetOutcome("850", "0001", errors=[error])], [], 1)
    _, body = build_functional_ack(group, delimiters=OUT)
    assert "AK4*2**6*ABCDEF" in text_of(body)


def test_999_business_context_is_written_when_the_error_names_it() -> None:
    error = EdiError("ELEM_MANDATORY_MISSING", "m", segment_position=2, segment_id="BEG", element_position=3,
                     element_ref="324", extra={"context_name": "BEG03", "context_value": "4500012345"})
    group = GroupOutcome("PO", "5", "005010", [SetOutcome("850", "0001", errors=[error])], [], 1)
    assert text_of(build_functional_ack(group)[1])[2:5] == ["IK3*BEG*2**8", "CTX*BEG03:4500012345", "IK4*3*324*1"]
    group.version = "004010"  # the 997 has no CTX segment
    assert not any(line.startswith("CTX") for line in text_of(build_functional_ack(group)[1]))


@pytest.mark.parametrize("spec", [s for s in CATALOGUE.values() if s.level in {"set", "segment", "element"}],
                         ids=lambda s: s.code)
def test_every_syntax_code_comes_from_the_catalogue(spec: object) -> None:
    error = EdiError(spec.code, "m", segment_position=4, segment_id="PO1", element_position=2)  # type: ignore[attr-defined]
    group = GroupOutcome("PO", "5", "004010", [SetOutcome("850", "0001", errors=[error])], [], 1)
    body = build_functional_ack(group)[1]
    by_tag = {seg[0]: seg for seg in body}
    assert by_tag["AK5"] == ["AK5", "R", spec.set_ak5]  # type: ignore[attr-defined]
    if spec.segment_ak3:  # type: ignore[attr-defined]
        assert by_tag["AK3"][4] == spec.segment_ak3  # type: ignore[attr-defined]
    if spec.element_ak4:  # type: ignore[attr-defined]
        assert by_tag["AK4"][3] == spec.element_ak4  # type: ignore[attr-defined]


def test_errors_of_the_wrong_level_are_refused() -> None:
    with pytest.raises(ValueError, match="IEA_MISSING"):
        build_functional_ack(good_group("004010", errors=[EdiError("IEA_MISSING", "m")]))
    bad_set = SetOutcome("850", "0001", errors=[EdiError("GE_MISSING", "m")])
    with pytest.raises(ValueError, match="GE_MISSING"):
        build_functional_ack(GroupOutcome("PO", "5", "004010", [bad_set], [], 1))
    with pytest.raises(ValueError, match="kind"):
        build_functional_ack(good_group("004010"), "998")  # type: ignore[arg-type]


# -- TA1 ------------------------------------------------------------------------------


def test_build_ta1() -> None:
    assert build_ta1("4711", "240304", "1200", True, "000") == ["TA1", "000004711", "240304", "1200", "A", "000"]
    assert build_ta1("000004711", "240304", "1200", True, "024")[4] == "E"
    assert build_ta1("4711", "240304", "1200", False, "021")[4:] == ["R", "021"]
    for args in [("12A", "240304", "1200", True, "000"), ("1", "2403", "1200", True, "000"),
                 ("1", "240304", "1200", False, "000"), ("1", "240304", "1200", True, "21")]:
        with pytest.raises(ValueError):
            build_ta1(*args)  # type: ignore[arg-type]


def _header() -> InterchangeHeader:
    isa = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "BUYER".ljust(15), "ZZ", "EDIPULSE".ljust(15), "240304",
           "1200", "U", "00401", "000004711", "1", "P", ">"]
    return InterchangeHeader(segment=isa, delimiters=Delimiters(component=">"), index=0, offset=0)


def test_ta1_for_reads_the_note_code_from_the_catalogue() -> None:
    assert ta1_for(_header()) == ["TA1", "000004711", "240304", "1200", "A", "000"]
    error = EdiError("IEA_COUNT_MISMATCH", "IEA01 says 2")
    assert ta1_for(_header(), error) == ["TA1", "000004711", "240304", "1200", "R", CATALOGUE[error.code].ta1]
    assert ta1_for(_header(), error, accepted=True)[4] == "E"
    with pytest.raises(ValueError, match="no TA1"):
        ta1_note_code(EdiError("GE_MISSING", "m"))


# -- rendered in an interchange -----------------------------------------------------------


def render_ack(group: GroupOutcome, *, ta1: list[list[str]] | None = None) -> str:
    out_set = ack_out_set(group, 1, delimiters=OUT)
    version = "00501" if out_set.set_id == "999" else "00401"
    fa = OutGroup("FA", "PULSE", "BUYER", 900, ACK_GROUP_VERSION[out_set.set_id], [out_set])
    return render_interchange(sender=Party("ZZ", "EDIPULSE"), receiver=Party("ZZ", "BUYER"), groups=[fa],
                              control_number=31, delimiters=OUT, version=version, when=WHEN, ta1=ta1 or ())


def read_back(text: str) -> list[list[str]]:
    """Split a rendered interchange by its own ISA delimiters and check every envelope count."""
    element, terminator = text[3], text[105]
    segments = [line.strip("\n").split(element) for line in text.split(terminator) if line.strip("\n")]
    counts = {"IEA": 0, "GE": 0, "SE": 0}
    for seg in segments:
        tag = seg[0]
        if tag == "ISA":
            isa = seg
        elif tag == "GS":
            gs = seg
        elif tag == "ST":
            st, in_set = seg, 1
        elif tag == "SE":
            assert (int(seg[1]), seg[2]) == (in_set + 1, st[2])
        elif tag == "GE":
            assert seg[2] == gs[6] and int(seg[1]) == sum(1 for s in segments if s[0] == "ST")
        elif tag == "IEA":
            assert seg[2] == isa[13] and int(seg[1]) == sum(1 for s in segments if s[0] == "GS")
        elif tag != "TA1":
            in_set += 1
        counts[tag] = counts.get(tag, 0) + 1
    assert counts["IEA"] == 1 and counts["GE"] == counts["GS"] and counts["SE"] == counts["ST"]
    return segments


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_rendered_ack_has_consistent_envelopes(version: str) -> None:
    text = render_ack(mixed_group(version), ta1=[ta1_for(_header())])
    segments = read_back(text)
    assert segments[1][0] == "TA1"
    assert segments[3][:2] == ["ST", "997" if version == "004010" else "999"]
    assert segments[-4] == ["AK9", "P", "3", "3", "1"]
    assert segments[-3] == ["SE", "12", "0001"]


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_reader_reads_the_rendered_ack_without_envelope_errors(version: str) -> None:
    reader = pytest.importorskip("edi.x12.reader")
    text = render_ack(mixed_group(version), ta1=[ta1_for(_header())])
    events = list(reader.read_events(io.BytesIO(text.encode("ascii"))))
    assert [type(event).__name__ for event in events] == [
        "InterchangeHeader", "GroupHeader", "TransactionSet", "GroupEnd", "InterchangeEnd"]
    assert all(not getattr(event, "errors", []) for event in events)
    assert events[0].delimiters == effective_delimiters(OUT, "00401" if version == "004010" else "00501")
    kind, body = build_functional_ack(mixed_group(version), delimiters=OUT)
    assert events[2].id == kind
    assert [OUT.element.join(seg) for seg in events[2].segments[1:-1]] == text_of(body)


# -- pyx12 cross-check -------------------------------------------------------------------

pyx12_params = pytest.importorskip("pyx12.params")
pyx12_document = pytest.importorskip("pyx12.x12n_document")


@pytest.fixture(scope="module")
def pyx12_maps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """pyx12's maps with the AK101/AK201 code lists removed.

    pyx12 ships HIPAA acknowledgement maps whose AK101/AK201 only admit health-care
    groups (HC, BE, ... / 837, 834, ...). Everything else (segment order, usage,
    lengths, AK304/AK403/AK5/AK9 code lists) is validated as shipped.
    """
    import pyx12

    target = tmp_path_factory.mktemp("pyx12-maps")
    shutil.copytree(Path(pyx12.__file__).parent / "map", target, dirs_exist_ok=True)
    for name in ("997.4010.xml", "999.5010X231.A1.xml"):
        tree = ET.parse(target / name)
        for element in tree.iter("element"):
            codes = element.find("valid_codes")
            if element.get("xid") in {"AK101", "AK201"} and codes is not None:
                element.remove(codes)
        tree.write(target / name, encoding="utf-8", xml_declaration=True)
    yield target


def pyx12_errors(text: str, map_path: Path) -> list[str]:
    """All errors pyx12 reports for ``text`` (empty when it validates)."""
    report = io.StringIO()
    valid = pyx12_document.x12n_document(param=pyx12_params.params(), src_file=io.StringIO(text), fd_997=None,
                                         fd_html=None, fd_json=report, map_path=str(map_path))
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            found.extend(f"{e.get('err_cde')}: {e.get('err_str')}" for e in node.get("errors", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(report.getvalue()))
    if not valid and not found:
        found.append("pyx12 reports the document invalid")
    return found


@pytest.mark.parametrize("version", ["004010", "005010X220A1"])
@pytest.mark.parametrize("case", ["good", "mixed", "ge_count"])
def test_pyx12_accepts_our_acks(pyx12_maps: Path, version: str, case: str) -> None:
    group = {
        "good": good_group(version, count=3),
        "mixed": mixed_group(version),
        "ge_count": good_group(version, count=2, declared=3, errors=[EdiError("GE_COUNT_MISMATCH", "m")]),
    }[case]
    assert pyx12_errors(render_ack(group), pyx12_maps) == []


def test_pyx12_check_can_fail(pyx12_maps: Path) -> None:
    """Negative control: invalid AK501/IK403 codes and a misplaced AK4 are reported."""
    text = render_ack(mixed_group("004010"))
    broken = text.replace("AK5*A~", "AK5*Q~").replace("AK3*BEG*2**8~\nAK4", "AK4")
    assert broken != text
    assert pyx12_errors(broken, pyx12_maps)
    text_999 = render_ack(mixed_group("005010X220A1"))
    assert any("IK403" in error for error in pyx12_errors(text_999.replace("*373*8*", "*373*88*"), pyx12_maps))


# -- shape of public sample acknowledgements -----------------------------------------------


def corpus_lines(name: str, terminator: str) -> list[str]:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} not available")
    text = path.read_text(encoding="utf-8-sig")
    lines = [line.strip("\r\n ") for line in text.split(terminator)]
    start = next(n for n, line in enumerate(lines) if line.startswith("ST"))
    end = next(n for n, line in enumerate(lines) if line.startswith("SE"))
    return lines[start + 1:end]


@pytest.mark.corpus
def test_same_shape_as_stupidedi_4010_997() -> None:
    expected = corpus_lines("x12-997/stupidedi-004010-FA997-pass-1.edi", "\n")
    group = GroupOutcome("AG", "160", "004010", [SetOutcome("824", "0160")], [], 1, 1)
    assert text_of(build_functional_ack(group)[1]) == expected


@pytest.mark.corpus
def test_same_shape_as_imsweb_rejected_999() -> None:
    expected = corpus_lines("x12-999/imsweb-x12_999_rejected.txt", "~")
    error = EdiError("SEG_UNRECOGNIZED", "NM is no segment", segment_position=17, segment_id="NM")
    group = GroupOutcome("HC", "28", "005010X223A2", [SetOutcome("837", "0028", errors=[error])], [], 1, 1)
    assert text_of(build_functional_ack(group)[1]) == expected


@pytest.mark.corpus
def test_same_shape_as_staedi_simple_999() -> None:
    """Same segments as the sample, except its situational-trigger CTX (we do not produce that one)."""
    lines = corpus_lines("x12-999/staedi-simple999.edi", "~")
    expected = [line for line in lines if not line.startswith("CTX*SITUATIONAL")]
    missing_clm02 = EdiError("ELEM_MANDATORY_MISSING", "m", segment_position=22, segment_id="CLM", element_position=2,
                             element_ref="782", extra={"context_name": "CLM01", "context_value": "123456789"})
    missing_ref = EdiError("SEG_MANDATORY_MISSING", "m", segment_position=57, segment_id="REF",
                           extra={"context_name": "CLM01", "context_value": "987654321"})
    group = GroupOutcome("HC", "17456", "005010X222", [
        SetOutcome("837", "0001"),
        SetOutcome("837", "0002", errors=[missing_clm02]),
        SetOutcome("837", "0003", errors=[missing_ref]),
    ], [], 3, 3)
    assert text_of(build_functional_ack(group)[1]) == expected
