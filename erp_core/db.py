"""Engines and schema migrations for erp_core.

erp_core's tables live in the same database as the gateway's, each with its own
Alembic chain: erp_core records its revision in ``alembic_version_erp`` and its
migrations only ever see the ``erp_*`` tables (:func:`include_erp_object`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from erp_core.models import ERP_TABLE_NAMES

VERSION_TABLE = "alembic_version_erp"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_S = 30.0

SqliteBegin = Literal["DEFERRED", "IMMEDIATE"]
_SQLITE_BEGIN_SQL: dict[str, str] = {"DEFERRED": "BEGIN DEFERRED", "IMMEDIATE": "BEGIN IMMEDIATE"}
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


def make_engine(url: str, *, sqlite_begin: SqliteBegin = "IMMEDIATE", echo: bool = False) -> Engine:
    """Create an engine for a ``sqlite`` or ``postgresql`` URL, configured for erp_core.

    SQLite connections get WAL (readers never block the writer), enforced foreign
    keys, ``synchronous=NORMAL`` (durable at checkpoints, safe with WAL) and a busy
    timeout. Transactions start with ``BEGIN IMMEDIATE`` by default: a deferred
    transaction that reads and then writes fails with "database is locked" instead
    of waiting when another writer committed in between, which is exactly what two
    booking workers do. The driver's own transaction handling is switched off so
    that SAVEPOINTs work as SQLAlchemy expects.

    ``postgresql://`` URLs are given the psycopg (v3) driver.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, echo=echo, pool_pre_ping=True)
    if backend == "sqlite":
        engine = create_engine(parsed, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
        _configure_sqlite(engine, _SQLITE_BEGIN_SQL[sqlite_begin])
        return engine
    raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")


def _configure_sqlite(engine: Engine, begin_sql: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin_sql)


def include_erp_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic filter: only erp_core's tables and what belongs to them.

    ``SQLModel.metadata`` is shared with the gateway, and the database holds the
    gateway's tables too; without this filter autogenerate would propose dropping or
    creating them.
    """
    if type_ == "table":
        return name in ERP_TABLE_NAMES
    table = getattr(obj, "table", None)
    return table is None or table.name in ERP_TABLE_NAMES


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for erp_core's chain, independent of the working directory.

    With ``connection``, ``env.py`` runs the migrations on it (inside the caller's
    transaction) instead of opening its own.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(target: Engine | str, revision: str = "head") -> None:
    """Run ``alembic upgrade`` for erp_core in one transaction (all or nothing on PostgreSQL)."""
    _run(target, lambda config: command.upgrade(config, revision))


def downgrade(target: Engine | str, revision: str) -> None:
    """Run ``alembic downgrade`` for erp_core in one transaction."""
    _run(target, lambda config: command.downgrade(config, revision))


def current_revision(target: Engine | str) -> str | None:
    """The erp_core revision the database is at, or None before the first upgrade."""
    engine, owned = _engine_for(target)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    finally:
        if owned:
            engine.dispose()


def head_revision() -> str:
    """The newest erp_core revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _run(target: Engine | str, action: Callable[[Config], None]) -> None:
    engine, owned = _engine_for(target)
    try:
        with engine.begin() as connection:
            action(alembic_config(connection))
    finally:
        if owned:
            engine.dispose()


def _engine_for(target: Engine | str) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True
