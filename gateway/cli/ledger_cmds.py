"""``edipulse run | ingest | translate | orders | messages``."""

from __future__ import annotations

import json
import logging
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from edi.mapping import MappingError
from erp_core.services import partners as erp_partners
from gateway.app import Gateway, RunReport
from gateway.cli.output import error_line, info, listing, print_json
from gateway.cli.schedule_cmds import run_scheduled
from gateway.cli.state import CliState
from gateway.errors import ConfigError, InputRejected, NotFoundError
from gateway.evaluate_doc import PartnerOf
from gateway.inbound.docfile import partner_lookup
from gateway.ledger import store
from gateway.ledger.models import KINDS, STATUSES
from gateway.mappings import MappingResolver
from gateway.outbound.reconcile import overdue_sets
from gateway.settings import BUILTIN_MAPPINGS, load_settings, locate_config
from gateway.translate import PartnerLookup, translate_file
from gateway.web.server import start_web_server

log = logging.getLogger(__name__)
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
messages_app = typer.Typer(invoke_without_command=True, help="The message ledger.")


def _summary(report: RunReport) -> str:
    sets = sum(len(p.interchanges) for p in report.processed)
    return (f"received {len(report.received)} file(s), processed {len(report.processed)} "
            f"({sets} interchange(s)), delivered {len(report.delivered)} acknowledgement(s)")


def run_cmd(ctx: typer.Context,
            once: Annotated[bool, typer.Option("--once", help="process what is waiting, then exit")] = False) -> None:
    """Poll the inbox, process and acknowledge; with --once, exit when nothing is left."""
    state: CliState = ctx.obj
    gateway = Gateway(state.context)
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    web = None if once else start_web_server(state.context)  # AS2 over HTTP when as2.listen is configured
    if web is not None:
        ctx.call_on_close(web.stop)  # also on Ctrl-C and after SIGTERM ends the loop
    if state.settings.schedule is not None:  # jobs under the leader lease instead of the poll loop
        run_scheduled(state, gateway, once=once, stopping=stopping)
        return
    while True:
        try:
            report = gateway.run_once()
        except Exception as exc:  # noqa: BLE001 - a polling gateway survives one bad round
            if once:
                raise
            # The file being processed stays claimed; it is taken up again when its lease runs out.
            log.exception("processing round failed; polling goes on")
            error_line(f"processing round failed: {type(exc).__name__}: {exc}")
        else:
            if report.received or report.processed or once:
                info(_summary(report))
        if once or stopping:
            return
        time.sleep(state.settings.run.poll_seconds)


def ingest_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="files to take in")],
    partner: Annotated[str | None, typer.Option(help="the partner who sent them (CSV files name no sender)")]
    = None,
) -> None:
    """Receive and process files now (they stay where they are; the archive keeps a copy)."""
    for path in files:
        if not path.is_file():
            raise NotFoundError(f"{path}: no such file")
    state: CliState = ctx.obj
    if partner is not None:
        with Session(state.context.engine) as session:
            if erp_partners.get_partner(session, partner) is None:
                raise NotFoundError(f"partner {partner!r} does not exist (see 'edipulse partners')")
    report = Gateway(state.context).ingest(files, partner_id=partner)
    info(_summary(report))
    if report.refused:
        raise InputRejected(f"{len(report.refused)} file(s) refused before processing: {report.refused[0]} "
                            "(see 'edipulse messages --status refused')")
    with Session(state.context.engine) as session:
        problems = store.problems_of_files(session, report.received)
    if problems:
        first = problems[0]
        raise InputRejected(f"{len(problems)} message(s) not accepted; first: {first.kind} #{first.id} "
                            f"{first.status}: {first.error_message or first.error_code} "
                            "(see 'edipulse messages --status error')")


def translate_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="an X12, XML or CSV file")],
    partner: Annotated[str | None, typer.Option(help="use this partner's mapping")] = None,
    as_json: JsonOpt = False,
    explain: Annotated[bool, typer.Option(help="show which mapping file and rule produced each field")] = False,
) -> None:
    """Dry run: print the canonical documents of FILE; writes nothing."""
    if not file.is_file():
        raise NotFoundError(f"{file}: no such file")
    state: CliState = ctx.obj
    resolver, lookup, doc_lookup = _translate_environment(state)
    try:
        report = translate_file(file, resolver, partner_id=partner, partner_lookup=lookup,
                                doc_partner_lookup=doc_lookup, explain=explain)
    except MappingError as exc:
        raise ConfigError(str(exc)) from exc
    if as_json:
        print_json(report.to_json())
    else:
        records = [_document_summary(d) for d in report.documents]
        listing("Documents", records, ["type", "reference", "partner", "date", "lines", "st02"], False)
        if explain:
            print_json(report.explain)
    for err in report.errors:
        error_line(f"{err['code']}: {err['message']}" + (f" (ST02 {err['st02']})" if "st02" in err else ""))
    if report.errors:
        raise typer.Exit(1)


