"""The ledger's own migration chain matches its models, beside the ERP core's chain."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from gateway.db import open_engine, upgrade
from gateway.ledger import models
from gateway.migrations.env_filter import include_ledger_object


def test_ledger_migration_matches_models(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": include_ledger_object,
                                                         "compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
        tables = set(inspect(conn).get_table_names())
    assert set(models.LEDGER_TABLES) <= tables
    assert {"alembic_version_gateway", "alembic_version_erp"} <= tables
    engine.dispose()


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'again.db'}")
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        assert "message" in inspect(conn).get_table_names()
    engine.dispose()
