"""HL numbering by code (edi.render.hl): templates name levels, the renderer numbers them.

Templates are real files in a temporary folder; output goes through render_x12_set and
the real writer, and is read back with the real reader, so HL01/HL02/HL04 are checked
as a partner would see them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from edi.render import RenderError, TemplateSet, render_x12_set
from edi.x12.model import Delimiters, TransactionSet
from edi.x12.reader import read_events
from edi.x12.writer import OutGroup, Party, render_interchange

WHEN = dt.datetime(2024, 3, 29, 16, 40)
D5 = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")


def templates_with(root: Path, source: str) -> TemplateSet:
    (root / "t.j2").write_text(source, encoding="utf-8")
    return TemplateSet([root])


def render(templates: TemplateSet, context: dict[str, object] | None = None) -> list[list[str]]:
    """The set's segments (ST..SE) as the reader sees them in the written interchange."""
    out_set = render_x12_set(templates, "t.j2", context or {}, set_id="856", control_number=7, version="004010",
                             delimiters=D5)
    group = OutGroup("SH", "A", "B", 1, "004010", [out_set])
    text = render_interchange(sender=Party("ZZ", "A"), receiver=Party("ZZ", "B"), groups=[group],
                              control_number=1, delimiters=D5, version="00501", when=WHEN)
    (tx,) = [e for e in read_events(io.BytesIO(text.encode())) if isinstance(e, TransactionSet)]
    assert tx.errors == []
    return [list(segment) for segment in tx.segments]


def hl_rows(segments: list[list[str]]) -> list[tuple[str, str, str, str]]:
    """(HL01, HL02, HL03, HL04) of every HL segment, HL02 '' for the root."""
    rows = []
    for seg in segments:
        if seg[0] == "HL":
            padded = [*seg[1:], "", "", "", ""]
            rows.append((padded[0], padded[1], padded[2], padded[3]))
    return rows


def render_error(templates: TemplateSet, context: dict[str, object] | None = None) -> RenderError:
    with pytest.raises(RenderError) as info:
        render_x12_set(templates, "t.j2", context or {}, set_id="856", control_number=7, version="004010",
                       delimiters=D5)
    return info.value


NESTED = """\
{% set s = hl.open("S") %}{{ seg(*s.segment()) }}
{% for order in orders %}
{% set o = hl.open("O", s) %}{{ seg(*o.segment()) }}
{{ seg("PRF", order.po) }}
{% for pallet in order.pallets %}
{% set t = hl.open("T", o) %}{{ seg(*t.segment()) }}
{% for carton in pallet %}
{% set p = hl.open("P", t) %}{{ seg(*p.segment()) }}
{% for item in carton %}
{% set i = hl.open("I", p) %}{{ seg(*i.segment()) }}
{{ seg("LIN", None, "VP", item) }}
{% endfor %}
{% endfor %}
{% endfor %}
{% endfor %}
{{ seg("CTT", hl.count()) }}
"""


def test_nested_pallets_cartons_and_orders_are_numbered_with_parents_and_child_flags(tmp_path: Path) -> None:
    orders = [
        {"po": "PO1", "pallets": [[["A", "B"], ["C"]], [["D"]]]},  # two pallets: 2 cartons, then 1
        {"po": "PO2", "pallets": [[[]]]},  # a pallet with one empty carton: P has no child
        {"po": "PO3", "pallets": []},  # an order without packs: O has no child
    ]
    segments = render(templates_with(tmp_path, NESTED), {"orders": orders})
    assert hl_rows(segments) == [
        ("1", "", "S", "1"),
        ("2", "1", "O", "1"), ("3", "2", "T", "1"),
        ("4", "3", "P", "1"), ("5", "4", "I", "0"), ("6", "4", "I", "0"),
        ("7", "3", "P", "1"), ("8", "7", "I", "0"),
        ("9", "2", "T", "1"), ("10", "9", "P", "1"), ("11", "10", "I", "0"),
        ("12", "1", "O", "1"), ("13", "12", "T", "1"), ("14", "13", "P", "0"),
        ("15", "1", "O", "0"),
    ]
    assert [seg for seg in segments if seg[0] == "CTT"] == [["CTT", "15"]]
    assert segments[-1] == ["SE", str(len(segments)), "0007"]


