"""Tests for the X12 writer: envelopes, fixed-width ISA, delimiters, escaping, round trips."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from edi.x12.model import Delimiters
from edi.x12.writer import (
    Element,
    OutGroup,
    OutSet,
    Party,
    WriterError,
    format_segment,
    render_interchange,
)

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
WHEN = datetime(2024, 3, 5, 14, 7, 31)
STAR = Delimiters(element="*", component=":", segment="~", repetition="^")
SENDER = Party("ZZ", "EDIPULSE", gs_id="PULSE")
RECEIVER = Party("01", "123456789")


def split_interchange(text: str) -> tuple[Delimiters, list[list[str]]]:
    """Split a rendered interchange by the delimiters its own ISA declares."""
    element, isa11, version, component, terminator = text[3], text[82], text[84:89], text[104], text[105]
    repetition = isa11 if version >= "00402" else None
    pieces = (piece.strip("\r\n") for piece in text.split(terminator))
    segments = [piece.split(element) for piece in pieces if piece]
    return Delimiters(element=element, component=component, segment=terminator, repetition=repetition), segments


def check_envelope(segments: list[list[str]]) -> dict[str, int]:
    """Assert every trailer count and control number; return how many of each envelope were seen."""
    seen = {"ISA": 0, "GS": 0, "ST": 0}
    for seg in segments:
        tag = seg[0]
        if tag == "ISA":
            isa, groups = seg, 0
            seen["ISA"] += 1
        elif tag == "GS":
            gs, sets = seg, 0
            groups += 1
            seen["GS"] += 1
        elif tag == "ST":
            st, count = seg, 1
            sets += 1
            seen["ST"] += 1
        elif tag == "SE":
            count += 1
            assert (int(seg[1]), seg[2]) == (count, st[2]), f"SE {seg} vs ST {st} with {count} segments"
        elif tag == "GE":
            assert (int(seg[1]), seg[2]) == (sets, gs[6]), f"GE {seg} vs GS {gs} with {sets} sets"
        elif tag == "IEA":
            assert (int(seg[1]), seg[2]) == (groups, isa[13]), f"IEA {seg} vs ISA13 {isa[13]}"
        else:
            count += 1
    return seen


def po_group(control: int = 7, *, sets: int = 2) -> OutGroup:
    line = ["PO1", "1", "5", "EA", "", "", "VP", "A-1"]
    bodies = [OutSet("855", 100 + n, [["BAK", "00", "AC", f"PO-{n}", "20240305"], line]) for n in range(sets)]
    return OutGroup("PR", "PULSE", "BUYER", control, "004010", bodies)


def render(groups: list[OutGroup], delimiters: Delimiters = STAR, **kwargs: object) -> str:
    params: dict[str, object] = {
        "sender": SENDER, "receiver": RECEIVER, "groups": groups, "control_number": 42,
        "delimiters": delimiters, "when": WHEN,
    }
    params.update(kwargs)  # may replace any of the above, groups included
    return render_interchange(**params)  # type: ignore[arg-type]


def test_isa_is_fixed_width_with_padded_fields() -> None:
    text = render([po_group()])
    isa = text[:106]
    assert isa == (
        "ISA*00*          *00*          *ZZ*EDIPULSE       *01*123456789      *240305*1407*U*00401*000000042*0*P*:~"
    )
    assert text[106:].startswith("GS*PR*PULSE*BUYER*20240305*1407*7*X*004010~")
    assert SENDER.group_id == "PULSE" and RECEIVER.group_id == "123456789"


def test_isa11_is_the_repetition_separator_from_00402() -> None:
    text = render([po_group()], version="00501", usage="T", ack_requested="1")
    _, segments = split_interchange(text)
    assert len(text.split("~")[0]) + 1 == 106
    assert segments[0][11:16] == ["^", "00501", "000000042", "1", "T"]


def test_trailer_counts_and_control_numbers() -> None:
    groups = [po_group(7, sets=3), po_group(8, sets=1)]
    text = render(groups, control_number=123456789)
    _, segments = split_interchange(text)
    assert check_envelope(segments) == {"ISA": 1, "GS": 2, "ST": 4}
    tags = [seg[0] for seg in segments]
    assert tags.count("SE") == 4
    assert segments[2] == ["ST", "855", "0100"]  # ST02 padded to 4 digits
    assert segments[5] == ["SE", "4", "0100"]  # ST + 2 body segments + SE
    assert segments[-1] == ["IEA", "2", "123456789"]
    assert ["GE", "3", "7"] in segments and ["GE", "1", "8"] in segments


def test_implementation_reference_goes_into_st03() -> None:
    group = OutGroup("FA", "PULSE", "BUYER", 3, "005010X231A1",
                     [OutSet("999", 12345, [["AK1", "PO", "9", "005010"]], "005010X231A1")])
    _, segments = split_interchange(render([group], version="00501"))
    assert segments[2] == ["ST", "999", "12345", "005010X231A1"]
    assert segments[4] == ["SE", "3", "12345"]


def test_suffix_is_written_after_every_terminator() -> None:
    text = render([po_group(sets=1)], delimiters=Delimiters("*", ":", "~", "^", suffix="\r\n"))
    lines = text.split("\r\n")
    assert lines[-1] == ""
    assert all(line.endswith("~") for line in lines[:-1])
    assert len(lines[0]) == 106
    assert [line.split("*")[0] for line in lines[:-1]] == ["ISA", "GS", "ST", "BAK", "PO1", "SE", "GE", "IEA"]


def test_control_character_delimiters_round_trip() -> None:
    delims = Delimiters(element="\x1d", component="\x1f", segment="\x1c", repetition="\x1e")
    group = OutGroup("PO", "PULSE", "BUYER", 1, "004030",
                     [OutSet("850", 1, [["BEG", "00", "SA", "4500012345", "", "20240305"],
                                        ["PID", "F", "", "", "", "WIDGET*10/PK~:^"],
                                        ["MEA", "PD", "WT", "12", ("LB", "", "", "")],
                                        ["CTX", [("TRIGGER", "A"), "B"], "PO1"]])])
    text = render([group], delimiters=delims, version="00403")
    assert "*" not in text[:106] and len(text.split("\x1c")[0]) == 105
    parsed_delims, segments = split_interchange(text)
    assert parsed_delims == Delimiters(element="\x1d", component="\x1f", segment="\x1c", repetition="\x1e")
    assert segments[3] == ["BEG", "00", "SA", "4500012345", "", "20240305"]
    assert segments[4][5] == "WIDGET*10/PK~:^"  # printable delimiters of other files are plain data here
    assert segments[5] == ["MEA", "PD", "WT", "12", "LB"]  # trailing empty components trimmed
    assert segments[6] == ["CTX", "TRIGGER\x1fA\x1eB", "PO1"]  # repetitions of a composite
    check_envelope(segments)


@pytest.mark.parametrize("bad", ["*", ":", "~", "^"])
def test_value_containing_a_delimiter_is_refused(bad: str) -> None:
    group = OutGroup("PR", "PULSE", "BUYER", 1, "004010",
                     [OutSet("855", 1, [["BAK", "00", "AC", f"PO{bad}1"]])])
    with pytest.raises(WriterError) as info:
        render([group], version="00501")
    message = str(info.value)
    assert "BAK03" in message and repr(f"PO{bad}1") in message


def test_repetition_character_is_data_before_00402() -> None:
    """Before 00402 ISA11 is "U": the configured "^" is no delimiter and may appear in values."""
    group = OutGroup("PR", "PULSE", "BUYER", 1, "004010", [OutSet("855", 1, [["BAK", "00", "AC", "PO^1"]])])
    _, segments = split_interchange(render([group], version="00401"))
    assert segments[3] == ["BAK", "00", "AC", "PO^1"]


def test_suffix_characters_are_refused_in_values() -> None:
    delims = Delimiters("*", ":", "~", None, suffix="\n")
    with pytest.raises(WriterError, match="N102"):
        format_segment(["N1", "ST", "ACME\nDOCK 4"], delims)


def test_component_value_containing_a_delimiter_is_refused() -> None:
    with pytest.raises(WriterError, match="MEA04"):
        format_segment(["MEA", "PD", "WT", "12", ("EA", "1~2")], STAR)
    with pytest.raises(WriterError, match="CTX01"):
        format_segment(["CTX", ["A", "B*"]], STAR)


def test_repetitions_need_a_repetition_separator() -> None:
    assert format_segment(["CTX", ["A", ("B", "1")]], STAR) == "CTX*A^B:1~"
    assert format_segment(["CTX", ["A"]], Delimiters()) == "CTX*A~"
    with pytest.raises(WriterError, match="repetition separator"):
        format_segment(["CTX", ["A", "B"]], Delimiters())


def test_format_segment_trims_and_joins() -> None:
    assert format_segment(["REF", "PO", "", "", ""], STAR) == "REF*PO~"
    assert format_segment(["AK4", ("3", ""), "", "7", "X"], STAR) == "AK4*3**7*X~"
    assert format_segment(["AK4", ("3", "2"), "", "7"], STAR) == "AK4*3:2**7~"
    assert format_segment(["N1", "ST"], Delimiters(suffix="\n")) == "N1*ST~\n"


@pytest.mark.parametrize("seg", [["REF", "", ""], ["ref", "PO"], ["R", "PO"], [], ["ISA", "00"]])
def test_format_segment_refuses_invalid_segments(seg: list[str]) -> None:
    with pytest.raises(WriterError):
        format_segment(seg, STAR)


@pytest.mark.parametrize(
    "delims",
    [
        Delimiters("*", "*", "~", None),  # not distinct
        Delimiters("A", ":", "~", None),  # letter
        Delimiters("**", ":", "~", None),  # two characters
        Delimiters(" ", ":", "~", None),  # space
        Delimiters("\n", ":", "~", None),  # line break as element separator
        Delimiters("*", ":", "~", None, suffix="x"),  # suffix not whitespace
        Delimiters("*", ":", "\n", None, suffix="\n"),  # suffix repeats the terminator
    ],
)
def test_unusable_delimiters_are_refused(delims: Delimiters) -> None:
    with pytest.raises(WriterError):
        render([po_group()], delimiters=delims)


def test_5010_needs_a_repetition_separator() -> None:
    with pytest.raises(WriterError, match="ISA11"):
        render([po_group()], delimiters=Delimiters("*", ":", "~", None), version="00501")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"sender": Party("ZZ", "A-VERY-LONG-SENDER-ID")}, "ISA06"),
        ({"receiver": Party("1", "X")}, "ISA07"),
        ({"control_number": 0}, "ISA13"),
        ({"control_number": 1_000_000_000}, "ISA13"),
        ({"usage": "X"}, "ISA15"),
        ({"ack_requested": "Y"}, "ISA14"),
        ({"version": "4010"}, "ISA12"),
        ({"sender": Party("ZZ", "A*B")}, "ISA06"),
        ({"receiver": Party("ZZ", "  ")}, "ISA07/08"),
        ({"groups": [OutGroup("PR", "", "B", 1, "004010", [OutSet("855", 1, [["BAK", "00"]])])]}, "GS02"),
        ({"groups": [OutGroup("PR", "P", "B", 1, "004010", [])]}, "at least one set"),
        ({"groups": [OutGroup("PR", "P", "B", 1, "004010", [OutSet("855", 0, [["BAK", "00"]])])]}, "ST02"),
        ({"groups": [OutGroup("PR", "P", "B", 1, "004010", [OutSet("855", 1, [["SE", "1", "1"]])])]}, "envelope"),
    ],
)
def test_invalid_envelope_values_are_refused(kwargs: dict[str, object], fragment: str) -> None:
    params: dict[str, object] = {"groups": [po_group()], **kwargs}
    with pytest.raises(WriterError, match=fragment):
        render(**params)  # type: ignore[arg-type]


def test_ta1_goes_between_isa_and_first_group_and_is_not_counted() -> None:
    ta1 = [["TA1", "000004711", "240304", "1200", "A", "000"]]
    _, segments = split_interchange(render([po_group(sets=1)], ta1=ta1))
    assert segments[1] == ta1[0]
    assert segments[2][0] == "GS"
    assert segments[-1] == ["IEA", "1", "000000042"]
    _, only_ta1 = split_interchange(render([], ta1=ta1))
    assert [seg[0] for seg in only_ta1] == ["ISA", "TA1", "IEA"] and only_ta1[-1][1] == "0"


def test_ta1_argument_only_takes_ta1_segments() -> None:
    with pytest.raises(WriterError, match="TA1"):
        render([po_group()], ta1=[["BAK", "00"]])


@pytest.mark.parametrize(
    ("delims", "version"),
    [
        (STAR, "00401"),
        (Delimiters("*", ">", "~", "^", suffix="\r\n"), "00501"),
        (Delimiters("\x1d", "\x1f", "\x1c", "\x1e", suffix="\n"), "00501"),
        (Delimiters("|", "\\", "\n", None), "00401"),
    ],
    ids=["star", "crlf", "control-chars", "newline-terminator"],
)
def test_reader_reads_what_the_writer_writes(delims: Delimiters, version: str) -> None:
    reader = pytest.importorskip("edi.x12.reader")
    groups = [po_group(7, sets=2), po_group(8, sets=1)]
    text = render(groups, delimiters=delims, version=version)
    events = list(reader.read_events(io.BytesIO(text.encode("latin-1"))))
    assert all(not getattr(event, "errors", []) for event in events)
    assert not any(type(event).__name__ == "FileError" for event in events)
    header = events[0]
    assert header.control_number == "000000042" and header.version == version
    expected_rep = delims.repetition if version >= "00402" else None
    assert (header.delimiters.element, header.delimiters.component, header.delimiters.segment,
            header.delimiters.repetition) == (delims.element, delims.component, delims.segment, expected_rep)
    sets = [event for event in events if type(event).__name__ == "TransactionSet"]
    bodies = [out_set.body for group in groups for out_set in group.sets]
    assert [tset.segments[1:-1] for tset in sets] == [[list(seg) for seg in body] for body in bodies]


def _rebuild(segments: list[list[str]], delims: Delimiters) -> list[OutGroup]:
    """OutGroups carrying exactly the sets of a parsed interchange."""
    groups: list[OutGroup] = []
    for seg in segments:
        if seg[0] == "GS":
            gs, sets = seg, []
        elif seg[0] == "ST":
            st, body = seg, []
        elif seg[0] == "SE":
            sets.append(OutSet(st[1], int(st[2]), body, st[3] if len(st) > 3 else None))
        elif seg[0] == "GE":
            groups.append(OutGroup(gs[1], gs[2], gs[3], int(gs[6]), gs[8], sets))
        elif seg[0] not in {"ISA", "IEA"}:
            body.append([seg[0], *(_structure(value, delims) for value in seg[1:])])
    return groups


def _structure(value: str, delims: Delimiters) -> Element:
    """A raw element value split into repetitions and components, as the writer takes them."""
    def composite(text: str) -> str | tuple[str, ...]:
        return tuple(text.split(delims.component)) if delims.component in text else text
    if delims.repetition and delims.repetition in value:
        return [composite(item) for item in value.split(delims.repetition)]
    return composite(value)


def _normalise(segments: list[list[str]]) -> list[list[str]]:
    """Drop what a re-render legitimately changes: ISA01-04 (always "00" and blanks), GS date and
    time (taken from the ISA), leading zeros of control numbers (GS06/GE02, ST02/SE02)."""
    def normal(seg: list[str]) -> list[str]:
        if seg[0] == "ISA":
            return [seg[0], *seg[5:]]
        if seg[0] == "GS":
            return [*seg[:4], str(int(seg[6])), *seg[7:]]
        if seg[0] in {"GE", "SE"}:
            return [seg[0], seg[1], str(int(seg[2]))]
        if seg[0] == "ST":
            return [seg[0], seg[1], str(int(seg[2])), *seg[3:]]
        return seg
    return [normal(seg) for seg in segments]


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    [
        "x12-997/staedi-simple997.edi",
        "x12-999/pyx12-834_lui_id_5010.999.txt",
        "x12-999/staedi-simple999.edi",
        "x12-850/nodex12-850.edi",
        "x12-850/oboe-5-850.x12",
        "x12-850/stupidedi-004010-X357-pass-basic-po.edi",
    ],
)
def test_round_trip_of_corpus_interchanges(name: str) -> None:
    """Re-render real interchanges from their parsed sets: same segments, same ISA, consistent counts."""
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus file {name} not available")
    original = path.read_text(encoding="utf-8-sig")
    delims, segments = split_interchange(original)
    isa = segments[0]
    if delims.repetition is None and isa[11] != "U":
        delims = Delimiters(delims.element, delims.component, delims.segment, isa[11])
    suffix = original[106:108] if original[106:108] == "\r\n" else original[106:107].strip(" ")
    delims = Delimiters(delims.element, delims.component, delims.segment, delims.repetition,
                        suffix=suffix if suffix.isspace() else "")
    text = render_interchange(
        sender=Party(isa[5], isa[6].strip()), receiver=Party(isa[7], isa[8].strip()), groups=_rebuild(segments, delims),
        control_number=int(isa[13]), delimiters=delims, usage=isa[15], ack_requested=isa[14], version=isa[12],
        when=datetime.strptime(isa[9] + isa[10], "%y%m%d%H%M"),
    )
    assert len(text.split(delims.segment)[0]) == 105
    _, again = split_interchange(text)
    assert _normalise(again) == _normalise(segments)
    check_envelope(again)
