"""Database wiring: one engine for the ERP core and the ledger, both migration chains."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from erp_core import db as erp_db

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def open_engine(url: str) -> Engine:
    """Engine with the ERP core's connection settings (WAL, foreign keys, busy timeout on SQLite)."""
    if url.startswith("sqlite:///") and not url.endswith(":memory:"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return erp_db.make_engine(url)


def upgrade(engine: Engine) -> None:
    """Bring both schemas to head: the ERP core first (the ledger refers to partners by id)."""
    erp_db.upgrade(engine)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
