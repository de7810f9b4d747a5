"""Each channel's inbound polling follows its own ``schedule`` (interval or cron), kept in the ledger across restarts.

Real local-folder channels, real SQLite, an injected clock. Every round uses a new
``ChannelRunner`` (as ``edipulse run --once`` does), so a file in a polled folder is
taken at once; a file still in its folder after a round means the channel was not polled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from channel_support import add_channels, attempts, breaker, open_context
from support import Workdir, interchange_copy

from gateway.app import Gateway
from gateway.channels.runner import ChannelRunner
from gateway.channels.schedule import PollSchedule
from gateway.context import Context
from gateway.errors import ConfigError
from gateway.settings import load_settings

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def in_channel(name: str, folder: Path, schedule: float | str | None = None, **extra: object) -> dict:
    """A local inbound channel of partner acme reading ``folder``."""
    channel: dict = {"name": name, "partner": "acme", "direction": "in", "transport": "local",
                     "local": {"path": str(folder), "settle_seconds": 0}, "retry": {"attempts": 1}}
    if schedule is not None:
        channel["schedule"] = schedule
    channel.update(extra)
    return channel


def poll_at(ctx: Context, moment: datetime) -> int:
    """One inbound round at ``moment`` by a fresh runner; the number of files received."""
    runner = ChannelRunner(ctx, sleep=lambda _s: None, now=lambda: moment)
    runner.start_round()
    try:
        return len(runner.poll().received)
    finally:
        runner.close()


class Folder:
    """A partner's inbound folder: files are dropped with unique interchange numbers."""

    def __init__(self, path: Path, base: int) -> None:
        self.path, self._next = path, base
        path.mkdir(parents=True, exist_ok=True)

    def drop(self) -> str:
        self._next += 1
        name = f"po-{self._next}.x12"
        (self.path / name).write_text(interchange_copy(self._next, self._next * 1000))
        return name

    def waiting(self) -> list[str]:
        return sorted(p.name for p in self.path.iterdir())


def polled_at(ctx: Context, channel: str) -> datetime | None:
    state = breaker(ctx, channel)
    if state is None or state.last_polled_at is None:
        return None
    return state.last_polled_at.replace(tzinfo=UTC)


def test_an_interval_channel_is_polled_then_skipped_within_its_interval_then_polled_again(
        workdir: Workdir, tmp_path: Path) -> None:
    folder = Folder(tmp_path / "acme-in", 700)
    add_channels(workdir.config, in_channel("acme-in", folder.path, 600))
    ctx = open_context(workdir.config)
    folder.drop()
    assert poll_at(ctx, T0) == 1 and folder.waiting() == []  # never polled: due at once
    assert polled_at(ctx, "acme-in") == T0
    second = folder.drop()
    assert poll_at(ctx, T0 + timedelta(seconds=599)) == 0 and folder.waiting() == [second]
    assert polled_at(ctx, "acme-in") == T0, "a skipped round does not move the clock"
    assert poll_at(ctx, T0 + timedelta(seconds=600)) == 1 and folder.waiting() == []
    assert polled_at(ctx, "acme-in") == T0 + timedelta(seconds=600)
    assert [(r.remote_name, r.result) for r in attempts(ctx, "acme-in")] == [("po-701.x12", "ok"),
                                                                              ("po-702.x12", "ok")]
    ctx.close()


def test_a_cron_channel_is_polled_when_a_fire_time_has_passed_since_its_last_poll(
        workdir: Workdir, tmp_path: Path) -> None:
    folder = Folder(tmp_path / "acme-cron", 710)
    add_channels(workdir.config, in_channel("acme-cron", folder.path, "*/15 * * * *"))
    ctx = open_context(workdir.config)
    folder.drop()
    assert poll_at(ctx, T0 + timedelta(minutes=7)) == 1  # 10:07, never polled
    waiting = [folder.drop()]
    assert poll_at(ctx, T0 + timedelta(minutes=14, seconds=59)) == 0 and folder.waiting() == waiting
    assert poll_at(ctx, T0 + timedelta(minutes=15)) == 1 and folder.waiting() == []  # fired at 10:15
    waiting = [folder.drop()]
    assert poll_at(ctx, T0 + timedelta(minutes=15)) == 0, "a poll started on the fire time has used it up"
    assert poll_at(ctx, T0 + timedelta(minutes=29)) == 0 and folder.waiting() == waiting
    assert poll_at(ctx, T0 + timedelta(minutes=52)) == 1 and folder.waiting() == []  # 10:30 and 10:45: one poll
    assert polled_at(ctx, "acme-cron") == T0 + timedelta(minutes=52)
    ctx.close()


def test_channels_with_different_schedules_in_one_round(workdir: Workdir, tmp_path: Path) -> None:
    every = Folder(tmp_path / "every-minute", 720)
    hourly = Folder(tmp_path / "hourly", 730)
    always = Folder(tmp_path / "always", 740)
    add_channels(workdir.config, in_channel("every-minute", every.path, 60),
                 in_channel("hourly", hourly.path, "0 * * * *"), in_channel("always", always.path))
    ctx = open_context(workdir.config)
    folders = (every, hourly, always)
    for folder in folders:
        folder.drop()
    assert poll_at(ctx, T0) == 3
    late = [folder.drop() for folder in folders]
    assert poll_at(ctx, T0 + timedelta(seconds=30)) == 1  # only the channel without a schedule
    assert [f.waiting() for f in folders] == [[late[0]], [late[1]], []]
    assert poll_at(ctx, T0 + timedelta(seconds=90)) == 1  # the minute has passed; the hour has not
    assert [f.waiting() for f in folders] == [[], [late[1]], []]
    assert poll_at(ctx, T0 + timedelta(hours=1)) == 1  # 11:00 fired; the one-minute channel is due as well
    assert [f.waiting() for f in folders] == [[], [], []]
    assert polled_at(ctx, "always") == T0 + timedelta(hours=1) and polled_at(ctx, "hourly") == T0 + timedelta(hours=1)
    assert polled_at(ctx, "every-minute") == T0 + timedelta(hours=1)
    ctx.close()


