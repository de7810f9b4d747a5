"""Partners named by identifiers inside XML documents (cXML credentials, UBL endpoint ids)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from erp_fixtures import add_acme
from sqlmodel import Session

from erp_core.db import make_engine, upgrade
from erp_core.errors import AlreadyExistsError, NotFoundError
from erp_core.services import partners
from erp_core.services.partner_doc_ids import (
    add_partner_doc_id,
    find_partner_by_doc_id,
    partner_doc_ids,
    remove_partner_doc_id,
)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'erp.db'}")
    upgrade(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_doc_ids_find_their_partner_and_schemes_ignore_case(session: Session) -> None:
    add_acme(session)
    add_partner_doc_id(session, "acme", "NetworkID", "AN01000000001")
    add_partner_doc_id(session, "acme", "0088", "5790000435951")
    session.commit()
    found = find_partner_by_doc_id(session, "networkid", "AN01000000001")
    assert found is not None and found.id == "acme"
    assert find_partner_by_doc_id(session, "NetworkID", "AN01000000002") is None
    assert find_partner_by_doc_id(session, "", "") is None
    assert partner_doc_ids(session, "acme") == ["0088:5790000435951", "networkid:AN01000000001"]


def test_a_doc_id_belongs_to_one_partner_and_can_be_removed(session: Session) -> None:
    add_acme(session)
    partners.add_partner(session, "globex", name="Globex")
    add_partner_doc_id(session, "acme", "DUNS", "123456789")
    with pytest.raises(AlreadyExistsError):
        add_partner_doc_id(session, "globex", "duns", "123456789")
    with pytest.raises(NotFoundError):
        add_partner_doc_id(session, "nobody", "duns", "987654321")
    remove_partner_doc_id(session, "DUNS", "123456789")
    assert find_partner_by_doc_id(session, "duns", "123456789") is None
    with pytest.raises(NotFoundError):
        remove_partner_doc_id(session, "DUNS", "123456789")
    with pytest.raises(ValueError, match="needs a scheme"):
        add_partner_doc_id(session, "acme", " ", "x")
