"""Quality certificate (863), nonconformance report (842), order status (870) and inbound 820.

The golden cases under ``mappings/templates/examples/`` prove the happy paths byte for
byte; these tests check what a partner would check on the rendered sets (read back with
our reader, validated against our schemas) and what the canonical models refuse.
"""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from edi.canonical import DOCUMENTS
from edi.canonical.certificate import QualityCertificate
from edi.canonical.order_status import OrderStatusReport
from edi.mapping import load_mapping
from edi.render import RenderError, TemplateLibrary, check_out_set, render_x12_set
from edi.x12.model import Delimiters, TransactionSet
from edi.x12.reader import read_events
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from edi.x12.writer import OutGroup, Party, effective_delimiters, render_interchange

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "mappings"
EXAMPLES = MAPPINGS / "templates" / "examples"
DELIMITERS = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")
WHEN = datetime(2024, 3, 18, 10, 0)


def case_context(case: str, key: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / case / "case.json").read_text(encoding="utf-8"))["context"][key]


def certificate_data() -> dict[str, Any]:
    return copy.deepcopy(case_context("certificate-analysis-004010", "certificate"))


def render_set(template: str, key: str, document: Any, version: str = "004010") -> TransactionSet:
    """Render, write a whole interchange, read it back: the set a partner receives."""
    templates = TemplateLibrary(MAPPINGS).for_partner(None)
    isa_version = "00501" if version >= "005010" else "00401"
    delimiters = effective_delimiters(DELIMITERS, isa_version)
    out = render_x12_set(templates, template, {key: document}, set_id=Path(template).stem, control_number=7,
                         version=version, delimiters=delimiters)
    assert check_out_set(out, version, delimiters) == []
    text = render_interchange(sender=Party("ZZ", "ACME"), receiver=Party("ZZ", "MERCY"),
                              groups=[OutGroup("RT", "ACME", "MERCY", 1, version, [out])], control_number=1,
                              delimiters=DELIMITERS, version=isa_version, when=WHEN)
    (tx,) = [e for e in read_events(io.BytesIO(text.encode())) if isinstance(e, TransactionSet)]
    assert tx.errors == []
    schema = load_schema(tx.id, version)
    assert schema is not None and validate_set(tx, schema) == []
    return tx


def segs(tx: TransactionSet, tag: str) -> list[list[str]]:
    return [seg for seg in tx.segments if seg[0] == tag]


# -- 863 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010", "003040"])
def test_863_carries_report_type_limits_and_results(version: str) -> None:
    cert = QualityCertificate.model_validate(certificate_data())
    tx = render_set("x12/863.j2", "certificate", cert, version)
    (btr,) = segs(tx, "BTR")
    assert btr[1] == "00" and btr[4] == "CA" and btr[5] == cert.certificate_number
    assert len(btr[2]) == (6 if version < "004010" else 8)
    (lin,) = segs(tx, "LIN")
    assert lin[2:] == ["BP", "MH-100233", "VP", "ACM-CATH-5F", "UK", "10885403123450", "LT", "L2403-17"]
    assert [seg[4] for seg in segs(tx, "CID")] == [i.characteristic for i in cert.inspections]
    results = [seg for seg in segs(tx, "MEA") if seg[1] == "TR"]
    measured = [i for i in cert.inspections if i.measured is not None]
    assert [Decimal(seg[3]) for seg in results] == [i.measured for i in measured]
    assert [seg[4] for seg in results] == [i.unit for i in measured]
    assert [Decimal(seg[5]) if len(seg) > 5 and seg[5] else None for seg in results] == [i.lower for i in measured]
    assert [Decimal(seg[6]) if len(seg) > 6 else None for seg in results] == [i.upper for i in measured]
    notes = [seg[2] for seg in segs(tx, "NTE")]
    assert "FINAL INSPECTION FAIL - INSPECTOR R. Okafor" in notes
    assert notes[0].startswith("LOT DOES NOT CONFORM")
    assert ["036", "20270331" if version >= "004010" else "270331"] in [seg[1:3] for seg in segs(tx, "DTM")]


def test_863_compliance_certificate_with_attribute_results_only() -> None:
    data = certificate_data()
    data.update(report_type="compliance", verdict="pass", statement=None, udi=None)
    data["inspections"] = [data["inspections"][3]]
    tx = render_set("x12/863.j2", "certificate", QualityCertificate.model_validate(data))
    assert segs(tx, "BTR")[0][4] == "CP"
    assert [seg for seg in segs(tx, "MEA") if seg[1] == "TR"] == []  # no measurement to state
    assert "FINAL INSPECTION PASS - No leaks - INSPECTOR J. Novak" in [seg[2] for seg in segs(tx, "NTE")]


