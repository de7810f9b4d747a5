"""Golden tests for every mapping folder: input X12 file in, expected canonical JSON out.

Discovers ``mappings/**/golden/*.edi|.x12|.txt``; each input needs ``<same stem>.json``
beside it. The mapping used is ``<golden folder's parent>/<ST01>.yaml`` (so a partner's
golden files run through the partner's file and whatever it extends), and the partner id
is the folder name under ``partners/``. The expected JSON holds one entry per
transaction set: ``{"set_control_number", "document", "errors"}``.

To (re)write the expected files after a deliberate change, run
``EDIPULSE_GOLDEN_UPDATE=1 pytest mappings/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from edi.errors import EdiError
from edi.mapping import load_mapping
from edi.x12.model import TransactionSet
from edi.x12.reader import read_events

MAPPINGS = Path(__file__).resolve().parent
INPUT_SUFFIXES = (".edi", ".x12", ".txt")
CASES = sorted(p for p in MAPPINGS.glob("**/golden/*") if p.suffix.lower() in INPUT_SUFFIXES)


def _error_dict(error: EdiError) -> dict[str, Any]:
    return {"code": error.code, "field": error.extra.get("field"), "segment_id": error.segment_id,
            "segment_position": error.segment_position, "element_position": error.element_position,
            "bad_value": error.bad_value, "message": error.message}


def translate(source: Path) -> list[dict[str, Any]]:
    """Map every transaction set of ``source`` with its folder's mapping."""
    mapping_dir = source.parent.parent
    partner = mapping_dir.name if mapping_dir.parent.name == "partners" else None
    results = []
    for event in read_events(source):
        if not isinstance(event, TransactionSet):
            continue
        assert not event.errors, f"{source.name}: envelope errors {event.errors}"
        mapping = load_mapping(mapping_dir / f"{event.id}.yaml", [MAPPINGS])
        result = mapping.apply(event, partner=partner)
        results.append({
            "set_control_number": event.control_number,
            "document": result.document.to_json_dict() if result.document is not None else None,
            "errors": [_error_dict(e) for e in result.errors],
        })
    return results


def test_golden_cases_exist() -> None:
    """The default mapping and the example partner each have golden inputs (discovery works)."""
    folders = {case.parent.parent.relative_to(MAPPINGS).as_posix() for case in CASES}
    assert {"default", "partners/example-partner"} <= folders


@pytest.mark.parametrize("source", CASES, ids=[c.relative_to(MAPPINGS).as_posix() for c in CASES])
def test_golden(source: Path) -> None:
    expected_file = source.with_suffix(".json")
    actual = translate(source)
    assert actual, f"{source.name} holds no transaction set"
    if os.environ.get("EDIPULSE_GOLDEN_UPDATE") == "1":
        expected_file.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert expected_file.is_file(), f"missing expected output {expected_file.name}"
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected


# -- XML and CSV documents (edi.docmap) -------------------------------------------------------
# Inputs are ``mappings/**/<xml|csv>/golden/*.xml|.csv``; the mapping is the one
# ``find_doc_mapping`` picks for the file (root element or CSV header), so selection is
# checked too. The expected JSON holds one entry per document: {"mapping", "document", "errors"}.

DOC_CASES = sorted(p for p in MAPPINGS.glob("**/golden/*")
                   if p.suffix.lower() in (".xml", ".csv") and p.parent.parent.name in ("xml", "csv"))


def translate_doc(source: Path) -> list[dict[str, Any]]:
    from edi.csvdoc import CsvTable, read_csv
    from edi.docmap import find_doc_mapping, load_doc_mapping
    from edi.xmldoc import parse_xml

    kind, base = source.parent.parent.name, source.parent.parent.parent
    partner = base.name if base.parent.name == "partners" else None
    parsed = parse_xml(source.read_bytes(), source.name) if kind == "xml" else read_csv(source.read_bytes(),
                                                                                         source.name)
    key = parsed.root_tag if kind == "xml" else parsed.header
    path = find_doc_mapping(kind, key, partner, [MAPPINGS])
    assert path is not None, f"{source.name}: no mapping found"
    mapping = load_doc_mapping(path, [MAPPINGS])
    if isinstance(parsed, CsvTable):  # the mapping's stated delimiter/encoding, not the detected ones
        parsed = mapping.read_in_dialect(parsed, source.read_bytes())
    return [{"mapping": path.relative_to(MAPPINGS).as_posix(),
             "document": result.document.to_json_dict() if result.document is not None else None,
             "errors": [{**e.to_dict(), **{k: v for k, v in e.extra.items() if k != "rule"}}  # rule: cwd-relative
                        for e in result.errors]}
            for result in mapping.apply_all(parsed, partner=partner)]


@pytest.mark.parametrize("source", DOC_CASES, ids=[c.relative_to(MAPPINGS).as_posix() for c in DOC_CASES])
def test_doc_golden(source: Path) -> None:
    expected_file = source.with_suffix(".json")
    actual = translate_doc(source)
    assert actual, f"{source.name} holds no document"
    if os.environ.get("EDIPULSE_GOLDEN_UPDATE") == "1":
        expected_file.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert expected_file.is_file(), f"missing expected output {expected_file.name}"
    assert actual == json.loads(expected_file.read_text(encoding="utf-8"))
