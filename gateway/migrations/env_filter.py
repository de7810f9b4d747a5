"""What the ledger's migration chain owns in the shared database (the ERP core owns the rest)."""

from __future__ import annotations

from typing import Any

from gateway.ledger.models import LEDGER_TABLES


def include_ledger_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's include_object hook: only the ledger's tables and what belongs to them."""
    del reflected, compare_to  # part of alembic's signature, not needed here
    if type_ == "table":
        return name in LEDGER_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in LEDGER_TABLES
