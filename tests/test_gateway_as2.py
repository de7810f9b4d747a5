"""`edipulse run` serving AS2: an 850 built by `openssl cms` is archived, booked and receipted after the commit."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest
from as2_fixtures import Identity, make_identity
from gateway_as2_fixtures import Site, make_site, partner_entry, running, wait_for
from sqlmodel import Session, select
from support import DATA

from gateway.ledger.models import ReceivedFile
from transports.as2.mdn import parse_mdn
from transports.as2.mime import headers_from_mapping

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl binary not installed")

PO_4010 = (DATA / "gateway" / "acme-850-4010.x12").read_bytes()
ENTITY_HEAD = b"Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename=\"po.x12\"\r\n\r\n"


def openssl(*args: object) -> None:
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def openssl_message(tmp: Path, signer: Identity, recipient: Identity, payload: bytes) -> bytes:
    """What a partner's AS2 product sends: S/MIME signed (text mode), then encrypted (DER)."""
    (tmp / "entity.txt").write_bytes(ENTITY_HEAD + payload)
    openssl("cms", "-sign", "-in", tmp / "entity.txt", "-signer", signer.cert_path, "-inkey", signer.key_path,
            "-md", "sha256", "-out", tmp / "signed.smime")
    openssl("cms", "-encrypt", "-aes256", "-binary", "-in", tmp / "signed.smime", "-outform", "DER",
            "-out", tmp / "enc.der", recipient.cert_path)
    return (tmp / "enc.der").read_bytes()


def as2_headers(as2_from: str = "ACMEAS2", message_id: str | None = None) -> dict[str, str]:
    return {
        "AS2-Version": "1.2", "AS2-From": as2_from, "AS2-To": "PULSEAS2",
        "Message-ID": f"<{message_id or uuid.uuid4()}@acme.test>",
        "Content-Type": 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        "Disposition-Notification-To": "edi@acme.test",
        "Disposition-Notification-Options":
            "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256",
    }


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("pki")
    return {name: make_identity(folder, name) for name in ("pulse", "acme")}


@pytest.fixture
def site(tmp_path: Path, pki: dict[str, Identity]) -> Site:
    site = make_site(tmp_path / "gw", "ZZ:EDIPULSE", "PULSEAS2", pki["pulse"], {"acme": "ZZ:ACMEMED"})
    site.set_as2([partner_entry("acme", "ACMEAS2", pki["acme"], None, max_body_bytes=200_000)])
    return site


def test_openssl_850_is_archived_booked_and_receipted_after_commit(site: Site, pki, tmp_path: Path) -> None:
    body = openssl_message(tmp_path, pki["acme"], pki["pulse"], PO_4010)
    headers = as2_headers()
    with running(site):
        response = httpx.post(site.url + "/as2", headers=headers, content=body, timeout=30)
        assert response.status_code == 200 and "X-EDIPulse-Error" not in response.headers, response.text
        # The MDN is in hand: the payload must already be archived and committed in the ledger.
        ctx = site.context()
        try:
            with Session(ctx.engine) as session:
                files = list(session.execute(select(ReceivedFile)).scalars())
            assert len(files) == 1 and crlf(ctx.archive.path(files[0].archive_path).read_bytes()) == crlf(PO_4010)
            assert files[0].source == "as2:acme"
        finally:
            ctx.close()
        report = parse_mdn(headers_from_mapping(response.headers.multi_items()), response.content,
                           [pki["pulse"].pair.cert], require_signed=True)
        expected_mic = base64.b64encode(hashlib.sha256(crlf(ENTITY_HEAD + PO_4010)).digest()).decode()
        assert (report.disposition.ok, report.mic, report.mic_digest) == (True, expected_mic, "sha256")
        assert report.original_message_id == headers["Message-ID"].strip("<>")
        wait_for(lambda: len(site.messages(kind="set", status="acknowledged")) == 2, "both POs booked and acked")
    [row] = site.as2_rows()
    assert (row.direction, row.partner_id, row.status, row.mic, row.mdn_mode) == ("in", "acme", "stored",
                                                                                 expected_mic, "sync")
    assert row.mdn_disposition == "automatic-action/MDN-sent-automatically; processed"
    ctx = site.context()
    try:
        mdn = ctx.archive.path(row.mdn_archive_path).read_bytes()
    finally:
        ctx.close()
    assert response.content in mdn and b"multipart/signed" in mdn
    assert [m.doc_ref for m in site.messages(kind="set")] == ["4500012345", "4500012346"]
    # acme has no AS2 URL: its 997 goes to the outbox as before
    assert len(site.messages(kind="ack", status="sent")) == 1 and list((site.root / "outbox" / "acme").iterdir())
