"""Ledger tables. Rows are never deleted: a message moves forward through its
statuses, and every move is also appended to ``message_event`` (the audit trail)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# Status of a message row. The happy path of an inbound transaction set is
# received -> parsed -> mapped -> booked -> acknowledged; the others are terminal.
RECEIVED, PARSED, MAPPED, BOOKED, ACKNOWLEDGED = "received", "parsed", "mapped", "booked", "acknowledged"
ERROR, DUPLICATE, REFUSED, PENDING, SENT = "error", "duplicate", "refused", "pending", "sent"
PROCESSED = "processed"  # a file whose interchanges were all handled
PROCESSING = "processing"  # a file claimed by a worker
# An outbound message sent over AS2 waits for the partner's MDN; without one in time it is overdue.
AWAITING_MDN, OVERDUE = "awaiting-mdn", "overdue"
# An outbound transaction set waits for the partner's 997/999 (it is then acknowledged or rejected,
# or overdue when none came within its window; see gateway.outbound.reconcile).
AWAITING_FA, REJECTED = "awaiting-fa", "rejected"
KINDS = ("file", "interchange", "set", "ack")
STATUSES = (RECEIVED, PARSED, MAPPED, BOOKED, ACKNOWLEDGED, ERROR, DUPLICATE, REFUSED, PENDING, SENT, PROCESSED,
            PROCESSING, AWAITING_MDN, OVERDUE, AWAITING_FA, REJECTED)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time in the ledger is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ReceivedFile(SQLModel, table=True):
    """One receipt of a file: its raw bytes are archived by content hash before anything else."""

    __tablename__ = "received_file"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    name: str = Field(max_length=255)
    source: str = Field(max_length=64)
    archive_path: str = Field(max_length=255)
    status: str = Field(default=RECEIVED, max_length=16, index=True)
    error_code: str | None = Field(default=None, max_length=40)
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=96)  # worker processing it: "host:pid"
    claimed_at: datetime | None = None  # lease start, renewed as the worker commits interchanges


class Message(SQLModel, table=True):
    """An interchange or transaction set (inbound), or a document we send (outbound)."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_status_kind", "status", "kind"),
                      Index("ix_message_partner_gs06", "partner_id", "gs06"))  # a 997's AK1 finds our group

    id: int | None = Field(default=None, primary_key=True)
    direction: str = Field(max_length=3)  # "in" | "out"
    kind: str = Field(max_length=16)  # "interchange" | "set" | "ack"
    file_id: int | None = Field(default=None, foreign_key="received_file.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    partner_id: str | None = Field(default=None, max_length=64, index=True)
    sender: str | None = Field(default=None, max_length=40)  # ISA05:ISA06
    receiver: str | None = Field(default=None, max_length=40)
    isa13: str | None = Field(default=None, max_length=16)
    gs06: str | None = Field(default=None, max_length=16)
    st02: str | None = Field(default=None, max_length=16)
    set_id: str | None = Field(default=None, max_length=8)  # ST01 (or the ack kind sent)
    version: str | None = Field(default=None, max_length=16)  # GS08
    doc_ref: str | None = Field(default=None, max_length=64, index=True)  # e.g. the PO number
    offset: int | None = None  # character offset within the received file
    status: str = Field(default=RECEIVED, max_length=16)
    error_code: str | None = Field(default=None, max_length=40)
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    errors_json: str | None = Field(default=None, sa_column=Column(Text))  # all coded errors, JSON list
    # The functional-ack verdict on this message (A/E/R/P...) and the message carrying it: inbound, the
    # 997/999 we sent; outbound, the partner's (its interchange) as reconciled by gateway.outbound.reconcile.
    ack_code: str | None = Field(default=None, max_length=2)
    ack_message_id: int | None = Field(default=None, foreign_key="message.id")
    attempts: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class MessageEvent(SQLModel, table=True):
    """Append-only history of a message: each status it reached, when, and why."""

    __tablename__ = "message_event"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    status: str = Field(max_length=16)
    detail: str | None = Field(default=None, sa_column=Column(Text))
    at: datetime = Field(default_factory=utcnow)


class InterchangeKey(SQLModel, table=True):
    """(sender, ISA13) of every interchange accepted for processing: a resubmission is a duplicate."""

    __tablename__ = "interchange_key"
    __table_args__ = (UniqueConstraint("sender", "isa13", name="uq_interchange_key"),)

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(max_length=40)
    isa13: str = Field(max_length=16)
    message_id: int = Field(foreign_key="message.id")


class ControlCounter(SQLModel, table=True):
    """Durable, gap-free control numbers per partner and kind (isa, gs, st)."""

    __tablename__ = "control_counter"

    partner_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=8)
    last_value: int = 0


class OutboundFile(SQLModel, table=True):
    """The bytes of an outbound message, archived, and where they were delivered."""

    __tablename__ = "outbound_file"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    file_name: str = Field(max_length=255)
    archive_path: str = Field(max_length=255)
    sha256: str = Field(max_length=64)
    size: int
    delivered_to: str | None = Field(default=None, max_length=255)
    delivered_at: datetime | None = None


