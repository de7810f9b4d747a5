"""Bytes to text for CSV files: BOM, then UTF-8, then Windows-1252, else a coded refusal.

Spreadsheet exports arrive as UTF-8 (with or without a BOM), UTF-16 with a BOM (Excel's
"Unicode text") or Windows-1252 (older Excel on Western-European Windows). UTF-8 is tried
first because a cp1252 decode almost never fails and would silently garble UTF-8 text;
bytes that are neither (cp1252 leaves five byte values undefined) or text with control
characters (a binary file, UTF-16 without BOM misread) are refused with FILE_ENCODING
rather than guessed at: a wrong guess would corrupt part numbers without anyone noticing.

A stated encoding (the partner's mapping says ``encoding: cp1252``) is obeyed, but not
against the bytes' own evidence, which would garble every umlaut silently: a BOM naming
another encoding, valid multi-byte UTF-8 under a single-byte encoding, or UTF-16 without
a single NUL byte is refused with FILE_ENCODING.
"""

from __future__ import annotations

import codecs
import re

from edi.detect import DocumentError, bom_encoding, guess_encoding

_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(data: bytes, name: str = "<bytes>", encoding: str | None = None) -> tuple[str, str]:
    """The text of ``data`` and the encoding used; ``encoding`` forces one (a partner's known charset)."""
    if not data.strip():
        raise DocumentError("FILE_EMPTY", f"{name}: file holds no data")
    guessed, skip = guess_encoding(data[:4096])
    if encoding is not None:
        _check_stated(data, name, encoding)
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


def _check_stated(data: bytes, name: str, encoding: str) -> None:
    """Refuse a stated encoding the bytes contradict (see the module docstring)."""
    try:
        stated = codecs.lookup(encoding).name
    except LookupError:
        raise DocumentError("FILE_ENCODING", f"{name}: unknown encoding {encoding!r}") from None
    unicode = stated.startswith("utf")
    bom, _ = bom_encoding(data)
    if bom is not None and not bom.startswith(stated.removesuffix("-sig")):
        raise DocumentError("FILE_ENCODING", f"{name}: the file starts with a {bom} byte-order mark, but its "
                                             f"encoding is stated as {encoding!r}", bad_value=bom)
    if stated.startswith(("utf-16", "utf-32")) and b"\x00" not in data[:4096]:
        raise DocumentError("FILE_ENCODING", f"{name}: stated as {encoding!r}, but the file has no NUL bytes: "
                                             "it is not UTF-16/32 text")
    if not unicode and not data.isascii() and _is_utf8(data):
        raise DocumentError("FILE_ENCODING", f"{name}: stated as {encoding!r}, but the file is UTF-8 (its "
                                             "non-ASCII bytes are valid UTF-8 sequences); reading it as "
                                             f"{encoding!r} would garble those characters")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
