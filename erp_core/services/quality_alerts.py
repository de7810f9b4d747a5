"""Partner alert limits and the quality alerts owed to partners.

A partner may set alert limits on a characteristic of an item it buys, usually
tighter than our specification: a measurement of that characteristic outside them
raises a ``limit`` alert for that partner even when the result passes our spec. Any
nonconformance raises a ``nonconformance`` alert for every partner that ordered the
lot's item or the item of any lot that (transitively) consumed it: a bad component
lot concerns everyone whose product it went into.

Alerts are raised by the inspection service as results are recorded (limits set
later do not look back at older results). Raising is idempotent: one alert per
partner and inspection or nonconformance, backed by unique constraints. An alert is
pending until :func:`mark_alert_sent` records the message that carried it (an X12
842, a mail); the gateway decides which partners take which message.

Like every erp_core service, nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from erp_core.errors import AlreadyExistsError
from erp_core.inputs_quality import AlertLimitInput
from erp_core.models import Item, Partner, SalesOrder, SalesOrderLine
from erp_core.models_quality import AlertLimit, Inspection, Lot, Nonconformance, QualityAlert
from erp_core.services._quality import QualityError, decimal_text, outside_limits, require_item
from erp_core.services._savepoint import insert_unique
from erp_core.services.lots import where_used_lot_ids
from erp_core.types import utc_now

__all__ = [
    "AlertRecord",
    "alert_records",
    "mark_alert_sent",
    "pending_alerts",
    "raise_limit_alerts",
    "raise_nonconformance_alerts",
    "set_alert_limit",
]

MESSAGE_MAX = 255


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One quality alert as JSON-native values (timestamps ISO 8601)."""

    id: int
    partner_id: str
    item_number: str
    lot_number: str
    kind: str
    inspection_id: int | None
    nonconformance_id: int | None
    message: str
    raised_at: str
    sent_message_ref: str | None


def set_alert_limit(session: Session, data: AlertLimitInput) -> AlertLimit:
    """Create or replace a partner's alert limits for an item characteristic."""
    if session.get(Partner, data.partner_id) is None:
        raise QualityError("ALERT_LIMIT_PARTNER_UNKNOWN", f"partner {data.partner_id!r} does not exist")
    item = require_item(session, data.item_number, "ALERT_LIMIT_ITEM_UNKNOWN")
    if data.lower is None and data.upper is None:
        raise QualityError("ALERT_LIMIT_INVALID", "an alert limit needs a lower or an upper bound")
    if data.lower is not None and data.upper is not None and data.lower > data.upper:
        raise QualityError("ALERT_LIMIT_INVALID", f"lower bound {data.lower} is above upper bound {data.upper}")
    limit = session.get(AlertLimit, (data.partner_id, item.id, data.characteristic))
    if limit is None:
        limit = AlertLimit(partner_id=data.partner_id, item_id=item.id, characteristic=data.characteristic)  # type: ignore[arg-type]
    limit.lower, limit.upper, limit.updated_at = data.lower, data.upper, utc_now()
    session.add(limit)
    session.flush()
    return limit


def raise_limit_alerts(session: Session, inspection: Inspection, lot: Lot) -> list[QualityAlert]:
    """Alerts for every partner whose limits on this characteristic the measurement breaks."""
    if inspection.measured is None:
        return []
    statement = select(AlertLimit).where(
        AlertLimit.item_id == lot.item_id, AlertLimit.characteristic == inspection.characteristic
    )
    raised = []
    for limit in session.exec(statement).all():
        if _outside(inspection, limit):
            message = _limit_message(lot, inspection, limit)
            alert = QualityAlert(
                partner_id=limit.partner_id, lot_id=lot.id, kind="limit", inspection_id=inspection.id, message=message  # type: ignore[arg-type]
            )
            raised.extend(_insert_once(session, alert))
    return raised


