"""Reading a CSV file into a header and numbered rows, strictly.

Every problem names the CSV record ("row": the header is row 1) and, where it applies,
the column, because the person fixing the file looks at it in a spreadsheet. Records
may span several physical lines (quoted line breaks); ``CsvRow.line`` is where a record
starts in the file, ``CsvRow.number`` its record number.

Rules: the delimiter is one of , ; tab | (sniffed from the header, or Excel's ``sep=``
first line, or given: a given one the file contradicts is CSV_DELIMITER); quotes are
RFC 4180 double quotes (``""`` inside); a row must have as many fields as the header
(extra fields are tolerated only when empty, as spreadsheet exports add them); blank
lines are skipped; header names must be unique once blanks are trimmed and case is ignored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from edi.csvdoc.decode import decode_text
from edi.detect import CSV_DELIMITERS, DocumentError, sniff_delimiter


def normalize_column(name: str) -> str:
    """Column names compare without case and with blanks collapsed: ``" Part  number"`` is ``"part number"``."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data record: its record number (header = 1), the line it starts on, its fields."""

    number: int
    line: int
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A decoded CSV file: header names (trimmed), data rows, and how it was read."""

    name: str
    header: tuple[str, ...]
    rows: tuple[CsvRow, ...]
    delimiter: str
    encoding: str

    def column_index(self, column: str) -> int | None:
        """The position of ``column`` (compared by :func:`normalize_column`), None when absent."""
        wanted = normalize_column(column)
        for index, name in enumerate(self.header):
            if normalize_column(name) == wanted:
                return index
        return None


def read_csv(data: bytes, name: str = "<bytes>", *, delimiter: str | None = None,
             encoding: str | None = None, max_bytes: int = 64 * 1024 * 1024) -> CsvTable:
    """Decode and split ``data``; raise :class:`DocumentError` (FILE_*/CSV_*) at the first problem."""
    if len(data) > max_bytes:
        raise DocumentError("FILE_TOO_LARGE", f"{name}: {len(data)} bytes exceed the CSV limit of {max_bytes}")
    text, used = decode_text(data, name, encoding)
    text, delimiter, skipped = _delimiter(text, name, delimiter)
    records = _records(text, name, delimiter, skipped)
    if not records:
        raise DocumentError("CSV_HEADER", f"{name}: no header row", row=1)
    (_, header_line, raw_header), *body = records
    header = _header(raw_header, name, header_line)
    rows = tuple(_row(number, line, values, header, name)
                 for number, (_, line, values) in enumerate(body, start=2))
    return CsvTable(name, header, rows, delimiter, used)


def _delimiter(text: str, name: str, wanted: str | None) -> tuple[str, str, int]:
    """The delimiter, the text without an Excel ``sep=`` line, and how many lines were dropped."""
    first, _, rest = text.lstrip("\r\n").partition("\n")
    skipped = text[:len(text) - len(text.lstrip("\r\n"))].count("\n")
    if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
        hinted = first.strip()[4]
        if wanted is not None and hinted != wanted:
            raise DocumentError("CSV_DELIMITER", f"{name}: expected delimiter {wanted!r} but the file's "
                                                 f"'sep=' line says {hinted!r}", row=1, line=skipped + 1)
        wanted = hinted
        first, _, rest = rest.partition("\n")
        text, skipped = first + "\n" + rest, skipped + 1
    found = sniff_delimiter(first)
    if wanted is not None and wanted not in CSV_DELIMITERS:
        raise DocumentError("CSV_DELIMITER", f"{name}: delimiter {wanted!r} is not one of , ; tab |")
    if wanted is not None and found is not None and wanted not in first:
        raise DocumentError("CSV_DELIMITER", f"{name}: expected delimiter {wanted!r} but the header uses "
                                             f"{found!r}", row=1, line=skipped + 1)
    delimiter = wanted or found
    if delimiter is None:
        raise DocumentError("CSV_DELIMITER", f"{name}: the header row has no delimiter (, ; tab |): "
                                             "one column only, or not a CSV file", row=1, line=skipped + 1,
                            bad_value=first[:80])
    return text, delimiter, skipped


def _records(text: str, name: str, delimiter: str, skipped: int) -> list[tuple[int, int, list[str]]]:
    """(record index, start line, fields) of every non-blank record."""
    reader = csv.reader(io.StringIO(text.lstrip("\r\n"), newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=True)
    records: list[tuple[int, int, list[str]]] = []
    end_line = 0
    try:
        for fields in reader:
            start, end_line = end_line + 1, reader.line_num
            if any(field.strip() for field in fields):
                records.append((len(records), start + skipped, fields))
    except csv.Error as exc:
        line = reader.line_num + skipped
        raise DocumentError("CSV_QUOTING", f"{name} (line {line}): {exc}", line=line,
                            row=len(records) + 1) from None
    return records


def _header(fields: list[str], name: str, line: int) -> tuple[str, ...]:
    header = tuple(field.strip() for field in fields)
    seen: dict[str, int] = {}
    for index, column in enumerate(header):
        if not column:
            continue
        key = normalize_column(column)
        if key in seen:
            raise DocumentError("CSV_HEADER", f"{name}: column {column!r} appears twice in the header "
                                              f"(columns {seen[key] + 1} and {index + 1})",
                                row=1, line=line, field=column)
        seen[key] = index
    if not seen:
        raise DocumentError("CSV_HEADER", f"{name}: the header row has no column names", row=1, line=line)
    return header


def _row(number: int, line: int, fields: list[str], header: tuple[str, ...], name: str) -> CsvRow:
    width = len(header)
    if len(fields) > width and not any(f.strip() for f in fields[width:]):
        fields = fields[:width]
    if len(fields) != width:
        column = header[min(len(fields), width) - (1 if len(fields) > width else 0)] or f"#{len(fields)}"
        raise DocumentError("CSV_RAGGED_ROW", f"{name} (row {number}, line {line}): {len(fields)} fields, the "
                                              f"header has {width}" + (f" (first missing column {column!r})"
                                                                      if len(fields) < width else ""),
                            row=number, line=line, field=column)
    return CsvRow(number, line, tuple(fields))