def _document_summary(doc: dict[str, object]) -> dict[str, object]:
    """One row per canonical document, whatever its type (order, change, schedule, BOM)."""
    rows = next((doc[k] for k in ("lines", "items", "components") if isinstance(doc.get(k), list)), [])
    envelope = doc.get("envelope") if isinstance(doc.get("envelope"), dict) else {}
    return {"type": doc.get("type"),
            "reference": next((doc[k] for k in ("po_number", "reference", "item") if doc.get(k)), None),
            "partner": doc.get("partner"),
            "date": next((doc[k] for k in ("order_date", "po_date", "issue_date", "effective_from") if doc.get(k)),
                         None),
            "lines": len(rows), "st02": envelope.get("set_control_number")}  # type: ignore[union-attr]


def _translate_environment(state: CliState) -> tuple[MappingResolver, PartnerLookup | None, PartnerOf | None]:
    """Mappings and partner lookups for translate: works without any config (built-in mappings)."""
    if state.config is None and not locate_config(None).is_file():
        return MappingResolver([BUILTIN_MAPPINGS]), None, None
    settings = load_settings(state.config)
    db_file = settings.database_url.removeprefix("sqlite:///")
    if settings.database_url.startswith("sqlite:///") and not Path(db_file).is_file():
        return MappingResolver(settings.mapping_roots), None, None
    engine = state.context.engine

    def lookup(qualifier: str, x12_id: str) -> str | None:
        with Session(engine) as session:
            partner = erp_partners.find_partner_by_x12(session, qualifier, x12_id)
            return partner.id if partner else None

    def doc_lookup(sender: str) -> str | None:
        with Session(engine) as session:
            return partner_lookup(session)(sender)

    return MappingResolver(settings.mapping_roots), lookup, doc_lookup


_MESSAGE_COLUMNS = ["id", "direction", "kind", "partner_id", "set_id", "isa13", "st02", "doc_ref", "status",
                    "error_code", "updated_at"]


def _message_record(message: object) -> dict[str, object]:
    record = message.model_dump()  # type: ignore[attr-defined]
    record["errors"] = json.loads(record.pop("errors_json") or "[]")
    return record


@messages_app.callback()
def messages_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="only messages with this status")] = None,
    kind: Annotated[str | None, typer.Option(help="file, interchange, set or ack")] = None,
    partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 100,
    overdue: Annotated[bool, typer.Option(help="outbound sets without a 997/999 within their window")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List ledger messages, newest first (or use a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    if overdue:
        _overdue_list(ctx.obj, partner, as_json)
        return
    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"{status!r} is not one of: {', '.join(STATUSES)}", param_hint="--status")
    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of: {', '.join(KINDS)}", param_hint="--kind")
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        records = [_message_record(m) for m in store.list_messages(session, status=status, kind=kind,
                                                                  partner_id=partner, limit=limit)]
    listing("Messages", records, _MESSAGE_COLUMNS, as_json)


def _overdue_list(state: CliState, partner: str | None, as_json: bool) -> None:
    with Session(state.context.engine) as session:
        found = overdue_sets(session, state.settings.functional_acks, partner_id=partner)
        records = [{**_message_record(item.message), "sent_at": item.sent_at, "due_at": item.due_at,
                    "window_hours": item.window.total_seconds() / 3600} for item in found]
    listing("Overdue (no functional acknowledgement)", records,
            ["id", "partner_id", "set_id", "gs06", "st02", "doc_ref", "status", "sent_at", "due_at"], as_json)


@messages_app.command("show")
def messages_show(ctx: typer.Context, message_id: Annotated[int, typer.Argument(metavar="ID")],
                  as_json: JsonOpt = False) -> None:
    """One message: its fields, errors, history and the messages below it."""
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        message = store.get_message(session, message_id)
        if message is None:
            raise NotFoundError(f"no message #{message_id}")
        record = _message_record(message)
        record["events"] = [e.model_dump() for e in store.events(session, message_id)]
        record["children"] = [_message_record(m) for m in store.children(session, message_id)]
    if as_json:
        print_json(record)
        return
    listing(f"Message #{message_id}", [{"field": k, "value": v} for k, v in record.items()
                                        if k not in {"events", "children", "errors"}], ["field", "value"], False)
    listing("Errors", record["errors"], ["code", "message", "segment_id", "segment_position", "element_position"],
            False)
    listing("History", record["events"], ["at", "status", "detail"], False)
    listing("Contains", record["children"], _MESSAGE_COLUMNS, False)


@messages_app.command("reprocess")
def messages_reprocess(ctx: typer.Context, message_id: Annotated[int, typer.Argument(metavar="ID")],
                       force: Annotated[bool, typer.Option(help="also reprocess a message that succeeded")]
                       = False) -> None:
    """Process a received file or interchange again from its archived bytes."""
    state: CliState = ctx.obj
    outcome = Gateway(state.context).reprocess(message_id, force=force)
    if outcome.errors:
        raise InputRejected(str(outcome.errors[0]))
    with Session(state.context.engine) as session:
        results = [store.get_message(session, i) for i in outcome.interchanges]
    for message in results:
        if message is not None:
            info(f"interchange #{message.id} (ISA13 {message.isa13}): {message.status}"
                 + (f" - {message.error_message}" if message.error_message else ""))
    failed = [m for m in results if m is not None and m.status in {"error", "refused"}]
    if failed:
        raise InputRejected(f"interchange #{failed[0].id} is still {failed[0].status}: {failed[0].error_code}")


