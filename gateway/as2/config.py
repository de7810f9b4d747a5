"""The ``as2:`` section of config.yaml and its translation into the AS2 transport's configuration.

The section is what an operator writes: our AS2 identifier and keys, where we listen,
the public URL partners reach us at, and one entry per trading partner naming the ERP
partner it belongs to. Paths are relative to the config file; passwords are only ever
*named* (``password_env``). Keys and certificates are loaded later, by
:mod:`gateway.as2.directory`, so reading the settings never touches key files.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from transports.as2.config import KeySource, LocalConfig, PartnerConfig, PartnerSettings

MDN_PATH = "/as2/mdn"  # where partners post asynchronous MDNs (below the AS2 endpoint /as2)
AS2_PATH = "/as2"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class As2Listen(_Strict):
    """Where ``edipulse run`` serves HTTP (put a TLS-terminating proxy in front for HTTPS)."""

    host: str = "127.0.0.1"
    port: int = Field(default=4080, ge=1, le=65535)


class As2Partner(PartnerSettings):
    """One AS2 partnership; ``partner`` is the ERP partner whose documents travel over it."""

    partner: str = Field(min_length=1, max_length=64, description="ERP partner id (edipulse partners)")
    mdn_window_minutes: float = Field(default=60.0, ge=0, description="an unconfirmed send is overdue after this")
    max_attempts: int = Field(default=3, ge=1, description="sends of one message before it waits for a person")
    retry_minutes: float = Field(default=10.0, ge=0, description="wait between a failed or overdue send and the next")


class As2Settings(_Strict):
    as2_id: str = Field(min_length=1, max_length=128)
    keys: list[KeySource] = Field(min_length=1, max_length=4, description="the first signs; all decrypt")
    listen: As2Listen | None = None
    public_url: str | None = Field(default=None, description="base URL partners reach us at (async MDNs)")
    domain: str = Field(default="edipulse.local", description="right-hand side of the Message-IDs we create")
    warn_days: int = Field(default=30, ge=1)
    partners: list[As2Partner] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> As2Settings:
        for field_name in ("partner", "as2_id"):
            values = [getattr(p, field_name) for p in self.partners]
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"as2.partners: {field_name} {repeated[0]!r} appears more than once")
        if any(p.mdn == "async" for p in self.partners) and not self.public_url:
            raise ValueError("a partner with mdn: async needs as2.public_url (where its MDNs are posted)")
        return self

    @property
    def async_mdn_url(self) -> str | None:
        return self.public_url.rstrip("/") + MDN_PATH if self.public_url else None


def _resolved(path: Path | None, base_dir: Path) -> Path | None:
    if path is None or path.is_absolute():
        return path
    return base_dir / path


def local_config(as2: As2Settings, base_dir: Path) -> LocalConfig:
    """Our side for the transport, paths resolved against the config file's folder."""
    keys = [key.model_copy(update={"pkcs12": _resolved(key.pkcs12, base_dir), "key": _resolved(key.key, base_dir),
                                   "cert": _resolved(key.cert, base_dir)}) for key in as2.keys]
    return LocalConfig(as2_id=as2.as2_id, keys=keys)


_GATEWAY_ONLY = {"partner", "mdn_window_minutes", "max_attempts", "retry_minutes"}


def partner_config(entry: As2Partner, as2: As2Settings, base_dir: Path) -> PartnerConfig:
    """One partnership for the transport (the gateway's retry and tracking fields stay here)."""
    fields = entry.model_dump(exclude=_GATEWAY_ONLY)
    fields["certificates"] = [_resolved(path, base_dir) for path in entry.certificates]
    fields["async_mdn_url"] = as2.async_mdn_url if entry.mdn == "async" else None
    return PartnerConfig(**fields)


def as2_out_partners(as2: As2Settings | None) -> frozenset[str]:
    """ERP partners whose outbound messages go over AS2 (they have a URL): the outbox skips them."""
    if as2 is None:
        return frozenset()
    return frozenset(p.partner for p in as2.partners if p.url)

