"""Shared set-up of the outbound document tests: a gateway context on a scratch SQLite database,
partner acme (ZZ:ACMEMED) taking documents, a booked order, a lot with inspections, a shipment."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from erp_fixtures import add_acme
from erp_shipping_support import book, carton, pallet, ship_line, shipped
from sqlalchemy import select
from sqlmodel import Session

from edi.x12.model import TransactionSet
from edi.x12.reader import read_events
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from erp_core.inputs_quality import InspectionInput, LotInput
from erp_core.services import inspections, lots
from gateway.context import Context
from gateway.ledger.models import Message, OutboundFile
from gateway.settings import Settings

INSPECTED_AT = datetime(2025, 12, 4, 9, 30, tzinfo=UTC)
OUTBOUND: dict[str, Any] = {
    "documents": ["856", "863", "certificate", "810", "842", "870"],
    "invoice": {"terms_net_days": 30, "discount_percent": "2", "discount_days": 10, "tax_rate": "7.25",
                "freight": "25.00"},
    "certificate_type": "CA",
    "approver": {"name": "Dana Whitfield", "title": "Quality Assurance Manager"},
    "company": {"name": "EDI Pulse Devices Inc.", "id": "EDIPULSE", "city": "Austin", "state": "TX"},
}


def open_context(root: Path, outbound: dict[str, Any] | None = None) -> Context:
    """A migrated context below ``root`` with acme's outbound settings (``outbound`` replaces them)."""
    settings = Settings.model_validate({
        "gateway": {"x12_id": "ZZ:EDIPULSE"}, "database": {"url": f"sqlite:///{root / 'gw.db'}"},
        "outbound": {"acme": outbound if outbound is not None else OUTBOUND}, "base_dir": root})
    ctx = Context.open(settings)
    with Session(ctx.engine) as session:
        add_acme(session)
        session.commit()
    return ctx


def widget_lot(session: Session, lot_number: str = "W-001", *, passing: bool = True, quantity: int = 10) -> int:
    """A released WIDGET-1 lot with a final diameter inspection (passing or not); returns its id."""
    lot = lots.record_lot(session, LotInput(item_number="WIDGET-1", lot_number=lot_number,
                                            quantity=Decimal(quantity), manufactured_on=date(2025, 12, 1),
                                            expires_on=date(2027, 12, 31), status="released"))
    if passing:
        inspect(session, lot_number)
    session.commit()
    return lot.id  # type: ignore[return-value]


def inspect(session: Session, lot_number: str, measured: str = "10.1", stage: str = "final") -> None:
    inspections.record_inspection(session, InspectionInput(
        item_number="WIDGET-1", lot_number=lot_number, stage=stage, characteristic="diameter", unit="mm",
        lower_limit=Decimal("9.5"), upper_limit=Decimal("10.5"), nominal=Decimal(10), measured=Decimal(measured),
        inspector="j.doe", instrument="CAL-042", inspected_at=INSPECTED_AT))
    session.commit()


def ship_widgets(session: Session, number: str = "SH-1", lot_number: str = "W-001") -> int:
    """Order PO-1 booked, 3 WIDGET-1 of the lot shipped on a pallet in two cartons (2 + 1)."""
    _, widget_line = book(session, "PO-1")
    return shipped(session, number, ship_line(widget_line, 2, lot_number=lot_number, package_ref="C1"),
                   ship_line(widget_line, 1, lot_number=lot_number, package_ref="C2"),
                   packages=(pallet("P1"), carton("C1", "P1"), carton("C2", "P1")))


def archived_text(ctx: Context, message_id: int) -> bytes:
    with Session(ctx.engine) as session:
        outbound = session.execute(select(OutboundFile).where(OutboundFile.message_id == message_id)).scalar_one()
        return ctx.archive.path(outbound.archive_path).read_bytes()


def valid_sets(data: bytes) -> list[TransactionSet]:
    """The transaction sets of an interchange, each validated against our schema with zero errors."""
    sets = [e for e in read_events(io.BytesIO(data)) if isinstance(e, TransactionSet)]
    for tx in sets:
        assert tx.errors == [], tx.errors
        schema = load_schema(tx.id, tx.group.version)
        assert schema is not None
        assert validate_set(tx, schema) == [], tx.id
    return sets


def out_messages(ctx: Context, kind: str | None = None) -> list[Message]:
    with Session(ctx.engine) as session:
        query = select(Message).where(Message.direction == "out").order_by(Message.id)
        if kind is not None:
            query = query.where(Message.kind == kind)
        return list(session.execute(query).scalars())
