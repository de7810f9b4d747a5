"""Dry-run translation: read a file (X12, XML or CSV), validate and map every document, write nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from edi.detect import DetectedFormat, detect
from edi.errors import EdiError
from edi.x12.isa_fields import check_isa_fields
from edi.x12.model import FileError, GroupEnd, InterchangeEnd, InterchangeHeader, TransactionSet
from edi.x12.reader import read_events
from gateway.evaluate import evaluate_set
from gateway.evaluate_doc import PartnerOf, evaluate_document
from gateway.mappings import MappingResolver

PartnerLookup = Callable[[str, str], str | None]


@dataclass(slots=True)
class TranslateReport:
    documents: list[dict[str, object]] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)
    explain: list[dict[str, object]] = field(default_factory=list)

    def add_errors(self, errors: list[EdiError], **where: object) -> None:
        self.errors.extend({**where, **e.to_dict()} for e in errors)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"documents": self.documents, "errors": self.errors}
        if self.explain:
            data["explain"] = self.explain
        return data


def translate_file(path: Path, resolver: MappingResolver, *, partner_id: str | None = None,
                   partner_lookup: PartnerLookup | None = None, doc_partner_lookup: PartnerOf | None = None,
                   explain: bool = False) -> TranslateReport:
    with open(path, "rb") as fh:
        detected = detect(fh.read(8192))
    if detected.kind in ("xml", "csv"):
        return _translate_document(path, detected, resolver, partner_id, doc_partner_lookup, explain)
    report = TranslateReport()
    partner = partner_id
    for event in read_events(path):
        if isinstance(event, TransactionSet):
            _translate_set(event, resolver, partner, explain, report)
        elif isinstance(event, InterchangeHeader):
            report.add_errors(check_isa_fields(event), isa13=event.control_number)
            partner = partner_id or (partner_lookup(event.sender_qualifier, event.sender_id)
                                     if partner_lookup else None)
        elif isinstance(event, GroupEnd):
            report.add_errors(event.errors, isa13=event.header.interchange.control_number,
                              gs06=event.header.control_number)
        elif isinstance(event, InterchangeEnd):
            report.add_errors(event.errors, isa13=event.header.control_number)
        elif isinstance(event, FileError):
            report.add_errors([event.error])
    return report


def _translate_set(tx: TransactionSet, resolver: MappingResolver, partner: str | None, explain: bool,
                   report: TranslateReport) -> None:
    evaluation = evaluate_set(tx, resolver, partner, explain=explain)
    where = {"isa13": tx.interchange.control_number, "gs06": tx.group.control_number, "st02": tx.control_number,
             "set_id": tx.id}
    if evaluation.errors:
        report.add_errors(evaluation.errors, **where)
        return
    document = evaluation.document
    report.documents.append(document.to_json_dict())  # type: ignore[union-attr]
    if explain:
        files = [str(f) for f in evaluation.mapping.source_files] if evaluation.mapping else []
        report.explain.append({**where, "mapping_files": files,
                               "fields": [trace.to_dict() for trace in evaluation.explain]})


def _translate_document(path: Path, detected: DetectedFormat, resolver: MappingResolver, partner_id: str | None,
                        partner_of: PartnerOf | None, explain: bool) -> TranslateReport:
    report = TranslateReport()
    evaluation = evaluate_document(path.read_bytes(), path.name, detected, resolver, partner_id=partner_id,
                                   partner_of=partner_of or (lambda _sender: None), explain=explain)
    report.add_errors(evaluation.errors)
    files = [str(f) for f in evaluation.mapping.source_files] if evaluation.mapping else []
    for index, result in enumerate(evaluation.results):
        where = {"document": index + 1, "format": detected.kind}
        if result.errors or result.document is None:
            report.add_errors(list(result.errors), **where)
            continue
        report.documents.append(result.document.to_json_dict())
        if explain:
            report.explain.append({**where, "mapping_files": files,
                                   "fields": [trace.to_dict() for trace in result.explain]})
    return report
