"""erp_core's Alembic chain: it builds exactly the schema the models declare, on both backends."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from erp_fixtures import BACKENDS, database_url
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, inspect
from sqlalchemy.schema import DropIndex
from sqlmodel import SQLModel

import erp_core
from erp_core.db import (
    VERSION_TABLE,
    current_revision,
    downgrade,
    head_revision,
    include_erp_object,
    make_engine,
    upgrade,
)
from erp_core.models import ERP_TABLE_NAMES

ALEMBIC_INI = Path(erp_core.__file__).resolve().parent / "alembic.ini"


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (fresh per test)."""
    with database_url(request.param, tmp_path) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def schema_differences(engine: Engine, metadata: MetaData = SQLModel.metadata) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_erp_object, "compare_type": True}
        )
        return list(compare_metadata(context, metadata))


def gateway_like_table(metadata: MetaData) -> Table:
    """A table that is not erp_core's, as the gateway's ledger would add one."""
    return Table("gw_message", metadata, Column("id", Integer, primary_key=True), Column("status", String(16)))


def test_upgrade_builds_exactly_the_declared_schema(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert schema_differences(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert tables >= ERP_TABLE_NAMES
    assert VERSION_TABLE in tables
    assert "alembic_version" not in tables  # the gateway's chain keeps that name for itself


def test_comparison_detects_a_schema_that_drifted(engine: Engine) -> None:
    upgrade(engine)
    item_index = next(i for i in SQLModel.metadata.tables["erp_item_xref"].indexes)
    with engine.begin() as connection:
        connection.execute(DropIndex(item_index))
    differences = schema_differences(engine)
    assert [d[0] for d in differences] == ["add_index"]  # type: ignore[index]
    assert differences[0][1].name == "ix_erp_item_xref_item_id"  # type: ignore[index]


def test_other_tables_in_metadata_and_database_are_ignored(engine: Engine) -> None:
    upgrade(engine)
    gateway_metadata = MetaData()
    gateway_like_table(gateway_metadata).create(engine)  # in the database, unknown to erp_core
    combined = MetaData()
    for name in ERP_TABLE_NAMES:
        SQLModel.metadata.tables[name].to_metadata(combined)
    Table("gw_outbox", combined, Column("id", Integer, primary_key=True))  # declared, never created
    assert schema_differences(engine, combined) == []


def test_downgrade_to_base_removes_only_erp_tables_and_upgrade_again(engine: Engine) -> None:
    upgrade(engine)
    gateway_like_table(MetaData()).create(engine)
    downgrade(engine, "base")
    remaining = set(inspect(engine).get_table_names())
    assert remaining.isdisjoint(ERP_TABLE_NAMES)
    assert "gw_message" in remaining
    assert current_revision(engine) is None
    upgrade(engine)
    assert schema_differences(engine) == []


def test_upgrade_by_url_from_another_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    url = f"sqlite:///{tmp_path / 'by-url.db'}"
    upgrade(url)
    assert current_revision(url) == head_revision()
    assert list(elsewhere.iterdir()) == []  # nothing written relative to the cwd


def test_command_line_config_renders_reviewable_ddl(tmp_path: Path) -> None:
    buffer = io.StringIO()
    config = Config(str(ALEMBIC_INI), output_buffer=buffer)
    config.set_main_option("sqlalchemy.url", f"sqlite:///{tmp_path / 'offline.db'}")
    command.upgrade(config, "head", sql=True)
    ddl = buffer.getvalue()
    assert "CREATE TABLE erp_sales_order_line" in ddl
    assert "CONSTRAINT uq_erp_sales_order_partner_po UNIQUE (partner_id, po_number)" in ddl
    assert f"CREATE TABLE {VERSION_TABLE}" in ddl
    assert not (tmp_path / "offline.db").exists()  # offline mode only prints
