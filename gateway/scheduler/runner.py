"""Run the configured jobs with APScheduler under the leader lease; record every run in the ledger.

APScheduler 3 keeps the jobs in memory (its job stores must not be shared between
processes) and runs them on one worker thread, so two jobs never use the gateway's
channels at the same time. Every job coalesces missed runs into one and never overlaps
itself (``max_instances=1``). Only the lease holder's scheduler runs; the others are paused
and keep processing files as before (a worker round every ``run.poll_seconds``). A job
checks the lease again right before it runs, so one that fires just after the lease was
lost does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.app import Gateway
from gateway.channels.schedule import PollSchedule
from gateway.ledger import claims
from gateway.ledger.models import utcnow
from gateway.scheduler.config import JobSettings, ScheduleSettings
from gateway.scheduler.jobs import JOBS, JobFunction, JobUnavailable
from gateway.scheduler.lease import LeaderLease
from gateway.scheduler.models import FAILED, OK, SKIPPED, SchedulerJob

log = logging.getLogger(__name__)
JOB_FAILED = "SCHEDULE_JOB_FAILED"


@dataclass(frozen=True, slots=True)
class JobOutcome:
    name: str
    result: str  # ok | error | skipped
    detail: str
    error_code: str | None = None


def trigger_of(job: JobSettings, timezone: str) -> BaseTrigger:
    if job.cron is not None:
        return CronTrigger.from_crontab(job.cron, timezone=timezone)
    return IntervalTrigger(seconds=job.every_seconds or 1.0, timezone=timezone)


class GatewayScheduler:
    """The jobs of one gateway process, the lease that decides whether they run, and their ledger rows."""

    def __init__(self, gateway: Gateway, schedule: ScheduleSettings, *, holder: str | None = None,
                 clock: Callable[[], datetime] = utcnow, jobs: Mapping[str, JobFunction] = JOBS) -> None:
        self.gateway, self.schedule, self._clock, self._functions = gateway, schedule, clock, jobs
        self.jobs = {j.name: j for j in schedule.with_poll_job(gateway.ctx.settings.run.poll_seconds)}
        self.lease = LeaderLease(gateway.ctx.engine, holder or claims.worker_id(),
                                 timedelta(seconds=schedule.lease_seconds), clock=clock)

    # -- one run -------------------------------------------------------------------------------------------
    def run_job(self, name: str) -> JobOutcome:
        """Run one job now if this process leads; its start and result go to ``scheduler_job``."""
        job = self.jobs[name]
        if not self.lease.held():
            return JobOutcome(name, SKIPPED, "not the leader")
        self._record(job, last_started_at=self._clock(), last_holder=self.lease.holder)
        try:
            outcome = JobOutcome(name, OK, self._functions[job.job](self.gateway, job))
        except JobUnavailable as exc:
            outcome = JobOutcome(name, FAILED, str(exc), JobUnavailable.code)
        except Exception as exc:  # noqa: BLE001 - a job boundary: record the failure, the schedule goes on
            log.exception("job %s failed", name)
            outcome = JobOutcome(name, FAILED, f"{type(exc).__name__}: {exc}", JOB_FAILED)
        self._record(job, last_finished_at=self._clock(), last_result=outcome.result, last_detail=outcome.detail,
                     last_error_code=outcome.error_code, count=outcome.result)
        return outcome

    def _record(self, job: JobSettings, *, count: str | None = None, **fields: object) -> None:
        """Update the job's row (created on its first run; a concurrent first insert is retried as an update)."""
        for _attempt in range(2):
            with Session(self.gateway.ctx.engine) as session:
                row = session.get(SchedulerJob, job.name) or SchedulerJob(name=job.name, job=job.job)
                row.job = job.job
                for key, value in fields.items():
                    setattr(row, key, value)
                if count is not None:
                    row.runs += 1
                    row.failures += count == FAILED
                session.add(row)
                try:
                    session.commit()
                    return
                except IntegrityError:
                    session.rollback()

    # -- --once --------------------------------------------------------------------------------------------
    def is_due(self, job: JobSettings, last_started: datetime | None, now: datetime) -> bool:
        """Interval jobs are always due; a cron job when a fire time has passed since its last run (or it never ran)."""
        if job.cron is None:
            return True
        # The channels' cron pacing: a run started exactly on a fire time has used it up.
        return PollSchedule(job.cron, self.schedule.timezone).is_due(last_started, now)

    def run_due_once(self) -> list[JobOutcome] | None:
        """Every due job once, in config order; None when another process leads (nothing is run)."""
        if not self.lease.acquire():
            return None
        try:
            now = self._clock()
            states = self.states()
            return [self.run_job(name) for name, job in self.jobs.items()
                    if self.is_due(job, getattr(states.get(name), "last_started_at", None), now)]
        finally:
            self.lease.release()

    # -- listing -------------------------------------------------------------------------------------------
    def states(self) -> dict[str, SchedulerJob]:
        with Session(self.gateway.ctx.engine) as session:
            rows = {name: session.get(SchedulerJob, name) for name in self.jobs}
            for row in rows.values():
                if row is not None:
                    session.expunge(row)
        return {name: row for name, row in rows.items() if row is not None}

    def listing(self) -> list[dict[str, object]]:
        """Each job: what, when, its next fire time from now, and its last run as recorded."""
        now, states = self._clock(), self.states()
        records = []
        for name, job in self.jobs.items():
            state = states.get(name)
            records.append({
                "name": name, "job": job.job, "when": job.cron or f"every {job.every_seconds:g}s",
                "partner": job.partner, "documents": list(job.documents),
                "next_run": trigger_of(job, self.schedule.timezone).get_next_fire_time(None, now),
                "last_started_at": state.last_started_at if state else None,
                "last_result": state.last_result if state else None,
                "last_detail": state.last_detail if state else None,
                "last_error_code": state.last_error_code if state else None,
                "runs": state.runs if state else 0, "failures": state.failures if state else 0})
        return records

    # -- serving -------------------------------------------------------------------------------------------
    def build(self) -> BackgroundScheduler:
        """An APScheduler with every job added (one worker thread, coalescing, never overlapping)."""
        scheduler = BackgroundScheduler(
            timezone=self.schedule.timezone, executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.schedule.misfire_grace_seconds)})
        for name, job in self.jobs.items():
            scheduler.add_job(self.run_job, trigger_of(job, self.schedule.timezone), args=[name], id=name, name=name)
        return scheduler

    def serve(self, stopping: Callable[[], bool], sleep: Callable[[float], None],
              worker_round: Callable[[], object]) -> None:
        """Lead (run the scheduler) while holding the lease, else run ``worker_round``; until ``stopping()``."""
        scheduler = self.build()
        scheduler.start(paused=True)
        leading = False
        interval = min(self.schedule.lease_seconds / 3, self.gateway.ctx.settings.run.poll_seconds)
        try:
            while not stopping():
                now_leading = self.lease.acquire()
                if now_leading != leading:
                    log.warning("scheduler %s: %s", self.lease.holder, "leading" if now_leading else "standing by")
                    if now_leading:
                        scheduler.resume()
                    else:
                        scheduler.pause()
                    leading = now_leading
                if not leading:
                    worker_round()
                sleep(interval)
        finally:
            scheduler.shutdown(wait=True)
            if leading:
                self.lease.release()
