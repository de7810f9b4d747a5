"""ledger: received files, messages, events, interchange keys, control counters, outbound files

Revision ID: g0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "g0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("archive_path", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(96), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_received_file_sha256", "received_file", ["sha256"])
    op.create_index("ix_received_file_status", "received_file", ["status"])
    op.create_table(
        "message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_id", sa.Integer(), sa.ForeignKey("received_file.id"), nullable=True),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("partner_id", sa.String(64), nullable=True),
        sa.Column("sender", sa.String(40), nullable=True),
        sa.Column("receiver", sa.String(40), nullable=True),
        sa.Column("isa13", sa.String(16), nullable=True),
        sa.Column("gs06", sa.String(16), nullable=True),
        sa.Column("st02", sa.String(16), nullable=True),
        sa.Column("set_id", sa.String(8), nullable=True),
        sa.Column("version", sa.String(16), nullable=True),
        sa.Column("doc_ref", sa.String(64), nullable=True),
        sa.Column("offset", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("errors_json", sa.Text(), nullable=True),
        sa.Column("ack_code", sa.String(2), nullable=True),
        sa.Column("ack_message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_message_file_id", "message", ["file_id"])
    op.create_index("ix_message_parent_id", "message", ["parent_id"])
    op.create_index("ix_message_partner_id", "message", ["partner_id"])
    op.create_index("ix_message_doc_ref", "message", ["doc_ref"])
    op.create_index("ix_message_status_kind", "message", ["status", "kind"])
    op.create_table(
        "message_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_message_event_message_id", "message_event", ["message_id"])
    op.create_table(
        "interchange_key",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sender", sa.String(40), nullable=False),
        sa.Column("isa13", sa.String(16), nullable=False),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=False),
        sa.UniqueConstraint("sender", "isa13", name="uq_interchange_key"),
    )
    op.create_table(
        "control_counter",
        sa.Column("partner_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("last_value", sa.Integer(), nullable=False),
    )
    op.create_table(
        "outbound_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("message_id", sa.Integer(), sa.ForeignKey("message.id"), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("archive_path", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("delivered_to", sa.String(255), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbound_file_message_id", "outbound_file", ["message_id"])


def downgrade() -> None:
    for table in ("outbound_file", "control_counter", "interchange_key", "message_event", "message",
                  "received_file"):
        op.drop_table(table)
