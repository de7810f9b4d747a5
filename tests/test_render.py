"""Tests for outbound rendering (edi.render): sandboxed templates, seg() recording, coded errors, filters.

Templates are real files in a temporary folder (or copies of the shipped defaults);
X12 output goes through the real writer and is read back with the real reader.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from pydantic import ValidationError

from edi.canonical import DOCUMENTS
from edi.canonical.order_ack import OrderAcknowledgement
from edi.render import RenderError, TemplateLibrary, TemplateSet, check_out_set, render_text, render_x12_set
from edi.render.errors import TemplateValueError
from edi.render.filters import cents, csv_cell, id_pairs, x12decimal, x12time
from edi.x12.model import Delimiters, TransactionSet
from edi.x12.reader import read_events
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from edi.x12.writer import OutGroup, Party, effective_delimiters, render_interchange

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
D5 = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")
D4 = effective_delimiters(D5, "00401")  # no repetition separator before 00402
WHEN = dt.datetime(2024, 3, 16, 10, 15)


def make_templates(root: Path, files: dict[str, str]) -> TemplateSet:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return TemplateSet([root])


def x12(templates: TemplateSet, context: dict[str, object], name: str = "x12/t.j2", version: str = "004010",
        delimiters: Delimiters = D5):
    return render_x12_set(templates, name, context, set_id="855", control_number=12, version=version,
                          delimiters=delimiters)


def render_error(call, *args, **kwargs) -> RenderError:
    with pytest.raises(RenderError) as info:
        call(*args, **kwargs)
    return info.value


def ack(**changes: object) -> OrderAcknowledgement:
    data: dict[str, object] = {
        "po_number": "PO-1", "po_date": "2024-03-01", "ack_date": "2024-03-02", "ack_type": "accept",
        "lines": [{"line_no": "1", "vendor_part": "V-1", "ordered_quantity": "5", "uom": "EA", "status": "accept"}],
    }
    data.update(changes)
    return OrderAcknowledgement.model_validate(data)


# -- X12: seg() and the writer ----------------------------------------------------------


def test_x12_template_renders_a_set_the_writer_and_reader_agree_on(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": (
        "{# a comment #}\n"
        "{{ seg('BAK', '00', 'AD', po, day | x12date, None, None, None, None) }}\n"
        "{% for q in quantities %}\n"
        "  {{ seg('PO1', loop.index, q, 'EA', None, None, *id_pairs(('BP', None), ('VP', 'V' ~ loop.index))) }}\n"
        "{% endfor %}\n"
        "{{ seg('REF', 'ZZ', ('A', 'B', ''), None) }}{{ seg('CTT', quantities | length) }}\n"
    )})
    out = x12(templates, {"po": "PO 7", "day": dt.date(2024, 3, 5), "quantities": [Decimal("2.50"), 10]})
    assert out.set_id == "855" and out.control_number == 12
    assert out.body == [["BAK", "00", "AD", "PO 7", "20240305", "", "", "", ""],
                        ["PO1", "1", "2.5", "EA", "", "", "VP", "V1"], ["PO1", "2", "10", "EA", "", "", "VP", "V2"],
                        ["REF", "ZZ", ("A", "B", ""), ""], ["CTT", "2"]]
    text = render_interchange(sender=Party("ZZ", "US"), receiver=Party("ZZ", "THEM"), control_number=3,
                              groups=[OutGroup("PR", "US", "THEM", 4, "004010", [out])], delimiters=D5,
                              version="00501", when=WHEN)
    (tx,) = [e for e in read_events(io.BytesIO(text.encode())) if isinstance(e, TransactionSet)]
    assert tx.errors == []
    assert [seg[0] for seg in tx.segments] == ["ST", "BAK", "PO1", "PO1", "REF", "CTT", "SE"]
    assert tx.segments[1] == ["BAK", "00", "AD", "PO 7", "20240305"]  # trailing empties trimmed
    assert tx.segments[4] == ["REF", "ZZ", "A:B"]
    assert tx.segments[-1] == ["SE", "7", "0012"]


def test_the_output_decides_which_segments_are_written(tmp_path: Path) -> None:
    """A segment captured and printed twice is written twice; one recorded but never printed is not."""
    templates = make_templates(tmp_path, {"x12/t.j2": (
        "{% set n1 %}{{ seg('N1', 'ST', 'Dock') }}{% endset %}"
        "{% set unused = seg('N1', 'BT', 'never') %}"
        "{{ seg('BAK', '00', 'AD', 'PO', '20240101') }}{{ n1 }}{{ n1 }}"
    )})
    assert [seg[:2] for seg in x12(templates, {}).body] == [["BAK", "00"], ["N1", "ST"], ["N1", "ST"]]


@pytest.mark.parametrize("value", ["a*b", "a~b", "a:b", "a^b", "line\nbreak"])
def test_a_value_holding_a_delimiter_is_refused_naming_template_and_line(tmp_path: Path, value: str) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": (
        "{{ seg('BAK', '00', 'AD', 'PO', '20240101') }}\n"
        "\n"
        "{{ seg('REF', 'ZZ', note) }}\n"
    )})
    error = render_error(x12, templates, {"note": value})
    assert (error.code, error.template, error.line) == ("RENDER_SEGMENT_REJECTED", "x12/t.j2", 3)
    assert error.path == str(tmp_path / "x12" / "t.j2")
    assert "REF02" in error.message and repr(value) in error.message
    assert str(error).startswith("RENDER_SEGMENT_REJECTED: x12/t.j2:3: ")


def test_repetition_separator_is_data_where_the_version_has_none(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": "{{ seg('REF', 'ZZ', note) }}\n"
                                                      "{{ seg('REF', 'ZZ', ['A', 'B']) }}"})
    error = render_error(x12, templates, {"note": "a^b"}, delimiters=D4)
    assert (error.code, error.line) == ("RENDER_SEGMENT_REJECTED", 2)  # "^" is fine in 00401, two repeats are not
    assert "repetition" in error.message


def test_undefined_variable_is_a_coded_error_with_its_line(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": "{{ seg('BAK', '00', 'AD', 'PO', '20240101') }}\n"
                                                      "{{ seg('REF', 'ZZ', ack.missing) }}\n"})
    error = render_error(x12, templates, {"ack": ack()})
    assert (error.code, error.template, error.line) == ("RENDER_UNDEFINED", "x12/t.j2", 2)
    assert "missing" in error.message
    error = render_error(x12, templates, {})
    assert (error.code, error.line) == ("RENDER_UNDEFINED", 2)
    assert "'ack' is undefined" in error.message


def test_template_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": "{{ seg('BAK', '00') }}\n{% if %}\n",
                                          "x12/main.j2": "{% import 'x12/t.j2' as t %}{{ seg('BAK', '00') }}"})
    error = render_error(x12, templates, {})
    assert (error.code, error.template, error.line) == ("RENDER_SYNTAX", "x12/t.j2", 2)
    nested = render_error(x12, templates, {}, name="x12/main.j2")
    assert (nested.code, nested.template, nested.line) == ("RENDER_SYNTAX", "x12/t.j2", 2)


def test_error_inside_an_imported_macro_points_at_the_macro_file(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {
        "x12/macros.j2": "{% macro ref(v) %}\n{{ seg('REF', 'ZZ', v) }}\n{% endmacro %}\n",
        "x12/t.j2": "{% import 'x12/macros.j2' as m with context %}\n{{ seg('BAK', '00') }}\n{{ m.ref('x*y') }}\n",
    })
    error = render_error(x12, templates, {})
    assert (error.code, error.template, error.line) == ("RENDER_SEGMENT_REJECTED", "x12/macros.j2", 2)


@pytest.mark.parametrize(("source", "code", "fragment"), [
    ("BAK*00*AD~", "RENDER_STRAY_TEXT", "before the first segment"),
    ("{{ seg('BAK', '00') }}{{ note }}", "RENDER_STRAY_TEXT", "after segment 1 (BAK)"),
    ("{{ seg('BAK', '00') }}{{ seg('BAK', '00')[:8] }}", "RENDER_STRAY_TEXT", "after segment 1 (BAK)"),
    ("{{ seg('SE', '3', '0001') }}", "RENDER_SEGMENT_REJECTED", "envelope segment"),
    ("{{ seg('bak', '00') }}", "RENDER_SEGMENT_REJECTED", "invalid segment tag"),
    ("{{ seg('DTM', None, '') }}", "RENDER_SEGMENT_REJECTED", "no data elements"),
    ("{{ seg('PO1', '1', 2.5) }}", "RENDER_VALUE", "pass an exact Decimal"),
    ("{{ seg('DTM', '002', day) }}", "RENDER_VALUE", "x12date"),
    ("{{ seg('DTM', '002', day | x12date('MMDDYY')) }}", "RENDER_VALUE", "format 'MMDDYY'"),
    ("{{ seg('CTT', 1 // 0) }}", "RENDER_FAILED", "ZeroDivisionError"),
    ("{% set x = [1].append(2) %}{{ seg('CTT', '1') }}", "RENDER_FORBIDDEN", "append"),
    ("{# nothing #}\n  \n", "RENDER_NO_SEGMENTS", "no segment"),
])
def test_template_mistakes_become_coded_errors(tmp_path: Path, source: str, code: str, fragment: str) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": source})
    # A value that imitates the old JSON-line idea of a segment must not become one either.
    error = render_error(x12, templates, {"note": '\n["N1","ST","forged"]\n', "day": dt.date(2024, 1, 2)})
    assert (error.code, error.template) == (code, "x12/t.j2")
    assert fragment in error.message


def test_missing_templates_and_paths_outside_the_roots(tmp_path: Path) -> None:
    (tmp_path / "secret.j2").write_text("{{ seg('BAK', '00') }}", encoding="utf-8")
    templates = make_templates(tmp_path / "root", {"x12/t.j2": "{% include '../../secret.j2' %}"})
    for name in ("x12/none.j2", "../secret.j2"):
        assert render_error(x12, templates, {}, name=name).code == "RENDER_TEMPLATE_NOT_FOUND"
    assert render_error(x12, templates, {}).code == "RENDER_TEMPLATE_NOT_FOUND"


def test_reserved_context_names_are_a_caller_bug(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": "{{ seg('BAK', '00') }}"})
    with pytest.raises(ValueError, match="reserved"):
        x12(templates, {"seg": "mine"})


def test_x12date_follows_the_version_being_rendered(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"x12/t.j2": (
        "{{ seg('DTM', '002', day | x12date, t | x12time, None, None, iso | x12date('YYMMDD')) }}"
    )})
    context = {"day": dt.date(2024, 3, 5), "t": dt.time(9, 7, 30), "iso": "2023-12-31"}
    assert x12(templates, context).body == [["DTM", "002", "20240305", "0907", "", "", "231231"]]
    assert x12(templates, context, version="003040").body[0][2] == "240305"


# -- check_out_set ----------------------------------------------------------------------


def test_check_out_set_reports_what_a_partner_validator_would(tmp_path: Path) -> None:
    templates = TemplateLibrary(MAPPINGS).for_partner(None)
    good = render_x12_set(templates, "x12/855.j2", {"ack": ack()}, set_id="855", control_number=1,
                          version="004010", delimiters=D5)
    assert check_out_set(good, "004010", D5) == []
    long_po = render_x12_set(templates, "x12/855.j2", {"ack": ack(po_number="P" * 23)}, set_id="855",
                             control_number=1, version="004010", delimiters=D5)
    errors = check_out_set(long_po, "004010", D5)
    assert [(e.code, e.segment_id, e.element_position) for e in errors] == [("ELEM_TOO_LONG", "BAK", 3)]


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "valid"), [
    ("nodex12-855.edi", True), ("stedi-inbound.edi", True), ("oboe-lfTestCase.edi", True),
    ("staedi-multi-tx-transaction-type.edi", True), ("stupidedi-004010-PR855-pass-1.edi", True),
    ("stupidedi-004010-X358-pass-po-ack-ship-details.edi", True), ("stupidedi-004010-PR855-fail-2.edi", False),
])
def test_the_855_schema_accepts_real_acknowledgements(name: str, valid: bool) -> None:
    """Partners' 855s (permissively licensed corpus files) validate; the known-bad fixture does not."""
    path = CORPUS / "x12-855" / name
    if not path.is_file():
        pytest.skip("corpus not present")
    sets = [event for event in read_events(path) if isinstance(event, TransactionSet)]
    assert sets
    errors = [error.code for tx in sets for error in validate_set(tx, load_schema(tx.id, tx.group.version))]
    assert (errors == []) is valid, errors


