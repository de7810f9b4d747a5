"""``edipulse trace LOT``: one lot's whole story, as tables for people or ``--json`` for scripts.

The order and its revisions, the BOM revision, the component lots (at every depth),
inspections, nonconformances, alerts, shipments with their SSCCs, invoices, the
documents owed to partners, certificates and every EDI message in and out
(:func:`gateway.trace.trace_lot_messages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from sqlmodel import Session

from gateway.cli.erp_support import erp_refusals
from gateway.cli.output import info, print_json, print_table
from gateway.cli.state import CliState
from gateway.trace import trace_lot_messages


def trace_cmd(ctx: typer.Context, lot_number: Annotated[str, typer.Argument(metavar="LOT")],
              item: Annotated[str | None, typer.Option(help="the lot's item (when several items share the number)")]
              = None,
              as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """Everything known about LOT: order, BOM, components, quality, shipments, invoices, EDI messages."""
    state: CliState = ctx.obj
    with Session(state.context.engine) as session, erp_refusals():
        trace = trace_lot_messages(session, lot_number, item)
    if as_json:
        print_json(trace)
        return
    _print_trace(trace)


def _print_trace(trace: dict[str, Any]) -> None:
    lot, item = trace["lot"], trace["item"]
    info(f"Lot {lot['lot_number']} of {item['item_number']} ({item['description']}): {lot['quantity']} "
         f"{lot['uom']}, {lot['status']}, made {lot['manufactured_on'] or '?'}, expires {lot['expires_on'] or '-'}")
    if trace["udi"]:
        info(f"UDI {trace['udi']['hri']}")
    if lot["serials"]:
        info(f"Serials: {', '.join(lot['serials'])}")
    verdict = trace["verdict"]
    info("Verdict: pass" if verdict["passed"] else f"Verdict: fail ({'; '.join(verdict['reasons'])})")
    _print_order(trace)
    _section("Components", ["level", "item", "lot", "quantity", "uom", "status", "expires"],
             [[c["depth"], c["item_number"], c["lot_number"], c["quantity"], c["uom"], c["status"], c["expires_on"]]
              for c in _flatten(trace["components"])])
    _section("Used in", ["item", "lot", "status"],
             [[u["item_number"], u["lot_number"], u["status"]] for u in trace["where_used"]])
    _section("Inspections", ["stage", "characteristic", "lower", "upper", "measured", "unit", "result", "inspector",
                             "instrument", "when"],
             [[i["stage"], i["characteristic"], i["lower_limit"], i["upper_limit"],
               i["measured"] or i["attribute_result"], i["unit"], i["result"], i["inspector"], i["instrument"],
               i["inspected_at"]] for i in trace["inspections"]])
    _section("Nonconformances", ["number", "severity", "description", "disposition", "opened", "closed"],
             [[n["number"], n["severity"], n["description"], n["disposition"], n["opened_at"], n["closed_at"]]
              for n in trace["nonconformances"]])
    _section("Alerts", ["partner", "kind", "message", "sent as"],
             [[a["partner_id"], a["kind"], a["message"], a["sent_message_ref"]] for a in trace["alerts"]])
    _section("Shipments", ["shipment", "partner", "ship date", "status", "PO", "line", "quantity", "SSCC"],
             [[s["shipment_number"], s["partner_id"], s["ship_date"], s["status"], s["po_number"], s["line_no"],
               s["quantity"], s["sscc"]] for s in trace["shipments"]])
    _section("Invoices", ["number", "kind", "shipment", "date", "total", "open", "status"],
             [[i["invoice_number"], i["kind"], i["shipment_number"], i["invoice_date"], i["total"],
               i["open_amount"], i["status"]] for i in trace["invoices"]])
    _section("Certificates", ["message", "document", "partner", "status", "about"],
             [[m["id"], m["document"], m["partner_id"], m["status"], m["about"]] for m in trace["certificates"]])
    _section("Documents owed", ["kind", "about", "partner", "status", "message", "error"],
             [[d["kind"], d["about"], d["partner_id"], d["status"], d["message_id"], d["error_code"]]
              for d in trace["documents"]])
    _section("EDI messages", ["id", "dir", "kind", "set", "ISA13", "ST02", "status", "ack", "about"],
             [[m["id"], m["direction"], m["kind"], m["set_id"] or m["document"], m["isa13"], m["st02"], m["status"],
               m["ack_code"], m["about"]] for m in trace["messages"]])


def _print_order(trace: dict[str, Any]) -> None:
    order, line, bom = trace["order"], trace["order_line"], trace["bom_revision"]
    if order is None:
        info("Order: none (a stock lot)")
    else:
        ordered = f", line {line['line_no']}: {line['quantity']} {line['uom']}, shipped {line['quantity_shipped']}"
        info(f"Order: {order['partner_id']} PO {order['po_number']} (revision {order['revision']}, {order['status']})"
             + (ordered if line else ""))
        _section("Order revisions", ["rev", "kind", "when", "by", "source", "summary"],
                 [[r["revision"], r["kind"], r["changed_at"], r["changed_by"], r["source_ref"], r["summary"]]
                  for r in order["revisions"]])
    if bom is not None:
        info(f"BOM revision {bom['revision']} (effective {bom['effective_from']}"
             + (f" to {bom['effective_to']})" if bom["effective_to"] else ")"))


def _flatten(components: Sequence[dict[str, Any]], depth: int = 1) -> list[dict[str, Any]]:
    """The component tree depth first, each entry with its level (1: consumed directly)."""
    rows: list[dict[str, Any]] = []
    for component in components:
        rows.append({**component, "depth": depth})
        rows.extend(_flatten(component["components"], depth + 1))
    return rows


def _section(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    if rows:
        print_table(title, columns, rows)
    else:
        info(f"{title}: none")
