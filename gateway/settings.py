"""Validated gateway settings (config.yaml).

The file is found by ``--config``, then ``$EDIPULSE_CONFIG``, then ``./config.yaml``.
Relative paths are resolved against the folder holding the config file, so a working
directory scaffolded by ``edipulse init`` runs from anywhere. Secrets never live in the
file: a setting that needs one names the environment variable that holds it
(``database.url_env``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.as2.config import As2Settings
from gateway.channels.settings import ChannelSettings, check_unique_names
from gateway.errors import ConfigError
from gateway.outbound.documents.config import PartnerOutbound
from gateway.scheduler.config import FunctionalAckSettings, ScheduleSettings

CONFIG_ENV = "EDIPULSE_CONFIG"
BUILTIN_MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
_X12_QUALIFIED = re.compile(r"^(?P<qual>[A-Z0-9]{2}):(?P<id>[^\s*~:]{1,15})$")


def parse_x12_id(value: str) -> tuple[str, str]:
    """Split ``QUAL:ID`` (e.g. ``ZZ:EDIPULSE``) into the ISA qualifier and ID."""
    match = _X12_QUALIFIED.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not QUAL:ID (a 2-character ISA qualifier, a colon, an ID of 1-15 characters)")
    return match["qual"], match["id"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GatewayIdentity(_Strict):
    x12_id: str = Field(description="our ISA qualifier and ID as QUAL:ID; what partners address (ISA07/ISA08)")
    gs_id: str | None = Field(default=None, description="our GS02/GS03 application code; defaults to the ISA ID")
    usage: Literal["P", "T"] = "P"

    @field_validator("x12_id")
    @classmethod
    def _check_x12_id(cls, value: str) -> str:
        parse_x12_id(value)
        return value

    @property
    def qualifier(self) -> str:
        return parse_x12_id(self.x12_id)[0]

    @property
    def isa_id(self) -> str:
        return parse_x12_id(self.x12_id)[1]

    @property
    def application_id(self) -> str:
        return self.gs_id or self.isa_id


class DatabaseSettings(_Strict):
    url: str = "sqlite:///data/edipulse.db"
    url_env: str | None = Field(default=None, description="environment variable holding the URL (with credentials)")

    @field_validator("url")
    @classmethod
    def _no_inline_password(cls, value: str) -> str:
        if re.match(r"^[a-z0-9+]+://[^/@:]+:[^/@]+@", value):
            raise ValueError("database.url must not carry a password; put the URL in an environment variable "
                             "and name it in database.url_env")
        return value


class PathSettings(_Strict):
    inbox: Path = Path("inbox")
    outbox: Path = Path("outbox")
    archive: Path = Path("data/archive")
    mappings: Path = Path("mappings")


class LimitSettings(_Strict):
    max_file_bytes: int = Field(default=2 * 1024**3, gt=0)
    max_set_segments: int = Field(default=1_000_000, gt=0)
    book_batch: int = Field(default=500, gt=0)


class RunSettings(_Strict):
    poll_seconds: float = Field(default=5.0, gt=0)
    settle_seconds: float = Field(default=1.0, ge=0, description="a spooled file must keep its size this long")
    lease_seconds: float = Field(default=900.0, gt=0, description="a worker's claim on a file expires after this")


class Settings(_Strict):
    gateway: GatewayIdentity
    database: DatabaseSettings = DatabaseSettings()
    paths: PathSettings = PathSettings()
    limits: LimitSettings = LimitSettings()
    run: RunSettings = RunSettings()
    channels: tuple[ChannelSettings, ...] = ()
    as2: As2Settings | None = None
    schedule: ScheduleSettings | None = None  # None: 'edipulse run' polls every run.poll_seconds
    functional_acks: FunctionalAckSettings = FunctionalAckSettings()
    outbound: dict[str, PartnerOutbound] = Field(default_factory=dict)  # partner id -> its documents
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, value: tuple[ChannelSettings, ...]) -> tuple[ChannelSettings, ...]:
        return check_unique_names(value)

    def path(self, name: Literal["inbox", "outbox", "archive", "mappings"]) -> Path:
        path = getattr(self.paths, name)
        return path if path.is_absolute() else self.base_dir / path

    @property
    def database_url(self) -> str:
        if self.database.url_env:
            value = os.environ.get(self.database.url_env)
            if not value:
                raise ConfigError(f"database.url_env names {self.database.url_env}, which is not set")
            return value
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite:///:memory:":
            return prefix + str((self.base_dir / url[len(prefix):]).resolve())
        return url

    @property
    def mapping_roots(self) -> list[Path]:
        """Project mappings first (partner files, overrides), then the built-in defaults."""
        roots = [self.path("mappings")]
        if BUILTIN_MAPPINGS.resolve() not in {r.resolve() for r in roots}:
            roots.append(BUILTIN_MAPPINGS)
        return roots


def locate_config(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return Path("config.yaml")


def load_settings(explicit: Path | None = None) -> Settings:
    path = locate_config(explicit)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found (use --config, ${CONFIG_ENV}, or run 'edipulse init')")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    try:
        return Settings.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{path}: {where}: {first['msg']}{more}") from exc


def default_config_text(x12_id: str) -> str:
    """The config.yaml that ``edipulse init`` writes (and the one this repository ships)."""
    return f"""\
