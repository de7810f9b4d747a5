"""``edipulse orders [show PO]``, ``edipulse forecasts`` and ``edipulse boms``: the ERP core, read-only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer
from sqlmodel import Session

from erp_core.errors import NotFoundError as ErpNotFound
from erp_core.services import boms as erp_boms
from erp_core.services import orders as erp_orders
from erp_core.services.forecasts import list_forecasts
from erp_core.services.order_history import order_detail
from gateway.cli.output import listing, print_json, print_table
from gateway.cli.state import CliState
from gateway.errors import NotFoundError
from gateway.ledger import store

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
orders_app = typer.Typer(invoke_without_command=True, help="Booked sales orders.")


@orders_app.callback()
def orders_list(ctx: typer.Context, partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
                limit: Annotated[int, typer.Option(help="at most this many")] = 100, as_json: JsonOpt = False) -> None:
    """Booked sales orders, newest first (``orders show PO`` for one)."""
    if ctx.invoked_subcommand is not None:
        return
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        records = erp_orders.order_records(session, partner_id=partner, limit=limit)
    listing("Orders", records, ["id", "partner_id", "po_number", "order_date", "lines", "status", "created_at"],
            as_json)


@orders_app.command("show")
def orders_show(ctx: typer.Context, po_number: Annotated[str, typer.Argument(metavar="PO")],
                partner: Annotated[str | None, typer.Option(help="the partner (when two use the same PO)")] = None,
                as_json: JsonOpt = False) -> None:
    """One order: lines, revisions with what each changed, linked BOM revisions, acknowledgements."""
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        candidates = [o for o in erp_orders.list_orders(session, partner, limit=10_000) if o.po_number == po_number]
        if not candidates:
            raise NotFoundError(f"no order with PO {po_number!r}" + (f" for {partner}" if partner else ""))
        if len(candidates) > 1:
            raise typer.BadParameter(f"PO {po_number} exists for {', '.join(o.partner_id for o in candidates)}; "
                                     "give --partner", param_hint="PO")
        detail = order_detail(session, candidates[0].partner_id, po_number)
        if detail is None:
            raise NotFoundError(f"no order with PO {po_number!r}")
        record = detail.as_dict()
        record["messages"] = [{"id": m.id, "direction": m.direction, "set_id": m.set_id, "status": m.status,
                               "ack_code": m.ack_code, "ack_message_id": m.ack_message_id}
                              for m in store.list_messages(session, limit=10_000) if m.doc_ref == po_number
                              and m.partner_id == detail.partner_id]
    if as_json:
        print_json(record)
        return
    print_table(f"PO {po_number} ({record['partner_id']}, revision {record['revision']}, {record['status']})",
                ["line", "item", "status", "quantity", "shipped", "uom", "price", "requested", "bom rev id"],
                [[li["buyer_line_ref"] or li["line_no"], li["item_number"], li["status"], li["quantity"],
                  li["quantity_shipped"], li["uom"], li["unit_price"], li["requested_date"], li["bom_revision_id"]]
                 for li in record["lines"]])
    print_table("Revisions", ["rev", "kind", "when", "by", "source", "summary"],
                [[r["revision"], r["kind"], r["changed_at"], r["changed_by"], r["source_ref"], r["summary"]]
                 for r in record["revisions"]])
    print_table("Messages", ["id", "dir", "set", "status", "ack"],
                [[m["id"], m["direction"], m["set_id"], m["status"], m["ack_code"]] for m in record["messages"]])


def forecasts_cmd(ctx: typer.Context, partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
                  item: Annotated[str | None, typer.Option(help="only this item number")] = None,
                  history: Annotated[bool, typer.Option(help="also superseded forecasts")] = False,
                  as_json: JsonOpt = False) -> None:
    """Current forecasts per partner, item and ship-to, with the change against the one each superseded."""
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        records = [asdict(f) for f in list_forecasts(session, partner, item, include_history=history)]
    if as_json:
        print_json(records)
        return
    rows = [[f["partner_id"], f["item_number"], f["ship_to"], f["kind"], f["reference"], f["status"],
             b["start"], b["interval"], b["commitment"], b["quantity"],
             next((d["change"] for d in f["delta"] if d["start"] == b["start"]), "")]
            for f in records for b in f["buckets"]]
    print_table("Forecasts", ["partner", "item", "ship to", "kind", "reference", "status", "start", "interval",
                              "commitment", "quantity", "change"], rows)


def boms_cmd(ctx: typer.Context, item: Annotated[str, typer.Argument(metavar="ITEM")],
             rev: Annotated[str | None, typer.Option("--rev", help="this revision (default: in force today)")] = None,
             diff: Annotated[tuple[str, str] | None, typer.Option("--diff", help="ECO diff R1 -> R2")] = None,
             as_json: JsonOpt = False) -> None:
    """An item's BOM revision (components, effectivity) or the ECO diff between two revisions."""
    state: CliState = ctx.obj
    with Session(state.context.engine) as session:
        try:
            if diff is not None:
                record = erp_boms.diff_record(erp_boms.bom_diff(session, item, diff[0], diff[1]))
            else:
                record = erp_boms.bom_record(erp_boms.get_bom(session, item, rev))
                record["revisions"] = erp_boms.revision_records(session, item)
        except ErpNotFound as exc:
            raise NotFoundError(str(exc)) from exc
    if as_json:
        print_json(record)
        return
    if diff is not None:
        rows = [["added", c["part"], "", "", c["quantity"]] for c in record["added"]]  # type: ignore[index]
        rows += [["removed", c["part"], "", "", c["quantity"]] for c in record["removed"]]  # type: ignore[index]
        rows += [["changed", c["part"], c["field"], c["old"], c["new"]] for c in record["changed"]]  # type: ignore[index]
        print_table(f"{item}: {diff[0]} -> {diff[1]}", ["change", "part", "field", "old", "new/quantity"], rows)
        return
    components = record["components"]
    print_table(f"{item} rev {record['revision']} (from {record['effective_from']})",
                ["find", "part", "quantity", "uom", "ref des", "sub-assembly"],
                [[c.get("find_number"), c["part"], c["quantity"], c["uom"], c.get("ref_designators"),
                  c["subassembly"]] for c in components])  # type: ignore[union-attr]
