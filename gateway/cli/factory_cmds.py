"""``edipulse items | stock | workcentres | routing | lots``: the factory's master data and production lots.

Master data is what the 855 feasibility check plans against (items with their GTINs
and partner part numbers, stock, work-centre capacity, routings); lots are what
production reports (quantity, dates, serials, the order line made for, the component
lots consumed). Every command is one transaction: all of it is written or nothing.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import col, select

from erp_core.inputs_quality import ConsumptionInput, LotInput, LotStatus
from erp_core.models import Item
from erp_core.models_bom import DEFAULT_LOCATION, WEEKDAYS
from erp_core.models_quality import Lot
from erp_core.services import inventory, items
from erp_core.services._bom_lines import format_quantity
from erp_core.services.inspections import release_lot
from erp_core.services.lots import record_consumption, record_lot
from gateway.cli.erp_support import (
    ItemOpt,
    JsonOpt,
    erp_refusals,
    erp_session,
    order_partner,
    parse_date,
    parse_decimal,
    resolve_lot,
)
from gateway.cli.output import info, listing

items_app = typer.Typer(invoke_without_command=True, help="Items (our part numbers) and partner part numbers.")
stock_app = typer.Typer(no_args_is_help=True, help="Stock on hand.")
workcentres_app = typer.Typer(no_args_is_help=True, help="Work centres and their daily capacity.")
routing_app = typer.Typer(no_args_is_help=True, help="Where and how fast items are made.")
lots_app = typer.Typer(no_args_is_help=True, help="Production lots: record, consume, list, release.")


# -- items ---------------------------------------------------------------------------------


@items_app.callback()
def items_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List items (or manage them with a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    with erp_session(ctx) as session:
        records = [{"item_number": i.item_number, "description": i.description, "uom": i.uom, "gtin": i.gtin}
                   for i in items.list_items(session, limit=100_000)]
    listing("Items", records, ["item_number", "description", "uom", "gtin"], as_json)


@items_app.command("add")
def items_add(ctx: typer.Context, item_number: Annotated[str, typer.Argument(metavar="ITEM")],
              description: Annotated[str, typer.Option(help="what it is")],
              gtin: Annotated[str | None, typer.Option(help="GTIN-8/12/13/14 (stored as GTIN-14)")] = None,
              uom: Annotated[str, typer.Option(help="unit of measure (X12 code)")] = "EA") -> None:
    """Add an item; its GTIN is what UDIs and the 856 LIN*UK carry."""
    with erp_session(ctx) as session, erp_refusals():
        item = items.add_item(session, item_number, description=description, uom=uom, gtin=gtin)
        session.commit()
        info(f"item {item.item_number} added ({item.uom}" + (f", GTIN {item.gtin})" if item.gtin else ")"))


@items_app.command("xref")
def items_xref(ctx: typer.Context, partner: Annotated[str, typer.Argument(metavar="PARTNER")],
               customer_part: Annotated[str, typer.Argument(metavar="CUSTOMER_PART")],
               item_number: Annotated[str, typer.Argument(metavar="ITEM")]) -> None:
    """Record that PARTNER orders our ITEM as CUSTOMER_PART."""
    with erp_session(ctx) as session, erp_refusals():
        items.add_xref(session, partner, customer_part, item_number)
        session.commit()
        info(f"{partner} part {customer_part} is our {item_number}")


# -- stock, work centres, routings ------------------------------------------------------------


@stock_app.command("set")
def stock_set(ctx: typer.Context, item_number: Annotated[str, typer.Argument(metavar="ITEM")],
              quantity: Annotated[str, typer.Argument(metavar="QTY")],
              location: Annotated[str, typer.Option(help="stock location")] = DEFAULT_LOCATION) -> None:
    """Record a counted on-hand quantity (a stock take) of ITEM."""
    amount = parse_decimal(quantity, "QTY")
    with erp_session(ctx) as session, erp_refusals():
        row = inventory.set_on_hand(session, item_number, amount, location)
        session.commit()
        info(f"{item_number} at {row.location}: {format_quantity(row.on_hand)} on hand")


@workcentres_app.command("add")
def workcentres_add(ctx: typer.Context, code: Annotated[str, typer.Argument(metavar="CODE")],
                    capacity: Annotated[str, typer.Option(help="units it can make per working day")],
                    name: Annotated[str | None, typer.Option(help="display name (default: the code)")] = None,
                    days: Annotated[str, typer.Option(help="working days, comma-separated")]
                    = ",".join(WEEKDAYS[:5])) -> None:
    """Add a work centre with its daily capacity and working days."""
    amount = parse_decimal(capacity, "--capacity")
    working = [d.strip().lower() for d in days.split(",") if d.strip()]
    with erp_session(ctx) as session, erp_refusals():
        centre = inventory.add_work_centre(session, code, name=name or code, daily_capacity=amount,
                                           working_days=working)
        session.commit()
        record = inventory.work_centre_record(centre)
        info(f"work centre {record['code']}: {record['daily_capacity']} per day on {', '.join(working)}")


@routing_app.command("set")
def routing_set(ctx: typer.Context, item_number: Annotated[str, typer.Argument(metavar="ITEM")],
                code: Annotated[str, typer.Argument(metavar="CODE", help="the work centre making it")],
                lead_days: Annotated[int, typer.Option("--lead-days", min=0, help="lead time in days")] = 0,
                units_per_day: Annotated[str | None, typer.Option(
                    help="units per day it takes of the centre (default: its whole capacity)")] = None) -> None:
    """Say that ITEM is made at work centre CODE (replacing its routing)."""
    rate = parse_decimal(units_per_day, "--units-per-day") if units_per_day is not None else None
    with erp_session(ctx) as session, erp_refusals():
        inventory.set_routing(session, item_number, work_centre=code, units_per_day=rate, lead_time_days=lead_days)
        session.commit()
        info(f"{item_number} is made at {code.upper()}, lead time {lead_days} day(s)")


# -- lots ----------------------------------------------------------------------------------


@lots_app.command("record")
def lots_record(  # noqa: PLR0913 - one option per field of what production reports
    ctx: typer.Context, item_number: Annotated[str, typer.Argument(metavar="ITEM")],
    lot_number: Annotated[str, typer.Argument(metavar="LOT")],
    qty: Annotated[str, typer.Option("--qty", help="quantity made")],
    made: Annotated[str | None, typer.Option("--made", help="manufacturing date YYYY-MM-DD")] = None,
    expires: Annotated[str | None, typer.Option("--expires", help="expiry date YYYY-MM-DD")] = None,
    po: Annotated[str | None, typer.Option("--po", help="the order it was made for")] = None,
    line: Annotated[int | None, typer.Option("--line", min=1, help="that order's line number")] = None,
    partner: Annotated[str | None, typer.Option(help="the order's partner (when two use the PO)")] = None,
    serial: Annotated[list[str] | None, typer.Option("--serial", help="a unit's serial number (repeatable)")]
    = None,
    uom: Annotated[str | None, typer.Option(help="unit (default: the item's)")] = None,
    bom_rev: Annotated[str | None, typer.Option("--bom-rev", help="BOM revision used (default: the order "
                                                "line's, else the one in force on --made)")] = None,
    status: Annotated[str, typer.Option(help="quarantined (held for inspection) or released (bought-in "
                                        "material)")] = "quarantined",
) -> None:
    """Record a lot of ITEM; a make-to-order lot names its order line (--po and --line)."""
    if (po is None) != (line is None):
        raise typer.BadParameter("--po and --line go together", param_hint="--po")
    if status not in ("quarantined", "released"):
        raise typer.BadParameter("--status must be quarantined or released", param_hint="--status")
    with erp_session(ctx) as session, erp_refusals():
        data = LotInput(
            item_number=item_number, lot_number=lot_number, quantity=parse_decimal(qty, "--qty"), uom=uom,
            manufactured_on=parse_date(made, "--made") if made else None,
            expires_on=parse_date(expires, "--expires") if expires else None,
            partner_id=order_partner(session, po, partner) if po is not None else None,
            po_number=po, line_no=line, bom_revision=bom_rev, status=_lot_status(status),
            serials=tuple(serial or ()),
        )
        lot = record_lot(session, data)
        session.commit()
        made_for = f" for {data.partner_id} PO {po} line {line}" if po else ""
        info(f"lot {lot.lot_number} of {item_number}: {format_quantity(lot.quantity)} {lot.uom}, "
             f"{lot.status}{made_for}")


def _lot_status(text: str) -> LotStatus:
    return "released" if text == "released" else "quarantined"


@lots_app.command("consume")
def lots_consume(ctx: typer.Context, lot_number: Annotated[str, typer.Argument(metavar="LOT")],
                 component_lot: Annotated[str, typer.Argument(metavar="COMPONENT_LOT")],
                 qty: Annotated[str, typer.Option("--qty", help="quantity issued, in the component lot's unit")],
                 item: ItemOpt = None,
                 component_item: Annotated[str | None, typer.Option(
                     help="the component lot's item (when several items share the number)")] = None) -> None:
    """Record that --qty of COMPONENT_LOT went into LOT (the genealogy the trace follows)."""
    with erp_session(ctx) as session, erp_refusals():
        lot, lot_item = resolve_lot(session, lot_number, item)
        component, used_item = resolve_lot(session, component_lot, component_item)
        record_consumption(session, ConsumptionInput(
            item_number=lot_item.item_number, lot_number=lot.lot_number,
            component_item_number=used_item.item_number, component_lot_number=component.lot_number,
            quantity=parse_decimal(qty, "--qty")))
        session.commit()
        info(f"{qty} {component.uom} of {used_item.item_number} lot {component.lot_number} "
             f"issued into lot {lot.lot_number}")


@lots_app.command("list")
def lots_list(ctx: typer.Context, item: Annotated[str | None, typer.Option(help="only this item")] = None,
              status: Annotated[str | None, typer.Option(help="only lots with this status")] = None,
              as_json: JsonOpt = False) -> None:
    """Lots, newest first."""
    statement = select(Lot, Item.item_number).join(Item, col(Item.id) == col(Lot.item_id))
    if item is not None:
        statement = statement.where(Item.item_number == item.strip())
    if status is not None:
        statement = statement.where(Lot.status == status.strip())
    with erp_session(ctx) as session:
        rows = session.exec(statement.order_by(col(Lot.created_at).desc(), col(Lot.id).desc())).all()
        records = [_lot_row(lot, number) for lot, number in rows]
    listing("Lots", records, ["item_number", "lot_number", "quantity", "uom", "manufactured_on", "expires_on",
                              "status"], as_json)


def _lot_row(lot: Lot, item_number: str) -> dict[str, object]:
    return {
        "item_number": item_number,
        "lot_number": lot.lot_number,
        "quantity": format_quantity(lot.quantity),
        "uom": lot.uom,
        "manufactured_on": lot.manufactured_on,
        "expires_on": lot.expires_on,
        "status": lot.status,
        "order_line_id": lot.order_line_id,
        "created_at": lot.created_at,
    }


@lots_app.command("release")
def lots_release(ctx: typer.Context, lot_number: Annotated[str, typer.Argument(metavar="LOT")],
                 item: ItemOpt = None) -> None:
    """Release a lot whose verdict passes (final inspections passed, no open nonconformance)."""
    with erp_session(ctx) as session, erp_refusals():
        lot, lot_item = resolve_lot(session, lot_number, item)
        release_lot(session, lot.id)  # type: ignore[arg-type]
        session.commit()
        info(f"lot {lot.lot_number} of {lot_item.item_number} released")
