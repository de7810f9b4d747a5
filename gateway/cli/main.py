"""``edipulse``: a thin command line over the gateway library.

Commands parse arguments, call the library, print. Errors become one readable line and
an exit code at this boundary (see :data:`EXIT_CODES` in the README): 0 ok, 1 input
rejected, 2 usage, 3 configuration, 4 not found, 70 internal error.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli import as2_cmds, erp_cmds, factory, ledger_cmds, partner_cmds, schedule_cmds, transfer_cmds
from gateway.cli.output import error_line
from gateway.cli.state import CliState
from gateway.errors import GatewayError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="EDI Pulse: an X12 gateway for medical-device contract manufacturers.")
app.add_typer(partner_cmds.app, name="partners")
app.add_typer(ledger_cmds.messages_app, name="messages")

INTERNAL_ERROR = 70


@app.callback()
def _root(ctx: typer.Context,
          config: Annotated[Path | None, typer.Option("--config", "-c", help="config.yaml to use")] = None) -> None:
    state = CliState(config)
    ctx.obj = state
    ctx.call_on_close(state.close)


app.command("init")(partner_cmds.init_cmd)
app.command("run")(ledger_cmds.run_cmd)
app.command("ingest")(ledger_cmds.ingest_cmd)
app.command("translate")(ledger_cmds.translate_cmd)
app.add_typer(erp_cmds.orders_app, name="orders")
app.add_typer(as2_cmds.app, name="as2")
app.command("forecasts")(erp_cmds.forecasts_cmd)
app.command("boms")(erp_cmds.boms_cmd)
factory.register(app)
app.command("transfers")(transfer_cmds.transfers_cmd)
app.command("channels")(transfer_cmds.channels_cmd)
app.command("schedule")(schedule_cmds.schedule_cmd)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; never lets a traceback reach the user."""
    logging.basicConfig(level=os.environ.get("EDIPULSE_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    try:
        result = app(args=argv, prog_name="edipulse", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        error_line("aborted")
        return 1
    except typer.TyperException as exc:  # usage errors: bad option, bad parameter
        exc.show()  # type: ignore[attr-defined]
        return getattr(exc, "exit_code", 2)
    except KeyboardInterrupt:
        error_line("interrupted")
        return 130
    except GatewayError as exc:
        error_line(str(exc))
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the CLI boundary: report, never show a traceback
        if os.environ.get("EDIPULSE_DEBUG"):
            raise
        error_line(f"internal error: {type(exc).__name__}: {exc} (set EDIPULSE_DEBUG=1 for the traceback)")
        return INTERNAL_ERROR
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
