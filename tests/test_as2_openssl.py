"""Interoperability with `openssl cms` as the independent AS2 peer, over real HTTP on loopback.

openssl builds what a partner would send (sign, then encrypt); our endpoint must accept it
and echo a MIC that the test computes itself with hashlib. In the other direction openssl
must decrypt and verify what we send, and verify the signature of our MDN.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from as2_fixtures import Identity, Inbox, make_identity, partnership, serve

from transports.as2.asgi import create_app
from transports.as2.mdn import parse_mdn
from transports.as2.message import build_message
from transports.as2.mime import headers_from_mapping
from transports.as2.receiver import As2Receiver

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")

X12 = (b"ISA*00*          *00*          *ZZ*ACMEMED        *ZZ*EDIPULSE       *261125*1200*U*00401*000000007*0*P*>~\n"
       b"GS*PO*ACMEMED*EDIPULSE*20261125*1200*7*X*004010~\nST*850*0001~\nSE*2*0001~\nGE*1*7~\nIEA*1*000000007~\n")
ENTITY_HEAD = b"Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=\"po.x12\"\r\n\r\n"


def openssl(*args: object) -> subprocess.CompletedProcess[bytes]:
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("pki")
    return {name: make_identity(folder, name) for name in ("pulse", "acme")}


@pytest.fixture
def endpoint(ids: dict[str, Identity], tmp_path: Path):
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME"))
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        yield url, inbox


def as2_headers(content_type: str, micalg: str = "sha-256") -> dict[str, str]:
    return {
        "AS2-Version": "1.2", "AS2-From": "ACME", "AS2-To": "PULSE", "Message-ID": f"<{uuid.uuid4()}@acme.test>",
        "Content-Type": content_type, "Disposition-Notification-To": "edi@acme.test",
        "Disposition-Notification-Options":
            f"signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, {micalg}",
    }


def openssl_signed(tmp: Path, signer: Identity, md: str) -> Path:
    """A multipart/signed S/MIME entity made by openssl (text mode: it canonicalises line ends)."""
    (tmp / "entity.txt").write_bytes(ENTITY_HEAD + X12)
    openssl("cms", "-sign", "-in", tmp / "entity.txt", "-signer", signer.cert_path, "-inkey", signer.key_path,
            "-md", md, "-out", tmp / "signed.smime")
    return tmp / "signed.smime"


def check_mdn_with_openssl(tmp: Path, response: httpx.Response, signer: Identity) -> None:
    """openssl verifies our MDN's signature against our certificate."""
    mdn_file = tmp / "mdn.smime"
    mdn_file.write_bytes(f"Content-Type: {response.headers['content-type']}\r\n\r\n".encode() + response.content)
    openssl("cms", "-verify", "-in", mdn_file, "-CAfile", signer.cert_path, "-purpose", "any", "-out", tmp / "mdn.txt")
    assert b"processed" in (tmp / "mdn.txt").read_bytes()


@pytest.mark.parametrize(("cipher", "md"), [("aes128", "sha256"), ("aes192", "sha384"), ("aes256", "sha512"),
                                            ("des3", "sha1"), ("aes-128-gcm", "sha256"), ("aes-256-gcm", "sha256")])
def test_openssl_signed_encrypted_is_accepted(endpoint, ids, tmp_path: Path, cipher: str, md: str) -> None:
    url, inbox = endpoint
    signed = openssl_signed(tmp_path, ids["acme"], md)
    openssl("cms", "-encrypt", f"-{cipher}", "-binary", "-in", signed, "-outform", "DER", "-out", tmp_path / "enc.der",
            ids["pulse"].cert_path)
    micalg = "sha-" + md[3:]
    headers = as2_headers('application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"', micalg)
    response = httpx.post(url, headers=headers, content=(tmp_path / "enc.der").read_bytes())
    assert response.status_code == 200 and "X-EDIPulse-Error" not in response.headers
    report = parse_mdn(headers_from_mapping(response.headers.multi_items()), response.content,
                       [ids["pulse"].pair.cert], require_signed=True)
    expected_mic = base64.b64encode(hashlib.new(md, crlf(ENTITY_HEAD + X12)).digest()).decode()
    assert (report.disposition.ok, report.mic, report.mic_digest) == (True, expected_mic, md)
    assert report.original_message_id == headers["Message-ID"].strip("<>")
    payload, meta = inbox.received[0]
    assert crlf(payload) == crlf(X12) and meta.filename == "po.x12" and meta.signed and meta.encrypted
    check_mdn_with_openssl(tmp_path, response, ids["pulse"])


def test_openssl_binary_signed_base64_transfer(endpoint, ids, tmp_path: Path) -> None:
    """A base64 Content-Transfer-Encoding on the HTTP body (some products send that) is undone."""
    url, inbox = endpoint
    signed = openssl_signed(tmp_path, ids["acme"], "sha256")
    openssl("cms", "-encrypt", "-aes256", "-in", signed, "-out", tmp_path / "enc.smime", ids["pulse"].cert_path)
    smime = (tmp_path / "enc.smime").read_bytes()
    body = smime.split(b"\n\n", 1)[1]  # openssl's own base64 body
    headers = {**as2_headers("application/pkcs7-mime; smime-type=enveloped-data"),
               "Content-Transfer-Encoding": "base64"}
    response = httpx.post(url, headers=headers, content=body)
    assert response.status_code == 200 and "X-EDIPulse-Error" not in response.headers, response.text
    assert crlf(inbox.received[0][0]) == crlf(X12)