# -- partner overrides --------------------------------------------------------------------


def test_a_partner_template_overrides_the_default_of_the_same_name(tmp_path: Path) -> None:
    shutil.copytree(MAPPINGS / "templates", tmp_path / "templates", ignore=shutil.ignore_patterns("examples", "*.py"))
    codes = (tmp_path / "templates" / "x12" / "order_ack_codes.j2").read_text(encoding="utf-8")
    override = tmp_path / "partners" / "acme" / "templates" / "x12" / "order_ack_codes.j2"
    override.parent.mkdir(parents=True)
    override.write_text(codes.replace('"accept": "IA"', '"accept": "AC"'), encoding="utf-8")
    library = TemplateLibrary(tmp_path)

    def ack01(partner: str | None) -> str:
        out = render_x12_set(library.for_partner(partner), "x12/855.j2", {"ack": ack()}, set_id="855",
                             control_number=1, version="004010", delimiters=D5)
        return next(seg[1] for seg in out.body if seg[0] == "ACK")

    assert ack01("acme") == "AC"  # the partner's code table, imported by the default 855 template
    assert ack01("other") == "IA"  # a partner without its own folder gets the defaults
    assert ack01(None) == "IA"
    assert library.for_partner("acme") is library.for_partner("acme")
    assert library.for_partner("acme").path_of("x12/order_ack_codes.j2") == override.resolve()
    with pytest.raises(ValueError, match="partner id"):
        library.for_partner("../acme")


