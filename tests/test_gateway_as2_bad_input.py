"""Bad AS2 input through a running gateway: each case is answered as the transport decides and lands
in the ledger with its code; nothing of it is booked."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from as2_fixtures import Identity, make_identity
from gateway_as2_fixtures import Site, cli, make_site, partner_entry, running, wait_for
from test_gateway_as2 import PO_4010, as2_headers, openssl, openssl_message

from transports.as2.mdn import parse_mdn
from transports.as2.mime import headers_from_mapping


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("pki")
    return {name: make_identity(folder, name) for name in ("pulse", "acme", "mallory")}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, pki: dict[str, Identity]) -> Iterator[Site]:
    site = make_site(tmp_path_factory.mktemp("bad") / "gw", "ZZ:EDIPULSE", "PULSEAS2", pki["pulse"],
                     {"acme": "ZZ:ACMEMED", "gone": "ZZ:GONE"})
    site.set_as2([partner_entry("acme", "ACMEAS2", pki["acme"], None, max_body_bytes=100_000),
                  partner_entry("ghost", "GHOSTAS2", pki["acme"], None)])  # no such ERP partner
    with running(site):
        yield site


def _mdn(response: httpx.Response, pki: dict[str, Identity]):
    return parse_mdn(headers_from_mapping(response.headers.multi_items()), response.content,
                     [pki["pulse"].pair.cert], require_signed=True)


def _ledger(site: Site, message_id: str) -> tuple[object, object]:
    """The AS2 row of ``message_id`` and the ledger message it points at."""
    [row] = [r for r in site.as2_rows(as2_message_id=message_id) if r.status != "stored"]
    [message] = site.messages(id=row.message_id)
    return row, message


def _post(site: Site, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(site.url + "/as2", headers=headers, content=body, timeout=30)


def _tampered(tmp: Path, pki: dict[str, Identity]) -> bytes:
    """Signed by acme, then a PO number changed inside the signed part, then encrypted."""
    openssl_message(tmp, pki["acme"], pki["pulse"], PO_4010)
    signed = (tmp / "signed.smime").read_bytes()
    assert b"4500012345" in signed
    (tmp / "signed.smime").write_bytes(signed.replace(b"4500012345", b"4500099999", 1))
    openssl("cms", "-encrypt", "-aes256", "-binary", "-in", tmp / "signed.smime", "-outform", "DER",
            "-out", tmp / "enc.der", pki["pulse"].cert_path)
    return (tmp / "enc.der").read_bytes()


@pytest.mark.parametrize(("case", "http_status", "code", "modifier"), [
    ("unknown-as2-id", 403, "AS2_UNKNOWN_PARTNER", None),
    ("unknown-erp-partner", 403, "AS2_UNKNOWN_PARTNER", None),
    ("bad-signature", 200, "AS2_SIGNATURE_INVALID", "authentication-failed"),
    ("tampered", 200, "AS2_INTEGRITY_FAILED", "integrity-check-failed"),
    ("oversize", 413, "AS2_TOO_LARGE", None),
])
def test_refused_input_is_in_the_ledger_with_its_code(site: Site, pki, tmp_path: Path, case: str, http_status: int,
                                                     code: str, modifier: str | None,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    headers = as2_headers()
    if case == "unknown-as2-id":
        headers["AS2-From"] = "NOBODY"
        body = openssl_message(tmp_path, pki["acme"], pki["pulse"], PO_4010)
    elif case == "unknown-erp-partner":
        headers["AS2-From"] = "GHOSTAS2"
        body = openssl_message(tmp_path, pki["acme"], pki["pulse"], PO_4010)
    elif case == "bad-signature":
        body = openssl_message(tmp_path, pki["mallory"], pki["pulse"], PO_4010)
    elif case == "tampered":
        body = _tampered(tmp_path, pki)
    else:
        body = b"\x30" * 150_000
    response = _post(site, body, headers)
    assert response.status_code == http_status and response.headers["X-EDIPulse-Error"] == code
    if modifier:
        report = _mdn(response, pki)
        assert (report.disposition.ok, report.disposition.description) == (False, modifier)
    message_id = headers["Message-ID"].strip("<>")
    wait_for(lambda: any(r.status != "stored" for r in site.as2_rows(as2_message_id=message_id)), "the refusal")
    row, message = _ledger(site, message_id)
    assert (row.error_code, message.error_code, message.status, message.direction) == (code, code, "refused", "in")
    assert row.status == ("rejected" if modifier else "refused")
    assert (row.mdn_archive_path is not None) == bool(modifier)
    assert message.file_id is None, "a refused AS2 message is never archived as received"
    assert row.partner_id == {"unknown-as2-id": None, "unknown-erp-partner": "ghost"}.get(case, "acme")
    [listed] = [m for m in _json(capsys, site, "messages", "--status", "refused") if m["id"] == message.id]
    assert listed["errors"][0]["code"] == code


def test_replayed_message_id_is_answered_but_not_booked_again(site: Site, pki, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    message_id = f"replay-{uuid.uuid4()}"
    body = openssl_message(tmp_path, pki["acme"], pki["pulse"], PO_4010)
    first = _post(site, body, as2_headers(message_id=message_id))
    assert first.status_code == 200 and _mdn(first, pki).disposition.ok
    wait_for(lambda: len(site.messages(kind="set", status="acknowledged")) >= 2, "the first copy booked")
    again = _post(site, body, as2_headers(message_id=message_id))
    report = _mdn(again, pki)
    assert again.headers["X-EDIPulse-Error"] == "AS2_DUPLICATE"
    assert (report.disposition.modifier, report.disposition.description) == ("warning", "duplicate-document")
    assert report.mic == _mdn(first, pki).mic
    full_id = f"{message_id}@acme.test"
    wait_for(lambda: len(site.as2_rows(as2_message_id=full_id)) == 2, "the replay recorded")
    row, message = _ledger(site, full_id)
    assert (row.status, message.status, message.error_code) == ("duplicate", "duplicate", "AS2_DUPLICATE")
    assert len(site.messages(kind="file", status="processed")) == 1, "the replay was not stored again"
    assert sorted(o["po_number"] for o in _json(capsys, site, "orders")) == ["4500012345", "4500012346"]


def _json(capsys: pytest.CaptureFixture[str], site: Site, *args: str) -> list[dict]:
    capsys.readouterr()
    assert cli("--config", site.config, *args, "--json") == 0
    return json.loads(capsys.readouterr().out)
