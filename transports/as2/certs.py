"""Loading certificates and keys (PEM, DER, PKCS#12) and warning before certificates expire.

Passwords never sit in configuration: a configuration names the environment variable
that holds one, so a config file can be committed and rotated independently of secrets.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from transports.as2.cms import KeyPair, PrivateKey
from transports.as2.errors import As2Error

DEFAULT_WARN_DAYS = 30


@dataclass(frozen=True, slots=True)
class CertWarning:
    """A certificate that expires (or expired) within the warning window."""

    subject: str
    serial: int
    not_after: datetime
    days_left: int
    expired: bool


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise As2Error("AS2_CERT_LOAD", f"cannot read {path}: {exc.strerror}") from exc


def password_from_env(variable: str | None) -> bytes | None:
    """The password held in environment variable ``variable`` (None when no variable is named)."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise As2Error("AS2_CERT_PASSWORD", f"environment variable {variable} is not set")
    return value.encode("utf-8")


def load_certificates(path: Path) -> list[x509.Certificate]:
    """All certificates in a PEM bundle or one DER certificate."""
    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise As2Error("AS2_CERT_LOAD", f"{path} holds no readable certificate: {exc}") from exc
    return certs


def _check_key(key: object, path: Path) -> PrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise As2Error("AS2_CERT_LOAD", f"{path}: only RSA and EC keys are supported")
    return key


def load_private_key(path: Path, password_env: str | None = None) -> PrivateKey:
    """A PEM or DER private key, decrypted with the password from ``password_env``."""
    data = _read(path)
    password = password_from_env(password_env)
    loader = serialization.load_pem_private_key if b"-----BEGIN" in data else serialization.load_der_private_key
    try:
        key = loader(data, password)
    except TypeError as exc:  # password given for a clear key, or missing for an encrypted one
        raise As2Error("AS2_CERT_PASSWORD", f"{path}: {exc}") from exc
    except ValueError as exc:
        code = "AS2_CERT_PASSWORD" if password is not None else "AS2_CERT_LOAD"
        raise As2Error(code, f"{path}: cannot load private key ({exc})") from exc
    return _check_key(key, path)


def _same_key(key: PrivateKey, cert: x509.Certificate) -> bool:
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return key.public_key().public_bytes(der, spki) == cert.public_key().public_bytes(der, spki)


def key_pair(key: PrivateKey, cert: x509.Certificate) -> KeyPair:
    """Pair a key with its certificate, refusing a mismatch (a classic rotation mistake)."""
    if not _same_key(key, cert):
        raise As2Error("AS2_CERT_MISMATCH", f"private key does not match certificate {cert.subject.rfc4514_string()}")
    return KeyPair(key, cert)


def load_pkcs12(path: Path, password_env: str | None = None) -> KeyPair:
    """Key and certificate from a PKCS#12 file."""
    data = _read(path)
    password = password_from_env(password_env)
    try:
        key, cert, _chain = pkcs12.load_key_and_certificates(data, password)
    except ValueError as exc:
        raise As2Error("AS2_CERT_PASSWORD", f"{path}: wrong password or not PKCS#12 ({exc})") from exc
    if key is None or cert is None:
        raise As2Error("AS2_CERT_LOAD", f"{path}: PKCS#12 file lacks a key or certificate")
    return key_pair(_check_key(key, path), cert)


def expiry_warnings(
    certs: Sequence[x509.Certificate], days: int = DEFAULT_WARN_DAYS, now: datetime | None = None
) -> list[CertWarning]:
    """Certificates that expire within ``days`` (or already expired), soonest first."""
    moment = now or datetime.now(UTC)
    horizon = moment + timedelta(days=days)
    found = [
        CertWarning(
            subject=cert.subject.rfc4514_string(),
            serial=cert.serial_number,
            not_after=cert.not_valid_after_utc,
            days_left=(cert.not_valid_after_utc - moment).days,
            expired=cert.not_valid_after_utc <= moment,
        )
        for cert in certs
        if cert.not_valid_after_utc <= horizon
    ]
    return sorted(found, key=lambda warning: warning.not_after)
