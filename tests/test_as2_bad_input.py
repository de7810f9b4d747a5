"""Every refusal of the AS2 endpoint: the specific negative MDN or HTTP status, and its error code."""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from as2_fixtures import Identity, Inbox, make_identity, partnership, serve

from transports.as2 import cms
from transports.as2.asgi import create_app
from transports.as2.client import send
from transports.as2.errors import As2Error
from transports.as2.mdn import MdnReport, parse_mdn
from transports.as2.message import build_message
from transports.as2.mime import headers_from_mapping
from transports.as2.receiver import As2Receiver

PAYLOAD = b"ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *261125*1200*U*00401*1*0*P*>~"
ENC = "application/pkcs7-mime; smime-type=enveloped-data"


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("pki")
    return {name: make_identity(folder, name) for name in ("pulse", "acme", "acme2", "mallory")}


@pytest.fixture
def server(ids: dict[str, Identity], tmp_path: Path) -> Iterator[tuple[str, Inbox]]:
    """Our endpoint; ACME may send, with our policy: signed and encrypted, 64 KiB at most."""
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", max_body_bytes=64 * 1024))
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        yield url, inbox


def sender(ids: dict[str, Identity], signer: str = "acme", **settings: object):
    """ACME's side, as our own builder makes it (signing with ``signer``'s key)."""
    return partnership(ids[signer], ids["pulse"], "ACME", "PULSE", **settings)


def post(url: str, message_headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.post(url, headers=message_headers, content=body, timeout=30)


def mdn_of(response: httpx.Response, ids: dict[str, Identity]) -> MdnReport:
    assert response.status_code == 200, response.text
    return parse_mdn(headers_from_mapping(response.headers.multi_items()), response.content,
                     [ids["pulse"].pair.cert], require_signed=True)


def assert_negative(response: httpx.Response, ids, code: str, disposition: str) -> None:
    report = mdn_of(response, ids)
    assert response.headers["X-EDIPulse-Error"] == code
    assert report.disposition.render().endswith(disposition)


def test_unknown_as2_id_is_403_without_mdn(server, ids) -> None:
    url, inbox = server
    message = build_message(PAYLOAD, sender(ids))
    response = post(url, {**message.headers, "AS2-From": "STRANGER"}, message.body)
    assert (response.status_code, response.headers["X-EDIPulse-Error"]) == (403, "AS2_UNKNOWN_PARTNER")
    response = post(url, {**message.headers, "AS2-To": "NOT-US"}, message.body)
    assert response.status_code == 403 and inbox.received == []


def test_missing_headers_is_400(server, ids) -> None:
    url, _ = server
    message = build_message(PAYLOAD, sender(ids))
    headers = {k: v for k, v in message.headers.items() if k != "Message-ID"}
    response = post(url, headers, message.body)
    assert (response.status_code, response.headers["X-EDIPulse-Error"]) == (400, "AS2_HEADERS_MISSING")
    assert httpx.get(url).status_code == 405


def test_signature_by_unknown_key_is_authentication_failed(server, ids) -> None:
    url, inbox = server
    message = build_message(PAYLOAD, sender(ids, signer="mallory"))
    assert_negative(post(url, message.headers, message.body), ids, "AS2_SIGNATURE_INVALID",
                    "processed/error: authentication-failed")
    assert inbox.received == []


def test_tampered_signed_content_is_integrity_check_failed(ids, tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", require_encrypted=False))
    message = build_message(PAYLOAD, sender(ids, encrypt=False))
    tampered = message.body.replace(b"*00401*", b"*00501*")
    assert tampered != message.body
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        response = post(url, message.headers, tampered)
    assert_negative(response, ids, "AS2_INTEGRITY_FAILED", "processed/error: integrity-check-failed")
    assert inbox.received == []


def test_tampered_ciphertext_is_decryption_failed(server, ids) -> None:
    url, _ = server
    message = build_message(PAYLOAD, sender(ids, cipher="aes128-gcm"))
    body = bytearray(message.body)
    body[-40] ^= 0x01  # inside the GCM ciphertext: the tag no longer matches
    assert_negative(post(url, message.headers, bytes(body)), ids, "AS2_DECRYPTION_FAILED",
                    "processed/error: decryption-failed")


def test_encrypted_to_someone_else_is_decryption_failed(server, ids) -> None:
    url, _ = server
    wrong = partnership(ids["acme"], ids["mallory"], "ACME", "PULSE")
    message = build_message(PAYLOAD, wrong)
    assert_negative(post(url, message.headers, message.body), ids, "AS2_DECRYPTION_FAILED",
                    "processed/error: decryption-failed")


@pytest.mark.parametrize("settings", [{"sign": False}, {"encrypt": False}], ids=["unsigned", "unencrypted"])
def test_missing_protection_is_insufficient_message_security(server, ids, settings) -> None:
    url, inbox = server
    message = build_message(PAYLOAD, sender(ids, **settings))
    assert_negative(post(url, message.headers, message.body), ids, "AS2_INSUFFICIENT_SECURITY",
                    "processed/error: insufficient-message-security")
    assert inbox.received == []


def test_replayed_message_id_is_duplicate_warning(server, ids) -> None:
    url, inbox = server
    message = build_message(PAYLOAD, sender(ids))
    first = mdn_of(post(url, message.headers, message.body), ids)
    again = post(url, message.headers, message.body)
    assert first.disposition.render().endswith("; processed")
    assert_negative(again, ids, "AS2_DUPLICATE", "processed/warning: duplicate-document")
    assert mdn_of(again, ids).disposition.ok  # a warning: the sender may consider it delivered
    assert len(inbox.received) == 1


def test_oversize_declared_length_is_413(server, ids) -> None:
    url, inbox = server
    message = build_message(os.urandom(70 * 1024), sender(ids, encrypt=True))
    response = post(url, message.headers, message.body)
    assert (response.status_code, response.headers["X-EDIPulse-Error"]) == (413, "AS2_TOO_LARGE")
    assert inbox.received == []


def test_oversize_streamed_body_is_refused(server, ids) -> None:
    """Chunked upload without Content-Length, 4 MiB against a 64 KiB limit."""
    url, inbox = server
    message = build_message(PAYLOAD, sender(ids))
    chunks = (b"\0" * 65536 for _ in range(64))
    response = httpx.post(url, headers=message.headers, content=chunks, timeout=30)
    assert (response.status_code, response.headers["X-EDIPulse-Error"]) == (413, "AS2_TOO_LARGE")
    assert inbox.received == []


def test_app_stops_reading_once_the_limit_is_passed(ids, tmp_path: Path) -> None:
    """Driven through the ASGI interface: the app pulls no more body chunks after the limit."""
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", max_body_bytes=64 * 1024))
    app = create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))
    message = build_message(PAYLOAD, sender(ids))
    pulled: list[int] = []
    sent: list[dict] = []

    async def receive() -> dict:
        pulled.append(1)
        return {"type": "http.request", "body": b"\0" * 16384, "more_body": True}  # endless body

    async def send_event(event: dict) -> None:
        sent.append(event)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": [
        (k.lower().encode(), v.encode()) for k, v in message.headers.items()]}
    anyio.run(app, scope, receive, send_event)
    assert sent[0]["status"] == 413
    assert len(pulled) == 5  # 4 x 16 KiB reach the limit, the 5th chunk passes it: reading stops there


