"""Queue a document for a partner: archived and recorded as a pending outbound message.

The next ``edipulse run`` round sends it (over AS2 for a partner with an AS2 URL). The
bytes are archived before the ledger row is committed, so what is sent is exactly what
was queued, even if the source file changes afterwards.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from erp_core.services import partners as erp_partners
from gateway.as2.config import as2_out_partners
from gateway.context import Context
from gateway.errors import ConfigError, NotFoundError
from gateway.ledger import store
from gateway.ledger.models import PENDING, Message


def queue_file(ctx: Context, partner_id: str, path: Path) -> Message:
    """Record ``path`` as a pending outbound file for ``partner_id`` (who must have an AS2 route out)."""
    if partner_id not in as2_out_partners(ctx.settings.as2):
        raise ConfigError(f"partner {partner_id} has no AS2 url in as2.partners of the configuration")
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    with open(path, "rb") as fh:
        archived = ctx.archive.store_stream(fh)
    with Session(ctx.engine, expire_on_commit=False) as session:
        if erp_partners.get_partner(session, partner_id) is None:
            raise NotFoundError(f"no partner {partner_id!r} (add it with 'edipulse partners add')")
        message = store.add_message(session, direction="out", kind="file", partner_id=partner_id, status=PENDING,
                                    doc_ref=path.name[-64:])
        store.attach_file(session, message, f"{partner_id}/{path.name}", archived)
        session.commit()
        return message
