"""``edipulse schedule`` and the scheduled form of ``edipulse run`` (when config.yaml has ``schedule:``)."""

from __future__ import annotations

import logging
import time
from typing import Annotated

import typer

from gateway.app import Gateway
from gateway.cli.output import error_line, info, listing
from gateway.cli.state import CliState
from gateway.errors import ConfigError
from gateway.scheduler.models import FAILED
from gateway.scheduler.runner import GatewayScheduler

log = logging.getLogger(__name__)
_COLUMNS = ["name", "job", "when", "partner", "next_run", "last_started_at", "last_result", "last_detail"]


def schedule_cmd(ctx: typer.Context,
                 as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """The scheduled jobs: when they run next, how their last run went, and who leads."""
    state: CliState = ctx.obj
    schedule = state.settings.schedule
    if schedule is None:
        raise ConfigError("config.yaml has no schedule: section ('edipulse run' polls every run.poll_seconds)")
    scheduler = GatewayScheduler(Gateway(state.context), schedule)
    records = scheduler.listing()
    if not as_json:
        lease = scheduler.lease.current()
        info(f"leader: {lease.holder} until {lease.expires_at:%Y-%m-%d %H:%M:%S}" if lease else "leader: none yet")
    listing("Jobs", records, _COLUMNS, as_json)


def run_scheduled(state: CliState, gateway: Gateway, *, once: bool, stopping: list[int]) -> None:
    """``edipulse run`` with a schedule: lead the jobs or, while another process leads, process files."""
    schedule = state.settings.schedule
    if schedule is None:
        raise ConfigError("config.yaml has no schedule: section")
    scheduler = GatewayScheduler(gateway, schedule)
    if once:
        _run_once(scheduler, gateway)
        return
    worker = Gateway(state.context)  # its own channels: never shared with a job still finishing
    scheduler.serve(lambda: bool(stopping), time.sleep, lambda: _worker_round(worker))


def _run_once(scheduler: GatewayScheduler, gateway: Gateway) -> None:
    outcomes = scheduler.run_due_once()
    if outcomes is None:
        report = gateway.run_once()
        info(f"another process schedules; processed {len(report.processed)} file(s) as a worker")
        return
    for outcome in outcomes:
        line = f"{outcome.name}: {outcome.result}: {outcome.detail}"
        if outcome.result == FAILED:
            error_line(line)
        else:
            info(line)
    if any(o.result == FAILED for o in outcomes):
        raise typer.Exit(1)


def _worker_round(gateway: Gateway) -> None:
    try:
        gateway.run_once()
    except Exception as exc:  # noqa: BLE001 - a polling worker survives one bad round (its files stay claimed)
        log.exception("processing round failed; polling goes on")
        error_line(f"processing round failed: {type(exc).__name__}: {exc}")
