"""``edipulse init`` and ``edipulse partners``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from erp_core.services import partners as erp_partners
from erp_core.services.partner_doc_ids import add_partner_doc_id, partner_doc_ids
from gateway.cli.output import info, listing
from gateway.cli.state import CliState
from gateway.context import Context
from gateway.errors import ConfigError, GatewayError, NotFoundError
from gateway.settings import default_config_text, load_settings, parse_x12_id

app = typer.Typer(no_args_is_help=False, invoke_without_command=True, help="Trading partners.")


def init_cmd(
    directory: Annotated[Path, typer.Argument(help="working directory to scaffold")] = Path("."),
    x12_id: Annotated[str, typer.Option("--x12-id", help="our ISA qualifier:ID (ISA07/ISA08 partners send to)")]
    = "ZZ:EDIPULSE",
    force: Annotated[bool, typer.Option(help="overwrite an existing config.yaml")] = False,
) -> None:
    """Scaffold a working directory: config.yaml, inbox/, outbox/, mappings/, data/ and the database."""
    try:
        parse_x12_id(x12_id)
    except ValueError as exc:
        raise ConfigError(f"--x12-id: {exc}") from exc
    config = directory / "config.yaml"
    if config.exists() and not force:
        raise GatewayError(f"{config} exists; use --force to overwrite it")
    for sub in ("inbox", "outbox", "mappings/partners", "data/archive"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    config.write_text(default_config_text(x12_id), encoding="utf-8")
    ctx = Context.open(load_settings(config))
    ctx.close()
    info(f"initialised {directory.resolve()} as {x12_id}; add a partner with "
         "'edipulse partners add ID --x12 QUAL:ID', drop files into inbox/, run 'edipulse run --once'")


@app.callback()
def partners_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List trading partners (or manage them with a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        records = [{**erp_partners.partner_record(p), "doc_ids": partner_doc_ids(session, p.id),
                    "send_po_acks": p.send_po_acks}
                   for p in erp_partners.list_partners(session)]
    columns = ["id", "name", "x12_ids", "doc_ids", "ack_preference", "send_po_acks", "created_at"]
    listing("Partners", records, columns, as_json)


@app.command("add")
def partners_add(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="short partner id, e.g. acme")],
    x12: Annotated[list[str] | None, typer.Option("--x12", help="the partner's ISA qualifier:ID (repeatable)")]
    = None,
    doc_id: Annotated[list[str] | None, typer.Option(
        "--doc-id", help="an id naming the partner in XML documents, SCHEME:VALUE: a cXML credential "
        "(NetworkID:AN01..., DUNS:123456789) or a UBL endpoint (0088:5790000435951) (repeatable)")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    ack: Annotated[str, typer.Option(help="functional ack: auto (997 for 4010, 999 for 5010), 997 or 999")]
    = "auto",
    po_acks: Annotated[bool, typer.Option("--po-acks/--no-po-acks", help="answer its orders with 855 and its "
                                          "order changes with 865 (or their XML/CSV equivalents)")] = False,
) -> None:
    """Add a trading partner with the X12 sender IDs and XML document ids it uses."""
    if ack not in {"auto", "997", "999"}:
        raise typer.BadParameter("--ack must be auto, 997 or 999")
    try:
        ids = [parse_x12_id(value) for value in x12 or []]
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--x12") from exc
    doc_ids = [_doc_id(value) for value in doc_id or []]
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        partner = erp_partners.add_partner(session, partner_id, name=name or partner_id, x12_ids=ids,
                                           ack_preference=ack)
        partner.send_po_acks = po_acks
        for scheme, value in doc_ids:
            add_partner_doc_id(session, partner_id, scheme, value)
        session.commit()
        names = [f"{q}:{i}" for q, i in ids] + [f"{s}:{v}" for s, v in doc_ids]
        info(f"partner {partner.id} added ({', '.join(names) or 'no in-band ids: files name it by folder'})")


def _doc_id(text: str) -> tuple[str, str]:
    scheme, sep, value = text.partition(":")
    if not sep or not scheme.strip() or not value.strip():
        raise typer.BadParameter(f"{text!r} is not SCHEME:VALUE", param_hint="--doc-id")
    return scheme.strip(), value.strip()


@app.command("update")
def partners_update(
    ctx: typer.Context,
    partner_id: Annotated[str, typer.Argument(metavar="ID", help="the partner to change")],
    po_acks: Annotated[bool | None, typer.Option("--po-acks/--no-po-acks", help="answer orders with 855 and "
                                                 "changes with 865 (or their XML/CSV equivalents)")] = None,
    doc_id: Annotated[list[str] | None, typer.Option("--doc-id", help="add an XML document id SCHEME:VALUE")]
    = None,
) -> None:
    """Change how we answer a partner, or add ids that name it."""
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        partner = erp_partners.get_partner(session, partner_id)
        if partner is None:
            raise NotFoundError(f"partner {partner_id!r} does not exist (see 'edipulse partners')")
        if po_acks is not None:
            partner.send_po_acks = po_acks
            session.add(partner)
        for scheme, value in (_doc_id(v) for v in doc_id or []):
            add_partner_doc_id(session, partner_id, scheme, value)
        session.commit()
        info(f"partner {partner_id} updated (purchase-order acknowledgements "
             f"{'on' if partner.send_po_acks else 'off'})")
