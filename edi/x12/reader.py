"""Streaming X12 reader: bytes in, envelope events out, one transaction set in memory.

The file is read in chunks through an incremental decoder. Each interchange's
delimiters come from its own ISA (see :mod:`edi.x12.isa`); the text after the ISA
is split on the segment terminator a whole block at a time with ``str.split``,
because per-character Python loops cannot reach the throughput a gateway needs.
Envelope checks (IEA/GE/SE counts and control numbers, missing trailers, stray
segments) are done by :class:`edi.x12.reader_envelope.Envelope` as segments stream by, and
every problem is reported as a coded :class:`EdiError` in an event; the reader
never stops at an envelope error, so later sets, groups and interchanges are
still read.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from edi.errors import EdiError
from edi.x12.isa import scan_isa, starts_isa
from edi.x12.model import (
    Delimiters,
    Event,
    FileError,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    Segment,
    TransactionSet,
)
from edi.x12.reader_envelope import ENVELOPE_TAGS, Envelope

Source = BinaryIO | str | os.PathLike[str]

_WS = " \t\r\n"
# Between interchanges: whitespace, NUL padding, the DOS end-of-file mark (0x1A).
# (Not the regex class \s: it would swallow the 0x1C-0x1F control characters used as delimiters.)
_FILLER = r" \t\r\n\v\f\x00\x1a"
_WIDE_ENCODINGS = ("utf-16", "utf-32")
_SNIPPET = 20  # characters of non-X12 text quoted in an error


def read_events(
    source: Source,
    *,
    encoding: str = "utf-8",
    chunk_size: int = 1 << 20,
    max_set_segments: int = 1_000_000,
) -> Iterator[Event]:
    """Yield the envelope events of every interchange in ``source``, in document order.

    ``source`` is a path or a binary file object (not closed here). A transaction
    set longer than ``max_set_segments`` is reported as ``SET_TOO_LARGE`` and its
    middle segments are dropped, so memory stays bounded whatever the input.
    """
    with _open_binary(source) as handle:
        reader = _Reader(_decode_chunks(handle, encoding, chunk_size), Envelope(max_set_segments))
        yield from reader.events()


def read_segments(source: Source, *, encoding: str = "utf-8") -> Iterator[tuple[Segment, Delimiters]]:
    """Yield every non-empty segment of every interchange with its interchange's delimiters.

    Envelope segments and segments outside any set are included; bytes that are
    not inside an interchange are not. Used to cross-check the reader against
    other parsers.
    """
    with _open_binary(source) as handle:
        envelope = Envelope(sys.maxsize, keep_loose=True)
        reader = _Reader(_decode_chunks(handle, encoding, 1 << 20), envelope)
        delimiters = Delimiters()
        for event in reader.events():
            for segment in envelope.take_loose():
                yield segment, delimiters
            if isinstance(event, InterchangeHeader):
                delimiters = event.delimiters
            for segment in _event_segments(event):
                yield segment, delimiters
        for segment in envelope.take_loose():
            yield segment, delimiters


def _event_segments(event: Event) -> list[Segment]:
    if isinstance(event, InterchangeHeader | GroupHeader):
        return [event.segment]
    if isinstance(event, TransactionSet):
        return event.segments
    if isinstance(event, GroupEnd | InterchangeEnd) and event.segment is not None:
        return [event.segment]
    return []


@contextmanager
def _open_binary(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            yield handle
    else:
        yield source


def _decode_chunks(handle: BinaryIO, encoding: str, chunk_size: int) -> Iterator[str | EdiError]:
    """Decoded text of ``handle``, chunk by chunk, without a leading BOM.

    A decoding failure ends the stream with an ``EdiError`` item (``FILE_ENCODING``)
    after the text that decoded cleanly before it.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    consumed = 0
    at_start = True
    while True:
        data = handle.read(chunk_size)
        if consumed == 0 and (problem := _sniff_wide_encoding(data, encoding)):
            yield problem
            return
        pending = decoder.getstate()[0]
        try:
            text = decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            yield (pending + data)[: exc.start].decode(encoding)
            where = consumed - len(pending) + exc.start
            yield EdiError("FILE_ENCODING", f"byte {where} is not valid {encoding} ({exc.reason})",
                           extra={"byte_offset": str(where), "encoding": encoding})
            return
        if at_start and text:
            text = text.removeprefix("\ufeff")
            at_start = False
        if text:
            yield text
        if not data:
            return
        consumed += len(data)