@pytest.mark.parametrize(
    ("content_type", "body", "code", "modifier"),
    [
        (ENC, b"\x30\x82garbage" + os.urandom(200), "AS2_DECRYPTION_FAILED", "decryption-failed"),
        (ENC, b"", "AS2_DECRYPTION_FAILED", "decryption-failed"),
        ("text/plain", b"hello", "AS2_INSUFFICIENT_SECURITY", "insufficient-message-security"),
    ],
    ids=["random-der", "empty", "plain-text"],
)
def test_garbage_body_gets_negative_mdn(server, ids, content_type, body, code, modifier) -> None:
    url, _ = server
    headers = {"AS2-From": "ACME", "AS2-To": "PULSE", "Message-ID": f"<{uuid.uuid4()}@x>",
               "Content-Type": content_type, "Disposition-Notification-To": "x",
               "Disposition-Notification-Options": "signed-receipt-protocol=optional, pkcs7-signature; "
                                                   "signed-receipt-micalg=optional, sha-256"}
    assert_negative(post(url, headers, body), ids, code, f"processed/error: {modifier}")


def test_garbage_inside_envelope_is_unexpected_processing_error(server, ids) -> None:
    url, _ = server
    message = build_message(PAYLOAD, sender(ids))
    inner = b"Content-Type: multipart/signed; boundary=\"b\"\r\n\r\n--b\r\nno end"
    body = cms.encrypt(inner, ids["pulse"].pair.cert)
    assert_negative(post(url, message.headers, body), ids, "AS2_MALFORMED",
                    "processed/error: unexpected-processing-error")


