"""Per-partner outbound document settings (``outbound:`` in config.yaml).

A partner gets only the documents its entry lists; a partner without an entry gets none.
Everything a document needs that the ERP core does not hold lives here: the invoice terms
and charges, which certificate the partner wants (CA analysis, CP compliance), who signs
certificates, and our company as issuer / seller / ship-from.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DocumentKind = Literal["856", "863", "certificate", "810", "842", "870"]
DOCUMENT_KINDS: tuple[str, ...] = ("856", "863", "certificate", "810", "842", "870")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompanySettings(_Strict):
    """Our company as the partner sees it on documents (issuer, seller, ship-from fallback)."""

    name: str = Field(min_length=1, max_length=60)
    id: str | None = Field(default=None, max_length=80)
    address1: str | None = Field(default=None, max_length=55)
    address2: str | None = Field(default=None, max_length=55)
    city: str | None = Field(default=None, max_length=30)
    state: str | None = Field(default=None, max_length=2)
    postal_code: str | None = Field(default=None, max_length=15)
    country: str | None = Field(default=None, max_length=3)


class ApproverSettings(_Strict):
    """Who signs quality certificates for this partner."""

    name: str = Field(min_length=1, max_length=60)
    title: str | None = Field(default=None, max_length=60)


class InvoiceSettings(_Strict):
    """How a confirmed shipment is invoiced: terms, sales tax rate (percent) and a freight charge."""

    terms_net_days: int | None = Field(default=30, ge=0, le=999)
    discount_percent: Decimal | None = Field(default=None, gt=0, lt=100)
    discount_days: int | None = Field(default=None, ge=0, le=999)
    tax_rate: Decimal | None = Field(default=None, ge=0, le=100)
    freight: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _discount_with_days(self) -> InvoiceSettings:
        if (self.discount_percent is None) != (self.discount_days is None):
            raise ValueError("discount_percent and discount_days go together")
        if self.discount_percent is not None and self.terms_net_days is None:
            raise ValueError("a terms discount needs terms_net_days")
        if self.freight is not None and self.freight != self.freight.quantize(Decimal("0.01")):
            raise ValueError("freight is money: at most two decimals")
        return self


class PartnerOutbound(_Strict):
    """One partner's outbound documents and what they need."""

    documents: tuple[DocumentKind, ...] = Field(min_length=1)
    x12_version: Literal["004010", "005010"] = "004010"
    invoice: InvoiceSettings = InvoiceSettings()
    certificate_type: Literal["CA", "CP"] = "CA"
    approver: ApproverSettings | None = None
    company: CompanySettings

    @field_validator("documents", mode="before")
    @classmethod
    def _as_text(cls, value: object) -> object:
        """YAML reads ``[856, 810]`` as numbers: the kinds are names, so they are compared as text."""
        if isinstance(value, list | tuple):
            return tuple(str(item) for item in value)
        return value

    @model_validator(mode="after")
    def _signed_certificates(self) -> PartnerOutbound:
        if len(set(self.documents)) != len(self.documents):
            raise ValueError("a document is listed twice")
        if {"863", "certificate"} & set(self.documents) and self.approver is None:
            raise ValueError("quality certificates (863, certificate) need an approver")
        return self

    def takes(self, kind: str) -> bool:
        return kind in self.documents