def raise_nonconformance_alerts(session: Session, nonconformance: Nonconformance, lot: Lot) -> list[QualityAlert]:
    """Alerts for every partner that ordered the lot's item or an item the lot went into."""
    affected = where_used_lot_ids(session, lot.id) | {lot.id}  # type: ignore[operator]
    items = select(Lot.item_id).where(col(Lot.id).in_(affected))
    partners = session.exec(
        select(SalesOrder.partner_id)
        .join(SalesOrderLine, col(SalesOrderLine.order_id) == col(SalesOrder.id))
        .where(col(SalesOrderLine.item_id).in_(items))
        .distinct()
        .order_by(SalesOrder.partner_id)
    ).all()
    message = _truncate(
        f"nonconformance {nonconformance.number} ({nonconformance.severity}) on lot {lot.lot_number}: "
        f"{nonconformance.description}"
    )
    raised = []
    for partner_id in partners:
        alert = QualityAlert(
            partner_id=partner_id,
            lot_id=lot.id,  # type: ignore[arg-type]
            kind="nonconformance",
            nonconformance_id=nonconformance.id,
            message=message,
        )
        raised.extend(_insert_once(session, alert))
    return raised


def pending_alerts(session: Session, partner_id: str | None = None) -> list[AlertRecord]:
    """Alerts not sent yet, oldest first; only ``partner_id``'s when given."""
    conditions = [col(QualityAlert.sent_message_ref).is_(None)]
    if partner_id is not None:
        conditions.append(col(QualityAlert.partner_id) == partner_id)
    return _records(session, *conditions)


def alert_records(session: Session, lot_id: int) -> list[AlertRecord]:
    """Every alert raised about a lot, oldest first."""
    return _records(session, col(QualityAlert.lot_id) == lot_id)


def mark_alert_sent(session: Session, alert_id: int, message_ref: str) -> QualityAlert:
    """Record the message that carried an alert; repeating the same reference is a no-op."""
    alert = session.get(QualityAlert, alert_id)
    if alert is None:
        raise QualityError("ALERT_UNKNOWN", f"alert id {alert_id} does not exist")
    if alert.sent_message_ref not in (None, message_ref):
        raise QualityError("ALERT_ALREADY_SENT", f"alert {alert_id} was sent as {alert.sent_message_ref}")
    alert.sent_message_ref = message_ref
    session.add(alert)
    session.flush()
    return alert


# -- helpers -------------------------------------------------------------------------------


def _outside(inspection: Inspection, limit: AlertLimit) -> bool:
    return inspection.measured is not None and outside_limits(inspection.measured, limit.lower, limit.upper)


def _limit_message(lot: Lot, inspection: Inspection, limit: AlertLimit) -> str:
    bounds = f"{decimal_text(limit.lower) or '-inf'}..{decimal_text(limit.upper) or '+inf'}"
    unit = f" {inspection.unit}" if inspection.unit else ""
    return _truncate(
        f"lot {lot.lot_number} {inspection.stage} {inspection.characteristic} = "
        f"{decimal_text(inspection.measured)}{unit} outside alert limits {bounds}"
    )


def _truncate(text: str) -> str:
    return text if len(text) <= MESSAGE_MAX else text[: MESSAGE_MAX - 3] + "..."


def _insert_once(session: Session, alert: QualityAlert) -> list[QualityAlert]:
    """``[alert]`` when inserted, ``[]`` when the partner already has this alert."""
    try:
        insert_unique(session, alert, "alert")
    except AlreadyExistsError:
        return []
    return [alert]


def _records(session: Session, *conditions: ColumnElement[bool]) -> list[AlertRecord]:
    statement = (
        select(QualityAlert, Item.item_number, Lot.lot_number)
        .join(Lot, col(Lot.id) == col(QualityAlert.lot_id))
        .join(Item, col(Item.id) == col(Lot.item_id))
        .where(*conditions)
        .order_by(col(QualityAlert.raised_at), col(QualityAlert.id))
    )
    return [
        AlertRecord(
            id=alert.id,
            partner_id=alert.partner_id,
            item_number=item_number,
            lot_number=lot_number,
            kind=alert.kind,
            inspection_id=alert.inspection_id,
            nonconformance_id=alert.nonconformance_id,
            message=alert.message,
            raised_at=alert.raised_at.isoformat(),
            sent_message_ref=alert.sent_message_ref,
        )
        for alert, item_number, lot_number in session.exec(statement).all()
    ]
