"""Partner channels over SFTP, end to end against a real OpenSSH sshd: hand-off, sending, bad input, breaker."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from channel_support import add_channels, attempts, breaker, open_context, sftp_channel
from sqlalchemy import func, select
from sqlmodel import Session
from sshd import SshKeys, SshServer
from support import Workdir, interchange_copy

from erp_core.models import SalesOrder
from gateway.app import Gateway
from gateway.channels.runner import ChannelRunner, build_transport
from gateway.channels.settings import ChannelSettings
from gateway.context import Context
from gateway.ledger.models import Message, ReceivedFile, utcnow
from transports.base import RemoteFile, Transport


def po_count(ctx: Context) -> tuple[int, int]:
    """(orders, distinct PO numbers) booked."""
    with Session(ctx.engine) as session:
        return (session.execute(select(func.count(SalesOrder.id))).scalar_one(),
                session.execute(select(func.count(func.distinct(SalesOrder.po_number)))).scalar_one())


@pytest.fixture
def partner(tmp_path: Path) -> Path:
    return tmp_path / "acme-server"


def configure(wd: Workdir, sshd: SshServer, keys: SshKeys, partner: Path, **extra: object) -> Path:
    known = sshd.known_hosts(wd.root / "known_hosts")
    add_channels(wd.config, sftp_channel("acme-sftp", sshd.port, keys.client.private, known, partner, **extra))
    return known


def test_partner_files_are_booked_acknowledged_over_sftp_and_removed_after_commit(
        workdir: Workdir, sshd: SshServer, ssh_keys: SshKeys, partner: Path) -> None:
    configure(workdir, sshd, ssh_keys, partner)
    files = {f"po-{n}.x12": interchange_copy(700 + n, 7_000_000_000 + 10 * n).encode() for n in range(2)}
    for name, data in files.items():
        (partner / "in" / name).write_bytes(data)
    ctx = open_context(workdir.config)
    report = Gateway(ctx).run_once()

    assert len(report.received) == 2 and len(report.processed) == 2
    assert list((partner / "in").iterdir()) == [], "taken files are removed at the partner"
    assert po_count(ctx) == (4, 4)
    rows = attempts(ctx, "acme-sftp")
    inbound = [r for r in rows if r.direction == "in"]
    assert sorted((r.remote_name, r.size, r.sha256, r.result) for r in inbound) == sorted(
        (name, len(data), hashlib.sha256(data).hexdigest(), "ok") for name, data in files.items())
    with Session(ctx.engine) as session:
        for row in inbound:
            message = session.get(Message, row.message_id)
            assert message is not None and message.kind == "file" and message.partner_id == "acme"
            received = session.get(ReceivedFile, message.file_id)
            assert received is not None and received.source == f"sftp:acme-sftp/{row.remote_name}"
        acks = session.execute(select(Message).where(Message.kind == "ack")).scalars().all()
    assert len(acks) == 2 and {m.status for m in acks} == {"sent"}
    sent = sorted(p.name for p in (partner / "out").iterdir())
    assert len(sent) == 2 and all(n.startswith("997-") for n in sent), "acks go to the partner, not the outbox"
    assert sorted(r.remote_name for r in rows if r.direction == "out" and r.result == "ok") == sent
    assert workdir.outbox_files() == []
    ctx.close()


class CrashAfterCommit:
    """Wraps a transport so that its first acknowledge never happens: the process 'dies' after the commit."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.channel = inner.channel

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def acknowledge(self, remote: RemoteFile) -> None:
        raise SystemExit(f"killed before acknowledging {remote.name}")


def test_a_crash_between_commit_and_acknowledge_never_books_twice(
        workdir: Workdir, sshd: SshServer, ssh_keys: SshKeys, partner: Path) -> None:
    configure(workdir, sshd, ssh_keys, partner)
    data = interchange_copy(801, 8_100_000_000).encode()
    (partner / "in" / "po.x12").write_bytes(data)
    first = open_context(workdir.config)
    victim = Gateway(first)
    victim.channels = ChannelRunner(first, factory=lambda ch: CrashAfterCommit(build_transport(ch)))
    with pytest.raises(SystemExit):
        victim.run_once()
    first.close()
    assert (partner / "in" / "po.x12").exists(), "not acknowledged: still at the partner"

    ctx = open_context(workdir.config)
    Gateway(ctx).run_once()
    assert not (partner / "in" / "po.x12").exists()
    assert [(r.remote_name, r.result) for r in attempts(ctx) if r.direction == "in"] == [
        ("po.x12", "ok"), ("po.x12", "duplicate")]
    with Session(ctx.engine) as session:
        assert session.execute(select(func.count(ReceivedFile.id))).scalar_one() == 1, "received once"
    assert po_count(ctx) == (2, 2)
    ctx.close()


