"""erp_core: BOM revisions, inventory, work-centre capacity and the order line's BOM link.

Revision ID: e0003
Revises: e0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

revision: str = "e0003"
down_revision: str | None = "e0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
