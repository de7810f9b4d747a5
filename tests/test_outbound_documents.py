"""Outbound business documents from ERP records: 856, 863 + PDF, 810, 842, 870 in the ledger.

Real components throughout: a migrated SQLite database holding both the ERP core and the
ledger, the default templates, the archive; every interchange is read back with our reader
and validated against our schemas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from outbound_doc_support import (
    OUTBOUND,
    archived_text,
    inspect,
    open_context,
    out_messages,
    ship_widgets,
    valid_sets,
    widget_lot,
)
from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from erp_core.inputs_quality import AlertLimitInput, NonconformanceInput
from erp_core.models_billing import Invoice
from erp_core.models_quality import QualityAlert
from erp_core.models_shipping import Shipment
from erp_core.services import inspections, quality_alerts
from erp_core.services.invoices import invoice_record
from gateway.context import Context
from gateway.ledger.models import OutboundDocument
from gateway.outbound.documents import messages_for, run_due
from gateway.outbound.documents.config import PartnerOutbound
from gateway.settings import Settings, default_config_text


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = open_context(tmp_path)
    yield context
    context.close()


def documents(ctx: Context) -> dict[tuple[str, int], OutboundDocument]:
    with Session(ctx.engine) as session:
        rows = session.execute(select(OutboundDocument)).scalars()
        return {(row.kind, row.erp_id): row for row in rows}


def test_ship_notice_hierarchy_and_shipment_marked(ctx: Context) -> None:
    with Session(ctx.engine) as session:
        widget_lot(session)
        shipment_id = ship_widgets(session)
    created = run_due(ctx, kinds=["856"])
    assert len(created) == 1
    (tx,) = valid_sets(archived_text(ctx, created[0]))
    hl = [s for s in tx.segments if s[0] == "HL"]
    assert [(s[1], s[2], s[3]) for s in hl] == [("1", "", "S"), ("2", "1", "O"), ("3", "2", "T"), ("4", "3", "P"),
                                                ("5", "4", "I"), ("6", "3", "P"), ("7", "6", "I")]
    ssccs = [s[2] for s in tx.segments if s[0] == "MAN"]
    with Session(ctx.engine) as session:
        shipment = session.get(Shipment, shipment_id)
        (set_row,) = messages_for(session, "erp_shipment", [shipment_id])
    assert len(ssccs) == 3 and all(len(v) == 20 and v.startswith("00") for v in ssccs)  # AI 00 + SSCC-18
    lin = [s for s in tx.segments if s[0] == "LIN"]
    assert lin[0][-2:] == ["LT", "W-001"] and "00036000291452" in lin[0]
    assert ["DTM", "036", "20271231"] in tx.segments
    assert [s[2] for s in tx.segments if s[0] == "SN1"] == ["2", "1"]
    assert (set_row.set_id, set_row.kind, set_row.st02, set_row.status) == ("856", "set", tx.control_number,
                                                                             "awaiting-fa")
    assert shipment.asn_message_ref and f"message {set_row.id}" in shipment.asn_message_ref
    assert run_due(ctx, kinds=["856"]) == []  # nothing is sent twice


def test_certificate_only_for_a_lot_that_passes(ctx: Context) -> None:
    with Session(ctx.engine) as session:
        lot_id = widget_lot(session, passing=False)
        ship_widgets(session)
    assert run_due(ctx, kinds=["863"]) == []
    row = documents(ctx)[("863", lot_id)]
    assert (row.status, row.error_code, row.message_id) == ("error", "DOC_LOT_VERDICT_FAIL", None)
    assert "no final inspection" in (row.error_message or "")
    with Session(ctx.engine) as session:
        inspect(session, "W-001")
    created = run_due(ctx, kinds=["863"])  # retried: the lot passes now
    (tx,) = valid_sets(archived_text(ctx, created[0]))
    assert tx.id == "863" and ["MEA", "TR", "", "10.1", "MM", "9.5", "10.5"] in tx.segments
    assert documents(ctx)[("863", lot_id)].status == "created"


def test_failed_final_inspection_is_never_certified(ctx: Context) -> None:
    with Session(ctx.engine) as session:
        lot_id = widget_lot(session, passing=False)
        inspect(session, "W-001", measured="11.0")
        ship_widgets(session)
    run_due(ctx, kinds=["863", "856"])
    assert documents(ctx)[("863", lot_id)].error_code == "DOC_LOT_VERDICT_FAIL"
    assert [m.set_id for m in out_messages(ctx, "set")] == ["856"]  # the other document still went


def test_invoice_created_once_and_810_total_matches(ctx: Context) -> None:
    with Session(ctx.engine) as session:
        widget_lot(session)
        shipment_id = ship_widgets(session)
    created = run_due(ctx, kinds=["810"])
    (tx,) = valid_sets(archived_text(ctx, created[0]))
    with Session(ctx.engine) as session:
        invoice = session.execute(select(Invoice).where(Invoice.shipment_id == shipment_id)).scalar_one()
        record = invoice_record(session, invoice.id)
    tds = next(s for s in tx.segments if s[0] == "TDS")
    assert int(tds[1]) == record["tds"]["total"] == 9113  # 59.97 + 25.00 freight + 7.25% tax on 84.97 (6.16)
    assert record["total"] == "91.13" and invoice.terms_net_days == 30 and invoice.terms_discount_days == 10
    assert invoice.message_ref and invoice.message_ref.startswith("810 ")
    assert run_due(ctx, kinds=["810"]) == []


def test_render_error_is_recorded_and_does_not_block_others(tmp_path: Path) -> None:
    override = tmp_path / "mappings" / "partners" / "acme" / "templates" / "x12"
    override.mkdir(parents=True)
    (override / "810.j2").write_text('{{ seg("BIG", no_such_variable) }}\n')
    ctx = open_context(tmp_path)
    try:
        with Session(ctx.engine) as session:
            widget_lot(session)
            shipment_id = ship_widgets(session)
        run_due(ctx, kinds=["856", "810"])
        row = documents(ctx)[("810", shipment_id)]
        assert row.status == "error" and row.error_code == "RENDER_UNDEFINED"
        with Session(ctx.engine) as session:  # the invoice made for the failed 810 was rolled back with it
            assert session.execute(select(Invoice)).first() is None
        sets = out_messages(ctx, "set")
        assert [(m.set_id, m.st02) for m in sets] == [("856", "0001")]  # the 810's ST02 was given back
    finally:
        ctx.close()


def test_quality_alert_842_and_marked_sent(ctx: Context) -> None:
    with Session(ctx.engine) as session:
        quality_alerts.set_alert_limit(session, AlertLimitInput(partner_id="acme", item_number="WIDGET-1",
                                                                characteristic="diameter", lower="9.9",
                                                                upper="10.05"))
        widget_lot(session)  # 10.1 mm: within spec, outside acme's alert limits
        ship_widgets(session)
        inspections.open_nonconformance(session, NonconformanceInput(
            item_number="WIDGET-1", lot_number="W-001", number="NCR-7", description="Burr on rim", severity="minor"))
        session.commit()
    created = run_due(ctx, kinds=["842"])
    sets = valid_sets(archived_text(ctx, created[0]))
    assert [tx.id for tx in sets] == ["842", "842"]
    with Session(ctx.engine) as session:
        alerts = list(session.execute(select(QualityAlert).order_by(QualityAlert.id)).scalars())
    assert [a.kind for a in alerts] == ["limit", "nonconformance"]
    assert all(a.sent_message_ref and a.sent_message_ref.startswith("842 ") for a in alerts)
    assert any("NCR-7" in s for tx in sets for s in tx.segments)  # the nonconformance is named
    assert run_due(ctx, kinds=["842"]) == []


def test_order_status_only_on_request_and_once_a_day(ctx: Context) -> None:
    with Session(ctx.engine) as session:
        widget_lot(session)
        ship_widgets(session)
    run_due(ctx)
    assert "870" not in {m.set_id for m in out_messages(ctx, "set")}
    created = run_due(ctx, kinds=["870"])
    (tx,) = valid_sets(archived_text(ctx, created[0]))
    assert tx.id == "870"
    assert run_due(ctx, kinds=["870"]) == []  # already reported today


def test_partner_without_x12_address_gets_coded_errors(ctx: Context) -> None:
    from erp_core.services.partners import remove_partner_x12_id

    with Session(ctx.engine) as session:
        widget_lot(session)
        shipment_id = ship_widgets(session)
        remove_partner_x12_id(session, "ZZ", "ACMEMED")
        session.commit()
    assert run_due(ctx, kinds=["856"]) == []
    assert documents(ctx)[("856", shipment_id)].error_code == "DOC_PARTNER_NO_X12"


def test_unknown_kind_is_refused(ctx: Context) -> None:
    with pytest.raises(ValueError, match="unknown document kinds"):
        run_due(ctx, kinds=["999"])


def test_settings_validate_and_the_shipped_example_parses() -> None:
    assert PartnerOutbound.model_validate({**OUTBOUND, "documents": [856, 810]}).documents == ("856", "810")
    with pytest.raises(ValidationError, match="approver"):
        PartnerOutbound.model_validate({**OUTBOUND, "approver": None})
    with pytest.raises(ValidationError):
        PartnerOutbound.model_validate({**OUTBOUND, "colour": "blue"})
    text = default_config_text("ZZ:EDIPULSE")
    block = text[text.index("# outbound:"):text.index("# Partner channels")]
    example = yaml.safe_load("\n".join(line.removeprefix("# ") for line in block.splitlines()))
    settings = Settings.model_validate({"gateway": {"x12_id": "ZZ:EDIPULSE"}, **example})
    assert settings.outbound["acme"].takes("certificate")


def test_credit_note_goes_out_as_an_810_credit_memo_once(ctx: Context) -> None:
    from decimal import Decimal

    from erp_core.inputs_shipping import CreditLineInput
    from erp_core.models_billing import InvoiceLine
    from erp_core.services.invoices import create_credit_note

    with Session(ctx.engine) as session:
        widget_lot(session)
        ship_widgets(session)
    run_due(ctx, kinds=["810"])
    with Session(ctx.engine) as session:
        invoice = session.execute(select(Invoice).where(Invoice.kind == "invoice")).scalar_one()
        line = session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).scalars().first()
        assert line is not None
        create_credit_note(session, invoice.id, invoice_number="CN-0001", reason="one unit damaged in transit",
                           lines=[CreditLineInput(order_line_id=line.order_line_id, quantity=Decimal(1))])
        original_number = invoice.invoice_number
        session.commit()
    created = run_due(ctx, kinds=["810"])
    (tx,) = valid_sets(archived_text(ctx, created[0]))
    big = next(s for s in tx.segments if s[0] == "BIG")
    assert big[2] == "CN-0001" and "CR" in big
    assert any(s[:3] == ["REF", "OI", original_number] for s in tx.segments)
    with Session(ctx.engine) as session:
        credit = session.execute(select(Invoice).where(Invoice.kind == "credit_note")).scalar_one()
        record = invoice_record(session, credit.id)
        assert credit.message_ref and int(next(s for s in tx.segments if s[0] == "TDS")[1]) == record["tds"]["total"]
    assert run_due(ctx, kinds=["810"]) == []
