"""Certificates and keys: PEM and PKCS#12 (made by openssl), passwords from named variables, expiry warnings."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from as2_fixtures import make_identity
from pydantic import ValidationError

from transports.as2.certs import expiry_warnings, load_certificates, load_pkcs12, load_private_key
from transports.as2.config import KeySource, LocalConfig, PartnerConfig, build_partnership
from transports.as2.errors import As2Error


def run_openssl(*args: object) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl binary not installed")
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def test_pkcs12_from_openssl_with_password_from_named_variable(tmp_path: Path, monkeypatch) -> None:
    me = make_identity(tmp_path, "pulse")
    p12 = tmp_path / "pulse.p12"
    run_openssl("pkcs12", "-export", "-inkey", me.key_path, "-in", me.cert_path, "-out", p12,
                "-passout", "pass:s3cret")
    monkeypatch.setenv("PULSE_P12_PASSWORD", "s3cret")
    pair = load_pkcs12(p12, "PULSE_P12_PASSWORD")
    assert pair.cert == me.pair.cert
    monkeypatch.setenv("PULSE_P12_PASSWORD", "wrong")
    with pytest.raises(As2Error) as wrong:
        load_pkcs12(p12, "PULSE_P12_PASSWORD")
    monkeypatch.delenv("PULSE_P12_PASSWORD")
    with pytest.raises(As2Error) as unset:
        load_pkcs12(p12, "PULSE_P12_PASSWORD")
    assert wrong.value.code == unset.value.code == "AS2_CERT_PASSWORD"
    assert "PULSE_P12_PASSWORD" in unset.value.message and "s3cret" not in unset.value.message


def test_encrypted_pem_key(tmp_path: Path, monkeypatch) -> None:
    me = make_identity(tmp_path, "pulse")
    locked = tmp_path / "locked.pem"
    run_openssl("pkey", "-in", me.key_path, "-aes256", "-passout", "pass:pw", "-out", locked)
    monkeypatch.setenv("KEY_PW", "pw")
    assert load_private_key(locked, "KEY_PW").private_numbers() == me.pair.key.private_numbers()
    with pytest.raises(As2Error) as caught:
        load_private_key(locked)
    assert caught.value.code == "AS2_CERT_PASSWORD"


def test_missing_and_garbage_files_are_coded(tmp_path: Path) -> None:
    (tmp_path / "junk.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    for path in (tmp_path / "absent.pem", tmp_path / "junk.pem"):
        with pytest.raises(As2Error) as caught:
            load_certificates(path)
        assert caught.value.code == "AS2_CERT_LOAD"


def test_config_builds_partnership_and_refuses_mismatched_key(tmp_path: Path) -> None:
    me, new, them = (make_identity(tmp_path, name) for name in ("pulse", "pulse-new", "acme"))
    local = LocalConfig(as2_id="PULSE", keys=[KeySource(key=me.key_path, cert=me.cert_path),
                                               KeySource(key=new.key_path, cert=new.cert_path)])
    partner = PartnerConfig(as2_id="ACME", certificates=[them.cert_path], url="http://127.0.0.1:1/as2",
                            cipher="3des")
    built = build_partnership(local, partner)
    assert (built.local_id, built.partner_id, built.cipher, len(built.our_keys)) == ("PULSE", "ACME", "3des", 2)
    assert built.signer.cert == me.pair.cert and built.encryption_cert == them.pair.cert
    crossed = LocalConfig(as2_id="PULSE", keys=[KeySource(key=me.key_path, cert=them.cert_path)])
    with pytest.raises(As2Error) as caught:
        build_partnership(crossed, partner)
    assert caught.value.code == "AS2_CERT_MISMATCH"
    with pytest.raises(ValidationError):
        PartnerConfig(as2_id="ACME", certificates=[them.cert_path], mdn="async")  # no async_mdn_url
    with pytest.raises(ValidationError):
        KeySource(key=me.key_path)  # a key without its certificate
    with pytest.raises(ValidationError):
        PartnerConfig(as2_id="ACME", certificates=[them.cert_path], cipher="rc2")


def test_expiry_warnings(tmp_path: Path) -> None:
    soon, later = make_identity(tmp_path, "soon", days=10), make_identity(tmp_path, "later", days=400)
    certs = [later.pair.cert, soon.pair.cert]
    [warning] = expiry_warnings(certs)
    assert (warning.subject, warning.expired) == ("CN=soon", False) and 8 <= warning.days_left <= 10
    assert expiry_warnings(certs, days=5) == []
    assert [w.subject for w in expiry_warnings(certs, days=500)] == ["CN=soon", "CN=later"]
    [expired] = expiry_warnings(certs, now=datetime.now(UTC) + timedelta(days=30))
    assert expired.expired and expired.days_left < 0
