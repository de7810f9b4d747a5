"""``edipulse ship | shipments | invoices | payments``: what leaves the factory and what it is paid.

``ship create`` builds a draft shipment of one order line from one lot, packed in
cartons whose SSCC-18s are allocated from the GS1 company prefix (``--gs1-prefix`` or
``$EDIPULSE_GS1_PREFIX``; the configuration has no field for it yet); ``ship confirm``
ships it (the order line's shipped quantity moves). Invoices are built from confirmed
shipments at the orders' contract prices.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import typer
from sqlmodel import Session, col, func, select

from erp_core.inputs_shipping import PackageInput, ShipmentInput, ShipmentLineInput, TermsInput
from erp_core.models_billing import Invoice
from erp_core.models_shipping import Shipment
from erp_core.services import invoices as erp_invoices
from erp_core.services import shipments as erp_shipments
from erp_core.services._invoice_records import invoice_summary
from erp_core.services._invoice_settlement import Settlement, settlements
from erp_core.services.payments import open_items
from gateway.cli.erp_support import erp_refusals, parse_date, parse_decimal, parse_optional_decimal
from gateway.cli.output import info, listing, print_json, print_table
from gateway.cli.state import CliState
from gateway.errors import ConfigError, NotFoundError

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
GS1_PREFIX_ENV = "EDIPULSE_GS1_PREFIX"

ship_app = typer.Typer(no_args_is_help=True, help="Build and confirm shipments.")
invoices_app = typer.Typer(invoke_without_command=True, help="Invoices and credit notes.")
payments_app = typer.Typer(no_args_is_help=True, help="Payments received (X12 820) and what is still open.")


def _session(ctx: typer.Context) -> Session:
    state: CliState = ctx.obj
    return Session(state.context.engine)


# -- shipments -----------------------------------------------------------------------------


@ship_app.command("create")
def ship_create(  # noqa: PLR0913 - one option per field of the shipment
    ctx: typer.Context,
    partner: Annotated[str, typer.Option(help="the partner shipped to")],
    po: Annotated[str, typer.Option("--po", help="the order shipped from")],
    line: Annotated[int, typer.Option("--line", min=1, help="that order's line number")],
    lot: Annotated[str, typer.Option("--lot", help="the lot shipped")],
    qty: Annotated[str, typer.Option("--qty", help="quantity shipped")],
    carrier: Annotated[str | None, typer.Option(help="carrier SCAC, e.g. UPSN")] = None,
    tracking: Annotated[str | None, typer.Option(help="carrier tracking number")] = None,
    cartons: Annotated[int, typer.Option(min=0, max=999, help="cartons to pack it in, each with an SSCC "
                                         "(0: no packaging level)")] = 1,
    serial: Annotated[list[str] | None, typer.Option("--serial", help="a shipped unit's serial (repeatable)")]
    = None,
    number: Annotated[str | None, typer.Option(help="shipment number (default SH-YYYYMMDD-NNN)")] = None,
    ship_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD (default today)")] = None,
    gs1_prefix: Annotated[str | None, typer.Option("--gs1-prefix", envvar=GS1_PREFIX_ENV,
                                                   help="our GS1 company prefix (6-12 digits) for SSCCs")] = None,
    extension_digit: Annotated[int, typer.Option(min=0, max=9, help="SSCC extension digit")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Build a draft shipment of --qty of PO line --line from --lot, in --cartons cartons."""
    shares = _carton_shares(parse_decimal(qty, "--qty"), cartons)
    serials = _serial_slices(tuple(serial or ()), shares)
    if cartons and not gs1_prefix:
        raise ConfigError(f"SHIP_SSCC_PREFIX_MISSING: cartons need SSCC-18s: give --gs1-prefix (our GS1 company "
                          f"prefix) or set {GS1_PREFIX_ENV}, or ship with --cartons 0")
    when = parse_date(ship_date, "--ship-date") if ship_date else date.today()
    packages = tuple(PackageInput(ref=f"C{n}", level="carton") for n in range(1, cartons + 1))
    lines = tuple(ShipmentLineInput(po_number=po, line_no=line, lot_number=lot, quantity=share, serials=chunk,
                                    package_ref=f"C{n}" if cartons else None)
                  for n, (share, chunk) in enumerate(zip(shares, serials, strict=True), start=1))
    with _session(ctx) as session, erp_refusals():
        data = ShipmentInput(
            shipment_number=number or _next_number(session, when), partner_id=partner, ship_date=when,
            carrier_scac=carrier, tracking_number=tracking, sscc_company_prefix=gs1_prefix if cartons else None,
            sscc_extension_digit=extension_digit, packages=packages, lines=lines)
        shipment = erp_shipments.create_shipment(session, data)
        session.commit()
        record = erp_shipments.shipment_record(session, shipment.id)  # type: ignore[arg-type]
    if as_json:
        print_json(record)
        return
    ssccs = ", ".join(str(p["sscc"]) for p in record["packages"])  # type: ignore[attr-defined]
    info(f"shipment {record['shipment_number']} drafted for {partner}" + (f"; SSCC {ssccs}" if ssccs else "")
         + f"; 'edipulse ship confirm {record['shipment_number']}' ships it")