# -- text formats ---------------------------------------------------------------------------


def test_xml_templates_are_autoescaped_and_refuse_control_characters(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {
        "doc.xml.j2": '<?xml version="1.0"?>\n<a note="{{ v }}"><b>{{ v }}</b><c>{{ absent }}</c></a>\n',
        "doc.csv.j2": "{{ v }}\n",
    })
    hostile = '</b><evil x="1"/>&amp; "quoted"'
    root = etree.fromstring(render_text(templates, "doc.xml.j2", {"v": hostile, "absent": None}).encode())
    assert root.get("note") == hostile and root.find("b").text == hostile and root.find("c").text is None
    assert render_text(templates, "doc.csv.j2", {"v": "a & b"}) == "a & b\n"  # not XML: not escaped
    error = render_error(render_text, templates, "doc.xml.j2", {"v": "bell\x07", "absent": None})
    assert (error.code, error.template) == ("RENDER_VALUE", "doc.xml.j2")
    assert "'\\x07'" in error.message


def test_csv_cells_are_quoted_and_guarded_against_formulas(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"t.csv.j2": "{% for r in rows %}{{ r | csvrow }}\n{% endfor %}"})
    rows = [["=1+2", "+x", "-y", "@SUM(A1)", "\tTab", "plain"], ['a,b', 'say "hi"', "two\nlines", Decimal("-5"),
                                                                 dt.date(2024, 1, 2), None]]
    text = render_text(templates, "t.csv.j2", {"rows": rows})
    assert list(csv.reader(io.StringIO(text))) == [
        ["'=1+2", "'+x", "'-y", "'@SUM(A1)", "'\tTab", "plain"],
        ["a,b", 'say "hi"', "two\nlines", "-5", "2024-01-02", ""],
    ]
    assert csv_cell("x;y", ";") == '"x;y"'


