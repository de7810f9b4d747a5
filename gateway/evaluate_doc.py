"""Read and map one XML or CSV file: the step shared by processing and the dry-run translate.

An XML file is one document; a CSV file is one document per group of rows (its
mapping's ``group_by``). The partner is the one the transport named (a partner folder,
a channel) or, failing that, the one the document names (a cXML credential, a UBL
endpoint id), looked up through ``partner_of``. When the partner has its own mapping
the file is mapped again with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from edi.csvdoc import CsvTable, read_csv
from edi.detect import DetectedFormat, DocumentError
from edi.docmap import CompiledDocMapping
from edi.errors import EdiError
from edi.mapping import MapResult
from edi.xmldoc import XmlDocument, parse_xml
from gateway.mappings import MappingResolver

PartnerOf = Callable[[str], str | None]  # envelope sender "scheme:value" -> partner id


@dataclass(slots=True)
class DocEvaluation:
    kind: str  # "xml" | "csv"
    errors: list[EdiError] = field(default_factory=list)  # file-level: nothing could be mapped
    results: list[MapResult] = field(default_factory=list)  # one per document in the file
    mapping: CompiledDocMapping | None = None
    partner_id: str | None = None


def _file_error(error: DocumentError) -> EdiError:
    extra = {k: str(v) for k, v in error.to_dict().items() if k not in {"code", "message"}}
    return EdiError(error.code, error.message, bad_value=error.bad_value, extra=extra)


def parse_document(data: bytes, name: str, detected: DetectedFormat) -> XmlDocument | CsvTable | EdiError:
    try:
        if detected.kind == "xml":
            return parse_xml(data, name)
        return read_csv(data, name)
    except DocumentError as exc:
        return _file_error(exc)


def evaluate_document(data: bytes, name: str, detected: DetectedFormat, resolver: MappingResolver, *,
                      partner_id: str | None, partner_of: PartnerOf, explain: bool = False) -> DocEvaluation:
    evaluation = DocEvaluation(detected.kind, partner_id=partner_id)
    source = parse_document(data, name, detected)
    if isinstance(source, EdiError):
        evaluation.errors.append(source)
        return evaluation
    key = source.root_tag if isinstance(source, XmlDocument) else source.header
    mapping = resolver.resolve_document(detected.kind, key, partner_id)
    if mapping is None:
        what = f"root {key}" if isinstance(source, XmlDocument) else f"columns {', '.join(source.header)}"
        evaluation.errors.append(EdiError("MAP_NO_MAPPING", f"{name}: no {detected.kind.upper()} mapping for {what}"))
        return evaluation
    read = _in_dialect(mapping, source, data)
    if isinstance(read, EdiError):
        evaluation.errors.append(read)
        return evaluation
    results = mapping.apply_all(read, partner=partner_id, explain=explain)
    if partner_id is None:
        evaluation.partner_id = _named_partner(results, partner_of)
        own = resolver.resolve_document(detected.kind, key, evaluation.partner_id) if evaluation.partner_id else None
        if own is not None and own is not mapping:
            own_read = _in_dialect(own, source, data)
            if isinstance(own_read, EdiError):
                evaluation.mapping = own
                evaluation.errors.append(own_read)
                return evaluation
            mapping, results = own, own.apply_all(own_read, partner=evaluation.partner_id, explain=explain)
        elif evaluation.partner_id:
            results = mapping.apply_all(read, partner=evaluation.partner_id, explain=explain)
    evaluation.mapping, evaluation.results = mapping, results
    return evaluation


def _in_dialect(mapping: CompiledDocMapping, source: XmlDocument | CsvTable,
                data: bytes) -> XmlDocument | CsvTable | EdiError:
    """A CSV file re-read in the delimiter/encoding its mapping states (detection only picked the mapping)."""
    if not isinstance(source, CsvTable):
        return source
    try:
        return mapping.read_in_dialect(source, data)
    except DocumentError as exc:
        return _file_error(exc)


def _named_partner(results: list[MapResult], partner_of: PartnerOf) -> str | None:
    for result in results:
        envelope = getattr(result.document, "envelope", None)
        if envelope is not None and envelope.sender_id not in ("", "FILE"):
            return partner_of(envelope.sender_id)
    return None
