"""The canonical quality certificate: what a lot's inspection record becomes for the customer.

One certificate covers one shipped lot of one item. The gateway fills it from the
factory's inspection results; templates render it as an X12 863 Report of Test
Results (``mappings/templates/x12/863.j2``) and as a signed PDF
(``mappings/templates/html/certificate.html.j2`` through :mod:`edi.render.pdf`).

``report_type`` says which certificate it is, in business words the templates turn
into codes: ``analysis`` (a certificate of analysis: the measured value of every
characteristic, X12 report type CA) or ``compliance`` (a certificate of compliance:
the lot conforms, results may be attributes only, CP).

The model refuses a certificate that would contradict itself, because a quality
engineer signs what it says: a measured value outside its limits marked "pass", an
overall "pass" over a failed characteristic, a UDI that names another GTIN, lot or
expiry than the certificate.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, model_validator

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party

ReportType = Literal["analysis", "compliance"]
Purpose = Literal["original", "replace", "duplicate"]
Stage = Literal["first_article", "in_process", "final"]
Verdict = Literal["pass", "fail"]

# GS1 human-readable interpretation: "(01)<14 digits>(17)<YYMMDD>(10)<lot>(21)<serial>".
_HRI_AI = re.compile(r"\((\d{2,4})\)([^()]+)")


class ItemRef(_Canonical):
    """The item a quality document is about: our part number, the buyer's, its GTIN."""

    vendor_part: str = Field(min_length=1)
    buyer_part: str | None = None
    description: str | None = None
    gtin: str | None = Field(default=None, pattern=r"^\d{8}$|^\d{12,14}$")


class Inspection(_Canonical):
    """One inspected characteristic of the lot, with its specification and result.

    A variable characteristic has ``measured`` (and usually ``lower``/``upper``/
    ``nominal`` limits in ``unit``, an X12 unit code such as ``MM``); an attribute
    characteristic (visual, seal integrity, ...) has ``attribute_result`` text instead.
    ``code`` is the X12 measurement qualifier (MEA02) when the partner agreed one;
    ``method`` the test method or standard, ``instrument`` the gauge used.
    """

    stage: Stage
    characteristic: str = Field(min_length=1)
    code: str | None = Field(default=None, pattern=r"^[A-Z0-9]{1,3}$")
    unit: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$")
    lower: ExactDecimal | None = None
    upper: ExactDecimal | None = None
    nominal: ExactDecimal | None = None
    measured: ExactDecimal | None = None
    attribute_result: str | None = None
    verdict: Verdict
    inspector: str | None = None
    instrument: str | None = None
    method: str | None = None
    inspected_on: dt.date

    @model_validator(mode="after")
    def _consistent(self) -> Inspection:
        """One kind of result; limits in order and with a unit; a measured value outside them cannot pass."""
        if (self.measured is None) == (self.attribute_result is None):
            raise ValueError(f"{self.characteristic}: give either measured or attribute_result")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"{self.characteristic}: lower limit {self.lower} > upper limit {self.upper}")
        numeric = (self.measured, self.lower, self.upper, self.nominal)
        if self.unit is None and any(value is not None for value in numeric):
            raise ValueError(f"{self.characteristic}: a measured value or limit needs its unit")
        if self.verdict == "pass" and self.measured is not None and not self.within_limits():
            raise ValueError(f"{self.characteristic}: measured {self.measured} is outside "
                             f"[{self.lower}, {self.upper}] but the verdict is 'pass'")
        return self

    def within_limits(self) -> bool:
        """Whether ``measured`` lies inside the limits that are given (True for attribute results)."""
        if self.measured is None:
            return True
        below = self.lower is not None and self.measured < self.lower
        above = self.upper is not None and self.measured > self.upper
        return not (below or above)


class Approver(_Canonical):
    """Who released the lot and signed the certificate, and when."""

    name: str = Field(min_length=1)
    title: str | None = None
    signed_at: dt.datetime


class QualityCertificate(Document):
    """A certificate of analysis or of compliance for one lot, independent of the format it is sent in.

    ``udi`` is the human-readable UDI of the lot (GS1 AIs 01/17/10, 21 for a serial);
    ``order_reference`` is our sales-order number, ``bom_revision`` the BOM revision
    the lot was built to. ``envelope`` stays empty for outbound documents.
    """

    type: Literal["quality_certificate"] = "quality_certificate"
    partner: str | None = None
    certificate_number: str = Field(min_length=1, max_length=30)
    report_type: ReportType
    purpose: Purpose = "original"
    issue_date: dt.date
    issuer: Party
    customer: Party | None = None
    po_number: str = Field(min_length=1, max_length=22)
    po_date: dt.date | None = None
    order_reference: str | None = None
    item: ItemRef
    lot_number: str = Field(min_length=1, max_length=20)
    quantity: ExactDecimal = Field(gt=0)
    uom: str = Field(pattern=r"^[A-Z0-9]{2}$")
    manufactured: dt.date | None = None
    expiry: dt.date | None = None
    udi: str | None = None
    bom_revision: str | None = None
    inspections: list[Inspection] = Field(min_length=1)
    verdict: Verdict
    approver: Approver
    statement: str | None = None
    envelope: Envelope | None = None

    @model_validator(mode="after")
    def _consistent(self) -> QualityCertificate:
        """The overall verdict, dates and UDI agree with the rest of the certificate."""
        failed = [i.characteristic for i in self.inspections if i.verdict == "fail"]
        if self.verdict == "pass" and failed:
            raise ValueError(f"verdict 'pass' but characteristics failed: {failed}")
        if self.verdict == "fail" and not failed:
            raise ValueError("verdict 'fail' but no characteristic failed")
        if self.report_type == "analysis" and all(i.measured is None for i in self.inspections):
            raise ValueError("a certificate of analysis reports at least one measured value")
        if self.manufactured and self.expiry and self.expiry < self.manufactured:
            raise ValueError(f"expiry {self.expiry} is before manufacture {self.manufactured}")
        if self.udi is not None:
            self._check_udi(self.udi)
        return self

    def _check_udi(self, udi: str) -> None:
        parts = _HRI_AI.findall(udi)
        if not parts or "".join(f"({ai}){value}" for ai, value in parts) != udi:
            raise ValueError(f"udi {udi!r} is not a GS1 human-readable string like (01)...(17)...(10)...")
        values = dict(parts)
        expected = {"01": self.item.gtin.zfill(14) if self.item.gtin else None, "10": self.lot_number,
                    "17": self.expiry.strftime("%y%m%d") if self.expiry else None}
        for ai, want in expected.items():
            if ai in values and want is not None and values[ai] != want:
                raise ValueError(f"udi ({ai}) {values[ai]!r} does not match the certificate's {want!r}")
