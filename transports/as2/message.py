"""Building an outbound AS2 message and unwrapping an inbound one (RFC 4130, RFC 5402).

Layering on the wire, outermost first: enveloped-data (encryption), multipart/signed,
compressed-data (compress-before-sign), the payload entity. Inbound messages may also
compress outside the signature; both orders are unwrapped.

The Received-content-MIC (RFC 4130 section 7.3.1) is computed over exactly the bytes
that were signed (the first part of multipart/signed, MIME headers included). For an
unsigned message it covers the decrypted MIME entity when encrypted, else the content.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate

from transports.as2 import cms
from transports.as2.config import Partnership
from transports.as2.errors import As2Error
from transports.as2.mime import (
    MimeEntity,
    b64_lines,
    build_entity,
    build_multipart,
    canonicalize,
    new_boundary,
    new_message_id,
    parse_entity,
    quote_as2_name,
    split_multipart,
)

PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")
PKCS7_SIGNATURE = ("application/pkcs7-signature", "application/x-pkcs7-signature")
MAX_LAYERS = 6
_NON_CANONICAL = re.compile(rb"(?<!\r)\n|\r(?!\n)")

Headers = list[tuple[str, str]]


def compute_mic(data: bytes, digest: str) -> str:
    """Base64 MIC value as it appears in Received-content-MIC."""
    return base64.b64encode(hashlib.new(cms.normalize_digest(digest), data).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    message_id: str  # without angle brackets
    headers: dict[str, str]  # HTTP headers to send, AS2 headers included
    body: bytes
    mic: str
    mic_digest: str


def _part(headers: Headers, body: bytes, signed: bool) -> bytes:
    """A MIME part whose body goes binary, or base64 when it is signed and not in canonical text form.

    Text-mode S/MIME verifiers canonicalise line ends before hashing; base64 keeps what we
    signed identical to what they hash, whatever bytes the payload holds.
    """
    cte = "base64" if signed and _NON_CANONICAL.search(body) else "binary"
    encoded = b64_lines(body) if cte == "base64" else body
    return build_entity([headers[0], ("Content-Transfer-Encoding", cte), *headers[1:]], encoded)


def _payload_entity(payload: bytes, content_type: str, filename: str | None, signed: bool) -> bytes:
    headers: Headers = [("Content-Type", content_type)]
    if filename:
        headers.append(("Content-Disposition", f'attachment; filename="{filename}"'))
    return _part(headers, payload, signed)


def _signed(entity: bytes, partnership: Partnership) -> tuple[Headers, bytes]:
    signature = cms.sign(entity, partnership.signer, partnership.digest)
    sig_part = build_entity(
        [
            ("Content-Type", 'application/pkcs7-signature; name="smime.p7s"; smime-type=signed-data'),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="smime.p7s"'),
        ],
        b64_lines(signature),
    )
    boundary = new_boundary()
    content_type = (
        f'multipart/signed; protocol="application/pkcs7-signature"; '
        f'micalg={cms.micalg_label(partnership.digest)}; boundary="{boundary}"'
    )
    return [("Content-Type", content_type)], build_multipart([entity, sig_part], boundary)


def _mdn_request_headers(partnership: Partnership) -> dict[str, str]:
    if partnership.mdn == "none":
        return {}
    headers = {"Disposition-Notification-To": partnership.local_id}
    if partnership.mdn_signed:
        headers["Disposition-Notification-Options"] = (
            "signed-receipt-protocol=optional, pkcs7-signature; "
            f"signed-receipt-micalg=optional, {cms.micalg_label(partnership.mdn_digest)}"
        )
    if partnership.mdn == "async":
        assert partnership.async_mdn_url is not None  # validated by PartnerConfig
        headers["Receipt-Delivery-Option"] = partnership.async_mdn_url
    return headers


def build_message(
    payload: bytes,
    partnership: Partnership,
    *,
    content_type: str = "application/edi-x12",
    filename: str | None = None,
    subject: str = "EDI message",
    domain: str = "edipulse.local",
) -> OutboundMessage:
    """Compress, sign and encrypt ``payload`` as the partnership says; returns HTTP headers and body."""
    entity = _payload_entity(payload, content_type, filename, partnership.sign)
    if partnership.compress:
        compressed_type = 'application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"'
        entity = _part([("Content-Type", compressed_type)], cms.compress(entity), partnership.sign)
    mic_digest = partnership.digest if partnership.sign else partnership.mdn_digest
    if partnership.sign:
        mic = compute_mic(entity, mic_digest)  # over exactly the signed bytes
        outer_headers, outer_body = _signed(entity, partnership)
        entity = build_entity(outer_headers, outer_body)
    else:
        mic = compute_mic(entity if partnership.encrypt else parse_entity(entity).body, mic_digest)
    if partnership.encrypt:
        outer_headers = [("Content-Type", 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'),
                         ("Content-Transfer-Encoding", "binary"),
                         ("Content-Disposition", 'attachment; filename="smime.p7m"')]
        outer_body = cms.encrypt(entity, partnership.encryption_cert, partnership.cipher)
    else:
        parsed = parse_entity(entity)
        outer_headers, outer_body = list(parsed.headers.items()), parsed.body
    message_id = new_message_id(domain)
    headers = {
        "AS2-Version": "1.2",
        "AS2-From": quote_as2_name(partnership.local_id),
        "AS2-To": quote_as2_name(partnership.partner_id),
        "Message-ID": f"<{message_id}>",
        "Subject": subject,
        "Date": formatdate(usegmt=True),
        "MIME-Version": "1.0",
        **dict(outer_headers),
        **_mdn_request_headers(partnership),
    }
    return OutboundMessage(message_id, headers, outer_body, mic, cms.normalize_digest(mic_digest))


@dataclass(slots=True)
class Unwrapped:
    """The payload of an inbound message and what protected it."""

    payload: bytes = b""
    content_type: str = ""
    filename: str | None = None
    encrypted: bool = False
    signed: bool = False
    compressed: bool = False
    cipher: str | None = None
    signature_digest: str | None = None
    mic: str | None = None
    mic_digest: str | None = None


def _is_pkcs7(entity: MimeEntity, kind: str) -> bool:
    return entity.content_type in PKCS7_MIME and (entity.param("smime-type") or kind).lower() == kind


def _verify_signed(entity: MimeEntity, certs: Sequence, state: Unwrapped) -> MimeEntity:
    if state.signed:
        raise As2Error("AS2_MALFORMED", "nested multipart/signed is not accepted")
    boundary = entity.headers.get_boundary()
    if not boundary:
        raise As2Error("AS2_MALFORMED", "multipart/signed without boundary")
    parts = split_multipart(entity.body, boundary)
    if len(parts) != 2:
        raise As2Error("AS2_MALFORMED", f"multipart/signed has {len(parts)} parts, expected 2")
    sig_entity = parse_entity(parts[1])
    if sig_entity.content_type not in PKCS7_SIGNATURE:
        raise As2Error("AS2_MALFORMED", f"second part is {sig_entity.content_type}, not a pkcs7-signature")
    digest, covered = cms.verify([parts[0], canonicalize(parts[0])], sig_entity.decoded_body(), certs)
    state.signed, state.signature_digest = True, digest
    state.mic, state.mic_digest = compute_mic(covered, digest), digest
    return parse_entity(parts[0])


def unwrap(
    headers: Message, body: bytes, partnership: Partnership, *, unsigned_mic_digest: str = "sha1"
) -> Unwrapped:
    """Decrypt, decompress and verify an inbound message down to its payload (errors coded)."""
    state = Unwrapped()
    entity = MimeEntity(headers, body)
    if partnership.require_encrypted and not _is_pkcs7(entity, "enveloped-data"):
        raise As2Error("AS2_INSUFFICIENT_SECURITY", "partnership requires encryption; message is not encrypted")
    unsigned_mic_source = body
    for _ in range(MAX_LAYERS):
        if _is_pkcs7(entity, "compressed-data"):
            plain = cms.decompress(entity.decoded_body(), partnership.max_body_bytes)
            state.compressed = True
        elif _is_pkcs7(entity, "enveloped-data") and not state.encrypted and not state.signed:
            plain, state.cipher = cms.decrypt(entity.decoded_body(), partnership.our_keys)
            state.encrypted, unsigned_mic_source = True, plain
        elif entity.content_type == "multipart/signed":
            entity = _verify_signed(entity, partnership.partner_certs, state)
            continue
        else:
            break
        entity = parse_entity(plain)
    else:
        raise As2Error("AS2_MALFORMED", f"more than {MAX_LAYERS} MIME layers")
    if partnership.require_signed and not state.signed:
        raise As2Error("AS2_INSUFFICIENT_SECURITY", "partnership requires a signature; message is not signed")
    if state.mic is None:
        state.mic_digest = cms.normalize_digest(unsigned_mic_digest)
        state.mic = compute_mic(unsigned_mic_source, state.mic_digest)
    state.payload = entity.decoded_body()
    state.content_type = entity.content_type
    filename = entity.headers.get_filename()
    state.filename = filename if isinstance(filename, str) else None
    return state
