"""``edipulse inspect | nc | alerts | mes``: inspection results, nonconformances, partner alerts, MES files.

Results are recorded against lots named by their lot number; recording one raises the
partner alerts it breaks (in the same transaction). ``mes import`` applies a whole
CSV/JSON file or nothing, and names every refused row.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from erp_core.inputs_quality import AlertLimitInput, InspectionInput, NonconformanceInput
from erp_core.services import quality_alerts
from erp_core.services.inspections import close_nonconformance, open_nonconformance, record_inspection
from erp_core.services.mes_import import import_mes
from gateway.cli.erp_support import (
    ItemOpt,
    JsonOpt,
    erp_refusals,
    erp_session,
    parse_moment,
    parse_optional_decimal,
    resolve_lot,
)
from gateway.cli.output import error_line, info, listing, print_json
from gateway.errors import InputRejected, NotFoundError

nc_app = typer.Typer(no_args_is_help=True, help="Nonconformances against lots.")
alerts_app = typer.Typer(no_args_is_help=True, help="Partner alert limits and the quality alerts raised.")
mes_app = typer.Typer(no_args_is_help=True, help="Files an MES pushes: lots, serials, consumptions, results.")
_STAGES = ("first_article", "in_process", "final")
_SEVERITIES = ("minor", "major", "critical")
_DISPOSITIONS = ("use_as_is", "rework", "scrap", "return")


def _choice(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    """``value`` normalised (``first-article`` -> ``first_article``) and checked against ``allowed``."""
    if value is None:
        return None
    normalised = value.strip().lower().replace("-", "_")
    if normalised not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return normalised


def inspect_cmd(  # noqa: PLR0913 - one option per field of an inspection record
    ctx: typer.Context, lot_number: Annotated[str, typer.Argument(metavar="LOT")],
    stage: Annotated[str, typer.Option(help="first_article, in_process or final")],
    characteristic: Annotated[str, typer.Option(help="what was inspected, e.g. diameter")],
    inspector: Annotated[str, typer.Option(help="who inspected")],
    measured: Annotated[str | None, typer.Option(help="the measured value")] = None,
    lower: Annotated[str | None, typer.Option(help="lower spec limit (inclusive)")] = None,
    upper: Annotated[str | None, typer.Option(help="upper spec limit (inclusive)")] = None,
    nominal: Annotated[str | None, typer.Option(help="nominal value")] = None,
    unit: Annotated[str | None, typer.Option(help="unit of the values, e.g. mm")] = None,
    attribute: Annotated[str | None, typer.Option(help="an attribute result instead of a measurement "
                                                  "(e.g. 'no burrs'); needs --result")] = None,
    result: Annotated[str | None, typer.Option(help="pass or fail (computed for measurements; must agree "
                                               "when given)")] = None,
    instrument: Annotated[str | None, typer.Option(help="instrument id, e.g. CAL-042")] = None,
    at: Annotated[str | None, typer.Option(help="when (ISO date-time; default now)")] = None,
    notes: Annotated[str | None, typer.Option(help="free text")] = None,
    item: ItemOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record one inspection result of LOT; partner alert limits it breaks raise alerts."""
    with erp_session(ctx) as session, erp_refusals():
        lot, lot_item = resolve_lot(session, lot_number, item)
        data = InspectionInput(
            item_number=lot_item.item_number, lot_number=lot.lot_number,
            stage=_choice(stage, _STAGES, "--stage"), characteristic=characteristic, unit=unit,  # type: ignore[arg-type]
            lower_limit=parse_optional_decimal(lower, "--lower"), upper_limit=parse_optional_decimal(upper, "--upper"),
            nominal=parse_optional_decimal(nominal, "--nominal"),
            measured=parse_optional_decimal(measured, "--measured"), attribute_result=attribute,
            result=_choice(result, ("pass", "fail"), "--result"), inspector=inspector,  # type: ignore[arg-type]
            instrument=instrument, inspected_at=parse_moment(at, "--at"), notes=notes,
        )
        inspection = record_inspection(session, data)
        alerts = quality_alerts.alert_records(session, lot.id)  # type: ignore[arg-type]
        raised = [asdict(a) for a in alerts if a.inspection_id == inspection.id]
        session.commit()
        verdict = inspection.result
    if as_json:
        print_json({"inspection_id": inspection.id, "result": verdict, "alerts": raised})
        return
    info(f"lot {lot_number} {characteristic}: {verdict}"
         + "".join(f"\nalert for {a['partner_id']}: {a['message']}" for a in raised))


