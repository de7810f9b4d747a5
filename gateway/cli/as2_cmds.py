"""``edipulse as2 certs | send | log``: certificate expiry, queueing a document, the AS2 transfer log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlmodel import Session

from gateway.as2.directory import As2Directory
from gateway.as2.models import As2Message
from gateway.as2.queue import queue_file
from gateway.cli.output import info, listing
from gateway.cli.state import CliState
from gateway.errors import ConfigError

app = typer.Typer(no_args_is_help=True, help="AS2 partnerships: certificates, sending, transfer log.")
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _directory(state: CliState) -> As2Directory:
    if state.settings.as2 is None:
        raise ConfigError("the configuration has no as2: section")
    return As2Directory.load(state.settings, state.context.engine)


@app.command("certs")
def certs_cmd(ctx: typer.Context,
              days: Annotated[int | None, typer.Option(help="warning window (default: as2.warn_days, 30)")] = None,
              as_json: JsonOpt = False) -> None:
    """Certificates (ours and partners') that expire within the window, soonest first."""
    warnings = _directory(ctx.obj).certificate_warnings(days)
    records = [{"partner": w.partner_id or "(ours)", "side": w.side, "subject": w.warning.subject,
                "serial": f"{w.warning.serial:x}", "not_after": w.warning.not_after,
                "days_left": w.warning.days_left, "expired": w.warning.expired} for w in warnings]
    listing("Certificates expiring soon", records,
            ["partner", "side", "subject", "not_after", "days_left", "expired"], as_json)


@app.command("send")
def send_cmd(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="the document to send")],
             partner: Annotated[str, typer.Option(help="the ERP partner to send it to")]) -> None:
    """Queue FILE for PARTNER; the next 'edipulse run' round sends it over AS2."""
    state: CliState = ctx.obj
    message = queue_file(state.context, partner, file)
    info(f"message #{message.id} queued for {partner}; 'edipulse run' sends it over AS2")


@app.command("log")
def log_cmd(ctx: typer.Context, partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
            limit: Annotated[int, typer.Option(help="at most this many")] = 100, as_json: JsonOpt = False) -> None:
    """AS2 transfers, newest first: messages received and send attempts, with their MDNs."""
    state: CliState = ctx.obj
    query = select(As2Message).order_by(As2Message.id.desc()).limit(limit)
    if partner:
        query = query.where(As2Message.partner_id == partner)
    with Session(state.context.engine) as session:
        records = [row.model_dump() for row in session.execute(query).scalars()]
    listing("AS2 transfers", records, ["id", "direction", "partner_id", "as2_message_id", "status", "error_code",
                                       "message_id", "mdn_mode", "mdn_disposition", "updated_at"], as_json)
