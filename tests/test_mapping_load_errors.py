"""Mapping files are checked at load time; every error names the file, the YAML path and the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from edi.mapping import MappingError, load_mapping
from edi.mapping.yamlsrc import load_yaml

REPO = Path(__file__).resolve().parents[1]
MAPPINGS = REPO / "mappings"


def write(root: Path, text: str, rel: str = "partners/acme/850.yaml") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(path: Path, marker: str) -> int:
    """1-based number of the first line of ``path`` containing ``marker``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if marker in line:
            return number
    raise AssertionError(f"{marker!r} not in {path}")


def load_error(root: Path, text: str, rel: str = "partners/acme/850.yaml") -> tuple[MappingError, Path]:
    path = write(root, text, rel)
    with pytest.raises(MappingError) as caught:
        load_mapping(path, [root, MAPPINGS])
    return caught.value, path


PARTNER = "extends: default/850.yaml\nfields:\n"


def test_default_mapping_loads() -> None:
    mapping = load_mapping(MAPPINGS / "default" / "850.yaml", [MAPPINGS])
    assert mapping.transaction_set == "850"


def test_bad_element_reference_one_line_message(tmp_path: Path) -> None:
    error, path = load_error(tmp_path, PARTNER + "  po_number:\n    path: BEG3X\n    required: true\n")
    assert (error.yaml_path, error.line) == ("fields.po_number.path", line_of(path, "BEG3X"))
    assert error.file.endswith("partners/acme/850.yaml")
    assert str(error) == (f"{error.file}: fields.po_number.path (line {error.line}): "
                          "unknown segment reference 'BEG3X' (expected a segment tag and a 2-digit element, e.g. "
                          "BEG03)")
    assert "\n" not in str(error)


@pytest.mark.parametrize(("body", "yaml_path", "marker", "message"), [
    ("  po_number: {path: BEG03, requird: true}\n", "fields.po_number.requird", "requird",
     "unknown key 'requird'"),
    ("  order_date: {path: BEG05, convert: dat}\n", "fields.order_date.convert", "dat}",
     "unknown converter 'dat'"),
    ("  purpose: {path: BEG01, convert: {codes: purpse}}\n", "fields.purpose.convert[0]", "purpse",
     "unknown code list 'purpse'"),
    ("  po_numbr: BEG03\n", "fields.po_numbr", "po_numbr", "unknown field 'po_numbr' for PurchaseOrder"),
    ("  envelope: BEG03\n", "fields.envelope", "envelope", "filled from the envelope"),
    ("  order_date: BEG05\n", "fields.order_date", "order_date", "needs a date value but the rule produces str"),
    ("  order_date: {path: BEG05, convert: [date, strip]}\n", "fields.order_date.convert[1]", "order_date",
     "converter 'strip' needs text but follows a converter producing date"),
    ("  currency: {path: CUR02, where: {REF01: BY}}\n", "fields.currency.where.REF01", "REF01",
     "must test the segment the value comes from (CUR)"),
    ("  ship_to: {loop: LX, fields: {name: N102}}\n", "fields.ship_to.loop", "LX",
     "loop 'LX' is not declared under header"),
    ("  currency: {path: CUR}\n", "fields.currency", "CUR", "'path' 'CUR' needs an element number"),
    ("  ship_to: {loop: N1, fields: {name: PO102}}\n", "fields.ship_to.fields.name.path", "PO102",
     "segment PO1 is not declared in loop N1"),
    ("  lines:\n    fields:\n      uom: {path: N403}\n", "fields.lines.fields.uom.path", "N403",
     "segment N4 is not declared in loop PO1"),
    ("  lines:\n    fields:\n      quantity: {path: PO102, convert: decimal}\n", "fields.lines.fields.quantity",
     "quantity", "required by Line: set 'required: true'"),
    ("  lines:\n    fields:\n      gtin: {path: PO1, qualifier: UK, pairs: [6, 24], convert: gtin}\n",
     "fields.lines.fields.gtin.pairs", "pairs", "must span whole pairs"),
    ("  lines:\n    fields:\n      gtin: {path: PO1, qualifier: UK, convert: gtin}\n",
     "fields.lines.fields.gtin", "gtin", "'qualifier' and 'pairs' go together"),
    ("  lines:\n    fields:\n      gtin: {path: PO1, qualifier: UK, pairs: [6, 25], convert: {gtin: {UK: 99}}}\n",
     "fields.lines.fields.gtin.convert[0]", "gtin", "gtin length must be between 8 and 14"),
    ("  order_date: {path: BEG05, convert: date, default: 20241301}\n", "fields.order_date.default", "20241301",
     "default '20241301' does not convert"),
    ("  ship_to: {loop: N1, fields: {name: N102}, path: N102}\n", "fields.ship_to", "ship_to",
     "a rule with 'fields' cannot have 'path'"),
    ("  lines:\n    fields:\n      requested_date:\n        path: DTM02\n        convert: date\n"
     "        fallback: {path: DTM02, convert: date}\n", "fields.lines.fields.requested_date.fallback.convert",
     "fallback", "a fallback only says where else to look"),
])
def test_rule_errors_point_at_the_partner_line(tmp_path: Path, body: str, yaml_path: str, marker: str,
                                               message: str) -> None:
    error, path = load_error(tmp_path, PARTNER + body)
    assert message in error.message
    assert error.yaml_path == yaml_path
    assert error.line == line_of(path, marker)
    assert error.file.endswith("partners/acme/850.yaml")


