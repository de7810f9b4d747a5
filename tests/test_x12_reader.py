"""The streaming X12 reader on hand-made inputs: one test per quirk and per envelope error code.

Inputs are built from a small clean interchange and then bent (delimiters, line
breaks, encodings) or broken (a trailer removed, a count changed). Each error
test also checks that the neighbouring sets are still read, since the reader must
never stop at an envelope error.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from types import ModuleType

import pytest

from edi.x12.model import (
    Event,
    FileError,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    TransactionSet,
)
from edi.x12.reader import read_events, read_segments

HANDMADE = Path(__file__).resolve().parent / "data" / "x12" / "handmade"
GEN_X12 = Path(__file__).resolve().parents[1] / "bench" / "gen_x12.py"


# -- building inputs -------------------------------------------------------------------------

def isa(*, sep: str = "*", comp: str = ">", isa11: str = "U", isa12: str = "00401", isa13: str = "000000001",
        sender: str = "ACMEMED        ") -> str:
    fields = ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender, "ZZ", "EDIPULSE       ", "261120", "1015",
              isa11, isa12, isa13, "0", "P", comp]
    return sep.join(fields)


def po(control: str = "0001", lines: int = 2) -> list[str]:
    segs = [f"ST*850*{control}", f"BEG*00*SA*PO{control}**20261120"]
    segs += [f"PO1*{n}*{n}*EA*1.50**BP*PART-{n}" for n in range(1, lines + 1)]
    segs.append(f"CTT*{lines}")
    return [*segs, f"SE*{len(segs) + 1}*{control}"]


def group(*sets: list[str], gs06: str = "7") -> list[str]:
    body = [segment for tset in sets for segment in tset]
    return [f"GS*PO*ACMEMED*EDIPULSE*20261120*1015*{gs06}*X*004010", *body, f"GE*{len(sets)}*{gs06}"]


def interchange(*groups: list[str], sep: str = "*", term: str = "~", suffix: str = "\n",
                isa13: str = "000000001", **isa_fields: str) -> str:
    """An interchange text; body segments are written with ``*`` and converted to ``sep``."""
    body = [segment.replace("*", sep) for grp in groups for segment in grp] + [f"IEA{sep}{len(groups)}{sep}{isa13}"]
    return "".join(segment + term + suffix for segment in [isa(sep=sep, isa13=isa13, **isa_fields), *body])


CLEAN = interchange(group(po("0001"), po("0002")))


def events(data: str | bytes, **options: object) -> list[Event]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return list(read_events(io.BytesIO(raw), **options))  # type: ignore[arg-type]


def codes(evs: list[Event]) -> list[str]:
    found: list[str] = []
    for event in evs:
        if isinstance(event, FileError):
            found.append(event.error.code)
        elif isinstance(event, TransactionSet | GroupEnd | InterchangeEnd):
            found += [error.code for error in event.errors]
    return found


def sets(evs: list[Event]) -> list[TransactionSet]:
    return [event for event in evs if isinstance(event, TransactionSet)]


def kinds(evs: list[Event]) -> list[str]:
    return [type(event).__name__ for event in evs]


def clean_sets(evs: list[Event]) -> list[str]:
    """Control numbers of the sets read without any envelope error."""
    return [tset.control_number for tset in sets(evs) if not tset.errors]


# -- the clean case ----------------------------------------------------------------------------

def test_clean_interchange_yields_events_in_document_order() -> None:
    evs = events(CLEAN)
    assert kinds(evs) == ["InterchangeHeader", "GroupHeader", "TransactionSet", "TransactionSet", "GroupEnd",
                          "InterchangeEnd"]
    assert codes(evs) == []
    header, grp = evs[0], evs[1]
    assert isinstance(header, InterchangeHeader) and isinstance(grp, GroupHeader)
    assert (header.sender_id, header.receiver_id, header.control_number) == ("ACMEMED", "EDIPULSE", "000000001")
    assert (header.delimiters.element, header.delimiters.component, header.delimiters.segment) == ("*", ">", "~")
    assert header.delimiters.suffix == "\n" and header.delimiters.repetition is None
    first, second = sets(evs)
    assert first.segments == [segment.split("*") for segment in po("0001")]
    assert (first.index, second.index, second.control_number) == (0, 1, "0002")
    assert first.offset == CLEAN.index("ST*850*0001") and second.offset == CLEAN.index("ST*850*0002")
    end = evs[-1]
    assert isinstance(end, InterchangeEnd) and end.group_count == 1 and end.segment == ["IEA", "1", "000000001"]


def test_read_segments_yields_every_segment_with_its_delimiters() -> None:
    text = CLEAN.replace("GS*", "TA1*000000009*261120*1015*A*000~\nGS*", 1)
    pairs = list(read_segments(io.BytesIO(text.encode())))
    tags = [segment[0] for segment, _ in pairs]
    assert tags == ["ISA", "TA1", "GS", *[s.split("*")[0] for s in po() * 2], "GE", "IEA"]
    assert all(delims.segment == "~" for _, delims in pairs)


def test_sets_are_yielded_before_the_file_is_read_to_the_end() -> None:
    """Streaming: the first set arrives after a few chunks, not after the whole file."""
    text = interchange(group(*[po(f"{n:04d}", lines=20) for n in range(1, 301)]))
    handle = io.BytesIO(text.encode())
    stream = read_events(handle, chunk_size=4096)
    first_set = next(event for event in stream if isinstance(event, TransactionSet))
    assert first_set.control_number == "0001"
    assert handle.tell() <= 3 * 4096 < len(text) // 10


# -- quirks that must read cleanly -----------------------------------------------------------------

def _wrap(text: str, width: int, newline: str = "\n") -> str:
    flat = text.replace("\n", "")
    return newline.join(flat[i:i + width] for i in range(0, len(flat), width))


QUIRKS = {
    "utf-8 BOM": "\ufeff" + CLEAN,
    "unpadded ISA": CLEAN.replace("ACMEMED        ", "ACMEMED").replace("EDIPULSE       ", "EDIPULSE"),
    "whitespace before and after": "\n \r\n\t" + CLEAN + "\n\n   \r\n",
    "terminator + CRLF": interchange(group(po("0001"), po("0002")), suffix="\r\n"),
    "no line breaks": interchange(group(po("0001"), po("0002")), suffix=""),
    "indented segments": interchange(group(po("0001"), po("0002")), suffix="\n    "),
    "wrapped at 20 columns (inside ISA too)": _wrap(CLEAN, 20),
    "wrapped at 80 columns with CRLF": _wrap(CLEAN, 80, "\r\n"),
    "newline terminator": interchange(group(po("0001"), po("0002")), term="\n", suffix=""),
    "newline terminator, CRLF": interchange(group(po("0001"), po("0002")), term="\r\n", suffix=""),
    "control chars 0x1D / 0x1C": interchange(group(po("0001"), po("0002")), sep="\x1d", term="\x1c", suffix=""),
    "control chars 0x7F / 0x15": interchange(group(po("0001"), po("0002")), sep="\x7f", term="\x15", suffix="\r\n"),
    "U+2026 terminator, U+00A6 component": interchange(group(po("0001"), po("0002")), term="\u2026", comp="\u00a6"),
    "EDIFACT-like + : '": interchange(group(po("0001"), po("0002")), sep="+", comp=":", term="'"),
    "DOS end-of-file mark": CLEAN + "\x1a",
    "stray terminator after IEA": CLEAN + "~\n",
    "ISA12 00200 and GS08 T": CLEAN.replace("*U*00401*", "*U*00200*").replace("*X*004010", "*X*T"),
}


@pytest.mark.parametrize("text", QUIRKS.values(), ids=QUIRKS.keys())
def test_quirk_reads_the_same_sets_without_errors(text: str) -> None:
    evs = events(text)
    assert codes(evs) == []
    assert [tset.segments for tset in sets(evs)] == [
        [segment.split("*") for segment in po(control)] for control in ("0001", "0002")]


@pytest.mark.parametrize("text", QUIRKS.values(), ids=QUIRKS.keys())
def test_quirk_reads_the_same_with_one_byte_chunks(text: str) -> None:
    assert [repr(e) for e in events(text, chunk_size=1)] == [repr(e) for e in events(text)]


@pytest.mark.parametrize(("sep", "term", "comp"), [("\x1d", "\x1c", "@"), ("~", "\n", "@"), ("^", "}", ">"),
                                                   ("*", "\u2026", "\u00a6")])
def test_delimiters_come_from_the_isa(sep: str, term: str, comp: str) -> None:
    header = events(interchange(group(po()), sep=sep, term=term, comp=comp, suffix=""))[0]
    assert isinstance(header, InterchangeHeader)
    assert (header.delimiters.element, header.delimiters.segment, header.delimiters.component) == (sep, term, comp)
    assert header.segment[16] == comp


@pytest.mark.parametrize(("isa12", "isa11", "expected"), [
    ("00501", "^", "^"), ("00403", "^", "^"), ("00402", "!", "!"), ("00401", "^", None), ("00501", "U", None),
    ("00300", "^", None), ("00501", ">", None),  # ">" is already the component separator
])
def test_repetition_separator_from_00402_when_not_alphanumeric(isa12: str, isa11: str, expected: str | None) -> None:
    header = events(interchange(group(po()), isa12=isa12, isa11=isa11))[0]
    assert isinstance(header, InterchangeHeader) and header.delimiters.repetition == expected


def test_several_interchanges_each_with_its_own_delimiters() -> None:
    text = (interchange(group(po("0001")), isa13="000000001")
            + interchange(group(po("0002")), group(po("0003")), sep="|", term="\x15", isa13="000000002")
            + interchange(group(po("0004"), po("0005")), term="\n", suffix="", isa13="000000003"))
    evs = events(text)
    assert codes(evs) == []
    headers = [e for e in evs if isinstance(e, InterchangeHeader)]
    assert [(h.index, h.delimiters.element, h.delimiters.segment) for h in headers] == [
        (0, "*", "~"), (1, "|", "\x15"), (2, "*", "\n")]
    assert [(t.control_number, t.index, t.group.index) for t in sets(evs)] == [
        ("0001", 0, 0), ("0002", 0, 0), ("0003", 0, 1), ("0004", 0, 0), ("0005", 1, 0)]


def test_zero_padded_counts_and_numeric_control_numbers_match() -> None:
    text = (CLEAN.replace("SE*6*0001", "SE*0000000006*0001").replace("GE*2*7", "GE*000002*0007")
            .replace("IEA*1*000000001", "IEA*00001*1"))
    assert codes(events(text)) == []


def test_segment_longer_than_the_chunk_is_read_whole() -> None:
    long_text = "X" * 100_000
    tset = po("0001")
    tset.insert(2, f"MSG*{long_text}")
    tset[-1] = "SE*7*0001"
    evs = events(interchange(group(tset)), chunk_size=1000)
    assert codes(evs) == [] and sets(evs)[0].segments[2] == ["MSG", long_text]


def test_ta1_between_isa_and_gs_is_not_an_error() -> None:
    assert codes(events(CLEAN.replace("GS*", "TA1*000000009*261120*1015*A*000~\nGS*", 1))) == []


def test_other_encodings_can_be_asked_for() -> None:
    text = CLEAN.replace("PART-1", "PI\u00c8CE-1")
    assert codes(events(text.encode("latin-1"), encoding="latin-1")) == []
    evs = events(text.encode("utf-16"), encoding="utf-16")
    assert codes(evs) == [] and sets(evs)[0].segments[2][7] == "PI\u00c8CE-1"


# -- file-level errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"  \r\n\n"])
def test_empty_file(data: bytes) -> None:
    assert codes(events(data)) == ["FILE_EMPTY"]


def test_not_x12() -> None:
    evs = events("PO number,quantity\n4500012345,10\n")
    assert codes(evs) == ["FILE_NOT_X12"] and kinds(evs) == ["FileError"]


def test_text_before_the_first_isa_is_reported_and_the_interchange_still_read() -> None:
    evs = events("From: partner@example.com\n\n" + CLEAN)
    assert codes(evs) == ["FILE_NOT_X12"] and clean_sets(evs) == ["0001", "0002"]


def test_latin1_byte_in_utf8_file_stops_with_file_encoding() -> None:
    data = CLEAN.replace("BEG*00*SA*PO0002", "BEG*00*SA*P\u00c80002").encode("latin-1")
    evs = events(data)
    assert clean_sets(evs) == ["0001"]  # everything before the bad byte is read
    found = codes(evs)
    assert found[-1] == "FILE_ENCODING" and {"SE_MISSING", "GE_MISSING", "IEA_MISSING"} <= set(found)
    error = evs[-1].error  # type: ignore[union-attr]
    assert error.extra["byte_offset"] == str(data.index(b"\xc8"))


def test_utf16_file_is_a_file_encoding_error() -> None:
    assert codes(events(CLEAN.encode("utf-16"))) == ["FILE_ENCODING"]
    assert codes(events(CLEAN.encode("utf-16-le"))) == ["FILE_ENCODING"]


def test_garbage_after_the_last_iea() -> None:
    evs = events(CLEAN + "\nTHIS IS NOT EDI\n")
    assert codes(evs) == ["FILE_TRAILING_DATA"] and clean_sets(evs) == ["0001", "0002"]
    error = evs[-1].error  # type: ignore[union-attr]
    assert error.offset == len(CLEAN) + 1 and error.bad_value == "THIS IS NOT EDI\n"


def test_garbage_between_interchanges_does_not_hide_the_next_one() -> None:
    second = interchange(group(po("0003")), isa13="000000002")
    evs = events(CLEAN + "garbage\n" + second)
    assert codes(evs) == ["FILE_TRAILING_DATA"] and clean_sets(evs) == ["0001", "0002", "0003"]


# -- ISA errors ----------------------------------------------------------------------------------------

def test_truncated_isa() -> None:
    assert codes(events(isa()[:60])) == ["ISA_INVALID"]


def test_isa_with_too_few_elements_is_skipped_and_the_next_interchange_read() -> None:
    broken = CLEAN.replace("*0*P*>", "*P*>", 1)  # ISA14 missing: the 16th separator is in the GS
    second = interchange(group(po("0003")), isa13="000000002")
    evs = events(broken + second)
    assert codes(evs)[0] == "ISA_INVALID" and clean_sets(evs) == ["0003"]


@pytest.mark.parametrize("comp", ["A", "*", "~"])
def test_unusable_delimiters(comp: str) -> None:
    text = CLEAN.replace("*P*>~", f"*P*{comp}~", 1)
    evs = events(text)
    assert codes(evs) == ["ISA_DELIMITERS"] and sets(evs) == []


# -- interchange errors --------------------------------------------------------------------------------

def test_iea_missing_at_end_of_file() -> None:
    evs = events(CLEAN.replace("IEA*1*000000001~\n", ""))
    assert codes(evs) == ["IEA_MISSING"] and clean_sets(evs) == ["0001", "0002"]
    end = evs[-1]
    assert isinstance(end, InterchangeEnd) and end.segment is None and end.group_count == 1


def test_file_cut_inside_a_set_closes_everything_open() -> None:
    evs = events(CLEAN[: CLEAN.index("CTT*2~\nSE*6*0002")])
    assert codes(evs) == ["SE_MISSING", "GE_MISSING", "IEA_MISSING"]
    assert clean_sets(evs) == ["0001"] and kinds(evs)[-3:] == ["TransactionSet", "GroupEnd", "InterchangeEnd"]


def test_iea_missing_before_the_next_isa() -> None:
    second = interchange(group(po("0003")), sep="|", term="'", isa13="000000002")
    evs = events(CLEAN.replace("IEA*1*000000001~\n", "") + second)
    assert codes(evs) == ["IEA_MISSING"] and clean_sets(evs) == ["0001", "0002", "0003"]


@pytest.mark.parametrize(("iea", "code"), [("IEA*2*000000001", "IEA_COUNT_MISMATCH"),
                                           ("IEA*one*000000001", "IEA_COUNT_MISMATCH"),
                                           ("IEA*1*000000002", "IEA_CONTROL_MISMATCH")])
def test_iea_mismatch(iea: str, code: str) -> None:
    evs = events(CLEAN.replace("IEA*1*000000001", iea))
    assert codes(evs) == [code] and clean_sets(evs) == ["0001", "0002"]
    error = evs[-1].errors[0]  # type: ignore[union-attr]
    assert error.segment_id == "IEA" and error.offset == CLEAN.index("IEA*")


def test_segment_outside_a_group_is_reported_once_per_run() -> None:
    text = CLEAN.replace("GS*", "N1*ST*STRAY~\nN3*STREET~\nGS*", 1)
    evs = events(text)
    assert codes(evs) == ["ISA_UNEXPECTED_SEGMENT"] and clean_sets(evs) == ["0001", "0002"]
    error = evs[-1].errors[0]  # type: ignore[union-attr]
    assert error.segment_id == "N1" and error.offset == text.index("N1*ST*STRAY")


def test_set_outside_a_group_is_not_yielded() -> None:
    text = CLEAN.replace("GS*", "\n".join(s + "~" for s in po("0009")) + "\nGS*", 1)
    evs = events(text)
    assert codes(evs) == ["ISA_UNEXPECTED_SEGMENT"] and clean_sets(evs) == ["0001", "0002"]


# -- group errors --------------------------------------------------------------------------------------

def test_gs_malformed() -> None:
    evs = events(CLEAN.replace("GS*PO*ACMEMED*EDIPULSE*20261120*1015*7*X*004010", "GS*PO*ACMEMED*EDIPULSE"))
    assert "GS_INVALID" in codes(evs) and clean_sets(evs) == ["0001", "0002"]


def test_gs_control_number_not_numeric() -> None:
    evs = events(CLEAN.replace("*1015*7*X*", "*1015*A7*X*").replace("GE*2*7", "GE*2*A7"))
    assert codes(evs) == ["GS_CONTROL_NUMBER"] and clean_sets(evs) == ["0001", "0002"]


def test_ge_missing_before_the_next_gs() -> None:
    text = interchange(group(po("0001")), group(po("0002"), gs06="8")).replace("GE*1*7~\n", "")
    evs = events(text)
    assert codes(evs) == ["GE_MISSING"] and clean_sets(evs) == ["0001", "0002"]
    ends = [e for e in evs if isinstance(e, GroupEnd)]
    assert [(e.segment is None, e.set_count) for e in ends] == [(True, 1), (False, 1)]


def test_ge_missing_before_the_iea() -> None:
    evs = events(CLEAN.replace("GE*2*7~\n", ""))
    assert codes(evs) == ["GE_MISSING"] and clean_sets(evs) == ["0001", "0002"]


@pytest.mark.parametrize(("ge", "code"), [("GE*3*7", "GE_COUNT_MISMATCH"), ("GE*2*8", "GE_CONTROL_MISMATCH")])
def test_ge_mismatch(ge: str, code: str) -> None:
    evs = events(CLEAN.replace("GE*2*7", ge))
    assert codes(evs) == [code] and clean_sets(evs) == ["0001", "0002"]
    assert evs[-2].errors[0].offset == CLEAN.index("GE*")  # type: ignore[union-attr]


def test_segment_between_sets_is_reported_in_the_group() -> None:
    evs = events(CLEAN.replace("ST*850*0002", "NTE*GEN*STRAY~\nREF*ZZ*X~\nST*850*0002"))
    assert codes(evs) == ["GS_UNEXPECTED_SEGMENT"] and clean_sets(evs) == ["0001", "0002"]


# -- set errors ----------------------------------------------------------------------------------------

def test_se_missing_before_the_next_st() -> None:
    evs = events(CLEAN.replace("SE*6*0001~\n", ""))
    assert codes(evs) == ["SE_MISSING"] and clean_sets(evs) == ["0002"]
    broken = sets(evs)[0]
    assert broken.control_number == "0001" and broken.segments[-1] == ["CTT", "2"]
    assert broken.errors[0].segment_position == 6


def test_se_missing_before_the_ge() -> None:
    evs = events(CLEAN.replace("SE*6*0002~\n", ""))
    assert codes(evs) == ["SE_MISSING"] and clean_sets(evs) == ["0001"]


@pytest.mark.parametrize(("se", "code"), [("SE*5*0001", "SE_COUNT_MISMATCH"), ("SE**0001", "SE_COUNT_MISMATCH"),
                                          ("SE*6*0003", "SE_CONTROL_MISMATCH")])
def test_se_mismatch(se: str, code: str) -> None:
    evs = events(CLEAN.replace("SE*6*0001", se))
    assert codes(evs) == [code] and clean_sets(evs) == ["0002"]
    error = sets(evs)[0].errors[0]
    assert (error.segment_id, error.segment_position, error.offset) == ("SE", 6, CLEAN.index("SE*6*0001"))


@pytest.mark.parametrize(("st", "code"), [("ST**0001", "ST_INVALID_ID"), ("ST*850", "ST_CONTROL_NUMBER")])
def test_st_malformed(st: str, code: str) -> None:
    evs = events(CLEAN.replace("ST*850*0001", st))
    assert code in codes(evs) and clean_sets(evs) == ["0002"]


def test_empty_segment_is_reported_not_dropped_silently_and_not_a_stop() -> None:
    evs = events(CLEAN.replace("BEG*00*SA*PO0001**20261120~", "BEG*00*SA*PO0001**20261120~~"))
    assert codes(evs) == ["SEG_EMPTY"] and clean_sets(evs) == ["0002"]
    error = sets(evs)[0].errors[0]
    assert error.segment_position == 3 and len(sets(evs)[0].segments) == 6


def test_empty_segment_outside_a_set_goes_to_the_group() -> None:
    evs = events(CLEAN.replace("SE*6*0001~", "SE*6*0001~~"))
    assert codes(evs) == ["SEG_EMPTY"] and clean_sets(evs) == ["0001", "0002"]


def test_set_too_large_keeps_memory_bounded_and_counts_right() -> None:
    big = po("0001", lines=500)
    evs = events(interchange(group(big, po("0002"))), chunk_size=256, max_set_segments=50)
    assert codes(evs) == ["SET_TOO_LARGE"] and clean_sets(evs) == ["0002"]
    tset = sets(evs)[0]
    assert len(tset.segments) <= 51 + 20 and tset.segments[0] == big[0].split("*")
    assert tset.segments[-1] == big[-1].split("*")  # SE kept, and SE01 matched the true count


# -- hand-made files ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("stedi-inbound-latin1.edi", ["SE_MISSING", "GE_MISSING", "IEA_MISSING", "FILE_ENCODING"]),
    ("stedi-inbound-utf16.edi", ["FILE_ENCODING"]),
    ("stedi-inbound-trailing-garbage.edi", ["FILE_TRAILING_DATA"]),
    ("stedi-inbound-bad-counts.edi", ["SEG_EMPTY", "SE_COUNT_MISMATCH", "SE_CONTROL_MISMATCH",
                                      "GS_UNEXPECTED_SEGMENT", "GE_COUNT_MISMATCH", "GE_CONTROL_MISMATCH",
                                      "IEA_COUNT_MISMATCH", "IEA_CONTROL_MISMATCH"]),
    ("staedi-simple997-three-broken.edi", ["SE_MISSING", "GE_MISSING", "IEA_MISSING"]),
])
def test_handmade_files(name: str, expected: list[str]) -> None:
    assert codes(list(read_events(HANDMADE / name))) == expected


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5])
def test_isa_cut_by_a_chunk_boundary_after_garbage_is_found(chunk_size: int) -> None:
    evs = events("X" * 45 + CLEAN, chunk_size=chunk_size)
    assert codes(evs) == ["FILE_NOT_X12"] and clean_sets(evs) == ["0001", "0002"]


# -- the benchmark generator (other benchmarks rely on its output being envelope-clean) ----------------

def _gen_x12() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_x12", GEN_X12)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("version", "repetition"), [("004010", None), ("005010", "^")])
def test_generated_850s_read_cleanly(version: str, repetition: str | None) -> None:
    out = io.StringIO()
    _gen_x12().write_850_interchange(out, 5, 3, version, "ACMEMED", "EDIPULSE", 42)
    evs = events(out.getvalue())
    assert codes(evs) == [] and len(clean_sets(evs)) == 5
    header = evs[0]
    assert isinstance(header, InterchangeHeader) and header.delimiters.repetition == repetition
    assert (header.sender_id, header.receiver_id, header.control_number) == ("ACMEMED", "EDIPULSE", "000000042")
    assert [seg[0] for seg in sets(evs)[0].segments].count("PO1") == 3


def test_generator_fills_to_a_target_size() -> None:
    out = io.StringIO()
    count = _gen_x12().write_850_to_size(out, 50_000, 4, "004010", "ACMEMED", "EDIPULSE", 1)
    evs = events(out.getvalue())
    assert len(out.getvalue()) >= 50_000 and codes(evs) == [] and len(clean_sets(evs)) == count
