"""Planning and shipping schedules (X12 830/862): one forecast per item and ship-to.

A schedule names many items; each becomes a forecast that supersedes the partner's
previous one for that item. The schedule is applied whole or not at all.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from edi.canonical import Document
from erp_core.inputs_forecasts import ForecastInput
from erp_core.services.forecasts import book_forecast
from gateway.inbound.erp_handlers import Prepared, SingleHandler, refused
from gateway.inbound.handlers import BOOKED, DUPLICATE, Applied


def _party_id(party: Any) -> str | None:
    return (party.id or party.name) if party is not None else None


def _forecast(schedule: Any, item: Any, partner_id: str) -> dict[str, Any]:
    return {
        "partner_id": partner_id, "buyer_part": item.buyer_part, "vendor_part": item.vendor_part, "gtin": item.gtin,
        "ship_to": _party_id(item.ship_to) or _party_id(schedule.ship_to), "kind": schedule.kind,
        "reference": schedule.reference or schedule.release or str(schedule.issue_date), "uom": item.uom,
        "horizon_start": schedule.horizon_start,
        "horizon_end": schedule.horizon_end, "issue_date": schedule.issue_date,
        "buckets": [{"start": b.start, "end": b.end, "interval": b.interval, "commitment": b.commitment,
                     "quantity": b.quantity} for b in item.buckets],
    }


class ScheduleHandler(SingleHandler):
    invalid_code = "FORECAST_INVALID"

    def prepare(self, document: Document, partner_id: str) -> object:
        schedule: Any = document
        ref = f"schedule {schedule.reference or schedule.issue_date or '(no reference)'}"
        return Prepared(ref, {"items": [_forecast(schedule, item, partner_id) for item in schedule.items]})

    def apply_one(self, session: Session, prepared: Prepared, source: str) -> Applied:
        items = (prepared.fields or {})["items"]
        booked = duplicates = 0
        first_id = None
        for number, fields in enumerate(items, start=1):
            try:
                forecast = ForecastInput.model_validate({**fields, "source_ref": f"{source}#{number}"})
            except (ValidationError, ValueError) as exc:
                return self.invalid(prepared, exc)
            result = book_forecast(session, forecast)
            if result.status == "rejected":
                return refused(prepared.ref, result.problems, "FORECAST_INVALID")
            duplicates += result.status == "duplicate"
            booked += result.status == "booked"
            first_id = first_id or result.forecast_id
        if items and duplicates == len(items):
            return refused(prepared.ref, (), "FORECAST_INVALID", "FORECAST_DUPLICATE", DUPLICATE)
        return Applied(BOOKED, prepared.ref, first_id)
