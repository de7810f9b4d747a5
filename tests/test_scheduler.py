"""The scheduler: config validation, the leader lease (SQLite and PostgreSQL), job runs in the ledger."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest
import yaml
from erp_fixtures import BACKENDS, database_url
from sqlmodel import Session

from gateway.app import Gateway
from gateway.context import Context
from gateway.errors import ConfigError
from gateway.scheduler.config import JobName, JobSettings, ScheduleSettings
from gateway.scheduler.jobs import JOBS, JobUnavailable
from gateway.scheduler.lease import LeaderLease
from gateway.scheduler.models import SchedulerJob
from gateway.scheduler.runner import GatewayScheduler
from gateway.settings import Settings, default_config_text, load_settings

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Context]:
    with database_url(request.param, tmp_path) as url:
        settings = Settings.model_validate({"gateway": {"x12_id": "ZZ:EDIPULSE"}, "database": {"url": url},
                                            "base_dir": tmp_path})
        context = Context.open(settings)
        try:
            yield context
        finally:
            context.close()


def _uncommented_example() -> dict:
    """The commented ``schedule:`` and ``functional_acks:`` examples of the shipped config, uncommented."""
    kept, keeping = [], False
    for line in default_config_text("ZZ:EDIPULSE").splitlines():
        top = re.match(r"^# ([a-z_]+):$", line)
        if top:
            keeping = top[1] in ("schedule", "functional_acks")
        elif not line.startswith("#  "):
            keeping = False
        if keeping:
            kept.append(line[2:])
    return yaml.safe_load("\n".join(kept))


def test_commented_example_validates_and_job_registry_matches() -> None:
    data = _uncommented_example()
    settings = Settings.model_validate({"gateway": {"x12_id": "ZZ:EDIPULSE"}, **data})
    assert settings.schedule is not None
    assert [j.name for j in settings.schedule.jobs] == ["poll", "ship-notices", "invoices", "housekeeping"]
    assert settings.schedule.jobs[1].documents == ("856",)
    assert settings.functional_acks.window("acme", "856") == timedelta(hours=2)
    assert set(JOBS) == set(get_args(JobName))


@pytest.mark.parametrize(("jobs", "message"), [
    ([{"name": "x", "job": "poll", "cron": "61 * * * *"}], "schedule.jobs.0.cron"),
    ([{"name": "x", "job": "poll", "cron": "* * * *"}], "five fields"),
    ([{"name": "x", "job": "poll", "cron": "* * * * *", "every_seconds": 5}], "exactly one"),
    ([{"name": "x", "job": "poll", "every_seconds": 5, "documents": [856]}], "outbound jobs only"),
    ([{"name": "x", "job": "mail", "every_seconds": 5}], "schedule.jobs.0.job"),
    ([{"name": "x", "job": "poll", "every_seconds": 5, "colour": 1}], "colour"),
    ([{"name": "x", "job": "poll", "every_seconds": 5}, {"name": "x", "job": "poll", "every_seconds": 9}],
     "used twice"),
    ([{"name": "x", "job": "outbound", "every_seconds": 5, "documents": ["ASN"]}], "unknown documents"),
])
def test_bad_schedules_are_config_errors(tmp_path: Path, jobs: list, message: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"gateway": {"x12_id": "ZZ:EDIPULSE"}, "schedule": {"jobs": jobs}}))
    with pytest.raises(ConfigError, match=message):
        load_settings(config)


def test_poll_job_is_added_when_none_is_configured() -> None:
    schedule = ScheduleSettings(jobs=(JobSettings(name="hk", job="housekeeping", cron="0 * * * *"),))
    assert [(j.name, j.every_seconds) for j in schedule.with_poll_job(7)] == [("poll", 7), ("hk", None)]


def test_one_leader_until_its_lease_runs_out(ctx: Context) -> None:
    clock = Clock()
    a = LeaderLease(ctx.engine, "host-a:1", timedelta(seconds=60), clock=clock)
    b = LeaderLease(ctx.engine, "host-b:2", timedelta(seconds=60), clock=clock)
    assert a.acquire() and not b.acquire()
    assert a.held() and not b.held()
    clock.now += timedelta(seconds=45)
    assert a.acquire() and not b.acquire()  # renewed: runs until +105 s
    clock.now += timedelta(seconds=61)
    assert not a.held() and b.acquire() and not a.acquire()  # a went silent: b takes over
    assert b.current().holder == "host-b:2"
    b.release()
    assert a.acquire()  # a released lease is free at once


def _scheduler(ctx: Context, holder: str, clock: Callable[[], datetime], calls: list[str],
               jobs: tuple[dict, ...]) -> GatewayScheduler:
    def record(name: str):  # noqa: ANN202
        def run(gateway: Gateway, job: JobSettings) -> str:
            calls.append(f"{holder}:{job.name}")
            if job.name == "broken":
                raise RuntimeError("disk full")
            if job.name == "missing":
                raise JobUnavailable("SCHEDULE_JOB_UNAVAILABLE: not installed")
            return f"{name} done"
        return run

    schedule = ScheduleSettings(jobs=tuple(JobSettings.model_validate(j) for j in jobs))
    return GatewayScheduler(Gateway(ctx), schedule, holder=holder, clock=clock,
                            jobs={name: record(name) for name in JOBS})


JOBSET = ({"name": "poll", "job": "poll", "every_seconds": 5},
          {"name": "nightly", "job": "housekeeping", "cron": "0 2 * * *"})


def test_two_schedulers_only_the_leader_runs_jobs(ctx: Context) -> None:
    clock, calls = Clock(), []
    a = _scheduler(ctx, "host-a:1", clock, calls, JOBSET)
    b = _scheduler(ctx, "host-b:2", clock, calls, JOBSET)
    assert a.lease.acquire()
    assert b.run_due_once() is None  # b is no leader: runs nothing
    assert b.run_job("poll").result == "skipped"
    assert a.run_job("poll").result == "ok"
    assert calls == ["host-a:1:poll"]
    with Session(ctx.engine) as session:
        row = session.get(SchedulerJob, "poll")
        assert (row.runs, row.failures, row.last_result, row.last_detail, row.last_holder) == \
            (1, 0, "ok", "poll done", "host-a:1")


def test_run_once_runs_due_jobs_and_records_failures(ctx: Context) -> None:
    clock, calls = Clock(), []
    jobs = (*JOBSET, {"name": "broken", "job": "poll", "every_seconds": 60},
            {"name": "missing", "job": "outbound", "cron": "* * * * *"})
    a = _scheduler(ctx, "host-a:1", clock, calls, jobs)
    outcomes = a.run_due_once()
    assert [(o.name, o.result, o.error_code) for o in outcomes] == [
        ("poll", "ok", None), ("nightly", "ok", None), ("broken", "error", "SCHEDULE_JOB_FAILED"),
        ("missing", "error", "SCHEDULE_JOB_UNAVAILABLE")]
    assert "disk full" in outcomes[2].detail
    clock.now += timedelta(minutes=5)  # 12:05: the nightly job (02:00) is not due again, the others are
    assert [o.name for o in a.run_due_once()] == ["poll", "broken", "missing"]
    clock.now += timedelta(hours=14)  # 02:05 the next day
    assert "nightly" in [o.name for o in a.run_due_once()]
    with Session(ctx.engine) as session:
        broken = session.get(SchedulerJob, "broken")
        assert (broken.runs, broken.failures, broken.last_error_code) == (3, 3, "SCHEDULE_JOB_FAILED")
    listing = {r["name"]: r for r in a.listing()}
    assert listing["nightly"]["next_run"] == datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    assert listing["poll"]["runs"] == 3 and listing["poll"]["last_result"] == "ok"


def test_serve_leads_with_apscheduler_or_stands_by(ctx: Context) -> None:
    calls: list[str] = []
    fired = threading.Event()
    quick = ({"name": "poll", "job": "poll", "every_seconds": 0.05},)
    holder_a = _scheduler(ctx, "host-a:1", _wall, calls, JOBSET)  # wall clock: APScheduler fires on it
    standby = _scheduler(ctx, "host-b:2", _wall, calls, quick)
    assert holder_a.lease.acquire()
    rounds: list[int] = []
    standby.serve(lambda: len(rounds) >= 3, lambda _s: None, lambda: rounds.append(1))
    assert rounds == [1, 1, 1] and calls == []  # standing by: worker rounds, no job
    holder_a.lease.release()
    leader = _scheduler(ctx, "host-b:2", _wall, calls, quick)
    leader._functions = {**leader._functions, "poll": lambda g, j: (calls.append("fired"), fired.set(), "ok")[2]}
    leader.serve(fired.is_set, lambda _s: fired.wait(10), lambda: rounds.append(1))
    assert fired.is_set() and calls[0] == "fired" and len(rounds) == 3  # it led: the job ran, no worker round
    assert leader.lease.current().expires_at is not None


def _wall() -> datetime:
    return datetime.now(UTC)


def test_g0004_tables_match_their_models(ctx: Context) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from gateway.scheduler.models import SCHEDULER_TABLES

    def only_scheduler(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        del reflected, compare_to
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in SCHEDULER_TABLES

    with ctx.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": only_scheduler, "compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