def test_child_flags_are_right_when_children_are_written_after_their_siblings(tmp_path: Path) -> None:
    """All order levels first, then the items of each: HL04 and HL02 still follow the hierarchy."""
    source = """\
{% set s = hl.open("S") %}{{ seg(*s.segment()) }}
{% set o1 = hl.open("O", s) %}{{ seg(*o1.segment()) }}
{% set o2 = hl.open("O", s) %}{{ seg(*o2.segment()) }}
{% set o3 = hl.open("O", s) %}{{ seg(*o3.segment()) }}
{% set i = hl.open("I", o1) %}{{ seg(*i.segment()) }}
{% set i = hl.open("I", o3) %}{{ seg(*i.segment()) }}
"""
    rows = hl_rows(render(templates_with(tmp_path, source)))
    assert rows == [("1", "", "S", "1"), ("2", "1", "O", "1"), ("3", "1", "O", "0"), ("4", "1", "O", "1"),
                    ("5", "2", "I", "0"), ("6", "4", "I", "0")]


def test_numbers_follow_the_output_not_the_order_levels_were_opened(tmp_path: Path) -> None:
    """A level opened but never shown takes no number; a count written early is the final count."""
    source = """\
{{ seg("BSN", "00", "SH1", "20240329", hl.count()) }}
{% set s = hl.open("S") %}{{ seg(*s.segment()) }}
{% set unused = hl.open("O", s) %}
{% set dropped %}{{ seg(*hl.open("O", s).segment()) }}{% endset %}
{% set o = hl.open("O", s) %}{{ seg(*o.segment()) }}
"""
    segments = render(templates_with(tmp_path, source))
    assert segments[1] == ["BSN", "00", "SH1", "20240329", "2"]
    assert hl_rows(segments) == [("1", "", "S", "1"), ("2", "1", "O", "0")]


@pytest.mark.parametrize(("source", "fragment"), [
    ('{% set s = hl.open("S") %}{{ seg(*s.segment()) }}{{ seg(*s.segment()) }}', "written twice"),
    ('{% set s = hl.open("S") %}{% set o = hl.open("O", s) %}{{ seg(*o.segment()) }}{{ seg(*s.segment()) }}',
     "before (or without) its parent"),
    ('{% set s = hl.open("S") %}{% set o = hl.open("O", s) %}{{ seg(*o.segment()) }}',
     "before (or without) its parent"),
    ('{{ seg("HL", "1", None, "S", "0") }}', "literal values"),
    ('{% set s = hl.open("S") %}{{ seg("REF", "ZZ", s.segment()[1]) }}', "never written"),
])
def test_an_inconsistent_hierarchy_is_refused(tmp_path: Path, source: str, fragment: str) -> None:
    error = render_error(templates_with(tmp_path, source))
    assert error.code == "RENDER_HL"
    assert fragment in error.message
    assert error.template == "t.j2"


@pytest.mark.parametrize("call", ['hl.open("shipment")', 'hl.open("")', 'hl.open("O", "S")', "hl.open(1)"])
def test_a_bad_level_is_refused_at_its_template_line(tmp_path: Path, call: str) -> None:
    error = render_error(templates_with(tmp_path, f'{{{{ seg("BSN", "00", "S1", "20240101", "1200") }}}}\n'
                                                  f"{{% set x = {call} %}}\n"))
    assert (error.code, error.line) == ("RENDER_HL", 2)


def test_each_render_numbers_from_one(tmp_path: Path) -> None:
    templates = templates_with(tmp_path, '{% set s = hl.open("S") %}{{ seg(*s.segment()) }}\n'
                                         '{% set o = hl.open("O", s) %}{{ seg(*o.segment()) }}\n')
    first, second = render(templates), render(templates)
    assert hl_rows(first) == hl_rows(second) == [("1", "", "S", "1"), ("2", "1", "O", "0")]


def test_hl_is_a_reserved_context_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reserved"):
        render_x12_set(templates_with(tmp_path, '{{ seg("REF", "ZZ", "1") }}'), "t.j2", {"hl": 1}, set_id="856",
                       control_number=1, version="004010", delimiters=D5)
