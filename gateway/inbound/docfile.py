"""Process an XML or CSV file: map its documents, apply them to the ERP core, answer them.

The whole file is one unit of work: its document rows, what the ERP core made of
them and the answers due are committed together (each document inside its own
savepoint, so one refused document leaves its neighbours booked). A file that cannot
be read at all, or whose sender is not a partner, ends in error or refused with a
coded reason; its raw bytes stay archived for a reprocess.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from edi.detect import DetectedFormat
from edi.errors import EdiError
from edi.mapping import MapResult
from erp_core.services.partner_doc_ids import find_partner_by_doc_id
from gateway.context import Context
from gateway.evaluate_doc import DocEvaluation, evaluate_document
from gateway.inbound.handlers import BOOKED, DUPLICATE, Applied, handler_for
from gateway.ledger import store
from gateway.ledger.models import ERROR, PROCESSED, RECEIVED, REFUSED, Message, ReceivedFile
from gateway.ledger.store import SetRow

LABELS = {"xml": "XML", "csv": "CSV"}


@dataclass(slots=True)
class DocOutcome:
    rows: list[SetRow]
    applied: list[Applied | None]
    errors: list[EdiError]  # file-level
    kind: str = "xml"  # "xml" | "csv"
    root_tag: str | None = None  # the XML root ({uri}local), for the reply format
    partner_id: str | None = None


def partner_lookup(session: Session):  # noqa: ANN201 - a closure over the session
    def partner_of(sender: str) -> str | None:
        scheme, _, value = sender.partition(":")
        partner = find_partner_by_doc_id(session, scheme, value) if value else None
        return partner.id if partner is not None else None
    return partner_of


def process_document_file(ctx: Context, session: Session, row: ReceivedFile, file_message: Message,
                          detected: DetectedFormat) -> DocOutcome:
    data = ctx.archive.path(row.archive_path).read_bytes()
    evaluation = evaluate_document(data, row.name, detected, ctx.mappings, partner_id=file_message.partner_id,
                                   partner_of=partner_lookup(session))
    root = evaluation.mapping.root_tag if evaluation.mapping is not None else None
    if evaluation.errors:
        return DocOutcome([], [], evaluation.errors, detected.kind, root, evaluation.partner_id)
    if evaluation.partner_id is None:
        return DocOutcome([], [], [_unknown_partner(row, evaluation)], detected.kind, root)
    file_message.partner_id = evaluation.partner_id
    rows = [_row(row, file_message, evaluation, index, result) for index, result in enumerate(evaluation.results)]
    applied = [_apply(session, evaluation.partner_id, r, result) for r, result in zip(rows, evaluation.results,
                                                                                       strict=True)]
    store.insert_set_rows(session, rows, None)
    return DocOutcome(rows, applied, [], detected.kind, root, evaluation.partner_id)


def _unknown_partner(row: ReceivedFile, evaluation: DocEvaluation) -> EdiError:
    senders = sorted({r.document.envelope.sender_id for r in evaluation.results if r.document is not None})
    named = f"it names {', '.join(senders)}" if senders else "it names no sender"
    return EdiError("PARTNER_UNKNOWN", f"{row.name}: no partner is known for this file ({named}; register it "
                    "with 'edipulse partners add ID --doc-id SCHEME:VALUE', or drop the file into inbox/<partner>/)")


def _row(file: ReceivedFile, message: Message, evaluation: DocEvaluation, index: int, result: MapResult) -> SetRow:
    document = result.document
    envelope = getattr(document, "envelope", None)
    ref = getattr(document, "po_number", None) or getattr(document, "item", None)
    history = [RECEIVED, "parsed"] + (["mapped"] if document is not None else [ERROR])
    return SetRow(
        parent_id=message.id or 0, file_id=file.id or 0, partner_id=evaluation.partner_id,
        sender=envelope.sender_id[:40] if envelope else "", receiver=envelope.receiver_id[:40] if envelope else "",
        isa13="", gs06="", st02=(envelope.set_control_number[:16] if envelope else ""),
        set_id=LABELS[evaluation.kind], version=(envelope.version[:16] if envelope else ""), offset=index,
        history=history, errors=list(result.errors), doc_ref=str(ref)[:64] if ref else None)


def _apply(session: Session, partner_id: str, row: SetRow, result: MapResult) -> Applied | None:
    if result.document is None or result.errors:
        return None
    handler = handler_for(result.document)
    if handler is None:
        row.history.append(ERROR)
        row.errors.append(EdiError("DOC_NOT_APPLICABLE", f"{result.document.type} documents are not applied"))
        return None
    applied = handler.apply(session, [(handler.prepare(result.document, partner_id), row)])[0]
    row.history.append(BOOKED if applied.status == BOOKED else DUPLICATE if applied.status == DUPLICATE else ERROR)
    row.errors.extend(applied.errors)
    return applied


def file_status(outcome: DocOutcome) -> str:
    """The file message's final status: refused (no partner), error (unreadable), processed (each document
    row then says what became of it, like the sets of an interchange)."""
    if outcome.errors:
        return REFUSED if outcome.errors[0].code == "PARTNER_UNKNOWN" else ERROR
    return PROCESSED