# EDI Pulse settings (the embedded default: SQLite + local folders).
# Paths are relative to this file. Secrets come from the environment only: to use
# PostgreSQL, export EDIPULSE_DATABASE_URL=postgresql+psycopg://user:pass@host/db and
# uncomment url_env below.
gateway:
  x12_id: "{x12_id}"   # our ISA qualifier:ID, what partners address (ISA07/ISA08)
  usage: P                # ISA15 of what we send: P production, T test
database:
  url: "sqlite:///data/edipulse.db"
  # url_env: EDIPULSE_DATABASE_URL
paths:
  inbox: inbox
  outbox: outbox
  archive: data/archive
  mappings: mappings
limits:
  max_file_bytes: 2147483648   # larger files are quarantined and logged, never processed
  max_set_segments: 1000000
  book_batch: 500
run:
  poll_seconds: 5
  settle_seconds: 1            # a spooled file must keep its size and mtime this long
# Scheduler (none by default: 'edipulse run' polls every run.poll_seconds). Only one process
# schedules at a time (a lease in the database); others keep processing files. Jobs run one at
# a time; a run missed (busy, stopped) is run once, not caught up. Cron lines: minute hour day
# month weekday, in 'timezone'. Without a poll job, one polls every run.poll_seconds.
# schedule:
#   lease_seconds: 60
#   timezone: UTC
#   jobs:
#     - {{name: poll, job: poll, every_seconds: 5}}            # inbox and inbound channels, deliver
#     - {{name: ship-notices, job: outbound, cron: "* * * * *", documents: [856]}}
#     - {{name: invoices, job: outbound, cron: "0 2 * * *", documents: [810], partner: acme}}
#     - {{name: housekeeping, job: housekeeping, cron: "*/15 * * * *"}}   # expired claims, overdue acks
# How long partners have to answer our documents with a 997/999 ('edipulse messages --overdue').
# functional_acks:
#   window_hours: 24
#   documents: {{856: 4}}        # per set id, every partner
#   partners:
#     acme: {{856: 2, 810: 48}}
# Outbound business documents per partner (none by default): ship notices (856), quality
# certificates (863 and/or a PDF 'certificate' per shipped lot), invoices (810), quality alerts
# (842) and order status reports (870, sent only when asked for, once a day per order).
# outbound:
#   acme:
#     documents: [856, 863, certificate, 810, 842]
#     x12_version: "004010"
#     invoice: {{terms_net_days: 30, discount_percent: 2, discount_days: 10, tax_rate: 7.25, freight: 25.00}}
#     certificate_type: CA     # CA certificate of analysis, CP certificate of compliance
#     approver: {{name: Dana Whitfield, title: Quality Assurance Manager}}
#     company: {{name: EDI Pulse Devices Inc., id: EDIPULSE, address1: 55 Foundry Road, city: Warsaw, state: IN}}
# Partner channels (none by default). Credentials: key files by path, passphrases by the
# NAME of an environment variable; the server's host key must be pinned in known_hosts.
# channels:
#   - name: acme-sftp
#     partner: acme            # an ERP partner id ('edipulse partners')
#     direction: both          # in | out | both
#     transport: sftp          # sftp | local
#     schedule: 60             # poll inbound N s after the last poll, or on a cron line such as
#                              # "*/5 * * * *" (schedule.timezone); none: every round. Sends never wait.
#     max_file_bytes: 67108864
#     retry: {{attempts: 3, backoff_seconds: 1, max_backoff_seconds: 30}}
#     breaker: {{failures: 5, cool_off_seconds: 300}}
#     sftp:
#       host: sftp.acme.example
#       username: edipulse
#       private_key_file: keys/acme_ed25519
#       # passphrase_env: ACME_KEY_PASSPHRASE
#       known_hosts_file: keys/known_hosts
#       inbox_dir: /outbound     # where acme leaves files for us
#       outbox_dir: /inbound     # where we leave files for acme
#       settle_seconds: 5
# AS2 (RFC 4130; none by default): receive on /as2 while 'edipulse run' runs, send a partner's
# outbound messages over AS2 instead of the outbox. Passwords by the NAME of an environment variable.
# as2:
#   as2_id: EDIPULSE
#   keys:                      # the first signs; every key decrypts (add the new one to rotate)
#     - {{key: certs/edipulse.key.pem, cert: certs/edipulse.cert.pem}}   # or {{pkcs12: f.p12, password_env: VAR}}
#   listen: {{host: 0.0.0.0, port: 4080}}
#   public_url: https://edi.example.com      # partners post to .../as2, asynchronous MDNs to .../as2/mdn
#   warn_days: 30              # 'edipulse as2 certs' warns this long before a certificate expires
#   partners:
#     - partner: acme          # an ERP partner id ('edipulse partners')
#       as2_id: ACMEMED
#       certificates: [certs/acme.cert.pem]    # the first encrypts; all verify (two during a rotation)
#       url: https://as2.acme.example/receive  # without a URL we only receive from acme
#       mdn: sync              # sync | async | none
#       cipher: aes256-cbc     # sign, encrypt, compress, digest, mdn_signed, max_body_bytes also settable
#       mdn_window_minutes: 60 # an unconfirmed send is overdue after this,
#       retry_minutes: 10      # sent again after this,
#       max_attempts: 3        # this many sends at most
"""
