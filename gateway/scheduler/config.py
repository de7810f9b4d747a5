"""Validated ``schedule:`` and ``functional_acks:`` sections of config.yaml.

``schedule:`` turns ``edipulse run`` into a scheduler: each job names a job function
(:data:`JobName`; ``gateway.scheduler.jobs.JOBS`` implements them) and when it runs, either
``every_seconds`` or a five-field ``cron`` line. ``functional_acks:`` says how long a partner
has to answer one of our documents with a 997/999 before it counts as overdue.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.outbound.documents.config import DOCUMENT_KINDS

#: The job functions a config may name (one line here and one in ``jobs.JOBS`` add another).
JobName = Literal["poll", "outbound", "housekeeping"]
DEFAULT_POLL_JOB = "poll"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,47}$")
_SET_ID = re.compile(r"^[0-9]{3}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _set_ids(value: Any) -> Any:
    """YAML reads ``856`` as a number: document kinds are X12 set ids, kept as text."""
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return value


def _check_set_ids(ids: Any) -> None:
    for set_id in ids:
        if not _SET_ID.match(set_id):
            raise ValueError(f"{set_id!r} is not an X12 transaction set id (three digits, e.g. 856)")


class JobSettings(_Strict):
    """One scheduled job: what it runs, when, and (outbound jobs) for whom and which documents."""

    name: str = Field(description="unique; the key of the job's state in the ledger")
    job: JobName
    every_seconds: float | None = Field(default=None, gt=0)
    cron: str | None = Field(default=None, description="minute hour day month weekday, e.g. '0 2 * * *'")
    partner: str | None = Field(default=None, description="outbound jobs: only this partner (default: all)")
    documents: tuple[str, ...] = Field(default=(), description="outbound jobs: these document kinds: 856, 863, "
                                       "certificate, 810, 842, 870 (default: all due but 870)")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r}: a job name is 1-48 of a-z 0-9 _ . - (starting with a letter or digit)")
        return value

    @field_validator("documents", mode="before")
    @classmethod
    def _documents_as_text(cls, value: Any) -> Any:
        return _set_ids(value)

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str | None) -> str | None:
        if value is not None:
            if len(value.split()) != 5:
                raise ValueError(f"{value!r}: a cron line has five fields (minute hour day month weekday)")
            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a valid cron line: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _one_trigger(self) -> JobSettings:
        if (self.every_seconds is None) == (self.cron is None):
            raise ValueError(f"job {self.name}: give exactly one of every_seconds and cron")
        if self.job != "outbound" and (self.partner or self.documents):
            raise ValueError(f"job {self.name}: partner and documents apply to outbound jobs only")
        unknown = sorted(set(self.documents) - set(DOCUMENT_KINDS))
        if unknown:
            raise ValueError(f"job {self.name}: unknown documents {unknown} (known: {', '.join(DOCUMENT_KINDS)})")
        return self


class ScheduleSettings(_Strict):
    """The scheduler: the leader lease, the time zone of cron lines, the jobs."""

    lease_seconds: float = Field(default=60.0, ge=5, description="a silent leader is replaced after this")
    timezone: str = Field(default="UTC", description="time zone of the cron lines (IANA name)")
    misfire_grace_seconds: float = Field(default=300.0, gt=0,
                                         description="a run missed by more than this is skipped, not caught up")
    jobs: tuple[JobSettings, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a known time zone") from exc
        return value

    @field_validator("jobs")
    @classmethod
    def _unique_names(cls, value: tuple[JobSettings, ...]) -> tuple[JobSettings, ...]:
        seen: set[str] = set()
        for job in value:
            if job.name in seen:
                raise ValueError(f"job name {job.name!r} is used twice")
            seen.add(job.name)
        return value

    def with_poll_job(self, poll_seconds: float) -> tuple[JobSettings, ...]:
        """The configured jobs, plus a ``poll`` job every ``run.poll_seconds`` when none polls."""
        if any(job.job == "poll" for job in self.jobs):
            return self.jobs
        return (JobSettings(name=DEFAULT_POLL_JOB, job="poll", every_seconds=poll_seconds), *self.jobs)


class FunctionalAckSettings(_Strict):
    """How long a partner has to send a 997/999 for one of our sets: per partner and set id, else per set id,
    else ``window_hours``."""

    window_hours: float = Field(default=24.0, gt=0)
    documents: dict[str, float] = Field(default_factory=dict, description="set id -> hours, every partner")
    partners: dict[str, dict[str, float]] = Field(default_factory=dict, description="partner -> set id -> hours")

    @field_validator("documents", mode="before")
    @classmethod
    def _documents_as_text(cls, value: Any) -> Any:
        return _set_ids(value)

    @field_validator("partners", mode="before")
    @classmethod
    def _partner_documents_as_text(cls, value: Any) -> Any:
        return {k: _set_ids(v) for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _positive(self) -> FunctionalAckSettings:
        tables = [self.documents, *self.partners.values()]
        for table in tables:
            _check_set_ids(table)
            bad = [k for k, hours in table.items() if hours <= 0]
            if bad:
                raise ValueError(f"window of {bad[0]} must be more than 0 hours")
        return self

    def window(self, partner_id: str | None, set_id: str | None) -> timedelta:
        """The window for one outbound set of ``partner_id``."""
        hours = self.partners.get(partner_id or "", {}).get(set_id or "")
        if hours is None:
            hours = self.documents.get(set_id or "", self.window_hours)
        return timedelta(hours=hours)

    def shortest(self) -> timedelta:
        """No set is overdue before this: lets the overdue query skip what was sent recently."""
        every = [self.window_hours, *self.documents.values(), *(h for t in self.partners.values() for h in t.values())]
        return timedelta(hours=min(every))