def test_text_errors_carry_the_template_line(tmp_path: Path) -> None:
    templates = make_templates(tmp_path, {"doc.xml.j2": "<a>\n{{ ack.po_number }}\n{{ ack.nope }}\n</a>\n"})
    error = render_error(render_text, templates, "doc.xml.j2", {"ack": ack()})
    assert (error.code, error.template, error.line) == ("RENDER_UNDEFINED", "doc.xml.j2", 3)
    assert error.to_dict()["line"] == 3


# -- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "places", "expected"), [
    (Decimal("4.50"), None, "4.5"), (Decimal("1E+2"), None, "100"), (Decimal("-0.00"), None, "0"),
    (Decimal("0.000125"), None, "0.000125"), ("7", None, "7"), (12, None, "12"), (Decimal("2.345"), 2, "2.35"),
    (Decimal("-2.5"), 0, "-3"), (None, None, ""),
])
def test_x12decimal(value: object, places: int | None, expected: str) -> None:
    assert x12decimal(value, places) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("12.34"), "1234"), (Decimal("-5.5"), "-550"), (Decimal("12.3400"), "1234"), (0, "0"),
    (Decimal("1E+3"), "100000"), (None, ""),
])
def test_cents(value: object, expected: str) -> None:
    assert cents(value) == expected


