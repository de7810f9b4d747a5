"""Identifiers that name a partner inside XML documents (cXML credentials, UBL endpoint ids).

X12 partners are found by their interchange address (``partners.find_partner_by_x12``);
XML documents carry other identifiers: a cXML ``Credential`` (domain + identity) or a
UBL ``EndpointID``/``PartyIdentification`` (scheme + value). Each (scheme, value)
belongs to one partner. Values are compared exactly; schemes case-insensitively.
"""

from __future__ import annotations

from sqlmodel import Session, select

from erp_core.errors import NotFoundError
from erp_core.models import Partner, PartnerDocId
from erp_core.services._savepoint import insert_unique


def _clean(scheme: str, value: str) -> tuple[str, str]:
    scheme, value = scheme.strip(), value.strip()
    if not scheme or not value or len(scheme) > 40 or len(value) > 80:
        raise ValueError(f"document id {scheme!r}:{value!r} needs a scheme (<= 40 chars) and a value (<= 80 chars)")
    return scheme.lower(), value


def add_partner_doc_id(session: Session, partner_id: str, scheme: str, value: str) -> PartnerDocId:
    """Let documents naming ``scheme``/``value`` identify ``partner_id``."""
    scheme, value = _clean(scheme, value)
    if session.get(Partner, partner_id) is None:
        raise NotFoundError(f"partner {partner_id!r} does not exist")
    row = PartnerDocId(partner_id=partner_id, scheme=scheme, value=value)
    insert_unique(session, row, f"document id {scheme}:{value}")
    return row


def remove_partner_doc_id(session: Session, scheme: str, value: str) -> None:
    scheme, value = _clean(scheme, value)
    row = session.get(PartnerDocId, (scheme, value))
    if row is None:
        raise NotFoundError(f"document id {scheme}:{value} is not registered")
    session.delete(row)
    session.flush()


def find_partner_by_doc_id(session: Session, scheme: str, value: str) -> Partner | None:
    """The partner a document names with ``scheme``/``value``, or None (also for an empty id)."""
    try:
        scheme, value = _clean(scheme, value)
    except ValueError:
        return None
    statement = (select(Partner).join(PartnerDocId, PartnerDocId.partner_id == Partner.id)
                 .where(PartnerDocId.scheme == scheme, PartnerDocId.value == value))
    return session.exec(statement).first()


def partner_doc_ids(session: Session, partner_id: str) -> list[str]:
    rows = session.exec(select(PartnerDocId).where(PartnerDocId.partner_id == partner_id)
                        .order_by(PartnerDocId.scheme, PartnerDocId.value)).all()
    return [f"{row.scheme}:{row.value}" for row in rows]
