"""Helpers for partner-channel tests: a channel appended to a scaffolded config, and ledger look-ups."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlmodel import Session

from gateway.context import Context
from gateway.ledger.models import ChannelState, TransferAttempt
from gateway.settings import load_settings


def add_channels(config: Path, *channels: dict) -> None:
    """Append ``channels:`` to a config.yaml written by ``edipulse init`` (comments kept)."""
    text = config.read_text()
    config.write_text(text + yaml.safe_dump({"channels": list(channels)}, sort_keys=False))


def sftp_channel(name: str, port: int, key: Path, known_hosts: Path, folder: Path, **extra: object) -> dict:
    """An SFTP channel of partner acme whose partner folders are ``folder/in`` and ``folder/out``."""
    for sub in ("in", "out"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    channel = {"name": name, "partner": "acme", "direction": "both", "transport": "sftp",
               "retry": {"attempts": 2, "backoff_seconds": 0, "max_backoff_seconds": 0},
               "sftp": {"host": "127.0.0.1", "port": port, "username": "root", "private_key_file": str(key),
                        "known_hosts_file": str(known_hosts), "inbox_dir": str(folder / "in"),
                        "outbox_dir": str(folder / "out"), "settle_seconds": 0, "connect_timeout": 5}}
    channel.update(extra)
    return channel


def open_context(config: Path) -> Context:
    return Context.open(load_settings(config))


def attempts(ctx: Context, channel: str | None = None) -> list[TransferAttempt]:
    with Session(ctx.engine) as session:
        query = select(TransferAttempt).order_by(TransferAttempt.id)
        if channel is not None:
            query = query.where(TransferAttempt.channel == channel)
        return list(session.execute(query).scalars())


def breaker(ctx: Context, channel: str) -> ChannelState | None:
    with Session(ctx.engine) as session:
        return session.get(ChannelState, channel)
