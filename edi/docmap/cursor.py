"""Where a rule reads from: an XML element or the CSV rows of one document, behind one interface.

A cursor answers two questions for the evaluator: "what does this source say here?"
(:meth:`values`, text hits with their line/row) and "which nodes does this source select?"
(:meth:`select`, child cursors for ``at``/``each``). At document level a CSV cursor holds
every row of the document, because header fields repeat on each row; a value that differs
between those rows is reported, not silently taken from the first row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Protocol

from lxml import etree

from edi.csvdoc import CsvRow, CsvTable
from edi.docmap.plan import Source
from edi.xmldoc import XmlDocument


@dataclass(frozen=True, slots=True)
class Hit:
    """One raw value and where it was found (XML source line; CSV physical line and record number)."""

    raw: str
    line: int | None = None
    row: int | None = None

    @property
    def where(self) -> str:
        return f"row {self.row}" if self.row is not None else (f"line {self.line}" if self.line else "")


Found = tuple[list[Hit], str | None]  # (hits, a problem to report as an invalid value)


class Cursor(Protocol):
    def values(self, source: Source) -> Found: ...

    def select(self, source: Source) -> tuple[list[Cursor], str | None]: ...


def _meta(source: Source, name: str, position: int, doctype: str | None) -> Found:
    value = {"file_name": PurePath(name).name, "file_stem": PurePath(name).stem,
             "doctype_system": doctype, "position": str(position)}[source.text]
    return ([Hit(value)] if value else []), None


def _text(item: object) -> Hit | None:
    """An XPath result item as text: an element's string value, an attribute's or text node's value."""
    if isinstance(item, etree._Element):
        return Hit("".join(item.itertext()), item.sourceline)
    if isinstance(item, str):
        parent = item.getparent() if isinstance(item, etree._ElementUnicodeResult) else None
        return Hit(str(item), parent.sourceline if parent is not None else None)
    if isinstance(item, bool):
        return Hit("true" if item else "false")
    if isinstance(item, float):
        return Hit(str(int(item)) if item.is_integer() else repr(item))
    return None


@dataclass(frozen=True, slots=True)
class XmlCursor:
    """An element of an XML document (the root at document level) and its position in its list."""

    doc: XmlDocument
    node: etree._Element
    position: int = 1

    def values(self, source: Source) -> Found:
        if source.kind == "meta":
            return _meta(source, self.doc.name, self.position, self.doc.doctype_system)
        assert source.xpath is not None
        result = source.xpath(self.node)
        items = result if isinstance(result, list) else [result]
        return [hit for hit in map(_text, items) if hit is not None], None

    def select(self, source: Source) -> tuple[list[Cursor], str | None]:
        assert source.xpath is not None
        result = source.xpath(self.node)
        items = result if isinstance(result, list) else [result]
        nodes = [item for item in items if isinstance(item, etree._Element)]
        problem = None if len(nodes) == len(items) else f"XPath {source.text!r} selects values, not elements"
        return [XmlCursor(self.doc, node, index) for index, node in enumerate(nodes, start=1)], problem


@dataclass(frozen=True, slots=True)
class CsvCursor:
    """The rows of one CSV document (all of them at document level, one inside ``each: row``)."""

    table: CsvTable
    rows: tuple[CsvRow, ...]
    position: int = 1
    columns: dict[str, int | None] = field(default_factory=dict)  # per-document lookup cache

    def index(self, column: str) -> int | None:
        if column not in self.columns:
            self.columns[column] = self.table.column_index(column)
        return self.columns[column]

    def values(self, source: Source) -> Found:
        if source.kind == "meta":
            return _meta(source, self.table.name, self.position, None)
        index = self.index(source.text)
        if index is None:
            return [], None
        hits = [Hit(row.values[index], row.line, row.number) for row in self.rows if row.values[index].strip()]
        distinct = {hit.raw.strip() for hit in hits}
        if len(distinct) > 1:
            first = hits[0]
            other = next(h for h in hits if h.raw.strip() != first.raw.strip())
            return hits[:1], (f"column {source.text!r} differs within one document: {first.raw!r} in row "
                              f"{first.row}, {other.raw!r} in row {other.row}")
        return hits[:1], None

    def select(self, source: Source) -> tuple[list[Cursor], str | None]:
        return [CsvCursor(self.table, (row,), index, self.columns)
                for index, row in enumerate(self.rows, start=1)], None
