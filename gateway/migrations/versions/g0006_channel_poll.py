"""channel_poll: when each channel's last successful inbound poll started (channel_state.last_polled_at)

Revision ID: g0006
Revises: g0005
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "g0006"
down_revision = "g0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_state") as batch:
        batch.add_column(sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_state") as batch:
        batch.drop_column("last_polled_at")