def test_863_value_with_a_delimiter_is_refused_at_its_template_line() -> None:
    data = certificate_data()
    data["inspections"][0]["method"] = "Laser micrometer*WI-QC-014"
    with pytest.raises(RenderError) as caught:
        render_set("x12/863.j2", "certificate", QualityCertificate.model_validate(data))
    assert caught.value.code == "RENDER_SEGMENT_REJECTED"
    assert caught.value.template == "x12/863.j2" and caught.value.line is not None


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["inspections"][2].update(verdict="pass"), "outside"),
    (lambda d: d.update(verdict="pass"), "characteristics failed"),
    (lambda d: d["inspections"][0].update(attribute_result="ok"), "either measured or attribute_result"),
    (lambda d: d["inspections"][0].update(unit=None), "needs its unit"),
    (lambda d: d["inspections"][0].update(lower="2", upper="1"), "lower limit"),
    (lambda d: d.update(udi="(01)10885403123450(17)270331(10)L9999"), "does not match"),
    (lambda d: d.update(udi="01-10885403123450"), "human-readable"),
    (lambda d: d.update(expiry="2020-01-01", udi=None), "before manufacture"),
    (lambda d: d.update(inspections=[]), "at least 1"),
])
def test_certificate_refuses_contradictions(edit: Any, message: str) -> None:
    data = certificate_data()
    edit(data)
    with pytest.raises(ValidationError, match=message):
        QualityCertificate.model_validate(data)


def test_measured_value_on_a_limit_passes() -> None:
    data = certificate_data()
    data["inspections"][2].update(measured="101.0", verdict="pass")
    data.update(verdict="pass")
    assert QualityCertificate.model_validate(data).inspections[2].within_limits()


# -- 842 / 870 -------------------------------------------------------------------------------


def test_842_one_ncd_loop_per_finding_with_its_actions() -> None:
    data = case_context("nonconformance-004010", "report")
    data["nonconformances"].append({"reference": "NC-2403-118", "description": "Label smudged on two boxes",
                                    "severity": "minor", "detected_on": "2024-03-15", "actions": []})
    report = DOCUMENTS["nonconformance_report"].model_validate(data)
    tx = render_set("x12/842.j2", "report", report)
    assert [seg[3] for seg in segs(tx, "NCD")] == ["NC-2403-117", "NC-2403-118"]
    assert segs(tx, "HL") == [["HL", "1", "", "I", "0"]]
    assert segs(tx, "CTT") == [["CTT", "2"]]
    actions = [seg[2] for seg in segs(tx, "NTE") if seg[2].startswith("ACTION")]
    assert len(actions) == 3


def test_870_hl_tree_and_line_quantities() -> None:
    status = OrderStatusReport.model_validate(case_context("order-status-005010", "status"))
    tx = render_set("x12/870.j2", "status", status, "005010")
    hls = segs(tx, "HL")
    assert [seg[1:] for seg in hls] == [["1", "", "O", "1"], ["2", "1", "I", "0"], ["3", "1", "I", "0"],
                                        ["4", "", "O", "1"], ["5", "4", "I", "0"]]
    quantities = [(seg[1], Decimal(seg[2])) for seg in segs(tx, "QTY")]
    assert quantities[:4] == [("38", 24), ("QP", 0), ("QI", 24), ("39", 10)]
    assert [seg[1] for seg in segs(tx, "ISR")] == ["CP", "PR", "CC"]
    assert segs(tx, "CTT") == [["CTT", "3"]]


def test_order_status_refuses_over_shipment_unless_allowed() -> None:
    data = case_context("order-status-005010", "status")
    data["orders"][0]["lines"][0]["shipped"] = "30"
    with pytest.raises(ValidationError, match="exceeds ordered"):
        OrderStatusReport.model_validate(data)
    data["orders"][0]["lines"][0]["over_shipment_allowed"] = True
    assert OrderStatusReport.model_validate(data).orders[0].lines[0].shipped == 30


# -- 820 inbound -----------------------------------------------------------------------------


def map_820(text: str) -> list[Any]:
    mapping = load_mapping(MAPPINGS / "default" / "820.yaml", [MAPPINGS])
    sets = [e for e in read_events(io.BytesIO(text.encode("latin-1"))) if isinstance(e, TransactionSet)]
    return [mapping.apply(tx, partner=None) for tx in sets]


def test_820_short_payment_sums_to_the_payment() -> None:
    text = (MAPPINGS / "default" / "golden" / "md-820-4010.x12").read_text()
    (result,) = map_820(text)
    assert result.errors == []
    advice = result.document
    assert sum(line.amount_paid for line in advice.lines) == advice.payment_amount
    short = advice.lines[1]
    assert short.invoice_amount - short.amount_paid == -sum(a.amount for a in short.adjustments)


def test_820_bad_amount_is_a_coded_error_not_a_traceback() -> None:
    text = (MAPPINGS / "default" / "golden" / "md-820-4010.x12").read_text()
    (result,) = map_820(text.replace("BPR*C*4862.35*", "BPR*C*4862,35*"))
    assert result.document is None
    assert [(e.code, e.segment_id, e.element_position) for e in result.errors] == [("MAP_INVALID_VALUE", "BPR", 2)]


@pytest.mark.corpus
def test_820_corpus_mailbag_maps_every_remittance(corpus: Path) -> None:
    """GPL sample, read in place: every 820 in the Bots mailbag maps without errors."""
    text = (corpus / "x12-misc" / "bots-mailbag01.x12").read_bytes().decode("latin-1")
    results = [r for r in map_820_all(text) if r is not None]
    assert len(results) >= 2
    for result in results:
        assert result.errors == []
        assert result.document.lines and result.document.payment_method == "none"


def map_820_all(text: str) -> list[Any]:
    mapping = load_mapping(MAPPINGS / "default" / "820.yaml", [MAPPINGS])
    sets = [e for e in read_events(io.BytesIO(text.encode("latin-1"))) if isinstance(e, TransactionSet)]
    return [mapping.apply(tx, partner=None) for tx in sets if tx.id == "820"]