def _sniff_wide_encoding(data: bytes, encoding: str) -> EdiError | None:
    """Spot a UTF-16/32 file read as an 8-bit encoding (it would decode to NUL-laced garbage)."""
    if codecs.lookup(encoding).name.startswith(_WIDE_ENCODINGS):
        return None
    wide_bom = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if wide_bom or b"\x00" in data[:4]:
        return EdiError("FILE_ENCODING", f"file looks UTF-16/UTF-32 encoded, expected {encoding}",
                        offset=0, extra={"byte_offset": "0", "encoding": encoding})
    return None


class _Reader:
    """Turns decoded text chunks into events; owns the text buffer and the split loop.

    ``_buf[_pos:]`` is the unread text; ``_base`` is the file offset of ``_buf[0]``.
    Outside an interchange it looks for the next ISA; inside one it splits blocks
    of complete segments and hands each segment to the envelope state machine.
    """

    def __init__(self, chunks: Iterator[str | EdiError], envelope: Envelope) -> None:
        self._chunks = chunks
        self._env = envelope
        self._buf = ""
        self._pos = 0
        self._base = 0
        self._eof = False
        self._decode_error: EdiError | None = None
        self._interchanges = 0
        self._quiet_garbage = False  # garbage already reported (until the next good ISA)
        self._term = "~"
        self._sep = "*"
        self._filler = re.compile(f"[{_FILLER}]*")
        self._lookback = _WS

    def events(self) -> Iterator[Event]:
        while not (self._eof and self._pos >= len(self._buf) and self._env.interchange is None):
            if self._env.interchange is None:
                yield from self._between_interchanges()
            else:
                yield from self._interchange_body()
        if self._decode_error is not None:
            yield FileError(self._decode_error)
        elif self._interchanges == 0 and not self._quiet_garbage:
            yield FileError(EdiError("FILE_EMPTY", "the file holds no data", offset=0))

    # -- buffer ---------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Append the next chunk to the buffer (dropping consumed text); False at end of input."""
        if self._eof:
            return False
        item = next(self._chunks, None)
        if isinstance(item, str):
            self._base += self._pos
            self._buf = self._buf[self._pos:] + item
            self._pos = 0
            return True
        self._decode_error = item
        self._eof = True
        return False

    # -- between interchanges ----------------------------------------------------------------

    def _between_interchanges(self) -> Iterator[Event]:
        self._pos = self._filler.match(self._buf, self._pos).end()
        if len(self._buf) - self._pos < 4 and self._fill():
            return
        if self._pos >= len(self._buf):
            return
        if starts_isa(self._buf, self._pos):
            yield from self._open_interchange()
        else:
            yield from self._skip_garbage()

    def _open_interchange(self) -> Iterator[Event]:
        while True:
            offset = self._base + self._pos
            try:
                scan = scan_isa(self._buf, self._pos, at_eof=self._eof, offset=offset)
            except EdiError as err:
                yield FileError(err)
                self._quiet_garbage = True
                self._pos += 3
                return
            if scan is not None:
                break
            self._fill()
        header = InterchangeHeader(scan.segment, scan.delimiters, self._interchanges, offset)
        self._interchanges += 1
        self._quiet_garbage = False
        self._pos = scan.end
        self._term, self._sep = scan.delimiters.segment, scan.delimiters.element
        self._filler = re.compile(f"[{_FILLER}{re.escape(self._term)}]*")
        self._lookback = _WS.replace(self._term, "")
        self._env.open_interchange(header)
        yield header

    def _skip_garbage(self) -> Iterator[Event]:
        """Report text that is not an ISA (once per stretch) and move to the next ISA."""
        if not self._quiet_garbage:
            self._quiet_garbage = True
            while len(self._buf) - self._pos < _SNIPPET and self._fill():
                pass
            code, what = (("FILE_NOT_X12", "text before the first ISA") if self._interchanges == 0
                          else ("FILE_TRAILING_DATA", "text after an interchange"))
            snippet = self._buf[self._pos:self._pos + _SNIPPET]
            yield FileError(EdiError(code, f"{what} is not X12: {snippet!r}", offset=self._base + self._pos,
                                     bad_value=snippet))
        found = self._buf.find("ISA", self._pos + 1)
        while True:
            while found >= 0 and found + 3 < len(self._buf) and not starts_isa(self._buf, found):
                found = self._buf.find("ISA", found + 1)
            if found >= 0 and found + 3 < len(self._buf):
                self._pos = found
                return
            # Keep a possible "ISA" cut by the chunk boundary for the next round.
            self._pos = found if found >= 0 else max(self._pos, len(self._buf) - 3)
            if not self._fill():
                self._pos = len(self._buf)
                return
            found = self._buf.find("ISA", self._pos)

    # -- inside an interchange ---------------------------------------------------------------

    def _interchange_body(self) -> Iterator[Event]:
        ahead = self._filler.match(self._buf, self._pos).end()
        if len(self._buf) - ahead < 4 and self._fill():
            return
        if starts_isa(self._buf, ahead):
            # A new ISA before this interchange's IEA: the interchange is truncated.
            yield from self._env.close_missing(self._base + ahead)
            self._pos = ahead
            return
        end = self._block_end()
        if end is None and self._fill():
            return
        if end is not None:
            yield from self._split_block(end)
            return
        if self._buf[self._pos:].strip(_WS):
            yield from self._split_block(len(self._buf))  # last segment lacks its terminator
        self._pos = len(self._buf)
        yield from self._env.close_missing(self._base + self._pos)

    def _block_end(self) -> int | None:
        """End (a terminator index) of the next block of complete segments, or None.

        A block stops at the first IEA, or before a new ISA, so that text after
        the interchange is re-read with the next interchange's own delimiters.
        """
        buf, pos, term = self._buf, self._pos, self._term
        end = buf.rfind(term, pos)
        if end < 0:
            return None
        iea = buf.find("IEA" + self._sep, pos, end)
        if iea >= 0:
            end = buf.find(term, iea)
        isa = buf.find("ISA", pos, end)
        while isa >= 0:
            if starts_isa(buf, isa):
                before = isa - 1
                while before >= pos and buf[before] in self._lookback:
                    before -= 1
                if before >= pos and buf[before] == term:
                    return before
            isa = buf.find("ISA", isa + 1, end)
        return end

    def _split_block(self, end: int) -> Iterator[Event]:
        """Split ``_buf[_pos:end]`` into segments and feed them to the envelope.

        This is the hot loop: one ``lstrip`` and one ``split`` per segment, line
        breaks dropped (they are never data in X12) only where a segment has one.
        """
        env, sep = self._env, self._sep
        newline_term = self._term in "\r\n"
        offset = self._base + self._pos
        current = env.set_segments()
        for piece in self._buf[self._pos:end].split(self._term):
            start = offset
            offset += len(piece) + 1
            text = piece.lstrip(_WS)
            if newline_term:
                if text.endswith("\r"):
                    text = text[:-1]
            elif "\n" in text or "\r" in text:
                text = text.replace("\r", "").replace("\n", "")
            if not text:
                env.empty_segment(start)
                continue
            seg = text.split(sep)
            if seg[0] in ENVELOPE_TAGS:
                yield from env.envelope_segment(seg, start + len(piece) - len(piece.lstrip(_WS)))
                if env.interchange is None:
                    break
                current = env.set_segments()
            elif current is not None:
                current.append(seg)
            else:
                env.loose_segment(seg, start + len(piece) - len(piece.lstrip(_WS)))
        env.enforce_limit()
        self._pos = min(offset - self._base, len(self._buf))
