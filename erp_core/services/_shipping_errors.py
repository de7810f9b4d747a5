"""Coded refusals of the shipping, invoicing and payment services.

Every problem found in one request is reported at once (an MES pushing a shipment
hears about all of its bad lines, not the first one), each with a stable code the
gateway and the CLI can map to partner-facing answers, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from erp_core.errors import ErpError


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason for a refusal; ``ref`` names the input element at fault (line, package), if any."""

    code: str
    message: str
    ref: str | None = None


class CodedError(ErpError):
    """A refusal with one or more coded problems; ``code`` is the first problem's code."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("a coded error needs at least one problem")
        self.problems = tuple(problems)
        self.code = self.problems[0].code
        super().__init__("; ".join(f"{p.code}: {p.message}" for p in self.problems))

    @classmethod
    def one(cls, code: str, message: str, ref: str | None = None) -> CodedError:
        """The error for a single problem."""
        return cls([Problem(code, message, ref)])


class ShippingError(CodedError):
    """A shipment, package or SSCC request was refused (codes ``SHIP_*``)."""


class InvoiceError(CodedError):
    """An invoice or credit note was refused (codes ``INVOICE_*``)."""


class PaymentError(CodedError):
    """A remittance was refused (codes ``PAY_*``)."""
