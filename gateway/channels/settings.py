"""Validated settings of partner channels (the ``channels:`` list of config.yaml).

Each channel names one transport section (``sftp:`` or ``local:``; an ``as2:`` section
joins them later) and shares the rest: the partner it belongs to, the direction, when its
inbound side is polled (``schedule``), the size limit, retries and the circuit breaker.
Secrets never sit here: an SFTP key is a file path and its passphrase the *name* of an
environment variable.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from transports.base import DEFAULT_TEMP_PATTERNS
from transports.sftp_config import SftpConfig

DEFAULT_CHANNEL_MAX_BYTES = 64 * 1024 * 1024
# A cron line of five fields (minute hour day month weekday); the scheduler interprets it.
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?LW#]+$")
TRANSPORTS = ("sftp", "local")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetrySettings(_Strict):
    """How often one transfer is tried within a polling round, and how long to wait in between.

    The wait before try ``k + 1`` is ``backoff_seconds * 2**(k - 1)``, capped at
    ``max_backoff_seconds``. Only failures a later try can cure are retried.
    """

    attempts: int = Field(default=3, ge=1, le=10)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_backoff_seconds: float = Field(default=30.0, ge=0)

    def delay(self, failed_tries: int) -> float:
        """Seconds to wait after ``failed_tries`` failed tries (1 = after the first)."""
        return min(self.backoff_seconds * 2 ** max(failed_tries - 1, 0), self.max_backoff_seconds)


class BreakerSettings(_Strict):
    """After ``failures`` consecutive failed tries the channel rests ``cool_off_seconds`` (no tries at all)."""

    failures: int = Field(default=5, ge=1)
    cool_off_seconds: float = Field(default=300.0, ge=0)


class LocalChannelConfig(_Strict):
    """A partner's folder on this machine (e.g. the chrooted inbox of our own SFTP server)."""

    path: Path = Field(description="where the partner's files arrive (direction in) or ours go (direction out)")
    outbox_path: Path | None = Field(default=None, description="where our files go when the direction is both")
    temp_patterns: tuple[str, ...] = DEFAULT_TEMP_PATTERNS
    settle_seconds: float = Field(default=1.0, ge=0)


class ChannelSettings(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,47}$", description="unique; names the channel in the ledger")
    partner: str = Field(min_length=1, max_length=64, description="the ERP partner id the channel belongs to")
    direction: Literal["in", "out", "both"] = "both"
    transport: Literal["sftp", "local"]
    schedule: float | str | None = Field(default=None, description="inbound: poll when N seconds have passed "
                                         "since the last poll, or when a five-field cron line (in the "
                                         "scheduler's time zone) has fired since; None: on every round")
    sftp: SftpConfig | None = None
    local: LocalChannelConfig | None = None
    max_file_bytes: int = Field(default=DEFAULT_CHANNEL_MAX_BYTES, gt=0)
    retry: RetrySettings = RetrySettings()
    breaker: BreakerSettings = BreakerSettings()

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, str):
            fields = value.split()
            if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
                raise ValueError(f"{value!r} is neither a number of seconds nor a five-field cron line")
            try:  # the same parser decides when the channel is due (gateway.channels.schedule)
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a valid cron line: {exc}") from exc
        elif value is not None and value <= 0:
            raise ValueError("a poll interval must be positive")
        return value

    @model_validator(mode="after")
    def _one_transport_section(self) -> ChannelSettings:
        given = [t for t in TRANSPORTS if getattr(self, t) is not None]
        if given != [self.transport]:
            raise ValueError(f"transport {self.transport} needs exactly its own '{self.transport}:' section "
                             f"(found: {', '.join(given) or 'none'})")
        if self.sftp is not None and "max_file_bytes" in self.sftp.model_fields_set:
            raise ValueError("set the size limit as the channel's max_file_bytes, not inside 'sftp:'")
        if self.local is not None and self.direction == "both" and self.local.outbox_path is None:
            raise ValueError("a local channel with direction both needs local.outbox_path (ours must not land "
                             "where the partner's files are picked up)")
        return self

    @property
    def inbound(self) -> bool:
        return self.direction in ("in", "both")

    @property
    def outbound(self) -> bool:
        return self.direction in ("out", "both")

    @property
    def settle_seconds(self) -> float:
        section = self.sftp or self.local
        return section.settle_seconds if section is not None else 0.0

    def resolved(self, base_dir: Path) -> ChannelSettings:
        """A copy with relative file paths resolved against the config file's folder."""
        def absolute(path: Path) -> Path:
            return path if path.is_absolute() else base_dir / path

        if self.sftp is not None:
            sftp = self.sftp.model_copy(update={
                "private_key_file": absolute(self.sftp.private_key_file),
                "known_hosts_file": absolute(self.sftp.known_hosts_file),
                "max_file_bytes": self.max_file_bytes})
            return self.model_copy(update={"sftp": sftp})
        if self.local is not None:
            outbox = self.local.outbox_path
            local = self.local.model_copy(update={"path": absolute(self.local.path),
                                                  "outbox_path": None if outbox is None else absolute(outbox)})
            return self.model_copy(update={"local": local})
        return self


def check_unique_names(channels: tuple[ChannelSettings, ...]) -> tuple[ChannelSettings, ...]:
    """Channel names key the ledger and the breaker state, so two channels may not share one."""
    seen: set[str] = set()
    for channel in channels:
        if channel.name in seen:
            raise ValueError(f"channel name {channel.name!r} is used twice")
        seen.add(channel.name)
    return channels
