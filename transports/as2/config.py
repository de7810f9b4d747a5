"""AS2 partnership configuration: validated file settings and the resolved runtime form.

A :class:`PartnerConfig`/:class:`LocalConfig` pair is what an operator writes (paths and the
*names* of password variables); :func:`build_partnership` loads the keys and certificates
into a :class:`Partnership`, the only thing the receiver and the client work with. The
gateway resolves partnerships from its own store and injects a lookup; nothing here reads
a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from pydantic import BaseModel, ConfigDict, Field, model_validator

from transports.as2.certs import (
    CertWarning,
    expiry_warnings,
    key_pair,
    load_certificates,
    load_pkcs12,
    load_private_key,
)
from transports.as2.cms import CIPHERS, KeyPair, normalize_digest

Cipher = Literal["aes128-cbc", "aes192-cbc", "aes256-cbc", "3des", "aes128-gcm", "aes192-gcm", "aes256-gcm"]
Digest = Literal["sha1", "sha256", "sha384", "sha512"]
MdnMode = Literal["sync", "async", "none"]
DEFAULT_MAX_BODY = 64 * 1024 * 1024


class KeySource(BaseModel):
    """One key and certificate of ours: a PKCS#12 file, or a PEM key plus a PEM certificate."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    pkcs12: Path | None = None
    key: Path | None = None
    cert: Path | None = None
    password_env: str | None = None  # NAME of the environment variable holding the password

    @model_validator(mode="after")
    def _one_form(self) -> KeySource:
        if (self.pkcs12 is None) == (self.key is None or self.cert is None):
            raise ValueError("give either pkcs12, or both key and cert")
        return self

    def load(self) -> KeyPair:
        if self.pkcs12 is not None:
            return load_pkcs12(self.pkcs12, self.password_env)
        assert self.key is not None and self.cert is not None  # guaranteed by _one_form
        return key_pair(load_private_key(self.key, self.password_env), load_certificates(self.cert)[0])


class LocalConfig(BaseModel):
    """Our side: AS2 identifier and keys. The first key signs; every key may decrypt (rotation)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    as2_id: str = Field(min_length=1, max_length=128)
    keys: list[KeySource] = Field(min_length=1, max_length=4)


class PartnerSettings(BaseModel):
    """The per-partner settings an operator writes, shared by this file form and the gateway's ``as2:`` section."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    as2_id: str = Field(min_length=1, max_length=128)
    certificates: list[Path] = Field(min_length=1, max_length=4,
                                     description="the first encrypts; all verify (two during a rotation)")
    url: str | None = Field(default=None, description="their receive URL; without one we only receive")
    require_signed: bool = True
    require_encrypted: bool = True
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY, gt=0)
    sign: bool = True
    digest: Digest = "sha256"
    encrypt: bool = True
    cipher: Cipher = "aes256-cbc"
    compress: bool = False
    mdn: MdnMode = "sync"
    mdn_signed: bool = True
    timeout_seconds: float = Field(default=120.0, gt=0)


class PartnerConfig(PartnerSettings):
    """One trading partner. The first certificate encrypts; every certificate may verify (rotation)."""

    mdn_digest: Digest = "sha256"
    async_mdn_url: str | None = None  # our URL the partner posts asynchronous MDNs to

    @model_validator(mode="after")
    def _async_needs_url(self) -> PartnerConfig:
        if self.mdn == "async" and not self.async_mdn_url:
            raise ValueError("mdn: async needs async_mdn_url")
        return self


@dataclass(frozen=True, slots=True)
class Partnership:
    """Everything needed to exchange messages with one partner, keys loaded."""

    local_id: str
    partner_id: str
    our_keys: tuple[KeyPair, ...]
    partner_certs: tuple[x509.Certificate, ...]
    url: str | None = None
    require_signed: bool = True
    require_encrypted: bool = True
    max_body_bytes: int = DEFAULT_MAX_BODY
    sign: bool = True
    digest: str = "sha256"
    encrypt: bool = True
    cipher: str = "aes256-cbc"
    compress: bool = False
    mdn: str = "sync"
    mdn_signed: bool = True
    mdn_digest: str = "sha256"
    async_mdn_url: str | None = None
    timeout_seconds: float = 120.0

    def __post_init__(self) -> None:
        if not self.our_keys or not self.partner_certs:
            raise ValueError("a partnership needs at least one key of ours and one partner certificate")
        if self.cipher not in CIPHERS:
            raise ValueError(f"unknown cipher {self.cipher!r}")
        normalize_digest(self.digest)
        normalize_digest(self.mdn_digest)

    @property
    def signer(self) -> KeyPair:
        return self.our_keys[0]

    @property
    def encryption_cert(self) -> x509.Certificate:
        return self.partner_certs[0]

    def certificate_warnings(self, days: int = 30) -> list[CertWarning]:
        """Expiry warnings for our certificates and the partner's."""
        return expiry_warnings([pair.cert for pair in self.our_keys] + list(self.partner_certs), days)


def build_partnership(local: LocalConfig, partner: PartnerConfig) -> Partnership:
    """Load keys and certificates named by the configuration (errors are coded AS2_CERT_*)."""
    partner_certs = tuple(cert for path in partner.certificates for cert in load_certificates(path))
    settings = partner.model_dump(exclude={"as2_id", "certificates"})
    return Partnership(
        local_id=local.as2_id,
        partner_id=partner.as2_id,
        our_keys=tuple(source.load() for source in local.keys),
        partner_certs=partner_certs,
        **settings,
    )