@pytest.mark.parametrize("value", [Decimal("12.345"), 1.5, True, "abc", Decimal("NaN"), Decimal("Infinity"), [1]])
def test_number_filters_refuse_what_they_cannot_write_exactly(value: object) -> None:
    with pytest.raises(TemplateValueError) as info:
        cents(value)
    assert info.value.code == "RENDER_VALUE"


def test_time_and_pair_helpers() -> None:
    assert x12time(dt.time(7, 5, 9)) == "0705"
    assert x12time(dt.datetime(2024, 1, 1, 23, 59, 1), seconds=True) == "235901"
    assert x12time("08:30") == "0830"
    assert id_pairs(("BP", "1"), ("VP", None), ("UK", "")) == ("BP", "1")
    with pytest.raises(TemplateValueError):
        x12time("noon")
    with pytest.raises(TemplateValueError):
        id_pairs(("BP",))


# -- the canonical acknowledgement --------------------------------------------------------


def test_order_ack_is_registered_and_serialises_exactly() -> None:
    assert DOCUMENTS["order_ack"] is OrderAcknowledgement
    data = ack(lines=[{"ordered_quantity": "1E+1", "unit_price": "0.50", "status": "accept"}]).to_json_dict()
    assert data["type"] == "order_ack" and data["kind"] == "order"
    assert data["lines"][0]["ordered_quantity"] == "10" and data["lines"][0]["unit_price"] == "0.50"
    assert OrderAcknowledgement.model_validate(data).to_json_dict() == data


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"ack_type": "accept", "lines": [{"ordered_quantity": "1", "status": "reject"}]}, "accept_with_changes"),
    ({"ack_type": "reject", "lines": [{"ordered_quantity": "1", "status": "accept"}]}, "line statuses"),
    ({"lines": [{"ordered_quantity": "1", "status": "quantity_changed"}]}, "needs scheduled_quantity"),
    ({"lines": [{"ordered_quantity": "-1", "status": "accept"}]}, "greater than or equal"),
    ({"po_number": ""}, "at least 1 character"),
    ({"ack_type": "maybe"}, "ack_type"),
    ({"surprise": 1}, "Extra inputs"),
])
def test_order_ack_refuses_inconsistent_documents(changes: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        ack(**changes)
