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

from gateway.errors import ConfigError

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
    base_dir: Path = Field(default=Path("."), exclude=True)

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
"""
