"""The transfer ledger, channel settings and the breaker, with a local-folder channel (real files, real SQLite)."""

from __future__ import annotations

from datetime import timedelta
from itertools import takewhile
from pathlib import Path

import pytest
import yaml
from channel_support import add_channels, attempts, breaker, open_context
from support import Workdir, interchange_copy

from gateway.app import Gateway
from gateway.channels.runner import ChannelRunner
from gateway.channels.settings import ChannelSettings, RetrySettings
from gateway.errors import ConfigError
from gateway.ledger.models import utcnow
from gateway.settings import default_config_text, load_settings


def local_channel(path: Path, out: Path, **extra: object) -> dict:
    channel = {"name": "acme-local", "partner": "acme", "direction": "both", "transport": "local",
               "local": {"path": str(path), "outbox_path": str(out), "settle_seconds": 0},
               "retry": {"attempts": 1}, "breaker": {"failures": 2, "cool_off_seconds": 60}}
    channel.update(extra)
    return channel


def test_the_commented_example_in_config_yaml_is_valid(tmp_path: Path) -> None:
    text = default_config_text("ZZ:EDIPULSE")
    lines = [line[2:] for line in text.splitlines() if line.startswith("# ")]
    start = lines.index("channels:")
    block = [lines[start], *takewhile(lambda line: line.startswith("  "), lines[start + 1:])]
    data = yaml.safe_load("\n".join(block))
    channel = ChannelSettings.model_validate(data["channels"][0]).resolved(tmp_path)
    assert channel.sftp is not None and channel.sftp.private_key_file == tmp_path / "keys/acme_ed25519"
    assert channel.sftp.max_file_bytes == channel.max_file_bytes


@pytest.mark.parametrize(("change", "message"), [
    ({"schedule": "every day"}, "cron"), ({"schedule": 0}, "positive"), ({"direction": "sideways"}, "direction"),
    ({"local": {"path": "/x", "password": "no"}}, "password"), ({"sftp": None, "local": None}, "needs exactly")])
def test_bad_channel_settings_are_config_errors(workdir: Workdir, tmp_path: Path, change: dict, message: str) -> None:
    add_channels(workdir.config, {**local_channel(tmp_path / "in", tmp_path / "out"), **change})
    with pytest.raises(ConfigError, match=message):
        load_settings(workdir.config)


def test_channel_names_are_unique(workdir: Workdir, tmp_path: Path) -> None:
    add_channels(workdir.config, local_channel(tmp_path / "a", tmp_path / "b"),
                 local_channel(tmp_path / "c", tmp_path / "d"))
    with pytest.raises(ConfigError, match="used twice"):
        load_settings(workdir.config)


def test_backoff_doubles_up_to_its_cap() -> None:
    retry = RetrySettings(attempts=5, backoff_seconds=2, max_backoff_seconds=5)
    assert [retry.delay(n) for n in range(1, 5)] == [2, 4, 5, 5]


def test_local_channel_breaker_opens_then_closes_after_the_cool_off(workdir: Workdir, tmp_path: Path) -> None:
    inbox, out = tmp_path / "acme-in", tmp_path / "acme-out"
    add_channels(workdir.config, local_channel(inbox, out))
    now = [utcnow()]
    ctx = open_context(workdir.config)
    gateway = Gateway(ctx)
    gateway.channels = ChannelRunner(ctx, sleep=lambda _s: None, now=lambda: now[0])
    gateway.run_once()  # the folder is missing: a retryable failure
    gateway.run_once()  # second consecutive failure: open
    gateway.run_once()  # open: not tried
    assert [r.error_code for r in attempts(ctx)] == ["CHANNEL_READ_FAILED"] * 2
    state = breaker(ctx, "acme-local")
    assert state is not None and state.open_until is not None and state.consecutive_failures == 2
    inbox.mkdir()
    (inbox / "po.x12").write_text(interchange_copy(610, 6_100_000_000))
    (inbox / "link.x12").symlink_to(tmp_path / "secret")
    (tmp_path / "secret").write_text("not for the gateway")
    now[0] += timedelta(seconds=61)
    gateway.run_once()  # half-open try succeeds: closed again; the file is taken, the link refused
    rows = [(r.direction, r.remote_name, r.result, r.error_code) for r in attempts(ctx)][2:]
    assert ("in", "link.x12", "error", "CHANNEL_PATH_UNSAFE") in rows and ("in", "po.x12", "ok", None) in rows
    assert [r[2] for r in rows if r[0] == "out"] == ["ok"], "the ack went to the partner's local outbox"
    state = breaker(ctx, "acme-local")
    assert state is not None and state.consecutive_failures == 0 and state.open_until is None
    assert sorted(p.name for p in inbox.iterdir()) == ["link.x12"] and len(list(out.iterdir())) == 1
    ctx.close()


def test_transfers_command_lists_attempts(workdir: Workdir, tmp_path: Path) -> None:
    import json

    inbox, out = tmp_path / "acme-in", tmp_path / "acme-out"
    inbox.mkdir()
    (inbox / "po.x12").write_text(interchange_copy(611, 6_110_000_000))
    add_channels(workdir.config, local_channel(inbox, out))
    assert workdir.run("run", "--once").code == 0
    listed = json.loads(workdir.run("transfers", "--json").out)
    assert {(r["direction"], r["remote_name"], r["result"]) for r in listed} >= {("in", "po.x12", "ok")}
    only_errors = json.loads(workdir.run("transfers", "--result", "error", "--json").out)
    assert only_errors == []
    assert "Transfers" in workdir.run("transfers").out