def test_rotation_accepts_old_and_new_partner_certificate(ids, tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME"))
    inbox.replace("ACME", "PULSE", partner_certs=(ids["acme2"].pair.cert, ids["acme"].pair.cert))
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        for signer in ("acme", "acme2"):
            message = build_message(PAYLOAD, sender(ids, signer=signer))
            assert mdn_of(post(url, message.headers, message.body), ids).disposition.ok, signer
        message = build_message(PAYLOAD, sender(ids, signer="mallory"))
        assert_negative(post(url, message.headers, message.body), ids, "AS2_SIGNATURE_INVALID",
                        "authentication-failed")
    assert len(inbox.received) == 2


def test_rotation_decrypts_with_our_old_and_new_key(ids, tmp_path: Path) -> None:
    """During our own rotation partners encrypt to either certificate; both keys decrypt."""
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME"))
    inbox.replace("ACME", "PULSE", our_keys=(ids["pulse"].pair, ids["mallory"].pair))
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        for recipient in ("pulse", "mallory"):
            to = partnership(ids["acme"], ids[recipient], "ACME", "PULSE")
            message = build_message(PAYLOAD, to)
            response = post(url, message.headers, message.body)
            assert "X-EDIPulse-Error" not in response.headers, recipient
    assert len(inbox.received) == 2


def test_client_rejects_mdn_signed_by_someone_else(ids, tmp_path: Path) -> None:
    """Our client trusts only the partner's configured certificates: an MDN it cannot verify is an error."""
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["acme"], ids["pulse"], "ACME", "PULSE", require_encrypted=False))
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url, \
            httpx.Client() as http:
        ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", url=url)
        assert send(PAYLOAD, ours, http=http).mdn is not None
        expecting_mallory = replace(ours, partner_certs=(ids["mallory"].pair.cert,), encrypt=False)
        with pytest.raises(As2Error) as caught:
            send(PAYLOAD, expecting_mallory, http=http)
    assert caught.value.code == "AS2_MDN_SIGNATURE_INVALID"
    assert len(inbox.received) == 2  # the partner did take the message; only its receipt is untrusted


def _der(tag: int, content: bytes) -> bytes:
    """Minimal DER TLV encoder, independent of the code under test."""
    if len(content) < 0x80:
        return bytes([tag, len(content)]) + content
    size = len(content).to_bytes((len(content).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def test_hand_built_compressed_data_is_accepted(ids, tmp_path: Path) -> None:
    """RFC 3274 compressed-data built byte by byte here (openssl may lack zlib), inside an encrypted message."""
    entity = b"Content-Type: application/edi-x12\r\n\r\n" + PAYLOAD
    oid_compressed = bytes.fromhex("06 0b 2a 86 48 86 f7 0d 01 09 10 01 09")
    oid_zlib = bytes.fromhex("06 0b 2a 86 48 86 f7 0d 01 09 10 03 08")
    oid_data = bytes.fromhex("06 09 2a 86 48 86 f7 0d 01 07 01")
    encap = _der(0x30, oid_data + _der(0xA0, _der(0x04, zlib.compress(entity))))
    compressed = _der(0x30, bytes.fromhex("02 01 00") + _der(0x30, oid_zlib) + encap)
    der = _der(0x30, oid_compressed + _der(0xA0, compressed))
    inner = b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n\r\n" + der
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", require_signed=False))
    headers = {"AS2-From": "ACME", "AS2-To": "PULSE", "Message-ID": f"<{uuid.uuid4()}@x>", "Content-Type": ENC}
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        response = post(url, headers, cms.encrypt(inner, ids["pulse"].pair.cert, "aes128-cbc"))
    assert response.status_code == 200 and "X-EDIPulse-Error" not in response.headers
    assert inbox.received[0][0] == PAYLOAD and inbox.received[0][1].compressed


def test_zip_bomb_is_refused(ids, tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", require_signed=False, max_body_bytes=100_000))
    bomb = b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n\r\n" + cms.compress(
        b"Content-Type: text/plain\r\n\r\n" + b"\0" * 50_000_000)
    headers = {"AS2-From": "ACME", "AS2-To": "PULSE", "Message-ID": f"<{uuid.uuid4()}@x>", "Content-Type": ENC,
               "Disposition-Notification-To": "x"}
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        response = post(url, headers, cms.encrypt(bomb, ids["pulse"].pair.cert))
    assert response.headers["X-EDIPulse-Error"] == "AS2_DECOMPRESSION_FAILED" and inbox.received == []
