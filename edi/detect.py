"""Format sniffing for inbound files, and the coded error of a non-X12 file.

The gateway receives X12, EDIFACT, XML (cXML, UBL, IPC-2581) and CSV files through the
same inbox. :func:`detect` looks at the first few KB only (BOM-aware), so a 50 MB file
costs nothing to classify, and it never parses: the XML root is read with a regular
expression over the prolog, so no DOCTYPE or entity is ever processed here.

:class:`DocumentError` is the coded error of the XML/CSV readers. It accepts the
file-level codes of the ``edi.errors`` catalogue (XML_*, CSV_*, FILE_*).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Literal

from edi.errors import CATALOGUE

Kind = Literal["x12", "xml", "csv", "edifact", "unknown"]

#: Codes for non-X12 files: code -> (level, title). All are file level: no acknowledgement
#: can be built for a file that cannot be read.


@dataclass(slots=True)
class DocumentError(Exception):
    """One coded problem that makes an XML or CSV file unreadable.

    ``line``/``column`` locate an XML problem (1-based); ``row`` is the 1-based CSV record
    number (the header is row 1) and ``field`` the CSV column name, when known.
    """

    code: str
    message: str
    line: int | None = None
    column: int | None = None
    row: int | None = None
    field: str | None = None
    bad_value: str | None = None

    def __post_init__(self) -> None:
        if CATALOGUE.get(self.code) is None or CATALOGUE[self.code].level != "file":
            raise KeyError(f"unknown document error code {self.code!r}")
        Exception.__init__(self, self.code, self.message)

    @property
    def level(self) -> str:
        return CATALOGUE[self.code].level

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"code": self.code, "message": self.message}
        for name in ("line", "column", "row", "field", "bad_value"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


# -- encodings -------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),  # before UTF-16: same prefix
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def bom_encoding(data: bytes) -> tuple[str | None, int]:
    """The encoding a byte-order mark announces and the mark's length; ``(None, 0)`` without one."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    return None, 0


def guess_encoding(head: bytes) -> tuple[str, int]:
    """Encoding of ``head`` and the BOM length: BOM, else UTF-16 by its NULs, else UTF-8, else cp1252.

    ``head`` may end in the middle of a multi-byte character (it is a prefix of the file).
    """
    encoding, skip = bom_encoding(head)
    if encoding is not None:
        return encoding, skip
    if len(head) >= 4 and head[0] == 0 and head[1] != 0 and head[2] == 0:
        return "utf-16-be", 0
    if len(head) >= 4 and head[0] != 0 and head[1] == 0 and head[3] == 0:
        return "utf-16-le", 0
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252", 0
    return "utf-8", 0


# -- format detection ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DetectedFormat:
    """What the first bytes of a file say it is.

    ``root`` is the XML root's local name and ``namespace`` its namespace URI ("" for none);
    ``delimiter`` the likely CSV delimiter; ``error`` the coded reason when ``kind`` is
    "unknown" (FILE_EMPTY, FILE_UNKNOWN_FORMAT).
    """

    kind: Kind
    encoding: str | None = None
    bom: bool = False
    root: str | None = None
    namespace: str | None = None
    delimiter: str | None = None
    error: DocumentError | None = None

    @property
    def clark_root(self) -> str | None:
        """The root as lxml names it: ``{namespace}local`` (or just ``local`` without a namespace)."""
        if self.root is None:
            return None
        return f"{{{self.namespace}}}{self.root}" if self.namespace else self.root


_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE(?:[^\[>]|\[.*?\])*>", re.DOTALL)
_ROOT_TAG = re.compile(r"<([A-Za-z_][\w.\-]*)(?::([A-Za-z_][\w.\-]*))?([^<>]*)>", re.DOTALL)
_XMLNS = re.compile(r"""xmlns(?::([A-Za-z_][\w.\-]*))?\s*=\s*(["'])(.*?)\2""", re.DOTALL)
CSV_DELIMITERS = (",", ";", "\t", "|")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def detect(head: bytes) -> DetectedFormat:
    """Classify a file by its first few KB (4-16 KB is plenty); never raises."""
    encoding, skip = guess_encoding(head)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head[skip:], final=False)
    bom = skip > 0
    stripped = text.lstrip()
    if not stripped:
        return DetectedFormat("unknown", encoding, bom, error=DocumentError("FILE_EMPTY", "file holds no data"))
    if re.match(r"ISA[^A-Za-z0-9\s]", stripped):
        return DetectedFormat("x12", encoding, bom)
    if re.match(r"UN[AB][^A-Za-z0-9\s]", stripped):
        return DetectedFormat("edifact", encoding, bom)
    if stripped.startswith("<"):
        return _xml_format(stripped, encoding, bom)
    delimiter = sniff_delimiter(stripped.split("\n", 1)[0])
    if delimiter is not None and _CONTROL.search(text) is None:
        return DetectedFormat("csv", encoding, bom, delimiter=delimiter)
    return DetectedFormat("unknown", encoding, bom, error=DocumentError(
        "FILE_UNKNOWN_FORMAT", "the file is not X12 (ISA), EDIFACT (UNA/UNB), XML or delimited text",
        bad_value=stripped[:40]))


def _xml_format(text: str, encoding: str, bom: bool) -> DetectedFormat:
    position = 0
    while (item := _PROLOG_ITEM.match(text, position)) is not None and item.end() > position:
        position = item.end()
    tag = _ROOT_TAG.match(text, position)
    if tag is None:
        return DetectedFormat("xml", encoding, bom)
    prefix, local = (tag.group(1), tag.group(2)) if tag.group(2) else (None, tag.group(1))
    declared = {m.group(1): m.group(3) for m in _XMLNS.finditer(tag.group(3))}
    return DetectedFormat("xml", encoding, bom, root=local, namespace=declared.get(prefix, ""))


def sniff_delimiter(line: str) -> str | None:
    """The delimiter of a header line: the most frequent of , ; tab | outside quotes, None if none occurs."""
    unquoted = re.sub(r'"[^"]*"', "", line)
    counts = {d: unquoted.count(d) for d in CSV_DELIMITERS}
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else None


__all__ = ["CSV_DELIMITERS", "DetectedFormat", "DocumentError", "bom_encoding", "detect",
           "guess_encoding", "sniff_delimiter"]