def test_the_last_poll_survives_a_restart(workdir: Workdir, tmp_path: Path) -> None:
    folder = Folder(tmp_path / "acme-in", 750)
    add_channels(workdir.config, in_channel("acme-in", folder.path, 300))
    first = open_context(workdir.config)
    folder.drop()
    assert poll_at(first, T0) == 1
    first.close()
    waiting = [folder.drop()]
    again = open_context(workdir.config)  # a new process: nothing in memory
    assert poll_at(again, T0 + timedelta(seconds=299)) == 0 and folder.waiting() == waiting
    assert poll_at(again, T0 + timedelta(seconds=300)) == 1 and folder.waiting() == []
    again.close()


def test_a_failed_poll_leaves_the_channel_due(workdir: Workdir, tmp_path: Path) -> None:
    missing = tmp_path / "not-yet"
    add_channels(workdir.config, in_channel("acme-in", missing, "0 2 * * *"))
    ctx = open_context(workdir.config)
    assert poll_at(ctx, T0) == 0
    assert [r.error_code for r in attempts(ctx, "acme-in")] == ["CHANNEL_READ_FAILED"]
    assert polled_at(ctx, "acme-in") is None
    Folder(missing, 760).drop()
    assert poll_at(ctx, T0 + timedelta(seconds=5)) == 1, "the failure did not cost the channel a day"
    assert polled_at(ctx, "acme-in") == T0 + timedelta(seconds=5)
    ctx.close()


def test_sends_over_a_channel_do_not_wait_for_its_schedule(workdir: Workdir, tmp_path: Path) -> None:
    folder, out = Folder(tmp_path / "acme-in", 770), tmp_path / "acme-out"
    add_channels(workdir.config, in_channel("acme-both", folder.path, 3600, direction="both",
                                            local={"path": str(folder.path), "outbox_path": str(out),
                                                   "settle_seconds": 0}))
    ctx = open_context(workdir.config)
    now = [T0]
    gateway = Gateway(ctx)
    gateway.channels = ChannelRunner(ctx, sleep=lambda _s: None, now=lambda: now[0])
    gateway.run_once()  # polls the (empty) channel: next poll in an hour
    waiting = [folder.drop()]
    (workdir.root / "inbox" / "po.x12").write_text(interchange_copy(779, 7_790_000_000))
    now[0] += timedelta(seconds=10)
    report = gateway.run_once()  # the local inbox's PO is acknowledged over the channel at once
    assert folder.waiting() == waiting, "the channel was not due"
    assert len(report.delivered) == 1 and len(list(out.iterdir())) == 1
    assert [(r.direction, r.result) for r in attempts(ctx, "acme-both")] == [("out", "ok")]
    ctx.close()


def test_edipulse_run_once_polls_the_channels_that_are_due(workdir: Workdir, tmp_path: Path) -> None:
    due, later = Folder(tmp_path / "due", 780), Folder(tmp_path / "later", 790)
    add_channels(workdir.config, in_channel("due", due.path, 60), in_channel("later", later.path, 86_400))
    ctx = open_context(workdir.config)
    poll_at(ctx, datetime.now(UTC) - timedelta(minutes=5))  # both polled five minutes ago
    ctx.close()
    due.drop()
    waiting = [later.drop()]
    assert workdir.run("run", "--once").code == 0
    assert due.waiting() == [] and later.waiting() == waiting
    import json

    listed = {c["name"]: c for c in json.loads(workdir.run("channels", "--json").out)}
    assert listed["due"]["schedule"] == 60 and listed["due"]["consecutive_failures"] == 0
    assert listed["later"]["next_poll"] > listed["due"]["next_poll"]  # a day after its last poll vs a minute
    assert "Channels" in workdir.run("channels").out


@pytest.mark.parametrize(("schedule", "message"), [("99 * * * *", "not a valid cron line"),
                                                    ("every day", "five-field"), (-5, "positive")])
def test_bad_schedules_are_config_errors(workdir: Workdir, tmp_path: Path, schedule: object, message: str) -> None:
    add_channels(workdir.config, in_channel("acme-in", tmp_path / "in", schedule))
    with pytest.raises(ConfigError, match=message):
        load_settings(workdir.config)


def test_cron_lines_are_read_in_the_schedulers_time_zone() -> None:
    nightly = PollSchedule("0 2 * * *", "America/New_York")
    last = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # 01:00 in New York
    assert nightly.next_poll(last) == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert not nightly.is_due(last, datetime(2026, 3, 2, 6, 59, tzinfo=UTC))
    assert nightly.is_due(last, datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    assert PollSchedule(None).is_due(last, last) and PollSchedule(30.0).is_due(None, last)