class TransferAttempt(SQLModel, table=True):
    """One try to move a file over a partner channel (inbound fetch or outbound send), whatever its result.

    ``result``: ``ok`` (inbound: archived and recorded; outbound: in place at the partner),
    ``error`` (``error_code`` says why; ``remote_name`` is None when the channel itself
    failed, e.g. on connect) or ``duplicate`` (a re-fetch of a file already recorded,
    only acknowledged). ``message_id``: the received file's message, or the message sent.
    """

    __tablename__ = "transfer_attempt"
    __table_args__ = (Index("ix_transfer_attempt_lookup", "channel", "direction", "remote_name", "size"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=48, index=True)
    partner_id: str = Field(max_length=64)
    direction: str = Field(max_length=3)  # "in" | "out"
    remote_name: str | None = Field(default=None, max_length=255)
    size: int | None = None
    sha256: str | None = Field(default=None, max_length=64)
    started_at: datetime = Field(default_factory=utcnow)
    duration_ms: int = 0
    result: str = Field(max_length=16)
    error_code: str | None = Field(default=None, max_length=40)
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)


class ChannelState(SQLModel, table=True):
    """A channel's circuit breaker (consecutive failed tries, and until when it rests) and its polling clock.

    ``last_polled_at`` is when the channel's last *successful* inbound poll started; the channel's
    ``schedule`` (interval or cron) counts from it, so a restart does not poll a channel early.
    """

    __tablename__ = "channel_state"

    channel: str = Field(primary_key=True, max_length=48)
    consecutive_failures: int = 0
    open_until: datetime | None = None  # no tries before this moment; None: closed
    last_error_code: str | None = Field(default=None, max_length=40)
    updated_at: datetime = Field(default_factory=utcnow)
    last_polled_at: datetime | None = None  # None: never polled (due at once)


class FaReceipt(SQLModel, table=True):
    """What a partner's 997/999 says about one of our transaction sets (one row per AK2/IK2, or per AK1 group
    verdict without AK2), and which outbound set row it was matched to.

    ``result``: ``matched`` (``outbound_id`` is our set row) or ``unmatched`` (we never sent such a set:
    ``error_code`` FA_UNMATCHED). ``code`` is AK501/IK501 (or the group's AK901 for sets it does not list);
    ``error_codes`` the AK502-AK506/IK502-IK506 codes, comma-separated.
    """

    __tablename__ = "fa_receipt"

    id: int | None = Field(default=None, primary_key=True)
    interchange_id: int = Field(foreign_key="message.id", index=True)  # the inbound interchange carrying it
    partner_id: str = Field(max_length=64)
    ack_kind: str = Field(max_length=3)  # "997" | "999"
    ack_st02: str = Field(max_length=16)  # the acknowledgement set's own ST02
    functional_id: str = Field(max_length=2)  # AK101
    group_control: str = Field(max_length=16)  # AK102: our GS06
    set_id: str | None = Field(default=None, max_length=8)  # AK201
    set_control: str | None = Field(default=None, max_length=16)  # AK202: our ST02
    code: str = Field(max_length=2)
    group_code: str | None = Field(default=None, max_length=2)  # AK901
    error_codes: str | None = Field(default=None, max_length=64)
    outbound_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    result: str = Field(max_length=16)
    error_code: str | None = Field(default=None, max_length=40)
    received_at: datetime = Field(default_factory=utcnow)


class OutboundDocument(SQLModel, table=True):
    """A business document we owe a partner for one ERP record, and the outbound message that carried it.

    The row is inserted before the document is built: the unique key makes a second run (or a
    second worker) find it taken, so a document is never sent twice. ``status`` is ``created``
    (``message_id``: the outbound set row, or the file row of a PDF) or ``error`` (``error_code``
    and ``error_message`` say why; the next run tries again). ``period`` is empty for documents
    owed once per record and the report date (YYYY-MM-DD) for periodic ones (870).
    See gateway.outbound.documents.
    """

    __tablename__ = "outbound_document"
    __table_args__ = (UniqueConstraint("partner_id", "kind", "erp_table", "erp_id", "period",
                                       name="uq_outbound_document"),
                      Index("ix_outbound_document_erp", "erp_table", "erp_id"))

    id: int | None = Field(default=None, primary_key=True)
    partner_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # "856" | "863" | "certificate" | "810" | "842" | "870"
    erp_table: str = Field(max_length=32)  # "erp_shipment" | "erp_lot" | "erp_invoice" | ...
    erp_id: int
    period: str = Field(default="", max_length=10)
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    status: str = Field(max_length=8)  # "created" | "error"
    error_code: str | None = Field(default=None, max_length=40)
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


LEDGER_TABLES = ("received_file", "message", "message_event", "interchange_key", "control_counter", "outbound_file",
                 "transfer_attempt", "channel_state", "fa_receipt", "outbound_document")