def test_openssl_encrypted_unsigned_mic_covers_decrypted_entity(ids, tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", require_signed=False))
    entity = ENTITY_HEAD + crlf(X12)
    (tmp_path / "entity.bin").write_bytes(entity)
    openssl("cms", "-encrypt", "-aes128", "-binary", "-in", tmp_path / "entity.bin", "-outform", "DER",
            "-out", tmp_path / "enc.der", ids["pulse"].cert_path)
    with serve(create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))) as url:
        response = httpx.post(url, headers=as2_headers("application/pkcs7-mime; smime-type=enveloped-data"),
                              content=(tmp_path / "enc.der").read_bytes())
    report = parse_mdn(headers_from_mapping(response.headers.multi_items()), response.content,
                       [ids["pulse"].pair.cert], require_signed=True)
    assert report.mic == base64.b64encode(hashlib.sha256(entity).digest()).decode()
    assert inbox.received[0][1].signed is False


def _openssl_can_compress(tmp: Path) -> bool:
    (tmp / "probe").write_bytes(b"x")
    probe = subprocess.run(["openssl", "cms", "-compress", "-in", tmp / "probe"], capture_output=True, check=False)
    return probe.returncode == 0


def test_openssl_compressed_signed_encrypted(endpoint, ids, tmp_path: Path) -> None:
    if not _openssl_can_compress(tmp_path):
        pytest.skip("this openssl is built without zlib (cms -compress unsupported)")
    url, inbox = endpoint
    (tmp_path / "entity.txt").write_bytes(ENTITY_HEAD + X12)
    openssl("cms", "-compress", "-in", tmp_path / "entity.txt", "-out", tmp_path / "comp.smime")
    openssl("cms", "-sign", "-in", tmp_path / "comp.smime", "-signer", ids["acme"].cert_path,
            "-inkey", ids["acme"].key_path, "-out", tmp_path / "signed.smime")
    openssl("cms", "-encrypt", "-aes256", "-binary", "-in", tmp_path / "signed.smime", "-outform", "DER",
            "-out", tmp_path / "enc.der", ids["pulse"].cert_path)
    response = httpx.post(url, headers=as2_headers("application/pkcs7-mime; smime-type=enveloped-data"),
                          content=(tmp_path / "enc.der").read_bytes())
    assert response.status_code == 200 and "X-EDIPulse-Error" not in response.headers, response.text
    assert inbox.received[0][1].compressed


@pytest.mark.parametrize(("cipher", "payload"), [("aes256-cbc", X12), ("3des", crlf(X12)), ("aes128-gcm", X12)],
                         ids=["lf-payload-aes256", "crlf-payload-3des", "gcm"])
def test_openssl_decrypts_and_verifies_what_we_send(ids, tmp_path: Path, cipher: str, payload: bytes) -> None:
    ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", cipher=cipher)
    message = build_message(payload, ours, filename="po.x12")
    assert message.headers["Content-Type"].startswith("application/pkcs7-mime; smime-type=enveloped-data")
    (tmp_path / "msg.der").write_bytes(message.body)
    openssl("cms", "-decrypt", "-inform", "DER", "-in", tmp_path / "msg.der", "-inkey", ids["acme"].key_path,
            "-recip", ids["acme"].cert_path, "-binary", "-out", tmp_path / "signed.smime")
    openssl("cms", "-verify", "-in", tmp_path / "signed.smime", "-CAfile", ids["pulse"].cert_path,
            "-purpose", "any", "-out", tmp_path / "content.mime")
    content = (tmp_path / "content.mime").read_bytes()
    head, _, body = content.partition(b"\r\n\r\n")
    if b"base64" in head:
        body = base64.b64decode(body)
    assert body == payload and b"application/edi-x12" in head
    # the MIC we will expect back is the digest of exactly what openssl verified
    assert message.mic == base64.b64encode(hashlib.sha256(crlf(content)).digest()).decode()


def test_openssl_verifies_our_compressed_message(ids, tmp_path: Path) -> None:
    ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", compress=True, encrypt=False)
    message = build_message(crlf(X12), ours)
    (tmp_path / "signed.smime").write_bytes(
        f"Content-Type: {message.headers['Content-Type']}\r\n\r\n".encode() + message.body)
    openssl("cms", "-verify", "-in", tmp_path / "signed.smime", "-CAfile", ids["pulse"].cert_path,
            "-purpose", "any", "-out", tmp_path / "compressed.mime")
    assert b"compressed-data" in (tmp_path / "compressed.mime").read_bytes()
    if _openssl_can_compress(tmp_path):
        openssl("cms", "-uncompress", "-in", tmp_path / "compressed.mime", "-out", tmp_path / "plain.mime")
        assert (tmp_path / "plain.mime").read_bytes().endswith(crlf(X12))
