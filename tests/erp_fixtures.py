"""Helpers for erp_core tests: throwaway SQLite files and PostgreSQL databases.

PostgreSQL tests run against the server at 127.0.0.1:5432 (trust auth, user
``postgres``): each run creates a database with a random name from the ``test``
maintenance database and drops it afterwards, so runs never see each other's rows.
They skip when the server is not reachable, except under CI (``$CI`` set), where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, SQLModel

from erp_core.db import make_engine, upgrade
from erp_core.inputs import OrderInput, OrderLineInput, PartyInput
from erp_core.models import ERP_TABLE_NAMES
from erp_core.services import items, partners

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
PG_URL_TEMPLATE = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
BACKENDS = ("sqlite", pytest.param("postgresql", marks=pytest.mark.postgres))


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a fresh PostgreSQL database, yield its SQLAlchemy URL, drop it afterwards."""
    if not postgres_available():
        if os.environ.get("CI"):  # .ci/run starts the server: its absence there is a failure, not a skip
            pytest.fail("PostgreSQL is not reachable at 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable at 127.0.0.1:5432")
    name = f"erp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PG_URL_TEMPLATE.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def database_url(backend: str, tmp_dir: Path) -> Iterator[str]:
    """A URL of an empty database of ``backend`` that exists for the duration of the block."""
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_dir / 'erp.db'}"


def clear_erp_tables(engine: Engine) -> None:
    """Delete every erp_core row (children first) so a shared database starts each test empty."""
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if t.name in ERP_TABLE_NAMES]
    with engine.begin() as connection:
        for table in tables:
            connection.execute(delete(table))


def add_acme(session: Session) -> None:
    """The partner most tests book for, with one buyer part cross-referenced and one GTIN item."""
    partners.add_partner(session, "acme", name="Acme Medical", x12_ids=[("ZZ", "ACMEMED")])
    items.add_item(session, "WIDGET-1", description="Widget, sterile", uom="EA", gtin="00036000291452")
    items.add_item(session, "GASKET-7", description="Gasket 7mm", uom="EA")
    items.add_xref(session, "acme", "ACME-G7", "GASKET-7")


def make_order(
    po_number: str, *, partner_id: str = "acme", lines: int = 3, source_ref: str | None = None
) -> OrderInput:
    """An order whose lines cycle through: xref-resolvable, GTIN-resolvable, unknown part."""
    kinds: Sequence[dict[str, str]] = (
        {"buyer_part": "ACME-G7"},
        {"buyer_part": "ACME-W1", "gtin": "036000291452"},
        {"buyer_part": "NOPE-1", "vendor_part": "UNKNOWN"},
    )
    return OrderInput(
        partner_id=partner_id,
        po_number=po_number,
        order_date=date(2025, 11, 20),
        currency="USD",
        ship_to=PartyInput(name="Acme DC 4", id_qualifier="92", id_code="DC4", city="Memphis", state="TN"),
        bill_to=PartyInput(name="Acme Medical AP", address1="1 Main St", postal_code="02110"),
        lines=tuple(
            OrderLineInput(
                buyer_line_ref=str(n),
                quantity=Decimal(n) + Decimal("0.5"),
                uom="EA",
                unit_price=Decimal("12.345678"),
                requested_date=date(2025, 12, 1),
                **kinds[(n - 1) % len(kinds)],
            )
            for n in range(1, lines + 1)
        ),
        source_ref=source_ref,
    )


# -- fixtures shared by the erp_core test modules (import them by name) -----------------


@pytest.fixture(scope="module", params=BACKENDS)
def migrated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database per backend for the module."""
    with database_url(request.param, tmp_path_factory.mktemp("erp")) as url:
        engine = make_engine(url)
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def engine(migrated: Engine) -> Engine:
    clear_erp_tables(migrated)
    return migrated


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on a database holding partner acme and its items (committed)."""
    with Session(engine) as session:
        add_acme(session)
        session.commit()
        yield session


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()[0]  # type: ignore[call-overload]
