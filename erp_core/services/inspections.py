"""Inspection results, nonconformances and the lot verdict that gates release.

Inspections: a measurement passes when it lies within its limits, both inclusive;
at least one limit is needed, a nominal must lie within them, and a ``result`` the
caller gives must agree (``INSPECTION_RESULT_MISMATCH``): a disagreement means the
MES and we apply different limits, which must not pass silently. An attribute
inspection (visual, go/no-go) has no limits and its result is taken as given.

Nonconformances are numbered by the caller (the QMS's NCR number) and closed with a
disposition; closing with ``scrap`` or ``return`` rejects the lot. Recording either
raises the partner alerts of :mod:`erp_core.services.quality_alerts`.

The verdict of a lot (:func:`lot_verdict`) is literal: it passes when the lot has at
least one final inspection, every final inspection passed, no nonconformance is open
and the lot is not rejected. A failed final result is never superseded by a later
passing one: the nonconformance records what was decided about it, and releasing
such a lot anyway is a deliberate override (:func:`erp_core.services.lots.set_lot_status`).

Like every erp_core service, nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from erp_core.errors import AlreadyExistsError
from erp_core.inputs_quality import Disposition, InspectionInput, NonconformanceInput
from erp_core.models_quality import Inspection, Lot, Nonconformance
from erp_core.services._quality import QualityError, decimal_text, lot_by_id, outside_limits, require_lot
from erp_core.services._savepoint import insert_unique
from erp_core.services.quality_alerts import raise_limit_alerts, raise_nonconformance_alerts
from erp_core.types import utc_now

__all__ = [
    "LotVerdict",
    "close_nonconformance",
    "inspection_record",
    "lot_inspections",
    "lot_nonconformances",
    "lot_verdict",
    "nonconformance_record",
    "open_nonconformance",
    "record_inspection",
    "release_lot",
]

LOT_ENDING_DISPOSITIONS = frozenset({"scrap", "return"})


@dataclass(frozen=True, slots=True)
class LotVerdict:
    """Whether a lot may be released, and why not (``reasons`` is empty when it may)."""

    lot_id: int
    lot_number: str
    passed: bool
    final_inspections: int
    reasons: tuple[str, ...]


def record_inspection(session: Session, data: InspectionInput) -> Inspection:
    """Record one inspection result and raise the partner alerts it breaks."""
    lot = require_lot(session, data.item_number, data.lot_number, "INSPECTION_LOT_UNKNOWN")
    inspection = Inspection(
        lot_id=lot.id,  # type: ignore[arg-type]
        result=_result(data),
        **data.model_dump(exclude={"item_number", "lot_number", "result"}),
    )
    session.add(inspection)
    session.flush()
    raise_limit_alerts(session, inspection, lot)
    return inspection


def open_nonconformance(session: Session, data: NonconformanceInput) -> Nonconformance:
    """Record a nonconformance (possibly already closed) and raise the partner alerts."""
    lot = require_lot(session, data.item_number, data.lot_number, "NC_LOT_UNKNOWN")
    opened_at = data.opened_at or utc_now()
    if data.closed_at is not None:
        _check_close(data.number, opened_at, data.disposition, data.closed_at)
    nc = Nonconformance(
        lot_id=lot.id,  # type: ignore[arg-type]
        number=data.number,
        description=data.description,
        severity=data.severity,
        disposition=data.disposition,
        opened_at=opened_at,
        closed_at=data.closed_at,
    )
    try:
        insert_unique(session, nc, "nonconformance")
    except AlreadyExistsError:
        raise QualityError("NC_EXISTS", f"nonconformance {data.number} already exists") from None
    if nc.closed_at is not None:
        _apply_disposition(session, lot, nc)
    raise_nonconformance_alerts(session, nc, lot)
    return nc


def close_nonconformance(
    session: Session, number: str, disposition: Disposition | None = None, closed_at: datetime | None = None
) -> Nonconformance:
    """Close a nonconformance with ``disposition`` (or the one it was opened with)."""
    nc = session.exec(select(Nonconformance).where(Nonconformance.number == number.strip())).first()
    if nc is None:
        raise QualityError("NC_UNKNOWN", f"nonconformance {number!r} does not exist")
    if nc.closed_at is not None:
        raise QualityError("NC_ALREADY_CLOSED", f"nonconformance {nc.number} was closed at {nc.closed_at.isoformat()}")
    closing = closed_at or utc_now()
    final_disposition = disposition or nc.disposition
    _check_close(nc.number, nc.opened_at, final_disposition, closing)
    nc.disposition, nc.closed_at = final_disposition, closing
    session.add(nc)
    session.flush()
    _apply_disposition(session, lot_by_id(session, nc.lot_id, "NC_LOT_UNKNOWN"), nc)
    return nc


def lot_verdict(session: Session, lot_id: int) -> LotVerdict:
    """Whether the lot passes: final inspections all pass, none missing, no open NC, not rejected."""
    lot = lot_by_id(session, lot_id, "LOT_UNKNOWN")
    finals = [i for i in lot_inspections(session, lot_id) if i.stage == "final"]
    reasons = [f"final inspection {i.characteristic} failed" for i in finals if i.result == "fail"]
    if not finals:
        reasons.append("no final inspection recorded")
    open_ncs = [nc for nc in lot_nonconformances(session, lot_id) if nc.closed_at is None]
    reasons += [f"nonconformance {nc.number} is open" for nc in open_ncs]
    if lot.status == "rejected":
        reasons.append("lot is rejected")
    return LotVerdict(lot_id, lot.lot_number, not reasons, len(finals), tuple(reasons))


def release_lot(session: Session, lot_id: int) -> Lot:
    """Release a lot whose verdict passes; ``LOT_VERDICT_FAIL`` lists the reasons otherwise."""
    verdict = lot_verdict(session, lot_id)
    if not verdict.passed:
        raise QualityError("LOT_VERDICT_FAIL", f"lot {verdict.lot_number}: {'; '.join(verdict.reasons)}")
    lot = lot_by_id(session, lot_id, "LOT_UNKNOWN")
    lot.status = "released"
    session.add(lot)
    session.flush()
    return lot


def lot_inspections(session: Session, lot_id: int) -> list[Inspection]:
    """A lot's inspections in the order they were made."""
    statement = (
        select(Inspection)
        .where(Inspection.lot_id == lot_id)
        .order_by(col(Inspection.inspected_at), col(Inspection.id))
    )
    return list(session.exec(statement).all())


