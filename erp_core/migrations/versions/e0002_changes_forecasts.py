"""erp_core: order revisions, line change history and forecasts.

Revision ID: e0002
Revises: e0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "e0002"
down_revision: str | None = "e0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
