"""Migration g0003 creates exactly the AS2 ledger tables its models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from erp_fixtures import postgres_database
from sqlmodel import SQLModel

from gateway.as2.models import AS2_TABLES, As2Message, As2ReceivedId
from gateway.db import open_engine, upgrade


def _as2_only(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    del reflected, compare_to
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in AS2_TABLES


def _check(url: str) -> None:
    engine = open_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": _as2_only, "compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
            assert {As2Message.__tablename__, As2ReceivedId.__tablename__} <= set(
                conn.dialect.get_table_names(conn))
    finally:
        engine.dispose()


def test_as2_tables_match_their_models_sqlite(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'ledger.db'}")


@pytest.mark.postgres
def test_as2_tables_match_their_models_postgresql() -> None:
    with postgres_database() as url:
        _check(url)