def lot_nonconformances(session: Session, lot_id: int) -> list[Nonconformance]:
    """A lot's nonconformances, oldest first."""
    statement = (
        select(Nonconformance)
        .where(Nonconformance.lot_id == lot_id)
        .order_by(col(Nonconformance.opened_at), col(Nonconformance.id))
    )
    return list(session.exec(statement).all())


def inspection_record(inspection: Inspection) -> dict[str, object]:
    """An inspection as JSON-native values (decimals as plain text)."""
    return {
        "id": inspection.id,
        "stage": inspection.stage,
        "characteristic": inspection.characteristic,
        "unit": inspection.unit,
        "lower_limit": decimal_text(inspection.lower_limit),
        "upper_limit": decimal_text(inspection.upper_limit),
        "nominal": decimal_text(inspection.nominal),
        "measured": decimal_text(inspection.measured),
        "attribute_result": inspection.attribute_result,
        "result": inspection.result,
        "inspector": inspection.inspector,
        "instrument": inspection.instrument,
        "inspected_at": inspection.inspected_at.isoformat(),
        "notes": inspection.notes,
    }


def nonconformance_record(nc: Nonconformance) -> dict[str, object]:
    """A nonconformance as JSON-native values."""
    return {
        "number": nc.number,
        "description": nc.description,
        "severity": nc.severity,
        "disposition": nc.disposition,
        "opened_at": nc.opened_at.isoformat(),
        "closed_at": nc.closed_at.isoformat() if nc.closed_at else None,
    }


# -- helpers -------------------------------------------------------------------------------


def _result(data: InspectionInput) -> str:
    """The inspection's pass/fail, computed for measurements; coded errors for inconsistent input."""
    where = f"lot {data.lot_number} {data.characteristic}"
    if (data.measured is None) == (data.attribute_result is None):
        raise QualityError("INSPECTION_RESULT_INVALID", f"{where}: give a measured value or an attribute result")
    if data.measured is None:
        if data.lower_limit is not None or data.upper_limit is not None or data.nominal is not None:
            raise QualityError("INSPECTION_LIMITS_INVALID", f"{where}: limits apply to measured values only")
        if data.result is None:
            raise QualityError("INSPECTION_RESULT_INVALID", f"{where}: an attribute inspection needs its result")
        return data.result
    _check_limits(data, where)
    computed = "fail" if outside_limits(data.measured, data.lower_limit, data.upper_limit) else "pass"
    if data.result is not None and data.result != computed:
        message = f"{where}: {data.measured} against the limits is {computed}, not {data.result}"
        raise QualityError("INSPECTION_RESULT_MISMATCH", message)
    return computed


def _check_limits(data: InspectionInput, where: str) -> None:
    low, high, nominal = data.lower_limit, data.upper_limit, data.nominal
    if low is None and high is None:
        raise QualityError("INSPECTION_LIMITS_INVALID", f"{where}: a measurement needs a lower or an upper limit")
    if low is not None and high is not None and low > high:
        raise QualityError("INSPECTION_LIMITS_INVALID", f"{where}: lower limit {low} is above upper limit {high}")
    if nominal is not None and outside_limits(nominal, low, high):
        raise QualityError("INSPECTION_LIMITS_INVALID", f"{where}: nominal {nominal} lies outside the limits")


def _check_close(number: str, opened_at: datetime, disposition: str | None, closed_at: datetime) -> None:
    if disposition is None:
        raise QualityError("NC_DISPOSITION_MISSING", f"nonconformance {number} cannot close without a disposition")
    if closed_at < opened_at:
        raise QualityError("NC_CLOSED_BEFORE_OPENED", f"nonconformance {number} closes before it was opened")


def _apply_disposition(session: Session, lot: Lot, nc: Nonconformance) -> None:
    """Scrapped or returned material ends the lot: it is rejected."""
    if nc.disposition in LOT_ENDING_DISPOSITIONS and lot.status != "rejected":
        lot.status = "rejected"
        session.add(lot)
        session.flush()
