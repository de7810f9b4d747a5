"""Ledger tables of the scheduler (migration g0004): the leader lease and the state of each job.

Only one scheduler may run jobs per deployment: the one holding the ``scheduler_lease`` row
(``holder`` until ``expires_at``, renewed while it lives). ``scheduler_job`` keeps one row per
configured job with its last run and counters rather than a row per run: a job that runs every
few seconds would otherwise grow the ledger without bound.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

# scheduler_job.last_result
OK, FAILED, SKIPPED = "ok", "error", "skipped"
SCHEDULER_TABLES = ("scheduler_lease", "scheduler_job")


class SchedulerLease(SQLModel, table=True):
    """Who schedules: one row per lease name; taken over once ``expires_at`` has passed."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=96)  # "host:pid" of the leading process
    acquired_at: datetime
    expires_at: datetime


class SchedulerJob(SQLModel, table=True):
    """A configured job's last run (start, end, result, summary or coded error) and run counters."""

    __tablename__ = "scheduler_job"

    name: str = Field(primary_key=True, max_length=48)
    job: str = Field(max_length=24)  # the job function (poll, outbound, housekeeping)
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_result: str | None = Field(default=None, max_length=8)
    last_detail: str | None = Field(default=None, sa_column=Column(Text))
    last_error_code: str | None = Field(default=None, max_length=40)
    last_holder: str | None = Field(default=None, max_length=96)
    runs: int = 0
    failures: int = 0
