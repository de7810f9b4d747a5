"""CSV documents from partners: decoding, delimiter sniffing and strict row reading for ``edi.docmap``."""

from edi.csvdoc.decode import decode_text
from edi.csvdoc.table import CsvRow, CsvTable, normalize_column, read_csv

__all__ = ["CsvRow", "CsvTable", "decode_text", "normalize_column", "read_csv"]
