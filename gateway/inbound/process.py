"""Process an archived file: read its events and hand them to the interchange processor."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from edi.detect import DetectedFormat, detect
from edi.errors import EdiError
from edi.x12.model import FileError, GroupEnd, GroupHeader, InterchangeEnd, InterchangeHeader, TransactionSet
from edi.x12.reader import read_events
from gateway.context import Context
from gateway.gc_tuning import bulk_allocation
from gateway.inbound.docfile import LABELS, file_status, process_document_file
from gateway.inbound.interchange import InterchangeProcessor
from gateway.ledger import claims, store
from gateway.ledger.models import ERROR, PROCESSED, Message, ReceivedFile, utcnow
from gateway.outbound.doc_replies import create_doc_replies

DOCUMENT_KINDS = frozenset({"xml", "csv"})
SNIFF_BYTES = 8192


@dataclass(slots=True)
class FileOutcome:
    file_id: int
    interchanges: list[int] = field(default_factory=list)  # interchange message ids
    errors: list[EdiError] = field(default_factory=list)  # file-level errors


def process_file(ctx: Context, file_id: int, *, only_offset: int | None = None,
                 worker: str | None = None, redo_finished: bool = False) -> FileOutcome:
    """Process every interchange of the file (or only the one at ``only_offset``).

    ``worker`` holds the file's claim; it is renewed after every interchange. Interchanges
    that already reached a final status are skipped unless ``redo_finished`` (reprocess).
    """
    outcome = FileOutcome(file_id)
    with bulk_allocation(), Session(ctx.engine, expire_on_commit=False) as session:
        row = session.get(ReceivedFile, file_id)
        if row is None:
            raise LookupError(f"no received file #{file_id}")
        file_message = _file_message(session, file_id)
        detected = _detect(ctx, row)
        if detected.kind in DOCUMENT_KINDS:
            _process_documents(ctx, session, row, file_message, detected, outcome)
            return outcome
        processor = InterchangeProcessor(ctx, session, file_id, file_message.id or 0,
                                         redo_finished=redo_finished)
        selected = only_offset is None
        path = ctx.archive.path(row.archive_path)
        for event in read_events(path, max_set_segments=ctx.settings.limits.max_set_segments):
            if isinstance(event, InterchangeHeader) and only_offset is not None:
                selected = event.offset == only_offset
            if isinstance(event, FileError):
                outcome.errors.append(event.error)
            elif selected:
                _dispatch(processor, event)
                if worker and isinstance(event, InterchangeEnd):
                    claims.renew(session, file_id, worker)
                    session.commit()
        outcome.interchanges = [m.id for m in processor.interchanges if m.id is not None]
        _close_file(session, row, file_message, outcome.errors)
    return outcome


def _detect(ctx: Context, row: ReceivedFile) -> DetectedFormat:
    with open(ctx.archive.path(row.archive_path), "rb") as fh:
        return detect(fh.read(SNIFF_BYTES))


def _process_documents(ctx: Context, session: Session, row: ReceivedFile, file_message: Message,
                       detected: DetectedFormat, outcome: FileOutcome) -> None:
    """An XML or CSV file: its documents are applied and answered in one transaction."""
    result = process_document_file(ctx, session, row, file_message, detected)
    create_doc_replies(ctx, session, file_message, result)
    outcome.errors.extend(result.errors)
    _close_file(session, row, file_message, result.errors, file_status(result),
                detail=f"{len(result.rows)} {LABELS[detected.kind]} document(s)")


def _dispatch(processor: InterchangeProcessor, event: object) -> None:
    if isinstance(event, TransactionSet):
        processor.transaction_set(event)
    elif isinstance(event, InterchangeHeader):
        processor.start(event)
    elif isinstance(event, GroupHeader):
        processor.start_group(event)
    elif isinstance(event, GroupEnd):
        processor.end_group(event)
    elif isinstance(event, InterchangeEnd):
        processor.finish(event)


def _file_message(session: Session, file_id: int) -> Message:
    message = session.execute(select(Message).where(Message.file_id == file_id, Message.kind == "file")
                              .order_by(Message.id)).scalars().first()
    if message is None:  # a file received before file rows existed, or recorded by hand
        message = store.add_message(session, direction="in", kind="file", file_id=file_id, status="received")
        session.commit()
    return message


def _close_file(session: Session, row: ReceivedFile, message: Message, errors: list[EdiError],
                status: str | None = None, detail: str | None = None) -> None:
    """Release the file and move its message to ``status`` (default: error with errors, else processed).

    The file row only knows processed or error: a refused file (``status`` refused) is an error there.
    """
    status = status or (ERROR if errors else PROCESSED)
    row.status = PROCESSED if status == PROCESSED else ERROR
    row.processed_at = utcnow()
    row.claimed_by = None
    if errors:
        row.error_code = errors[0].code
        row.error_message = str(errors[0])
    session.add(row)
    store.move(session, message, status, errors=errors, detail=detail)
    session.commit()
