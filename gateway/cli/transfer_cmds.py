"""``edipulse transfers`` and ``edipulse channels``: channel transfer attempts and channel state, from the ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from gateway.channels.schedule import DEFAULT_TIMEZONE, PollSchedule
from gateway.channels.settings import ChannelSettings
from gateway.cli.output import listing
from gateway.cli.state import CliState
from gateway.ledger.models import ChannelState
from gateway.ledger.transfers import list_transfers, transfer_record

COLUMNS = ["id", "partner_id", "channel", "direction", "remote_name", "size", "result", "error_code", "duration_ms",
           "started_at"]


def transfers_cmd(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option(help="only this channel")] = None,
    result: Annotated[str | None, typer.Option(help="only this result: ok, error or duplicate")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Transfer attempts, newest first: partner, channel, remote name, size, hash, duration, result."""
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        records = [transfer_record(row) for row in list_transfers(session, channel=channel, result=result,
                                                                   limit=limit)]
    listing("Transfers", records, [c for c in COLUMNS if not records or c in records[0]], as_json)


def channels_cmd(ctx: typer.Context,
                 as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Partner channels: transport, schedule, last and next inbound poll, circuit breaker state."""
    state: CliState = ctx.obj
    settings = state.context.settings
    timezone = settings.schedule.timezone if settings.schedule is not None else DEFAULT_TIMEZONE
    with Session(state.context.engine) as session:
        records = [_channel_record(channel, session.get(ChannelState, channel.name), timezone)
                   for channel in settings.channels]
    listing("Channels", records, ["name", "partner", "direction", "transport", "schedule", "last_polled_at",
                                  "next_poll", "consecutive_failures", "open_until", "last_error_code"], as_json)


def _channel_record(channel: ChannelSettings, row: ChannelState | None, timezone: str) -> dict[str, object]:
    last = row.last_polled_at if row is not None else None
    next_poll = PollSchedule(channel.schedule, timezone).next_poll(last)
    paced = channel.schedule is not None
    return {"name": channel.name, "partner": channel.partner, "direction": channel.direction,
            "transport": channel.transport, "schedule": channel.schedule if paced else "each run",
            "last_polled_at": last.isoformat() if last else None,
            "next_poll": next_poll.isoformat() if next_poll else ("now" if paced else "each run"),
            "consecutive_failures": row.consecutive_failures if row else 0,
            "open_until": row.open_until.isoformat() if row and row.open_until else None,
            "last_error_code": row.last_error_code if row else None}