def test_code_list_shape(tmp_path: Path) -> None:
    error, path = load_error(tmp_path, """\
        extends: default/850.yaml
        code_lists:
          purpose:
            00: {bad: shape}
        """)
    assert error.yaml_path == "code_lists.purpose.00"
    assert error.line == line_of(path, "00:")
    assert "valid string" in error.message


def test_loop_listing_its_own_start(tmp_path: Path) -> None:
    error, path = load_error(tmp_path, """\
        extends: default/850.yaml
        loops:
          N1: {members: [N1, N3]}
        """)
    assert (error.yaml_path, error.line) == ("loops.N1.members", line_of(path, "N1: {"))
    assert "lists its own start segment N1" in error.message


def test_bad_segment_tag_in_loop(tmp_path: Path) -> None:
    error, path = load_error(tmp_path, "extends: default/850.yaml\nloops:\n  N1: {members: [n3]}\n")
    assert error.yaml_path == "loops.N1.members"
    assert "'n3' is not a segment tag" in error.message


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    error, _ = load_error(tmp_path, "extends: default/850.yaml\nfields:\n  po_number: {path: BEG03\n  x: 1\n")
    assert error.message.startswith("YAML syntax error")
    assert error.line is not None
    assert error.line >= 3


def test_duplicate_key_has_line(tmp_path: Path) -> None:
    error, path = load_error(tmp_path, PARTNER + "  po_number: BEG03\n  po_number: BEG02\n")
    assert "duplicate key 'po_number'" in error.message
    assert error.line == 4


def test_extends_not_found(tmp_path: Path) -> None:
    error, path = load_error(tmp_path, "extends: default/999.yaml\n")
    assert (error.yaml_path, error.line) == ("extends", 1)
    assert "cannot find 'default/999.yaml'" in error.message


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path, "extends: partners/b/850.yaml\n", "partners/a/850.yaml")
    error, _ = load_error(tmp_path, "extends: partners/a/850.yaml\n", "partners/b/850.yaml")
    assert "cycle" in error.message


def test_missing_top_level_key_in_standalone_file(tmp_path: Path) -> None:
    error, _ = load_error(tmp_path, "transaction_set: 850\nfields:\n  po_number: {path: BEG03, required: true}\n",
                          "default/850.yaml")
    assert error.yaml_path == "versions"
    assert "required key 'versions' is missing" in error.message


def test_error_in_inherited_rule_names_the_base_file(tmp_path: Path) -> None:
    """A base file broken by a partner's change (a code list removed) is reported where the rule is."""
    error, _ = load_error(tmp_path, "extends: default/850.yaml\ncode_lists:\n  purpose: null\n")
    assert error.file.endswith("default/850.yaml")
    assert error.yaml_path == "fields.purpose.convert[0]"
    base_lines = (MAPPINGS / "default" / "850.yaml").read_text(encoding="utf-8").splitlines()
    assert error.line is not None
    assert base_lines[error.line - 1].strip().startswith("purpose: {path: BEG01")


def test_leading_zero_codes_stay_text() -> None:
    """YAML 1.1 would read 010 as 8 and 00 as 0; mapping files keep X12 codes as written."""
    data = load_yaml("where: {DTM01: [002, 010]}\ncodes: {00: original}\nrequired: true\nnone: ~\n", "f.yaml")
    assert data == {"where": {"DTM01": ["002", "010"]}, "codes": {"00": "original"}, "required": "true",
                    "none": None}
    assert data.origins["codes"] == ("f.yaml", 2)
