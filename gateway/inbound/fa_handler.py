"""Inbound 997/999: a partner's functional acknowledgement of what we sent, reconciled with our sets.

:mod:`gateway.inbound.fa_read` reads the set into an :class:`AckedGroup`; this handler hands
it to :func:`gateway.outbound.reconcile.reconcile` in the group's transaction. FA groups are
never acknowledged back (``gateway.inbound.groups.NO_ACK_GROUPS``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from edi.canonical.base import Document
from edi.errors import EdiError
from gateway.inbound.fa_read import AckedGroup
from gateway.inbound.handlers import BOOKED, FAILED, Applied
from gateway.ledger.store import SetRow
from gateway.outbound.reconcile import AckSource, reconcile


class FaHandler:
    """Reconciles each 997/999 with the sets we sent, one by one, in the group's transaction."""

    batched = False

    def prepare(self, document: Document, partner_id: str) -> object:
        if isinstance(document, AckedGroup):
            document.partner = partner_id
        return document

    def apply(self, session: Session, items: Sequence[tuple[object, SetRow]]) -> list[Applied]:
        applied = []
        for document, row in items:
            if not isinstance(document, AckedGroup):  # prepare() only ever passes AckedGroup documents on
                raise TypeError(f"FaHandler got a {type(document).__name__}")
            source = AckSource(partner_id=row.partner_id or "", interchange_id=row.parent_id, ack_kind=row.set_id,
                               ack_st02=row.st02, isa13=row.isa13)
            result = reconcile(session, source, document)
            ref = f"AK1 {document.functional_id} {document.group_control}"
            # A verdict about a set we never sent is kept as unmatched in fa_receipt; an acknowledgement
            # that matches nothing at all is an error on its own row (FA groups are never answered).
            if result.unmatched and not result.matched:
                applied.append(Applied(FAILED, ref, errors=(EdiError(
                    "FA_UNMATCHED", f"{row.set_id} {ref} from {row.partner_id} answers nothing we sent"),)))
            else:
                unmatched = f": {len(result.unmatched)} unmatched" if result.unmatched else ""
                applied.append(Applied(BOOKED, ref + unmatched))
        return applied
