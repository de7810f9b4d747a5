"""Insert-and-translate helper shared by the CRUD services."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from erp_core.errors import AlreadyExistsError


def insert_unique(session: Session, row: SQLModel, what: str) -> None:
    """Add and flush ``row`` inside a SAVEPOINT; a unique-key clash becomes ``AlreadyExistsError``.

    The savepoint keeps the caller's transaction usable after the clash (PostgreSQL
    aborts the whole transaction on an error otherwise). Only call this after the
    caller checked every foreign key it sets, so that an ``IntegrityError`` here can
    only mean a duplicate key.
    """
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise AlreadyExistsError(f"{what} already exists") from exc
