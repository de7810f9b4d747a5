"""``edipulse transfers``: every SFTP/local channel transfer attempt, from the ledger."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from gateway.cli.output import listing
from gateway.cli.state import CliState
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