def test_bad_channels_and_bad_files_are_coded_and_the_good_channel_goes_on(
        workdir: Workdir, sshd: SshServer, ssh_keys: SshKeys, tmp_path: Path) -> None:
    known = sshd.known_hosts(workdir.root / "known_hosts")
    (workdir.root / "empty_known_hosts").write_text("")
    good, wrong_key, unknown_host = (tmp_path / n for n in ("good", "wrong-key", "unknown-host"))
    add_channels(
        workdir.config,
        sftp_channel("wrong-key", sshd.port, ssh_keys.stranger.private, known, wrong_key),
        sftp_channel("unknown-host", sshd.port, ssh_keys.client.private, workdir.root / "empty_known_hosts",
                     unknown_host),
        sftp_channel("good", sshd.port, ssh_keys.client.private, known, good, max_file_bytes=4000))
    for folder in (wrong_key, unknown_host):
        (folder / "in" / "po.x12").write_text(interchange_copy(901, 9_000_000_000))
    (good / "in" / "po.x12").write_text(interchange_copy(902, 9_000_000_010))
    (good / "in" / "huge.x12").write_bytes(b"x" * 5000)
    (good / "in" / "evil\nname.x12").write_text(interchange_copy(903, 9_000_000_020))
    before = sorted(p for p in tmp_path.rglob("*") if "gw" not in p.parts)
    ctx = open_context(workdir.config)
    gateway = Gateway(ctx)
    gateway.run_once()
    gateway.run_once()  # refusals that stay until the file changes are recorded once

    rows = {(r.channel, r.remote_name, r.result, r.error_code) for r in attempts(ctx)}
    assert ("wrong-key", None, "error", "SFTP_AUTH_FAILED") in rows
    assert ("unknown-host", None, "error", "SFTP_HOSTKEY_UNKNOWN") in rows
    assert ("good", "huge.x12", "error", "FILE_TOO_LARGE") in rows
    assert ("good", "evil\\x0aname.x12", "error", "SFTP_PATH_UNSAFE") in rows
    assert ("good", "po.x12", "ok", None) in rows
    assert len([r for r in attempts(ctx, "good") if r.result == "error"]) == 2, "each refusal recorded once"
    assert len(attempts(ctx, "wrong-key")) == 2, "not retried within a round (it cannot help), once per round"
    assert po_count(ctx) == (2, 2)
    after = sorted(p for p in tmp_path.rglob("*") if "gw" not in p.parts)
    assert set(before) - set(after) == {good / "in" / "po.x12"}, "only the taken file left the partner folders"
    assert {p.parent for p in set(after) - set(before)} <= {good / "out"}, "nothing written elsewhere"
    with Session(ctx.engine) as session:
        assert session.execute(select(func.count(ReceivedFile.id))).scalar_one() == 1
    ctx.close()


def test_breaker_opens_after_consecutive_failures_and_outbound_waits(
        workdir: Workdir, sshd: SshServer, ssh_keys: SshKeys, partner: Path) -> None:
    configure(workdir, sshd, ssh_keys, partner, breaker={"failures": 3, "cool_off_seconds": 600})
    now = [utcnow()]
    sleeps: list[float] = []
    ctx = open_context(workdir.config)
    gateway = Gateway(ctx)
    gateway.channels = ChannelRunner(ctx, sleep=sleeps.append, now=lambda: now[0])
    (workdir.root / "inbox" / "po.x12").write_text(interchange_copy(950, 9_500_000_000))
    sshd.kill()
    gateway.run_once()  # two tries (retry.attempts 2): 2 failures
    gateway.run_once()  # the third failure opens the breaker; the fourth try is not made
    gateway.run_once()  # breaker open: no try at all
    rows = attempts(ctx, "acme-sftp")
    assert [(r.result, r.error_code) for r in rows] == [("error", "SFTP_CONNECT_FAILED")] * 3
    assert "circuit breaker open until" in (rows[-1].error_message or "")
    state = breaker(ctx, "acme-sftp")
    assert state is not None and state.consecutive_failures == 3 and state.open_until is not None
    with Session(ctx.engine) as session:
        acks = session.execute(select(Message).where(Message.kind == "ack")).scalars().all()
    assert [m.status for m in acks] == ["pending"], "the partner's ack waits for its channel"
    assert workdir.outbox_files() == [], "never falls back to the outbox"
    now[0] += timedelta(seconds=601)
    gateway.run_once()  # half-open: one try, fails, opens again at once
    assert len(attempts(ctx, "acme-sftp")) == 4
    assert sleeps == [0.0], "one backoff wait, between the two tries of the first round"
    ctx.close()


def test_channel_settings_need_their_transport_section(sshd_factory: Callable[..., SshServer]) -> None:
    del sshd_factory
    with pytest.raises(ValueError, match="needs exactly its own 'sftp:' section"):
        ChannelSettings.model_validate({"name": "x", "partner": "acme", "transport": "sftp",
                                        "local": {"path": "/tmp/x"}})
