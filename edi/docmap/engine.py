"""A compiled XML/CSV mapping and how it turns a parsed file into canonical documents.

    mapping = load_doc_mapping(path, roots)          # MappingError names file, YAML path, line
    for unit in mapping.units(source):               # XmlDocument -> 1 unit; CsvTable -> 1 per group_by key
        result = mapping.apply(unit, partner="acme", explain=True)   # edi.mapping.MapResult

Envelope of a document without one (the engine fills it, from the mapping's ``envelope:``
rules): interchange and group control numbers are ``message_id`` (cXML ``payloadID``) or
else ``document_id``; the set control number is ``document_id`` (the order or BOM number);
sender and receiver are ``"<qualifier>:<id>"`` (cXML credential domain, UBL schemeID) or
the bare id, or "FILE" when the document names nobody; ``version`` is the format version
(cXML DTD version, UBLVersionID, IPC-2581 revision, a CSV layout name).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edi.canonical import DOCUMENTS, Document
from edi.csvdoc import CsvRow, CsvTable, read_csv
from edi.detect import DocumentError
from edi.docmap.compiler import DocCompiler
from edi.docmap.cursor import CsvCursor, Cursor, XmlCursor
from edi.docmap.evaluate import evaluate_fields
from edi.docmap.model import DocMappingFile
from edi.docmap.trace import DocRun
from edi.errors import EdiError
from edi.mapping.errors import MappingError
from edi.mapping.loader import read_chain
from edi.mapping.results import MapResult
from edi.mapping.yamlsrc import YamlMap, format_path, locate
from edi.xmldoc import XmlDocument

NOBODY = "FILE"


@dataclass(frozen=True, slots=True)
class CsvGroup:
    """The rows of one document in a CSV file (all rows sharing a ``group_by`` value)."""

    table: CsvTable
    key: str | None
    rows: tuple[CsvRow, ...]


Unit = XmlDocument | CsvGroup


class CompiledDocMapping:
    """An XML or CSV mapping ready to apply: plans compiled, XPaths compiled, model checked."""

    def __init__(self, mapping: DocMappingFile, raw: YamlMap, source_files: tuple[Path, ...]) -> None:
        compiler = DocCompiler(mapping, raw)
        self.source = mapping.source
        self.document = mapping.document
        self.description = mapping.description
        self.source_files = source_files
        self.root_tag = compiler.root_tag()
        self.group_by = mapping.group_by
        self.delimiter = mapping.delimiter
        self.encoding = mapping.encoding
        self._model: type[Document] = DOCUMENTS[mapping.document]
        self._fields = compiler.fields(mapping.fields, self._model, ("fields",), in_row=False)
        self._envelope = compiler.envelope(mapping.envelope)
        extra = [mapping.group_by] if mapping.group_by else []
        self.layout_columns: tuple[str, ...] = tuple(dict.fromkeys(
            [*compiler.required_columns, *extra, *mapping.match_columns]))

    def matches_header(self, header: Sequence[str]) -> bool:
        """Whether a CSV header holds every column this layout needs (names compared loosely)."""
        table = CsvTable("", tuple(header), (), ",", "")
        return self.source == "csv" and all(table.column_index(c) is not None for c in self.layout_columns)

    def read_in_dialect(self, table: CsvTable, data: bytes) -> CsvTable:
        """``table`` (read with detection, which picked this mapping) re-read in the mapping's stated dialect.

        A mapping is chosen by header, so the file is first read with a detected delimiter and
        encoding; when the mapping states others, detection must not win: the file is read
        again with them. Raises :class:`~edi.detect.DocumentError` (FILE_ENCODING,
        CSV_DELIMITER, CSV_HEADER, ...) when the file does not fit the stated dialect.
        """
        if self.source != "csv" or not self._other_dialect(table):
            return table
        reread = read_csv(data, table.name, delimiter=self.delimiter, encoding=self.encoding,
                          max_bytes=max(len(data), 1))
        missing = [c for c in self.layout_columns if reread.column_index(c) is None]
        if missing:
            raise DocumentError("CSV_HEADER", f"{table.name}: read as the mapping states (delimiter "
                                              f"{reread.delimiter!r}, encoding {reread.encoding}), the header "
                                              f"lacks column(s) {', '.join(map(repr, missing))}",
                                row=1, field=missing[0])
        return reread

    def _other_dialect(self, table: CsvTable) -> bool:
        if self.delimiter is not None and self.delimiter != table.delimiter:
            return True
        return self.encoding is not None and codecs.lookup(self.encoding).name != codecs.lookup(table.encoding).name

    def units(self, source: XmlDocument | CsvTable) -> list[Unit]:
        """The documents in a parsed file: the XML document itself, or the CSV rows grouped by ``group_by``."""
        if isinstance(source, XmlDocument):
            return [source]
        index = source.column_index(self.group_by) if self.group_by else None
        if index is None:
            return [CsvGroup(source, None, source.rows)]
        groups: dict[str, list[CsvRow]] = {}
        for row in source.rows:
            groups.setdefault(row.values[index].strip(), []).append(row)
        return [CsvGroup(source, key, tuple(rows)) for key, rows in groups.items()]

    def apply_all(self, source: XmlDocument | CsvTable, *, partner: str | None = None,
                  explain: bool = False) -> list[MapResult]:
        return [self.apply(unit, partner=partner, explain=explain) for unit in self.units(source)]

    def apply(self, unit: Unit | CsvTable, *, partner: str | None = None, explain: bool = False) -> MapResult:
        """Map one document; errors are collected, never raised. A whole CsvTable is one document."""
        if isinstance(unit, CsvTable):
            unit = CsvGroup(unit, None, unit.rows)
        cursor, problem = self._cursor(unit)
        if cursor is None:
            return MapResult(None, [problem] if problem else [])
        run = DocRun(self.source, explain)
        data = evaluate_fields(self._fields, cursor, run, "")
        envelope = self._envelope_values(cursor, run)
        traces = run.traces if run.traces is not None else []
        if run.errors:
            return MapResult(None, run.errors, traces)
        data.update(type=self.document, partner=partner, envelope=envelope)
        try:
            document = self._model.model_validate(data)
        except ValidationError as exc:
            return MapResult(None, _model_errors(exc), traces)
        return MapResult(document, [], traces)

    def _cursor(self, unit: Unit) -> tuple[Cursor | None, EdiError | None]:
        if isinstance(unit, XmlDocument):
            if self.source != "xml":
                return None, EdiError("MAP_NO_MAPPING", "this is a csv mapping; the file is XML")
            if unit.root_tag != self.root_tag:
                return None, EdiError("MAP_NO_MAPPING", f"{unit.name}: root element {unit.root_tag} is not the "
                                                        f"mapping's {self.root_tag}", bad_value=unit.root_tag[:80],
                                      extra={"line": str(unit.root.sourceline)})
            return XmlCursor(unit, unit.root), None
        if self.source != "csv":
            return None, EdiError("MAP_NO_MAPPING", "this is an xml mapping; the file is CSV")
        return CsvCursor(unit.table, unit.rows), None

    def _envelope_values(self, cursor: Cursor, run: DocRun) -> dict[str, str]:
        found: dict[str, Any] = evaluate_fields(self._envelope, cursor, run, "envelope")
        document_id = found.get("document_id") or ""
        control = found.get("message_id") or document_id
        return {
            "interchange_control_number": control,
            "group_control_number": control,
            "set_control_number": document_id,
            "sender_id": _party(found.get("sender_qualifier"), found.get("sender_id")),
            "receiver_id": _party(found.get("receiver_qualifier"), found.get("receiver_id")),
            "version": found.get("version") or "",
        }


def _party(qualifier: str | None, identifier: str | None) -> str:
    if not identifier:
        return NOBODY
    return f"{qualifier}:{identifier}" if qualifier else identifier


def _model_errors(exc: ValidationError) -> list[EdiError]:
    """Values the rules let through but the canonical model refuses."""
    errors = []
    for problem in exc.errors(include_url=False):
        path = format_path(tuple(p for p in problem["loc"] if isinstance(p, (str, int))))
        errors.append(EdiError("MAP_INVALID_VALUE", f"{path}: {problem['msg']}", extra={"field": path}))
    return errors


def load_doc_mapping(path: Path, roots: Sequence[Path]) -> CompiledDocMapping:
    """Read, merge (``extends`` against ``roots``), validate and compile an XML/CSV mapping file.

    Raises :class:`~edi.mapping.MappingError` naming the file, YAML path and line.
    """
    raw, files = read_chain(path, roots)
    source = raw.get("source")
    try:
        mapping = DocMappingFile.model_validate(raw, context={"source": source})
    except ValidationError as exc:
        problems = exc.errors(include_url=False)
        loc = tuple(part for part in problems[0]["loc"] if isinstance(part, (str, int)))
        file, line = locate(raw, loc)
        message = _message(problems[0])
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more problem(s))"
        raise MappingError(file, format_path(loc), line, message) from None
    return CompiledDocMapping(mapping, raw, files)


def _message(problem: Any) -> str:
    if problem["type"] == "extra_forbidden":
        return f"unknown key {problem['loc'][-1]!r}"
    if problem["type"] == "missing":
        return f"required key {problem['loc'][-1]!r} is missing"
    return str(problem["msg"]).removeprefix("Value error, ")
