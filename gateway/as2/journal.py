"""Writing AS2 transfers into the ledger: the AS2 row, the ledger message it concerns, the archived MDN.

AS2 codes are not X12 codes, so a refused AS2 message is recorded like a refused file:
a ledger ``message`` (kind ``file``, status ``refused`` or ``duplicate``) carrying the
AS2 code, visible with ``edipulse messages --status refused``; the ``as2_message`` row
beside it keeps the AS2 identifiers, the MIC and the MDN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlmodel import Session

from gateway.as2.models import As2Message
from gateway.ledger import store
from gateway.ledger.archive import Archive
from gateway.ledger.models import Message, MessageEvent, utcnow
from transports.as2.mime import build_entity, parse_entity


def archive_mdn(archive: Archive, headers: Mapping[str, str], body: bytes) -> str:
    """Archive an MDN as one MIME entity (its HTTP headers, a blank line, its body); returns the path."""
    return archive.store_bytes(build_entity(list(headers.items()), body)).relative


def load_mdn(archive: Archive, relative: str) -> tuple[dict[str, str], bytes]:
    """An archived MDN back as HTTP headers and body (to post it again)."""
    entity = parse_entity(archive.path(relative).read_bytes())
    return {name: str(value) for name, value in entity.headers.items()}, entity.body


def as2_errors_json(code: str, message: str) -> str:
    """The ledger's errors list for one AS2 code (same shape as an EDI error's ``to_dict``)."""
    return json.dumps([{"code": code, "message": message}])


def add_refused_message(session: Session, *, status: str, partner_id: str | None, as2_message_id: str,
                        code: str, message: str) -> Message:
    """A ledger row for an AS2 message that was not stored (or was a replay)."""
    return store.add_message(session, direction="in", kind="file", status=status, partner_id=partner_id,
                             doc_ref=as2_message_id[:64], error_code=code, error_message=f"{code}: {message}",
                             errors_json=as2_errors_json(code, message))


def touch(row: As2Message, **changes: object) -> None:
    """Apply ``changes`` to an AS2 row and stamp it."""
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = utcnow()


def move_message(session: Session, message: Message, status: str, *, code: str | None = None,
                 text: str | None = None, detail: str | None = None) -> None:
    """Move a ledger message like :func:`gateway.ledger.store.move`, with an AS2 (not X12) error code."""
    message.status = status
    message.updated_at = utcnow()
    message.error_code = code
    message.error_message = f"{code}: {text}" if code else None
    message.errors_json = as2_errors_json(code, text or "") if code else None
    session.add(message)
    session.add(MessageEvent(message_id=message.id, status=status, detail=detail or message.error_message))
