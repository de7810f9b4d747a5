"""Ledger tables of AS2 exchanges (migration g0003).

``as2_message`` holds one row per AS2 transfer in either direction: a message received
(stored, refused at HTTP level, answered with a negative MDN, or a replay), or one send
attempt of an outbound ledger message. The row points at the ledger ``message`` it is
about and keeps the MIC and the MDN (archived, headers included) for audit.
``as2_received_id`` makes "this Message-ID was already stored from this partner" a
unique key, so two concurrent deliveries of the same message cannot both count as new.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from gateway.ledger.models import utcnow

# as2_message.status, inbound
STORED, REFUSED, REJECTED, DUPLICATE = "stored", "refused", "rejected", "duplicate"
# as2_message.status, outbound (one row per send attempt)
POSTING, AWAITING, CONFIRMED, FAILED, UNCONFIRMED = "posting", "awaiting-mdn", "confirmed", "failed", "unconfirmed"
# as2_message.mdn_status: the asynchronous MDN we owe a partner (inbound rows only)
MDN_RETURNED, MDN_PENDING, MDN_POSTED, MDN_FAILED = "returned", "pending", "posted", "failed"

AS2_TABLES = ("as2_message", "as2_received_id")


class As2Message(SQLModel, table=True):
    """One AS2 transfer: a message received from a partner, or one attempt to send one."""

    __tablename__ = "as2_message"

    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(max_length=3)  # "in" | "out"
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)  # the ledger message
    partner_id: str | None = Field(default=None, max_length=64)  # ERP partner; None for an unknown sender
    as2_from: str = Field(max_length=128)
    as2_to: str = Field(max_length=128)
    as2_message_id: str = Field(max_length=255, index=True)  # without angle brackets
    status: str = Field(max_length=16)
    error_code: str | None = Field(default=None, max_length=40)
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    mic: str | None = Field(default=None, max_length=128)
    mic_digest: str | None = Field(default=None, max_length=16)
    mdn_mode: str = Field(max_length=8)  # "sync" | "async" | "none": what the sender of the message asked for
    mdn_disposition: str | None = Field(default=None, max_length=255)  # as returned (in) or received (out)
    mdn_archive_path: str | None = Field(default=None, max_length=255)  # the MDN, headers and body, archived
    mdn_status: str | None = Field(default=None, max_length=16)  # inbound: state of the MDN we owe
    mdn_url: str | None = Field(default=None, max_length=512)  # inbound async: where that MDN goes
    mdn_attempts: int = 0  # inbound async: POSTs of that MDN so far
    mdn_due_at: datetime | None = None  # outbound async: when the partner's MDN is overdue
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class As2ReceivedId(SQLModel, table=True):
    """A Message-ID stored from a partner (by its AS2 id): a later copy is a replay."""

    __tablename__ = "as2_received_id"

    as2_from: str = Field(primary_key=True, max_length=128)
    as2_message_id: str = Field(primary_key=True, max_length=255)
    as2_row_id: int = Field(foreign_key="as2_message.id")
