"""Byte-exact MIME handling for AS2.

Signatures and MICs are computed over exact bytes, so this module never round-trips an
entity through :mod:`email`'s generator (which refolds headers and rewrites line ends).
Headers are *parsed* with :mod:`email` for their parameters, while bodies and parts are
cut out of the original byte string.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser

from transports.as2.errors import As2Error

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BARE_LF = re.compile(rb"(?<!\r)\n")


@dataclass(frozen=True, slots=True)
class MimeEntity:
    """A MIME entity: its header block parsed, its body kept as the exact transferred bytes."""

    headers: Message
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type()

    def param(self, name: str) -> str | None:
        value = self.headers.get_param(name)
        return value if isinstance(value, str) else None

    def decoded_body(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone (base64/quoted-printable)."""
        return decode_transfer(self.body, self.headers.get("Content-Transfer-Encoding"))


def canonicalize(data: bytes) -> bytes:
    """Bare LF -> CRLF (RFC 5751 canonical form); text signed by S/MIME tools is signed in this form."""
    return _BARE_LF.sub(b"\r\n", data)


def decode_transfer(body: bytes, encoding: str | None) -> bytes:
    enc = (encoding or "binary").strip().lower()
    try:
        if enc == "base64":
            return base64.b64decode(b"".join(body.split()), validate=True)
        if enc == "quoted-printable":
            return quopri.decodestring(body)
    except (binascii.Error, ValueError) as exc:
        raise As2Error("AS2_MALFORMED", f"body is not valid {enc}: {exc}") from exc
    return body


def headers_from_mapping(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Message:
    """A header-only :class:`Message` (for parameter parsing) from HTTP-style headers."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    msg = Message()
    for name, value in items:
        msg[name] = value
    return msg


def parse_entity(raw: bytes) -> MimeEntity:
    """Split ``raw`` into its header block and body at the first empty line."""
    match = _HEADER_END.search(raw)
    if match is None:
        raise As2Error("AS2_MALFORMED", "MIME entity has no header/body separator")
    header_bytes = raw[: match.start()] + b"\r\n"
    if not header_bytes.strip() or b":" not in header_bytes.split(b"\n", 1)[0]:
        raise As2Error("AS2_MALFORMED", "MIME entity does not start with a header line")
    headers = BytesHeaderParser().parsebytes(header_bytes)
    if headers.defects:
        raise As2Error("AS2_MALFORMED", f"malformed MIME headers: {headers.defects[0]!r}")
    return MimeEntity(headers, raw[match.end():])


def split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The exact bytes of each body part (RFC 2046: the CRLF before a delimiter belongs to the delimiter)."""
    delimiter = re.escape(b"--" + boundary.encode("ascii"))
    pattern = re.compile(rb"(?:^|\r?\n)" + delimiter + rb"(--)?[ \t]*(?:\r?\n|$)")
    parts: list[bytes] = []
    start: int | None = None
    for match in pattern.finditer(body):
        if start is not None:
            parts.append(body[start: match.start()])
        if match.group(1):  # close delimiter
            return parts
        start = match.end()
    raise As2Error("AS2_MALFORMED", f"multipart body has no closing boundary {boundary!r}")


def build_entity(headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """Serialise headers (CRLF line ends, no folding) and body into one entity."""
    head = b"".join(f"{name}: {value}\r\n".encode("ascii") for name, value in headers)
    return head + b"\r\n" + body


def build_multipart(parts: Iterable[bytes], boundary: str) -> bytes:
    """A multipart body from already-serialised parts."""
    delim = f"--{boundary}".encode("ascii")
    out = b"".join(b"\r\n" + delim + b"\r\n" + part for part in parts)
    return out[2:] + b"\r\n" + delim + b"--\r\n"


def new_boundary() -> str:
    return f"----=_Part_{secrets.token_hex(12)}"


def new_message_id(domain: str) -> str:
    """A globally unique Message-ID without angle brackets."""
    return f"{uuid.uuid4().hex}@{domain}"


def b64_lines(data: bytes) -> bytes:
    """Base64 with 76-character CRLF lines (RFC 2045)."""
    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i: i + 76] for i in range(0, len(encoded), 76)) + b"\r\n"


def quote_as2_name(name: str) -> str:
    """AS2 names with spaces or specials are sent quoted (RFC 4130 section 6.2)."""
    if re.fullmatch(r"[!#-\[\]-~]+", name):
        return name
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def unquote_as2_name(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def strip_angle(value: str) -> str:
    """Message-ID without its angle brackets and surrounding space."""
    value = value.strip()
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1].strip()
    return value
