"""Invoices, credit notes and the customer payments (X12 820 remittances) applied to them.

An invoice (``kind = 'invoice'``) bills exactly one confirmed shipment, and a
shipment is billed at most once: ``uq_erp_invoice_shipment_id`` backs the service's
check, because a credit note never names a shipment (``ck_erp_invoice_kind``), only
the invoice it credits (``credit_of``). Amounts are positive for both kinds; the
kind says which way the money goes. Money is rounded to cents when computed, so
``total`` and friends always hold two significant decimals (what TDS carries).

An invoice's open amount is its total less its credit notes, the payments applied
to it and the terms discounts accepted with them; its status follows from that
(:mod:`erp_core.services.invoices`).

A payment is unique per partner and trace number (TRN02), which is what makes
applying the same remittance twice harmless. Each remittance line becomes one
application, matched to an invoice by number or kept as ``unmatched`` with the
number the partner gave.

Imports nothing from :mod:`erp_core.models` (which imports this module).
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from erp_core.types import ExactDecimal, UtcDateTime, utc_now

RowId = BigInteger().with_variant(Integer(), "sqlite")

INVOICE_KINDS = ("invoice", "credit_note")
INVOICE_STATUSES = ("open", "paid", "short_paid", "cancelled")
CHARGE_KINDS = ("tax", "freight", "handling", "discount")
APPLICATION_STATUSES = ("matched", "short_paid", "unmatched")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _money(name: str, nullable: bool = False) -> Column[Decimal]:
    return Column(name, ExactDecimal(), nullable=nullable)


class Invoice(SQLModel, table=True):
    """An invoice of one shipment, or a credit note against one invoice.

    Terms: net due in ``terms_net_days``; ``terms_discount_percent`` off when paid
    within ``terms_discount_days`` (both or neither). ``reason`` says why a credit
    note was issued. ``message_ref`` names the 810 that carried it, once sent.
    """

    __tablename__ = "erp_invoice"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_invoice"),
        UniqueConstraint("invoice_number", name="uq_erp_invoice_invoice_number"),
        UniqueConstraint("shipment_id", name="uq_erp_invoice_shipment_id"),
        CheckConstraint(_in("kind", INVOICE_KINDS), name="ck_erp_invoice_kind_values"),
        CheckConstraint(
            "(kind = 'invoice' AND shipment_id IS NOT NULL AND credit_of IS NULL)"
            " OR (kind = 'credit_note' AND shipment_id IS NULL AND credit_of IS NOT NULL)",
            name="ck_erp_invoice_kind",
        ),
        CheckConstraint(_in("status", INVOICE_STATUSES), name="ck_erp_invoice_status"),
        CheckConstraint(
            "(terms_discount_percent IS NULL) = (terms_discount_days IS NULL)", name="ck_erp_invoice_terms_discount"
        ),
        CheckConstraint("subtotal >= 0 AND tax_total >= 0 AND total >= 0", name="ck_erp_invoice_amounts"),
        Index("ix_erp_invoice_partner_id", "partner_id"),
        Index("ix_erp_invoice_credit_of", "credit_of"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    invoice_number: str = Field(sa_column=Column("invoice_number", String(22), nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id", String(32), ForeignKey("erp_partner.id", name="fk_erp_invoice_partner_id"), nullable=False
        )
    )
    kind: str = Field(default="invoice", sa_column=Column("kind", String(11), nullable=False))
    shipment_id: int | None = Field(
        default=None,
        sa_column=Column(
            "shipment_id", RowId, ForeignKey("erp_shipment.id", name="fk_erp_invoice_shipment_id"), nullable=True
        ),
    )
    credit_of: int | None = Field(
        default=None,
        sa_column=Column(
            "credit_of", RowId, ForeignKey("erp_invoice.id", name="fk_erp_invoice_credit_of"), nullable=True
        ),
    )
    invoice_date: date = Field(sa_column=Column("invoice_date", Date(), nullable=False))
    currency: str = Field(sa_column=Column("currency", String(3), nullable=False))
    terms_net_days: int | None = Field(default=None, sa_column=Column("terms_net_days", Integer(), nullable=True))
    terms_discount_percent: Decimal | None = Field(default=None, sa_column=_money("terms_discount_percent", True))
    terms_discount_days: int | None = Field(
        default=None, sa_column=Column("terms_discount_days", Integer(), nullable=True)
    )
    subtotal: Decimal = Field(sa_column=_money("subtotal"))
    # Freight and handling less discounts: negative when discounts outweigh the charges.
    charges_total: Decimal = Field(sa_column=_money("charges_total"))
    tax_total: Decimal = Field(sa_column=_money("tax_total"))
    total: Decimal = Field(sa_column=_money("total"))
    status: str = Field(default="open", sa_column=Column("status", String(10), nullable=False))
    reason: str | None = Field(default=None, sa_column=Column("reason", String(255), nullable=True))
    message_ref: str | None = Field(default=None, sa_column=Column("message_ref", String(128), nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))


class InvoiceLine(SQLModel, table=True):
    """A billed quantity of one order line at the order's contract price; ``amount`` is rounded to cents."""

    __tablename__ = "erp_invoice_line"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_invoice_line"),
        UniqueConstraint("invoice_id", "line_no", name="uq_erp_invoice_line_invoice_line_no"),
        CheckConstraint("line_no >= 1", name="ck_erp_invoice_line_line_no"),
        CheckConstraint("quantity > 0 AND unit_price >= 0 AND amount >= 0", name="ck_erp_invoice_line_amounts"),
        Index("ix_erp_invoice_line_order_line_id", "order_line_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    invoice_id: int = Field(
        sa_column=Column(
            "invoice_id",
            RowId,
            ForeignKey("erp_invoice.id", name="fk_erp_invoice_line_invoice_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    line_no: int = Field(sa_column=Column("line_no", Integer(), nullable=False))
    order_line_id: int = Field(
        sa_column=Column(
            "order_line_id",
            RowId,
            ForeignKey("erp_sales_order_line.id", name="fk_erp_invoice_line_order_line_id"),
            nullable=False,
        )
    )
    quantity: Decimal = Field(sa_column=Column("quantity", ExactDecimal(), nullable=False))
    unit_price: Decimal = Field(sa_column=Column("unit_price", ExactDecimal(), nullable=False))
    amount: Decimal = Field(sa_column=_money("amount"))


class InvoiceCharge(SQLModel, table=True):
    """A tax, freight, handling or discount line of an invoice.

    ``amount`` is positive for every kind (a discount is subtracted); ``rate`` is the
    percentage it was computed from, None for a fixed amount.
    """

    __tablename__ = "erp_invoice_charge"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_invoice_charge"),
        CheckConstraint(_in("kind", CHARGE_KINDS), name="ck_erp_invoice_charge_kind"),
        CheckConstraint("amount >= 0 AND (rate IS NULL OR rate >= 0)", name="ck_erp_invoice_charge_amounts"),
        Index("ix_erp_invoice_charge_invoice_id", "invoice_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    invoice_id: int = Field(
        sa_column=Column(
            "invoice_id",
            RowId,
            ForeignKey("erp_invoice.id", name="fk_erp_invoice_charge_invoice_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    kind: str = Field(sa_column=Column("kind", String(8), nullable=False))
    description: str = Field(sa_column=Column("description", String(80), nullable=False))
    amount: Decimal = Field(sa_column=_money("amount"))
    rate: Decimal | None = Field(default=None, sa_column=_money("rate", True))


class Payment(SQLModel, table=True):
    """A customer payment as its remittance advice announced it (BPR + TRN).

    ``method`` is the BPR04 payment method code (ACH, CHK, FWT, ...).
    """

    __tablename__ = "erp_payment"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_payment"),
        UniqueConstraint("partner_id", "trace_number", name="uq_erp_payment_partner_trace"),
        CheckConstraint("amount >= 0", name="ck_erp_payment_amount"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    partner_id: str = Field(
        sa_column=Column(
            "partner_id", String(32), ForeignKey("erp_partner.id", name="fk_erp_payment_partner_id"), nullable=False
        )
    )
    trace_number: str = Field(sa_column=Column("trace_number", String(50), nullable=False))
    payment_date: date = Field(sa_column=Column("payment_date", Date(), nullable=False))
    amount: Decimal = Field(sa_column=_money("amount"))
    currency: str = Field(sa_column=Column("currency", String(3), nullable=False))
    method: str | None = Field(default=None, sa_column=Column("method", String(3), nullable=True))
    message_ref: str | None = Field(default=None, sa_column=Column("message_ref", String(128), nullable=True))
    created_at: datetime = Field(default_factory=utc_now, sa_column=Column("created_at", UtcDateTime(), nullable=False))


class PaymentApplication(SQLModel, table=True):
    """One remittance line (RMR + ADX) and what it was applied to.

    ``invoice_number`` is what the partner referenced (RMR02), kept even when it
    matched no invoice of ours. ``discount_taken`` is the terms discount accepted
    (zero when the partner took one it was not entitled to: that is a short payment).
    ``adjustment_amount``/``adjustment_reason`` are the partner's ADX adjustment.
    """

    __tablename__ = "erp_payment_application"
    __table_args__ = (
        PrimaryKeyConstraint("id", name="pk_erp_payment_application"),
        UniqueConstraint("payment_id", "line_no", name="uq_erp_payment_application_payment_line_no"),
        CheckConstraint(_in("status", APPLICATION_STATUSES), name="ck_erp_payment_application_status"),
        CheckConstraint("(status = 'unmatched') = (invoice_id IS NULL)", name="ck_erp_payment_application_match"),
        CheckConstraint("discount_taken >= 0", name="ck_erp_payment_application_discount"),
        Index("ix_erp_payment_application_invoice_id", "invoice_id"),
    )

    id: int | None = Field(default=None, sa_column=Column("id", RowId, nullable=False))
    payment_id: int = Field(
        sa_column=Column(
            "payment_id",
            RowId,
            ForeignKey("erp_payment.id", name="fk_erp_payment_application_payment_id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    line_no: int = Field(sa_column=Column("line_no", Integer(), nullable=False))
    invoice_id: int | None = Field(
        default=None,
        sa_column=Column(
            "invoice_id",
            RowId,
            ForeignKey("erp_invoice.id", name="fk_erp_payment_application_invoice_id"),
            nullable=True,
        ),
    )
    invoice_number: str = Field(sa_column=Column("invoice_number", String(50), nullable=False))
    amount_paid: Decimal = Field(sa_column=_money("amount_paid"))
    discount_taken: Decimal = Field(
        default=Decimal(0),
        sa_column=Column("discount_taken", ExactDecimal(), nullable=False, server_default=text("0")),
    )
    adjustment_amount: Decimal | None = Field(default=None, sa_column=_money("adjustment_amount", True))
    adjustment_reason: str | None = Field(default=None, sa_column=Column("adjustment_reason", String(2), nullable=True))
    status: str = Field(sa_column=Column("status", String(10), nullable=False))


BILLING_TABLE_NAMES: frozenset[str] = frozenset(
    model.__tablename__ for model in (Invoice, InvoiceLine, InvoiceCharge, Payment, PaymentApplication)
)