@nc_app.command("open")
def nc_open(ctx: typer.Context, lot_number: Annotated[str, typer.Argument(metavar="LOT")],
            number: Annotated[str, typer.Option(help="the NCR number (from the QMS)")],
            description: Annotated[str, typer.Option(help="what is wrong")],
            severity: Annotated[str, typer.Option(help="minor, major or critical")] = "minor",
            disposition: Annotated[str | None, typer.Option(help="use_as_is, rework, scrap or return")] = None,
            item: ItemOpt = None) -> None:
    """Open a nonconformance against LOT; every partner its product reached gets an alert."""
    with erp_session(ctx) as session, erp_refusals():
        lot, lot_item = resolve_lot(session, lot_number, item)
        nc = open_nonconformance(session, NonconformanceInput(
            item_number=lot_item.item_number, lot_number=lot.lot_number, number=number, description=description,
            severity=_choice(severity, _SEVERITIES, "--severity"),  # type: ignore[arg-type]
            disposition=_choice(disposition, _DISPOSITIONS, "--disposition")))  # type: ignore[arg-type]
        partners = sorted({a.partner_id for a in quality_alerts.alert_records(session, lot.id)  # type: ignore[arg-type]
                           if a.nonconformance_id == nc.id})
        session.commit()
        info(f"nonconformance {nc.number} opened on lot {lot.lot_number}"
             + (f"; alerts for {', '.join(partners)}" if partners else ""))


@nc_app.command("close")
def nc_close(ctx: typer.Context, number: Annotated[str, typer.Argument(metavar="NUMBER")],
             disposition: Annotated[str | None, typer.Option(
                 help="use_as_is, rework, scrap or return (default: the one it was opened with)")] = None) -> None:
    """Close a nonconformance; scrap or return rejects its lot."""
    with erp_session(ctx) as session, erp_refusals():
        nc = close_nonconformance(session, number,
                                  _choice(disposition, _DISPOSITIONS, "--disposition"))  # type: ignore[arg-type]
        session.commit()
        info(f"nonconformance {nc.number} closed ({nc.disposition})")


@alerts_app.command("limit")
def alerts_limit(ctx: typer.Context, partner: Annotated[str, typer.Argument(metavar="PARTNER")],
                 item_number: Annotated[str, typer.Argument(metavar="ITEM")],
                 characteristic: Annotated[str, typer.Argument(metavar="CHARACTERISTIC")],
                 lower: Annotated[str | None, typer.Option(help="alert below this")] = None,
                 upper: Annotated[str | None, typer.Option(help="alert above this")] = None) -> None:
    """Set PARTNER's alert limits on a characteristic of ITEM (usually tighter than the spec)."""
    with erp_session(ctx) as session, erp_refusals():
        quality_alerts.set_alert_limit(session, AlertLimitInput(
            partner_id=partner, item_number=item_number, characteristic=characteristic,
            lower=parse_optional_decimal(lower, "--lower"), upper=parse_optional_decimal(upper, "--upper")))
        session.commit()
        info(f"{partner} alert limits on {item_number} {characteristic}: {lower or '-inf'}..{upper or '+inf'}")


@alerts_app.command("list")
def alerts_list(ctx: typer.Context, partner: Annotated[str | None, typer.Option(help="only this partner")] = None,
                lot: Annotated[str | None, typer.Option(help="every alert about this lot, sent or not")] = None,
                item: ItemOpt = None, as_json: JsonOpt = False) -> None:
    """Alerts not yet sent to partners, oldest first (or all alerts about one --lot)."""
    with erp_session(ctx) as session:
        if lot is not None:
            found, _item = resolve_lot(session, lot, item)
            alerts = quality_alerts.alert_records(session, found.id)  # type: ignore[arg-type]
            alerts = [a for a in alerts if partner is None or a.partner_id == partner]
        else:
            alerts = quality_alerts.pending_alerts(session, partner)
    listing("Quality alerts", [asdict(a) for a in alerts],
            ["id", "partner_id", "item_number", "lot_number", "kind", "message", "raised_at", "sent_message_ref"],
            as_json)


@mes_app.command("import")
def mes_import(ctx: typer.Context, file: Annotated[Path, typer.Argument(metavar="FILE", help="CSV or JSON")],
               file_format: Annotated[str | None, typer.Option("--format", help="csv or json (default: by "
                                                               "content)")] = None,
               as_json: JsonOpt = False) -> None:
    """Apply an MES file whole; when any row is refused nothing is written and every bad row is named."""
    chosen = _choice(file_format, ("csv", "json"), "--format")
    try:
        content = file.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {file}") from None
    except OSError as exc:
        raise InputRejected(f"cannot read {file}: {exc.strerror}") from None
    with erp_session(ctx) as session:
        result = import_mes(session, content, file_format=chosen)  # type: ignore[arg-type]
        if result.status == "imported":
            session.commit()
    if as_json:
        print_json({"file": str(file), "status": result.status, "counts": result.counts,
                    "errors": [asdict(e) for e in result.errors]})
    if result.status != "imported":
        for row_error in result.errors:
            error_line(f"{file.name}: {row_error}")
        raise InputRejected(f"{file.name}: {len(result.errors)} row(s) refused; nothing was imported")
    if not as_json:
        counts = ", ".join(f"{n} {kind}(s)" for kind, n in result.counts.items() if n)
        info(f"{file.name} imported: {counts}")
