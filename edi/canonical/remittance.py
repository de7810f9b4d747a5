"""The canonical remittance advice: what every inbound 820 becomes after mapping.

A customer's 820 says how much it paid (BPR), under which trace number (TRN), and
which of our invoices the payment settles (RMR: invoice number, amount paid,
invoice amount, discount), with adjustments (ADX) that explain a short payment. The
gateway matches the lines against the 810s it sent (paid, short-paid, unmatched).

``adjustments`` on the advice are the ones not tied to one invoice (ADX before the
first RMR of an entity); an invoice's own adjustments sit on its line. Amounts are
:class:`~decimal.Decimal` as sent: a payment must never pass through a float.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from edi.canonical.base import Document, Envelope, ExactDecimal, _Canonical
from edi.canonical.order import Party


class Adjustment(_Canonical):
    """One ADX: an amount (negative reduces the payment), the reason code and what it refers to."""

    amount: ExactDecimal
    reason: str
    reference_qualifier: str | None = None
    reference: str | None = None


class RemittanceLine(_Canonical):
    """One RMR: an invoice (or other document) the payment applies to."""

    reference_qualifier: str
    invoice_number: str
    invoice_date: dt.date | None = None
    amount_paid: ExactDecimal | None = None
    invoice_amount: ExactDecimal | None = None
    discount_amount: ExactDecimal | None = None
    adjustments: list[Adjustment] = []


class RemittanceAdvice(Document):
    """A payment and what it pays, independent of the X12 version it came in.

    ``credit_debit`` is BPR03 (``credit`` or ``debit``); ``payment_method`` BPR04 in
    words (``ach``, ``check``, ``wire``, ``none``, ...); ``payment_date`` the
    effective date (BPR16, or the DTM the payer sent when BPR has none).
    """

    type: Literal["remittance_advice"] = "remittance_advice"
    partner: str | None = None
    trace_number: str | None = None
    handling: str
    payment_amount: ExactDecimal
    credit_debit: str
    payment_method: str
    payment_date: dt.date | None = None
    currency: str | None = None
    payer: Party | None = None
    payee: Party | None = None
    adjustments: list[Adjustment] = []
    lines: list[RemittanceLine]
    envelope: Envelope
