"""Golden tests for the default outbound templates: acknowledgement context in, expected document out.

Each ``examples/<case>/case.json`` holds a context (``ack``: a canonical
OrderAcknowledgement, ``message``: the exchange data XML templates need), the X12
version and control number, and the templates to render. The expected output of
template ``x12/855.j2`` is ``examples/<case>/855.x12`` (the whole interchange, written
by the real writer), of ``cxml/ConfirmationRequest.xml.j2`` ``ConfirmationRequest.xml``,
and so on. Beyond the byte comparison every output is checked as its format:

* X12: read back with the reader and validated with our 855/865 schema (zero errors);
  BAK03/BCA03, the line count and the ACK01 codes are the ones the product rules say;
* XML: parsed with lxml (no network, no DTD loading); cXML values checked; the UBL
  OrderResponse checked against the UBL 2.1 element order of the parts written;
* CSV: re-read with the csv module; no text cell can start a spreadsheet formula.

To (re)write the expected files after a deliberate change, run
``EDIPULSE_GOLDEN_UPDATE=1 pytest mappings/templates/test_templates.py`` and review the diff.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from edi.canonical.certificate import QualityCertificate
from edi.canonical.invoice import Invoice
from edi.canonical.nonconformance import NonconformanceReport
from edi.canonical.order_ack import OrderAcknowledgement
from edi.canonical.order_status import OrderStatusReport
from edi.canonical.ship_notice import ShipNotice
from edi.render import TemplateLibrary, check_out_set, render_text, render_x12_set
from edi.x12.model import Delimiters, TransactionSet
from edi.x12.reader import read_events
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from edi.x12.writer import OutGroup, Party, effective_delimiters, render_interchange

TEMPLATES = Path(__file__).resolve().parent
CASE_FILES = sorted(TEMPLATES.glob("examples/*/case.json"))
DELIMITERS = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")
WHEN = datetime(2024, 3, 16, 10, 15)
SENDER, RECEIVER = Party("ZZ", "ACMEMED"), Party("ZZ", "MERCYHEALTH")

# The product's code tables, stated independently of the templates that implement them.
ACK01 = {"accept": "IA", "accept_changed": "IC", "backorder": "IB", "reject": "IR", "date_changed": "DR",
         "quantity_changed": "IQ", "price_changed": "IP"}
CXML_HEADER = {"accept": "accept", "accept_with_changes": "detail", "reject": "reject"}
UNCL1229 = {"accept": "5", "reject": "7"}  # every other status is "3" (changed)

UBL = "urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
CBC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"
CAC = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
# UBL 2.1 sequences (local names, schema order) of the parts the template writes, and
# which of them are mandatory there.
UBL_ORDER = {
    "OrderResponse": ["UBLExtensions", "UBLVersionID", "CustomizationID", "ProfileID", "ProfileExecutionID", "ID",
                      "SalesOrderID", "CopyIndicator", "UUID", "IssueDate", "IssueTime", "OrderResponseCode", "Note",
                      "DocumentCurrencyCode", "PricingCurrencyCode", "TaxCurrencyCode", "CustomerReference",
                      "AccountingCostCode", "AccountingCost", "LineCountNumeric", "ValidityPeriod", "OrderReference",
                      "OrderDocumentReference", "OriginatorDocumentReference", "AdditionalDocumentReference",
                      "Contract", "Signature", "SellerSupplierParty", "BuyerCustomerParty",
                      "OriginatorCustomerParty", "FreightForwarderParty", "AccountingSupplierParty",
                      "AccountingCustomerParty", "Delivery", "DeliveryTerms", "PaymentMeans", "PaymentTerms",
                      "TransactionConditions", "TaxTotal", "LegalMonetaryTotal", "OrderLine"],
    "OrderLine": ["Note", "LineItem", "SellerProposedSubstituteLineItem", "SellerSubstitutedLineItem",
                  "BuyerProposedSubstituteLineItem", "CatalogueLineReference", "QuotationLineReference",
                  "OrderLineReference", "DocumentReference"],
    "LineItem": ["ID", "SalesOrderID", "UUID", "Note", "LineStatusCode", "Quantity", "LineExtensionAmount",
                 "TotalTaxAmount", "MinimumQuantity", "MaximumQuantity", "MinimumBackorderQuantity",
                 "MaximumBackorderQuantity", "InspectionMethodCode", "PartialDeliveryIndicator",
                 "BackOrderAllowedIndicator", "AccountingCostCode", "AccountingCost", "WarrantyInformation",
                 "Delivery", "DeliveryTerms", "OriginatorParty", "OrderedShipment", "PricingReference",
                 "AllowanceCharge", "Price", "Item"],
    "Item": ["Description", "PackQuantity", "PackSizeNumeric", "CatalogueIndicator", "Name",
             "HazardousRiskIndicator", "AdditionalInformation", "Keyword", "BrandName", "ModelName",
             "BuyersItemIdentification", "SellersItemIdentification", "ManufacturersItemIdentification",
             "StandardItemIdentification"],
    "Party": ["MarkCareIndicator", "MarkAttentionIndicator", "WebsiteURI", "LogoReferenceID", "EndpointID",
              "IndustryClassificationCode", "PartyIdentification", "PartyName", "Language", "PostalAddress"],
    "PostalAddress": ["ID", "AddressTypeCode", "AddressFormatCode", "Postbox", "Floor", "Room", "StreetName",
                      "AdditionalStreetName", "BlockName", "BuildingName", "BuildingNumber", "InhouseMail",
                      "Department", "MarkAttention", "MarkCare", "PlotIdentification", "CitySubdivisionName",
                      "CityName", "PostalZone", "CountrySubentity", "CountrySubentityCode", "Region", "District",
                      "TimezoneOffset", "AddressLine", "Country"],
}
UBL_MANDATORY = {"OrderResponse": {"ID", "IssueDate", "OrderReference", "SellerSupplierParty", "BuyerCustomerParty"},
                 "OrderLine": {"LineItem"}, "LineItem": {"ID", "Item"}}
CSV_HEADER = ["po_number", "po_date", "ack_date", "ack_type", "reference", "line_no", "buyer_part", "vendor_part",
              "gtin", "ordered_quantity", "uom", "unit_price", "currency", "status", "scheduled_quantity",
              "scheduled_date", "reason"]


def load_case(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# Context key -> the canonical document it holds (the first one present is the case's document).
DOCUMENT_KEYS = {"ack": OrderAcknowledgement, "shipment": ShipNotice, "invoice": Invoice,
                 "certificate": QualityCertificate, "report": NonconformanceReport, "status": OrderStatusReport}


def context_of(case: dict[str, Any]) -> dict[str, Any]:
    context = dict(case["context"])
    for key, model in DOCUMENT_KEYS.items():
        if key in context:
            context[key] = model.model_validate(context[key])
    return context


def output_name(template: str) -> str:
    base = Path(template).name.removesuffix(".j2")
    return f"{base}.x12" if template.startswith("x12/") else base


def render(case: dict[str, Any], template: str) -> str:
    """The document ``template`` makes of ``case``: X12 as a whole interchange from the real writer."""
    templates = TemplateLibrary(TEMPLATES.parent).for_partner(None)
    context = context_of(case)
    if not template.startswith("x12/"):
        return render_text(templates, template, context)
    version = case["x12"]["version"]
    isa_version = "00501" if version >= "005010" else "00401"
    delimiters = effective_delimiters(DELIMITERS, isa_version)
    out_set = render_x12_set(templates, template, context, set_id=Path(template).stem,
                             control_number=case["x12"]["control_number"], version=version, delimiters=delimiters)
    assert check_out_set(out_set, version, delimiters) == []
    functional_id = {"856": "SH", "810": "IN", "863": "RT", "842": "NC", "870": "RS"}.get(out_set.set_id, "PR")
    group = OutGroup(functional_id, SENDER.id, RECEIVER.id, 1, version, [out_set])
    return render_interchange(sender=SENDER, receiver=RECEIVER, groups=[group], control_number=1,
                              delimiters=DELIMITERS, version=isa_version, when=WHEN)


PARAMS = [(path, template) for path in CASE_FILES for template in load_case(path)["templates"]]


def test_examples_cover_every_default_template() -> None:
    """Every default document template has at least one golden case (the helpers are imported by them)."""
    used = {template for _, template in PARAMS}
    documents = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.glob("*/*.j2")
                 if p.stem not in {"order_ack_codes", "order_ack_macros", "ship_notice_codes", "invoice_codes",
                                   "quality_codes", "quality_macros"}}
    assert documents == used


@pytest.mark.parametrize(("case_file", "template"), PARAMS,
                         ids=[f"{p.parent.name}:{output_name(t)}" for p, t in PARAMS])
def test_template_golden(case_file: Path, template: str) -> None:
    case = load_case(case_file)
    actual = render(case, template)
    expected_file = case_file.parent / output_name(template)
    if os.environ.get("EDIPULSE_GOLDEN_UPDATE") == "1":
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.is_file(), f"missing expected output {expected_file.name}"
    assert actual == expected_file.read_text(encoding="utf-8")
    context = context_of(case)
    ack = next(context[key] for key in DOCUMENT_KEYS if key in context)
    kind = template.split("/", maxsplit=1)[0]
    checks = {"x12": check_x12, "cxml": check_cxml, "ubl": check_ubl, "csv": check_csv, "html": check_html}
    checks[kind](actual, ack)


# -- format checks ------------------------------------------------------------------


def check_x12(text: str, ack: OrderAcknowledgement) -> None:
    sets = [event for event in read_events(io.BytesIO(text.encode())) if isinstance(event, TransactionSet)]
    assert len(sets) == 1
    (tx,) = sets
    assert tx.errors == []
    schema = load_schema(tx.id, tx.group.version)
    assert schema is not None
    assert validate_set(tx, schema) == []
    if tx.id not in {"855", "865"}:
        return  # 856 / 810 product rules: tests/test_render_856_810.py
    begin = tx.segments[1]
    assert begin[0] == {"855": "BAK", "865": "BCA"}[tx.id]
    assert begin[3] == ack.po_number
    line_tag = {"855": "PO1", "865": "POC"}[tx.id]
    assert sum(seg[0] == line_tag for seg in tx.segments) == len(ack.lines)
    assert [seg[1] for seg in tx.segments if seg[0] == "ACK"] == [ACK01[line.status] for line in ack.lines]


def check_html(text: str, document: Any) -> None:
    """HTML parses; the certificate number and lot appear as text (the PDF test reads the rendered PDF)."""
    root = etree.fromstring(text.encode("utf-8"), etree.HTMLParser(no_network=True))
    words = " ".join(root.itertext())
    assert document.certificate_number in words and document.lot_number in words


def parse_xml(text: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(text.encode("utf-8"), parser)


def check_cxml(text: str, ack: OrderAcknowledgement) -> None:
    root = parse_xml(text)
    assert root.tag == "cXML"
    header = root.find("Request/ConfirmationRequest/ConfirmationHeader")
    assert header is not None
    assert header.get("type") == CXML_HEADER[ack.ack_type]
    assert root.find("Request/ConfirmationRequest/OrderReference").get("orderID") == ack.po_number
    items = root.findall("Request/ConfirmationRequest/ConfirmationItem")
    expected = [line.line_no for line in ack.lines] if header.get("type") == "detail" else []
    assert [item.get("lineNumber") for item in items] == expected
    for item, line in zip(items, ack.lines, strict=False):
        assert item.find("ConfirmationStatus/UnitOfMeasure").text == line.uom


def check_ubl_order(element: etree._Element) -> None:
    """Children of every checked element appear in UBL 2.1 order; mandatory children are present."""
    name = etree.QName(element).localname
    order = UBL_ORDER.get(name)
    if order is not None:
        children = [etree.QName(child).localname for child in element]
        unknown = [child for child in children if child not in order]
        assert not unknown, f"{name}: elements not in its UBL sequence: {unknown}"
        positions = [order.index(child) for child in children]
        assert positions == sorted(positions), f"{name}: children out of UBL order: {children}"
        assert UBL_MANDATORY.get(name, set()) <= set(children), f"{name}: mandatory children missing"
    for child in element:
        if len(child):
            check_ubl_order(child)
        elif child.tag.startswith(CBC):
            assert (child.text or "").strip(), f"empty {child.tag}"


def check_ubl(text: str, ack: OrderAcknowledgement) -> None:
    root = parse_xml(text)
    assert root.tag == f"{{{UBL}}}OrderResponse"
    check_ubl_order(root)
    assert root.find(f"{CAC}OrderReference/{CBC}ID").text == ack.po_number
    statuses = [el.text for el in root.iter(f"{CBC}LineStatusCode")]
    assert statuses == [UNCL1229.get(line.status, "3") for line in ack.lines]


def check_csv(text: str, ack: OrderAcknowledgement) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_HEADER
    body = rows[1:]
    assert len(body) == max(1, len(ack.lines))
    assert {row[0] for row in body} == {ack.po_number}
    for row, line in zip(body, ack.lines, strict=False):
        assert row[CSV_HEADER.index("status")] == line.status
        assert row[CSV_HEADER.index("line_no")] == line.line_no
    for cell in (cell for row in body for cell in row):
        assert not cell.startswith(("=", "+", "@")), f"formula-like cell {cell!r}"
