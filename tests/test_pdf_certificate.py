"""PDF quality certificates: rendered by WeasyPrint from the HTML template, read back with pypdf.

The assertions are on the text a quality engineer reads in the PDF (pypdf's extraction),
not on the HTML, so the stylesheet, page boxes and layout are part of what is tested.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from edi.canonical.certificate import QualityCertificate
from edi.render import RenderError, TemplateLibrary
from edi.render.pdf import render_pdf

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "mappings"
CASE = MAPPINGS / "templates" / "examples" / "certificate-analysis-004010" / "case.json"
TEMPLATE = "html/certificate.html.j2"


def certificate_data() -> dict[str, Any]:
    return copy.deepcopy(json.loads(CASE.read_text(encoding="utf-8"))["context"]["certificate"])


def pdf_text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def render(data: dict[str, Any], mappings: Path = MAPPINGS) -> bytes:
    templates = TemplateLibrary(mappings).for_partner(None)
    return render_pdf(templates, TEMPLATE, {"certificate": QualityCertificate.model_validate(data)})


@pytest.fixture(scope="module")
def analysis_pdf() -> bytes:
    return render(certificate_data())


def test_pdf_states_every_fact_of_the_certificate(analysis_pdf: bytes) -> None:
    assert analysis_pdf.startswith(b"%PDF-")
    pages, text = pdf_text(analysis_pdf)
    flat = " ".join(text.split())
    for expected in ("Acme Medical Devices Inc.", "Certificate of Analysis", "COA-2024-00417", "4500012345",
                     "ACM-CATH-5F", "MH-100233", "10885403123450", "L2403-17", "2027-03-31", "24 BX",
                     "BOM revision C", "(01)10885403123450(17)270331(10)L2403-17", "Mercy General Hospital",
                     "Approved by: Dana Whitfield, Quality Assurance Manager", "Signature"):
        assert expected in flat, expected
    assert f"Page 1 of {pages}" in flat  # page numbers from the @page margin boxes (the stylesheet loaded)
    assert "Certificate COA-2024-00417" in flat  # certificate number in the footer


def test_pdf_table_rows_carry_limits_result_and_verdict(analysis_pdf: bytes) -> None:
    _, text = pdf_text(analysis_pdf)
    flat = " ".join(text.split())
    assert "MM 1.65 1.70 1.75 1.702 PASS" in flat
    assert "CM 99.0 100.0 101.0 101.4 FAIL" in flat  # the failing characteristic shows FAIL
    assert "No leaks PASS" in flat
    assert "Overall verdict: FAIL" in flat


def test_conformance_certificate_that_passes() -> None:
    data = certificate_data()
    data.update(report_type="compliance", verdict="pass", statement="Manufactured under ISO 13485.")
    data["inspections"] = [data["inspections"][0], data["inspections"][3]]
    _, text = pdf_text(render(data))
    flat = " ".join(text.split())
    assert "Certificate of Conformance" in flat and "Certificate of Analysis" not in flat
    assert "Overall verdict: PASS" in flat and "FAIL" not in flat
    assert "Manufactured under ISO 13485." in flat


def test_markup_in_values_is_text_not_html() -> None:
    data = certificate_data()
    data["statement"] = "<b>bold</b> & <img src='http://example.invalid/x.png'>"
    _, text = pdf_text(render(data))
    assert "<b>bold</b> & <img src='http://example.invalid/x.png'>" in " ".join(text.split())


def test_many_characteristics_flow_onto_numbered_pages() -> None:
    data = certificate_data()
    data["inspections"] = [dict(data["inspections"][0], characteristic=f"Diameter station {n}")
                           for n in range(60)]
    data.update(verdict="pass", statement=None)
    pages, text = pdf_text(render(data))
    assert pages >= 2
    flat = " ".join(text.split())
    assert f"Page {pages} of {pages}" in flat
    assert all(f"Diameter station {n}" in flat for n in (0, 30, 59))


def partner_copy(tmp_path: Path, html: str) -> Path:
    """A mappings folder whose certificate template is ``html`` (next to the real stylesheet)."""
    folder = tmp_path / "mappings" / "templates" / "html"
    folder.mkdir(parents=True)
    (folder / "certificate.html.j2").write_text(html, encoding="utf-8")
    (folder / "certificate.css").write_text((MAPPINGS / "templates/html/certificate.css").read_text())
    return tmp_path / "mappings"


@pytest.mark.parametrize("link", [
    '<img src="http://127.0.0.1:9/logo.png">',
    '<link rel="stylesheet" href="file:///etc/hostname">',
    '<img src="../../../../../../etc/hostname">',
])
def test_template_cannot_reach_network_or_files_outside_its_folder(tmp_path: Path, link: str) -> None:
    mappings = partner_copy(tmp_path, f"<html><body>{link}<p>{{{{ certificate.lot_number }}}}</p></body></html>")
    with pytest.raises(RenderError) as caught:
        render(certificate_data(), mappings)
    assert caught.value.code == "RENDER_FORBIDDEN"
    assert "refused" in caught.value.message


def test_data_uris_and_local_stylesheet_are_allowed(tmp_path: Path) -> None:
    pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGA"
             "hKmMIQAAAABJRU5ErkJggg==")
    html = (f'<html><head><link rel="stylesheet" href="certificate.css"></head><body><img src="{pixel}">'
            '<p class="certno">{{ certificate.certificate_number }}</p></body></html>')
    _, text = pdf_text(render(certificate_data(), partner_copy(tmp_path, html)))
    assert "Certificate COA-2024-00417" in text  # footer from the stylesheet beside the template


def test_template_error_is_coded_with_its_line(tmp_path: Path) -> None:
    mappings = partner_copy(tmp_path, "<html><body>\n<p>{{ certificate.no_such_field }}</p></body></html>")
    with pytest.raises(RenderError) as caught:
        render(certificate_data(), mappings)
    assert (caught.value.code, caught.value.line) == ("RENDER_UNDEFINED", 2)
