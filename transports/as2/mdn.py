"""Message Disposition Notifications for AS2 (RFC 4130 section 7, RFC 3798).

An MDN is a ``multipart/report`` with a human-readable part and a
``message/disposition-notification`` part, signed as ``multipart/signed`` when the
sender asked for a signed receipt. The disposition tells the sender what happened:
``processed``, ``processed/warning: duplicate-document`` or ``processed/error: <modifier>``
with the modifier taken from the error catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import formatdate

from cryptography import x509

from transports.as2 import cms
from transports.as2.errors import As2Error
from transports.as2.message import PKCS7_SIGNATURE
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
    strip_angle,
    unquote_as2_name,
)

REPORTING_UA = "EDI Pulse AS2"
_DISPOSITION = re.compile(
    r"^\s*(?P<mode>[\w-]+/[\w-]+)\s*;\s*(?P<type>[\w-]+)(?:\s*/\s*(?P<modifier>[\w-]+))?(?:\s*:\s*(?P<desc>.*))?$",
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class MdnRequest:
    """What the sender of a message asked for in its Disposition-Notification-* headers."""

    requested: bool
    signed: bool
    micalgs: tuple[str, ...]  # normalised, supported ones only, in the sender's order of preference
    async_url: str | None

    @classmethod
    def from_headers(cls, headers: Message) -> MdnRequest:
        options = parse_options(headers.get("Disposition-Notification-Options", ""))
        protocols = [value.lower() for value in options.get("signed-receipt-protocol", ())]
        micalgs: list[str] = []
        for name in options.get("signed-receipt-micalg", ()):
            try:
                micalgs.append(cms.normalize_digest(name))
            except As2Error:
                continue  # an unknown algorithm in a preference list is skipped, not fatal
        url = (headers.get("Receipt-Delivery-Option") or "").strip() or None
        return cls(
            requested=headers.get("Disposition-Notification-To") is not None or url is not None,
            signed="pkcs7-signature" in protocols,
            micalgs=tuple(micalgs),
            async_url=url,
        )

    @property
    def digest(self) -> str:
        """Digest for signing the MDN (and an unsigned message's MIC): the first supported preference."""
        return self.micalgs[0] if self.micalgs else "sha256"


def parse_options(value: str) -> dict[str, list[str]]:
    """'signed-receipt-protocol=optional, pkcs7-signature; ...' -> {name: [values]} (importance dropped)."""
    options: dict[str, list[str]] = {}
    for item in value.split(";"):
        name, sep, rest = item.partition("=")
        if not sep:
            continue
        values = [v.strip() for v in rest.split(",") if v.strip()]
        options[name.strip().lower()] = values[1:] if values and values[0].lower() in ("required", "optional") \
            else values
    return options


@dataclass(frozen=True, slots=True)
class Disposition:
    """'processed', 'processed/warning: duplicate-document', 'processed/error: decryption-failed'."""

    kind: str = "processed"
    modifier: str | None = None  # "error" | "warning" | None
    description: str | None = None
    mode: str = "automatic-action/MDN-sent-automatically"

    @property
    def ok(self) -> bool:
        return self.kind.lower() == "processed" and (self.modifier or "").lower() != "error"

    def render(self) -> str:
        text = f"{self.mode}; {self.kind}"
        if self.modifier:
            text += f"/{self.modifier}"
        if self.description:
            text += f": {self.description}"
        return text

    @classmethod
    def parse(cls, text: str) -> Disposition:
        match = _DISPOSITION.match(" ".join(text.split()))
        if match is None:
            raise As2Error("AS2_MDN_MALFORMED", f"unreadable Disposition field {text!r}")
        desc = match["desc"].strip() if match["desc"] else None
        return cls(match["type"], match["modifier"], desc, match["mode"])

    @classmethod
    def for_error(cls, error: As2Error) -> Disposition:
        modifier = error.spec.modifier or "unexpected-processing-error"
        return cls("processed", "warning" if error.spec.warning else "error", modifier)


@dataclass(frozen=True, slots=True)
class OutboundMdn:
    message_id: str
    headers: dict[str, str]
    body: bytes


def _report(original_message_id: str, recipient: str, disposition: Disposition,
            mic: str | None, mic_digest: str | None, text: str) -> bytes:
    fields = [
        f"Reporting-UA: {REPORTING_UA}",
        f"Original-Recipient: rfc822; {recipient}",
        f"Final-Recipient: rfc822; {recipient}",
        f"Original-Message-ID: <{original_message_id}>",
        f"Disposition: {disposition.render()}",
    ]
    if mic and mic_digest:
        fields.append(f"Received-content-MIC: {mic}, {cms.micalg_label(mic_digest)}")
    notification = build_entity(
        [("Content-Type", "message/disposition-notification"), ("Content-Transfer-Encoding", "7bit")],
        "\r\n".join(fields).encode("ascii") + b"\r\n",
    )
    human = build_entity([("Content-Type", "text/plain; charset=us-ascii"), ("Content-Transfer-Encoding", "7bit")],
                         canonicalize(text.encode("ascii", "replace")) + b"\r\n")
    boundary = new_boundary()
    return build_entity(
        [("Content-Type", f'multipart/report; report-type=disposition-notification; boundary="{boundary}"')],
        build_multipart([human, notification], boundary),
    )


def build_mdn(
    *,
    original_message_id: str,
    local_id: str,
    partner_id: str,
    disposition: Disposition,
    mic: str | None,
    mic_digest: str | None,
    signer: cms.KeyPair | None,
    sign_digest: str = "sha256",
    text: str | None = None,
    domain: str = "edipulse.local",
) -> OutboundMdn:
    """An MDN from us (``local_id``) to ``partner_id``; signed when ``signer`` is given."""
    note = text or (f"The message <{original_message_id}> was received: {disposition.render()}")
    entity = _report(original_message_id, local_id, disposition, mic, mic_digest, note)
    if signer is not None:
        sig_part = build_entity(
            [("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
             ("Content-Transfer-Encoding", "base64"),
             ("Content-Disposition", 'attachment; filename="smime.p7s"')],
            b64_lines(cms.sign(entity, signer, sign_digest)),
        )
        boundary = new_boundary()
        entity = build_entity(
            [("Content-Type", f'multipart/signed; protocol="application/pkcs7-signature"; '
                              f'micalg={cms.micalg_label(sign_digest)}; boundary="{boundary}"')],
            build_multipart([entity, sig_part], boundary),
        )
    parsed = parse_entity(entity)
    message_id = new_message_id(domain)
    headers = {
        "AS2-Version": "1.2",
        "AS2-From": quote_as2_name(local_id),
        "AS2-To": quote_as2_name(partner_id),
        "Message-ID": f"<{message_id}>",
        "Date": formatdate(usegmt=True),
        "MIME-Version": "1.0",
        "Content-Type": parsed.headers["Content-Type"],
    }
    return OutboundMdn(message_id, headers, parsed.body)


@dataclass(frozen=True, slots=True)
class MdnReport:
    """A parsed (and, when signed, verified) MDN."""

    original_message_id: str
    disposition: Disposition
    mic: str | None
    mic_digest: str | None
    signed: bool
    as2_from: str | None
    as2_to: str | None


def _verified_report(entity: MimeEntity, certs: Sequence[x509.Certificate]) -> MimeEntity:
    boundary = entity.headers.get_boundary()
    parts = split_multipart(entity.body, boundary) if boundary else []
    if len(parts) != 2 or parse_entity(parts[1]).content_type not in PKCS7_SIGNATURE:
        raise As2Error("AS2_MDN_MALFORMED", "signed MDN is not a two-part multipart/signed")
    try:
        cms.verify([parts[0], canonicalize(parts[0])], parse_entity(parts[1]).decoded_body(), certs)
    except As2Error as exc:
        raise As2Error("AS2_MDN_SIGNATURE_INVALID", exc.message) from exc
    return parse_entity(parts[0])


def _notification_fields(report: MimeEntity) -> Message:
    boundary = report.headers.get_boundary()
    if report.content_type != "multipart/report" or not boundary:
        raise As2Error("AS2_MDN_MALFORMED", f"MDN is {report.content_type}, not multipart/report")
    for raw in split_multipart(report.body, boundary):
        part = parse_entity(raw)
        if part.content_type == "message/disposition-notification":
            return BytesHeaderParser().parsebytes(part.decoded_body().strip() + b"\r\n\r\n")
    raise As2Error("AS2_MDN_MALFORMED", "MDN has no message/disposition-notification part")


def _mic_field(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    mic, _, digest = value.partition(",")
    try:
        return mic.strip(), cms.normalize_digest(digest) if digest.strip() else None
    except As2Error as exc:
        raise As2Error("AS2_MDN_MALFORMED", f"MIC algorithm {digest.strip()!r} is not supported") from exc


def parse_mdn(
    headers: Message, body: bytes, certs: Sequence[x509.Certificate], *, require_signed: bool
) -> MdnReport:
    """Parse an MDN; a signature must verify with ``certs``; errors are coded AS2_MDN_*."""
    try:
        entity = MimeEntity(headers, body)
        signed = entity.content_type == "multipart/signed"
        if signed:
            entity = _verified_report(entity, certs)
        elif require_signed:
            raise As2Error("AS2_MDN_UNSIGNED", "a signed MDN was requested but the MDN is not signed")
        fields = _notification_fields(entity)
    except As2Error as exc:
        if exc.code.startswith("AS2_MDN_"):
            raise
        raise As2Error("AS2_MDN_MALFORMED", exc.message) from exc
    original = fields.get("Original-Message-ID")
    disposition = fields.get("Disposition")
    if not original or not disposition:
        raise As2Error("AS2_MDN_MALFORMED", "MDN lacks Original-Message-ID or Disposition")
    mic, mic_digest = _mic_field(fields.get("Received-content-MIC"))
    as2_from, as2_to = headers.get("AS2-From"), headers.get("AS2-To")
    return MdnReport(
        original_message_id=strip_angle(str(original)),
        disposition=Disposition.parse(str(disposition)),
        mic=mic,
        mic_digest=mic_digest,
        signed=signed,
        as2_from=unquote_as2_name(as2_from) if as2_from else None,
        as2_to=unquote_as2_name(as2_to) if as2_to else None,
    )
