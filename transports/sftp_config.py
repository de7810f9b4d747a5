"""Configuration of one SFTP channel (a partner's server, or our own drop server seen from outside).

Secrets never sit in configuration: the key file is referenced by path and its
passphrase by the *name* of an environment variable. The known_hosts file is
required because the server's identity is pinned, never learnt on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from transports.base import DEFAULT_TEMP_PATTERNS, TransportError


def _remote_dir(value: str) -> str:
    """A remote folder: no NUL/control characters and no ``..`` component, so it cannot walk up."""
    if not value:
        raise ValueError("must not be empty")
    if any(ord(c) < 0x20 for c in value):
        raise ValueError("must not contain NUL or control characters")
    if ".." in value.split("/"):
        raise ValueError("must not contain a '..' component")
    return value.rstrip("/") or "/"


class SftpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(22, ge=1, le=65535)
    username: str = Field(min_length=1)
    private_key_file: Path  # ed25519, ECDSA or RSA, OpenSSH or PEM format
    passphrase_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    known_hosts_file: Path  # OpenSSH format; "[host]:port" entries for ports other than 22
    inbox_dir: str  # where the partner leaves files for us
    outbox_dir: str  # where we leave files for the partner
    processed_dir: str | None = None  # acknowledge = move here; None = delete
    include: tuple[str, ...] = Field(("*",), min_length=1)  # case-insensitive globs a file must match
    temp_patterns: tuple[str, ...] = DEFAULT_TEMP_PATTERNS  # names of files still being written
    max_file_bytes: int = Field(64 * 1024 * 1024, gt=0)
    settle_seconds: float = Field(5.0, ge=0)  # a file must keep size and mtime this long over two looks
    connect_timeout: float = Field(15.0, gt=0)
    operation_timeout: float = Field(60.0, gt=0)

    @field_validator("inbox_dir", "outbox_dir", "processed_dir")
    @classmethod
    def _check_remote_dir(cls, value: str | None) -> str | None:
        return None if value is None else _remote_dir(value)

    @field_validator("include", "temp_patterns")
    @classmethod
    def _check_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p or "/" in p for p in value):
            raise ValueError("patterns match one file name: they must be non-empty and contain no '/'")
        return value

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def passphrase(self) -> str | None:
        """The key's passphrase, read from the environment variable named in the config."""
        if self.passphrase_env is None:
            return None
        value = os.environ.get(self.passphrase_env)
        if value is None:
            raise TransportError("SFTP_KEY_UNREADABLE",
                                 f"environment variable {self.passphrase_env} (the key passphrase) is not set")
        return value
