"""Alembic environment of the gateway's ledger tables (version table alembic_version_gateway).

The ERP core keeps its own chain in the same database; each chain only sees its own tables.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from gateway.ledger import models
from gateway.migrations.env_filter import include_ledger_object

VERSION_TABLE = "alembic_version_gateway"
config = context.config
target_metadata = models.SQLModel.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        connectable = engine_from_config(config.get_section(config.config_ini_section) or {},
                                         prefix="sqlalchemy.", poolclass=pool.NullPool)
        with connectable.connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, version_table=VERSION_TABLE,
                      include_object=include_ledger_object, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
