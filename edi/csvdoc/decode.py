"""Bytes to text for CSV files: BOM, then UTF-8, then Windows-1252, else a coded refusal.

Spreadsheet exports arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's
"Unicode text") or Windows-1252 (older Excel on Western-European Windows). UTF-8 is tried
first because a cp1252 decode almost never fails and would silently garble UTF-8 text;
bytes that are neither (cp1252 leaves five byte values undefined) or text with control
characters (a binary file, UTF-16 without BOM misread) are refused with FILE_ENCODING
rather than guessed at: a wrong guess would corrupt part numbers without anyone noticing.
"""

from __future__ import annotations

import re

from edi.detect import DocumentError, guess_encoding

_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(data: bytes, name: str = "<bytes>", encoding: str | None = None) -> tuple[str, str]:
    """The text of ``data`` and the encoding used; ``encoding`` forces one (a partner's known charset)."""
    if not data.strip():
        raise DocumentError("FILE_EMPTY", f"{name}: file holds no data")
    guessed, skip = guess_encoding(data[:4096])
    if encoding is not None:
        candidates = [encoding]
    elif skip or guessed.startswith("utf-16"):
        candidates = [guessed]  # a BOM (or UTF-16 NUL pattern) is authoritative
    else:
        candidates = ["utf-8", "cp1252"]
    body = data[skip:] if encoding is None else data
    error: UnicodeDecodeError | None = None
    for candidate in candidates:
        try:
            text = body.decode(candidate)
        except UnicodeDecodeError as exc:
            error = error or exc
            continue
        except LookupError:
            raise DocumentError("FILE_ENCODING", f"{name}: unknown encoding {candidate!r}") from None
        _refuse_binary(text, name, candidate)
        return text.removeprefix("\ufeff"), candidate
    assert error is not None
    line = body[:error.start].count(b"\n") + 1
    raise DocumentError("FILE_ENCODING", f"{name} (line {line}): byte 0x{body[error.start]:02X} at offset "
                                         f"{error.start + skip} is not valid in {' or '.join(candidates)}",
                        line=line, bad_value=body[max(0, error.start - 10):error.start + 10].hex())


def _refuse_binary(text: str, name: str, encoding: str) -> None:
    found = _BINARY.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        raise DocumentError("FILE_ENCODING", f"{name} (line {line}): control character U+{ord(found.group()):04X} "
                                             f"in {encoding} text: not a text file, or not in this encoding",
                            line=line)
