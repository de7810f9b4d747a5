"""Lot traceability: everything known about one lot, as one JSON-ready record.

:func:`trace_lot` gathers the lot with its item, GTIN and UDI, the order line it was
made for and that order with its revisions, the BOM revision used, and then the
sections of :data:`SECTIONS`, each built by one small function from the session and
the lot: consumed component lots (recursively), the lots it went into, inspections,
nonconformances, alerts, and the documents that follow the lot out of the factory:
the shipment lines that carried it (with their SSCCs) and the invoices and credit
notes of those shipments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session, col, func, select

from erp_core.models import Item, SalesOrder, SalesOrderLine
from erp_core.models_bom import BomRevision
from erp_core.models_quality import Lot, LotConsumption, LotSerial
from erp_core.services._quality import QualityError, decimal_text
from erp_core.services.inspections import (
    inspection_record,
    lot_inspections,
    lot_nonconformances,
    lot_verdict,
    nonconformance_record,
)
from erp_core.services.invoices import invoices_of_shipments
from erp_core.services.lots import MAX_TRACE_LEVELS, where_used_lot_ids
from erp_core.services.order_history import order_detail
from erp_core.services.quality_alerts import alert_records
from erp_core.services.shipments import shipments_of_lot
from erp_core.udi import UdiError, udi, udi_data

__all__ = ["SECTIONS", "ComponentLot", "LotTrace", "trace_lot"]

SectionBuilder = Callable[[Session, Lot], object]


@dataclass(frozen=True, slots=True)
class ComponentLot:
    """A component lot consumed into a lot, with what it consumed in turn."""

    item_number: str
    lot_number: str
    quantity: str  # total issued into the parent lot, in ``uom``
    uom: str
    status: str
    expires_on: str | None
    components: tuple[ComponentLot, ...] = ()


@dataclass(frozen=True, slots=True)
class LotTrace:
    """A lot's trace; ``sections`` holds the entries of :data:`SECTIONS` by name."""

    lot: dict[str, Any]
    item: dict[str, Any]
    udi: dict[str, str] | None
    order_line: dict[str, Any] | None
    order: dict[str, Any] | None
    bom_revision: dict[str, Any] | None
    verdict: dict[str, Any]
    sections: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The trace as nested JSON-native values, sections at the top level."""
        data = {name: value for name, value in asdict(self).items() if name != "sections"}
        data.update(self.sections)
        return _lists(data)


def _lists(value: Any) -> Any:
    """``value`` with every tuple turned into a list: what ``json.loads`` would give back."""
    if isinstance(value, dict):
        return {key: _lists(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value


def trace_lot(session: Session, lot_number: str, item_number: str | None = None) -> LotTrace:
    """The trace of lot ``lot_number`` (of ``item_number``, needed when several items share the number).

    ``TRACE_LOT_UNKNOWN`` / ``TRACE_LOT_AMBIGUOUS`` as :class:`QualityError`.
    """
    lot, item = _find(session, lot_number, item_number)
    line = session.get(SalesOrderLine, lot.order_line_id) if lot.order_line_id is not None else None
    order = _order(session, line)
    verdict = lot_verdict(session, lot.id)  # type: ignore[arg-type]
    return LotTrace(
        lot=_lot_record(session, lot),
        item={"item_number": item.item_number, "description": item.description, "gtin": item.gtin, "uom": item.uom},
        udi=_udi(item, lot),
        order_line=_order_line(order, line),
        order=order,
        bom_revision=_bom_revision(session, lot.bom_revision_id),
        verdict={
            "passed": verdict.passed,
            "final_inspections": verdict.final_inspections,
            "reasons": list(verdict.reasons),
        },
        sections={name: build(session, lot) for name, build in SECTIONS},
    )


# -- the lot and what it was made for ----------------------------------------------------------


def _find(session: Session, lot_number: str, item_number: str | None) -> tuple[Lot, Item]:
    statement = select(Lot, Item).join(Item, col(Item.id) == col(Lot.item_id))
    statement = statement.where(Lot.lot_number == lot_number.strip())
    if item_number is not None:
        statement = statement.where(Item.item_number == item_number.strip())
    found = session.exec(statement.order_by(Item.item_number)).all()
    if not found:
        of_item = f" of item {item_number}" if item_number else ""
        raise QualityError("TRACE_LOT_UNKNOWN", f"no lot {lot_number!r}{of_item}")
    if len(found) > 1:
        items = ", ".join(item.item_number for _lot, item in found)
        raise QualityError("TRACE_LOT_AMBIGUOUS", f"lot {lot_number!r} exists for several items ({items}): name one")
    return found[0]


def _lot_record(session: Session, lot: Lot) -> dict[str, Any]:
    serials = session.exec(select(LotSerial.serial).where(LotSerial.lot_id == lot.id).order_by(LotSerial.serial))
    return {
        "lot_number": lot.lot_number,
        "quantity": decimal_text(lot.quantity),
        "uom": lot.uom,
        "manufactured_on": lot.manufactured_on.isoformat() if lot.manufactured_on else None,
        "expires_on": lot.expires_on.isoformat() if lot.expires_on else None,
        "status": lot.status,
        "created_at": lot.created_at.isoformat(),
        "serials": list(serials.all()),
    }


def _udi(item: Item, lot: Lot) -> dict[str, str] | None:
    """The lot-level UDI (without serial); None for an item without GTIN."""
    if item.gtin is None:
        return None
    try:
        return {
            "hri": udi(item.gtin, lot.lot_number, lot.expires_on),
            "data": udi_data(item.gtin, lot.lot_number, lot.expires_on),
        }
    except UdiError:  # a lot number recorded outside the validated inputs; the trace still shows the lot
        return None


def _order(session: Session, line: SalesOrderLine | None) -> dict[str, Any] | None:
    if line is None:
        return None
    header = session.get(SalesOrder, line.order_id)
    detail = order_detail(session, header.partner_id, header.po_number) if header else None
    return detail.as_dict() if detail else None


def _order_line(order: dict[str, Any] | None, line: SalesOrderLine | None) -> dict[str, Any] | None:
    if order is None or line is None:
        return None
    return next((record for record in order["lines"] if record["line_no"] == line.line_no), None)


def _bom_revision(session: Session, revision_id: int | None) -> dict[str, Any] | None:
    revision = session.get(BomRevision, revision_id) if revision_id is not None else None
    if revision is None:
        return None
    return {
        "id": revision.id,
        "revision": revision.revision,
        "effective_from": revision.effective_from.isoformat(),
        "effective_to": revision.effective_to.isoformat() if revision.effective_to else None,
        "description": revision.description,
    }


# -- sections ----------------------------------------------------------------------------------


def _components(session: Session, lot: Lot) -> list[dict[str, Any]]:
    return [asdict(component) for component in _component_lots(session, lot.id, (lot.id,))]  # type: ignore[arg-type]


def _component_lots(session: Session, lot_id: int, path: tuple[int, ...]) -> tuple[ComponentLot, ...]:
    """The lots consumed into ``lot_id``, each with its own components (stops at cycles and depth)."""
    if len(path) > MAX_TRACE_LEVELS:
        return ()
    statement = (
        select(Lot, Item.item_number, func.sum(LotConsumption.quantity))
        .join(LotConsumption, col(LotConsumption.component_lot_id) == col(Lot.id))
        .join(Item, col(Item.id) == col(Lot.item_id))
        .where(LotConsumption.lot_id == lot_id)
        .group_by(col(Lot.id), col(Item.item_number))
        .order_by(col(Item.item_number), col(Lot.lot_number))
    )
    return tuple(
        ComponentLot(
            item_number=item_number,
            lot_number=component.lot_number,
            quantity=decimal_text(quantity) or "0",
            uom=component.uom,
            status=component.status,
            expires_on=component.expires_on.isoformat() if component.expires_on else None,
            components=()
            if component.id in path
            else _component_lots(session, component.id, (*path, component.id)),  # type: ignore[arg-type]
        )
        for component, item_number, quantity in session.exec(statement).all()
    )


def _where_used(session: Session, lot: Lot) -> list[dict[str, Any]]:
    ids = where_used_lot_ids(session, lot.id)  # type: ignore[arg-type]
    if not ids:
        return []
    statement = (
        select(Item.item_number, Lot.lot_number, Lot.status)
        .join(Item, col(Item.id) == col(Lot.item_id))
        .where(col(Lot.id).in_(ids))
        .order_by(col(Item.item_number), col(Lot.lot_number))
    )
    return [
        {"item_number": number, "lot_number": lot_number, "status": status}
        for number, lot_number, status in session.exec(statement).all()
    ]


def _inspections(session: Session, lot: Lot) -> list[dict[str, object]]:
    return [inspection_record(i) for i in lot_inspections(session, lot.id)]  # type: ignore[arg-type]


def _nonconformances(session: Session, lot: Lot) -> list[dict[str, object]]:
    return [nonconformance_record(nc) for nc in lot_nonconformances(session, lot.id)]  # type: ignore[arg-type]


def _alerts(session: Session, lot: Lot) -> list[dict[str, object]]:
    return [asdict(alert) for alert in alert_records(session, lot.id)]  # type: ignore[arg-type]


def _shipments(session: Session, lot: Lot) -> list[dict[str, object]]:
    return shipments_of_lot(session, lot.id)  # type: ignore[arg-type]


def _invoices(session: Session, lot: Lot) -> list[dict[str, object]]:
    """Invoices (and their credit notes) of the shipments that carried the lot."""
    shipment_ids = {entry["shipment_id"] for entry in shipments_of_lot(session, lot.id)}  # type: ignore[arg-type]
    return invoices_of_shipments(session, shipment_ids)  # type: ignore[arg-type]


SECTIONS: tuple[tuple[str, SectionBuilder], ...] = (
    ("components", _components),
    ("where_used", _where_used),
    ("inspections", _inspections),
    ("nonconformances", _nonconformances),
    ("alerts", _alerts),
    ("shipments", _shipments),
    ("invoices", _invoices),
)
"""The trace's sections in output order: (name, builder(session, lot) -> JSON-native value)."""
