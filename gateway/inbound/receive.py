"""Receive a file: archive its raw bytes and record it, durably, before anything else.

Only after this commit may the source be acknowledged (the inbox file removed, the
remote file deleted, the MDN sent).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from edi.errors import EdiError
from gateway.context import Context
from gateway.ledger import store
from gateway.ledger.archive import FileTooLarge
from gateway.ledger.models import RECEIVED, REFUSED, ReceivedFile


def receive_stream(ctx: Context, stream: BinaryIO, name: str, source: str,
                   partner_id: str | None = None, *,
                   also: Callable[[Session, ReceivedFile, int], None] | None = None) -> tuple[ReceivedFile, int]:
    """Archive ``stream`` and commit its ledger rows; returns the file row and its message id.

    ``partner_id``: the partner the transport knows sent it (a partner folder, a channel,
    an AS2 partnership); documents that do not name their sender (CSV) need it.
    ``also(session, row, message_id)`` adds the caller's rows to the same commit (a
    channel's transfer row: a file is recorded together with how it arrived, or not at all).
    """
    archived = ctx.archive.store_stream(stream, limit=ctx.settings.limits.max_file_bytes)
    with Session(ctx.engine, expire_on_commit=False) as session:
        row = ReceivedFile(sha256=archived.sha256, size=archived.size, name=name[:255], source=source,
                           archive_path=archived.relative)
        session.add(row)
        session.flush()
        message = store.add_message(session, direction="in", kind="file", file_id=row.id, status=RECEIVED,
                                    doc_ref=name[-64:], partner_id=partner_id)
        if also is not None:
            also(session, row, message.id or 0)
        session.commit()
        return row, message.id or 0


def receive_path(ctx: Context, path: Path, source: str, *, take: bool = True,
                 partner_id: str | None = None) -> tuple[ReceivedFile, int] | None:
    """Receive a local file. An oversize file is put in quarantine and logged as refused.

    ``take``: the file is ours to move (a spool file); otherwise (a file named on the
    command line) quarantine gets a copy and the original stays where it is.
    """
    try:
        with open(path, "rb") as fh:
            return receive_stream(ctx, fh, path.name, source, partner_id)
    except FileTooLarge as exc:
        quarantine = ctx.settings.path("archive") / "quarantine"
        quarantine.mkdir(parents=True, exist_ok=True)
        target = quarantine / path.name
        if take:
            shutil.move(path, target)
        else:
            shutil.copyfile(path, target)
        with Session(ctx.engine) as session:
            error = EdiError("FILE_TOO_LARGE", f"{path.name}: {exc}; moved to {target}")
            store.add_message(session, direction="in", kind="file", status=REFUSED, doc_ref=path.name[-64:],
                              error_code=error.code, error_message=str(error),
                              errors_json=store.errors_json([error]))
            session.commit()
        return None