def _carton_shares(quantity: Decimal, cartons: int) -> list[Decimal]:
    """``quantity`` spread over ``cartons`` as evenly as whole units allow (one share without cartons)."""
    if cartons <= 1:
        return [quantity]
    if quantity != quantity.to_integral_value() or quantity < cartons:
        raise typer.BadParameter(f"{quantity} cannot be spread over {cartons} cartons in whole units",
                                 param_hint="--cartons")
    whole = int(quantity)
    return [Decimal(whole // cartons + (1 if n < whole % cartons else 0)) for n in range(cartons)]


def _serial_slices(serials: tuple[str, ...], shares: list[Decimal]) -> list[tuple[str, ...]]:
    """The serials packed in each carton, in the order given; all or none of the units are serialised."""
    if not serials:
        return [() for _share in shares]
    if len(serials) != sum(shares):
        raise typer.BadParameter(f"{len(serials)} serial(s) for {sum(shares)} unit(s)", param_hint="--serial")
    slices, start = [], 0
    for share in shares:
        slices.append(serials[start:start + int(share)])
        start += int(share)
    return slices


def _next_number(session: Session, when: date) -> str:
    """``SH-YYYYMMDD-NNN``, one more than that day's count (a clash is refused as SHIP_DUPLICATE)."""
    prefix = f"SH-{when:%Y%m%d}-"
    taken = session.exec(select(func.count()).select_from(Shipment)
                         .where(col(Shipment.shipment_number).startswith(prefix))).one()
    return f"{prefix}{taken + 1:03d}"


def _shipment_by_number(session: Session, number: str) -> Shipment:
    shipment = session.exec(select(Shipment).where(Shipment.shipment_number == number.strip())).first()
    if shipment is None:
        raise NotFoundError(f"SHIP_UNKNOWN: no shipment {number!r} (see 'edipulse shipments')")
    return shipment


@ship_app.command("confirm")
def ship_confirm(ctx: typer.Context, number: Annotated[str, typer.Argument(metavar="SHIPMENT")]) -> None:
    """Ship a draft: the order lines' shipped quantities move (re-checked against the order and lots)."""
    with _session(ctx) as session, erp_refusals():
        shipment = erp_shipments.confirm_shipment(session, _shipment_by_number(session, number).id)  # type: ignore[arg-type]
        session.commit()
        info(f"shipment {shipment.shipment_number} shipped")


def shipments_cmd(ctx: typer.Context, partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
                  status: Annotated[str | None, typer.Option(help="draft, shipped or cancelled")] = None,
                  as_json: JsonOpt = False) -> None:
    """Shipments, newest first, with packages (SSCC) and lines (order line, lot, quantity)."""
    statement = select(Shipment.id)
    if partner is not None:
        statement = statement.where(Shipment.partner_id == partner)
    if status is not None:
        statement = statement.where(Shipment.status == status)
    with _session(ctx) as session:
        ids = session.exec(statement.order_by(col(Shipment.ship_date).desc(), col(Shipment.id).desc())).all()
        records = [erp_shipments.shipment_record(session, shipment_id) for shipment_id in ids]  # type: ignore[arg-type]
    if as_json:
        print_json(records)
        return
    rows = [[r["shipment_number"], r["partner_id"], r["ship_date"], r["status"], r["carrier_scac"],
             r["tracking_number"], line["po_number"], line["line_no"], line["lot_number"], line["quantity"],
             line["sscc"]] for r in records for line in r["lines"]]  # type: ignore[attr-defined]
    if not rows:
        info("Shipments: none")
        return
    print_table("Shipments", ["shipment", "partner", "ship date", "status", "carrier", "tracking", "PO", "line",
                              "lot", "qty", "SSCC"], rows)


# -- invoices and payments ---------------------------------------------------------------------


@invoices_app.callback()
def invoices_list(ctx: typer.Context, open_only: Annotated[bool, typer.Option("--open", help="only invoices with "
                                                                              "something open")] = False,
                  partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
                  as_json: JsonOpt = False) -> None:
    """Invoices and credit notes, newest first (or create one with a subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    statement = select(Invoice, Shipment.shipment_number).outerjoin(Shipment, col(Shipment.id) == Invoice.shipment_id)
    if partner is not None:
        statement = statement.where(Invoice.partner_id == partner)
    if open_only:
        statement = statement.where(Invoice.kind == "invoice", col(Invoice.status).in_(("open", "short_paid")))
    with _session(ctx) as session:
        rows = list(session.exec(statement.order_by(col(Invoice.invoice_date).desc(), col(Invoice.id).desc())))
        found = settlements(session, [invoice.id for invoice, _number in rows])  # type: ignore[misc]
        records = [invoice_summary(invoice, found.get(invoice.id, Settlement()), number)  # type: ignore[arg-type]
                   for invoice, number in rows]
    listing("Invoices", records, ["invoice_number", "kind", "partner_id", "shipment_number", "invoice_date",
                                  "currency", "total", "open_amount", "status"], as_json)


@invoices_app.command("create")
def invoices_create(ctx: typer.Context, number: Annotated[str, typer.Argument(metavar="SHIPMENT")],
                    net_days: Annotated[int | None, typer.Option(min=0, max=999, help="payment terms: net days")]
                    = None,
                    tax_rate: Annotated[str | None, typer.Option(help="sales tax in percent")] = None,
                    as_json: JsonOpt = False) -> None:
    """Invoice a confirmed SHIPMENT at the order's prices (never twice)."""
    with _session(ctx) as session, erp_refusals():
        shipment = _shipment_by_number(session, number)
        invoice = erp_invoices.create_invoice(session, shipment.id, TermsInput(net_days=net_days),  # type: ignore[arg-type]
                                              tax_rate=parse_optional_decimal(tax_rate, "--tax-rate"))
        session.commit()
        record = erp_invoices.invoice_record(session, invoice.id)  # type: ignore[arg-type]
    if as_json:
        print_json(record)
        return
    info(f"invoice {record['invoice_number']} for shipment {number}: {record['total']} {record['currency']}")


@payments_app.command("open-items")
def payments_open_items(ctx: typer.Context,
                        partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
                        as_json: JsonOpt = False) -> None:
    """Invoices with something still open, then payment lines no invoice matched."""
    with _session(ctx) as session:
        records = open_items(session, partner)
    listing("Open items", records, ["item", "partner_id", "invoice_number", "invoice_date", "total", "open_amount",
                                    "status", "trace_number", "amount_paid"], as_json)
