"""Trading partners and the interchange addresses (ISA05/ISA06) that identify them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select

from erp_core.errors import InUseError, NotFoundError
from erp_core.inputs import PartnerInput, PartnerUpdate, X12AddressInput
from erp_core.models import AckPreference, Partner, PartnerX12Id
from erp_core.services._savepoint import insert_unique


def add_partner(
    session: Session,
    partner_id: str,
    *,
    name: str,
    x12_ids: Sequence[tuple[str, str]] = (),
    gs_id: str | None = None,
    ack_preference: AckPreference = "auto",
) -> Partner:
    """Create a partner with its interchange addresses, given as (qualifier, id) pairs.

    ``AlreadyExistsError`` if the slug or one of the addresses is taken; nothing is
    left behind in that case (the inserts share one SAVEPOINT).
    """
    data = PartnerInput(
        partner_id=partner_id,
        name=name,
        x12_ids=tuple(X12AddressInput(qualifier=q, x12_id=i) for q, i in x12_ids),
        gs_id=gs_id,
        ack_preference=ack_preference,
    )
    partner = Partner(id=data.partner_id, name=data.name, gs_id=data.gs_id, ack_preference=data.ack_preference)
    partner.x12_ids = [PartnerX12Id(qualifier=a.qualifier, x12_id=a.x12_id) for a in data.x12_ids]
    addresses = ", ".join(f"{a.qualifier}:{a.x12_id}" for a in data.x12_ids)
    insert_unique(session, partner, f"partner {data.partner_id!r} or one of its X12 ids ({addresses})")
    return partner


def partner_record(partner: Partner) -> dict[str, object]:
    """A JSON-ready summary of a partner (for listings and APIs); loads its X12 ids if needed."""
    return {
        "id": partner.id,
        "name": partner.name,
        "x12_ids": [f"{a.qualifier}:{a.x12_id}" for a in sorted(partner.x12_ids, key=_address_key)],
        "gs_id": partner.gs_id,
        "ack_preference": partner.ack_preference,
        "created_at": partner.created_at.isoformat(),
    }


def get_partner(session: Session, partner_id: str) -> Partner | None:
    """The partner with slug ``partner_id``, or None."""
    return session.get(Partner, partner_id)


def list_partners(session: Session) -> list[Partner]:
    """All partners with their X12 ids loaded, ordered by slug."""
    statement = select(Partner).order_by(Partner.id).options(selectinload(Partner.x12_ids))  # type: ignore[arg-type]
    return list(session.exec(statement).all())


def update_partner(
    session: Session,
    partner_id: str,
    *,
    name: str | None = None,
    gs_id: str | None = None,
    ack_preference: AckPreference | None = None,
) -> Partner:
    """Change a partner's name, GS id or acknowledgement preference (None = unchanged)."""
    changes = PartnerUpdate(name=name, gs_id=gs_id, ack_preference=ack_preference)
    partner = _require_partner(session, partner_id)
    for field, value in changes.model_dump(exclude_none=True).items():
        setattr(partner, field, value)
    session.add(partner)
    session.flush()
    return partner


def delete_partner(session: Session, partner_id: str) -> None:
    """Delete a partner with its X12 addresses and part cross-references.

    Refused with ``InUseError`` once orders were booked for it: order history must
    keep its partner.
    """
    partner = _require_partner(session, partner_id)
    try:
        with session.begin_nested():
            session.delete(partner)
    except IntegrityError as exc:
        raise InUseError(f"partner {partner_id!r} has orders and cannot be deleted") from exc


def add_partner_x12_id(session: Session, partner_id: str, qualifier: str, x12_id: str) -> PartnerX12Id:
    """Give a partner another interchange address; each address belongs to one partner only."""
    address = X12AddressInput(qualifier=qualifier, x12_id=x12_id)
    _require_partner(session, partner_id)
    row = PartnerX12Id(partner_id=partner_id, qualifier=address.qualifier, x12_id=address.x12_id)
    insert_unique(session, row, f"X12 id {address.qualifier}/{address.x12_id}")
    return row


def remove_partner_x12_id(session: Session, qualifier: str, x12_id: str) -> None:
    """Forget an interchange address; ``NotFoundError`` if it is not registered."""
    address = X12AddressInput(qualifier=qualifier, x12_id=x12_id)
    row = session.get(PartnerX12Id, (address.qualifier, address.x12_id))
    if row is None:
        raise NotFoundError(f"X12 id {address.qualifier}/{address.x12_id} is not registered")
    session.delete(row)
    session.flush()


def find_partner_by_x12(session: Session, qualifier: str, x12_id: str) -> Partner | None:
    """The partner owning interchange address ``qualifier``/``x12_id`` (ISA05/06 or ISA07/08).

    Both values are compared without the padding spaces ISA fields carry.
    """
    statement = (
        select(Partner)
        .join(PartnerX12Id, PartnerX12Id.partner_id == Partner.id)
        .where(PartnerX12Id.qualifier == qualifier.strip(), PartnerX12Id.x12_id == x12_id.strip())
    )
    return session.exec(statement).first()


def _require_partner(session: Session, partner_id: str) -> Partner:
    partner = session.get(Partner, partner_id)
    if partner is None:
        raise NotFoundError(f"partner {partner_id!r} does not exist")
    return partner


def _address_key(address: PartnerX12Id) -> tuple[str, str]:
    return (address.qualifier, address.x12_id)
