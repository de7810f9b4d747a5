"""Items and partner part-number cross-references."""

from __future__ import annotations

from pydantic import TypeAdapter
from sqlmodel import Session, select

from erp_core.errors import NotFoundError
from erp_core.gtin import normalize_gtin
from erp_core.inputs import ItemInput, PartNumber
from erp_core.models import Item, ItemXref, Partner
from erp_core.services._savepoint import insert_unique

_PART_ADAPTER: TypeAdapter[str] = TypeAdapter(PartNumber)


def add_item(session: Session, item_number: str, *, description: str, uom: str = "EA", gtin: str | None = None) -> Item:
    """Create an item; ``AlreadyExistsError`` if the item number or the GTIN is taken."""
    data = ItemInput(item_number=item_number, description=description, uom=uom, gtin=gtin)
    item = Item(item_number=data.item_number, description=data.description, uom=data.uom, gtin=data.gtin)
    insert_unique(session, item, f"item {data.item_number!r} or GTIN {data.gtin}")
    return item


def get_item(session: Session, item_number: str) -> Item | None:
    """The item with our item number ``item_number``, or None."""
    return session.exec(select(Item).where(Item.item_number == item_number.strip())).first()


def find_item_by_gtin(session: Session, gtin: str) -> Item | None:
    """The item with this GTIN (any of GTIN-8/12/13/14 forms), or None."""
    return session.exec(select(Item).where(Item.gtin == normalize_gtin(gtin))).first()


def list_items(session: Session, *, limit: int = 1000, offset: int = 0) -> list[Item]:
    """Items ordered by item number, one page at a time."""
    statement = select(Item).order_by(Item.item_number).offset(offset).limit(limit)
    return list(session.exec(statement).all())


def add_xref(session: Session, partner_id: str, customer_part: str, item_number: str) -> ItemXref:
    """Record that ``partner_id`` calls our ``item_number`` ``customer_part``.

    One customer part maps to one item per partner (``AlreadyExistsError`` otherwise);
    several customer parts may map to the same item.
    """
    part = _part_number(customer_part)
    if session.get(Partner, partner_id) is None:
        raise NotFoundError(f"partner {partner_id!r} does not exist")
    item = require_item(session, item_number)
    xref = ItemXref(partner_id=partner_id, customer_part=part, item_id=item.id)
    insert_unique(session, xref, f"cross-reference {partner_id}/{part}")
    return xref


def list_xrefs(session: Session, partner_id: str) -> list[tuple[ItemXref, Item]]:
    """A partner's cross-references with the items they point to, by customer part."""
    statement = (
        select(ItemXref, Item)
        .join(Item, Item.id == ItemXref.item_id)
        .where(ItemXref.partner_id == partner_id)
        .order_by(ItemXref.customer_part)
    )
    return [(xref, item) for xref, item in session.exec(statement).all()]


def remove_xref(session: Session, partner_id: str, customer_part: str) -> None:
    """Delete one cross-reference; ``NotFoundError`` if it does not exist.

    Order lines already resolved through it keep their item.
    """
    xref = session.get(ItemXref, (partner_id, _part_number(customer_part)))
    if xref is None:
        raise NotFoundError(f"no cross-reference {partner_id}/{customer_part}")
    session.delete(xref)
    session.flush()


def require_item(session: Session, item_number: str) -> Item:
    """The item with our item number, or ``NotFoundError``."""
    item = get_item(session, item_number)
    if item is None:
        raise NotFoundError(f"item {item_number!r} does not exist")
    return item


def _part_number(value: str) -> str:
    return _PART_ADAPTER.validate_python(value)
