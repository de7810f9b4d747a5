"""Inspections, nonconformances, the lot verdict, partner alert limits and quality alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from erp_fixtures import count
from erp_quality_fixtures import INSPECTED_AT, build_floor, inspect, widget_lot
from pydantic import ValidationError
from sqlmodel import Session, select

from erp_core.inputs_quality import AlertLimitInput, ConsumptionInput, InspectionInput, NonconformanceInput
from erp_core.models_quality import AlertLimit, Inspection, Lot, QualityAlert
from erp_core.services import inspections, lots, partners, quality_alerts
from erp_core.services._quality import QualityError


@pytest.fixture
def floor(session: Session) -> Session:
    """The factory floor with lot W-001 of WIDGET-1 made for acme's PO-1."""
    build_floor(session)
    widget_lot(session)
    session.commit()
    return session


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(QualityError) as excinfo:
        call(*args, **kwargs)
    assert excinfo.value.code == code


def nc(session: Session, number: str, lot_number: str = "W-001", item_number: str = "WIDGET-1", **extra: Any) -> Any:
    data = NonconformanceInput(item_number=item_number, lot_number=lot_number, number=number,
                               description="flash on parting line", severity="major", **extra)
    return inspections.open_nonconformance(session, data)


def lot_id(session: Session, lot_number: str = "W-001") -> int:
    lot = session.exec(select(Lot).where(Lot.lot_number == lot_number)).one()
    assert lot.id is not None
    return lot.id


# -- inspections ----------------------------------------------------------------------------


def test_measurements_pass_within_inclusive_limits(floor: Session) -> None:
    results = [
        inspect(floor, measured=Decimal("10.1")).result,
        inspect(floor, measured=Decimal("10.5")).result,  # on the limit
        inspect(floor, measured=Decimal("10.500001")).result,
        inspect(floor, measured=Decimal("9.499999")).result,
        inspect(floor, lower_limit=None, nominal=None, measured=Decimal("-40")).result,  # upper limit only
        inspect(floor, measured=Decimal("10.6"), result="fail").result,  # agreeing result accepted
    ]
    floor.commit()
    assert results == ["pass", "pass", "fail", "fail", "pass", "fail"]
    stored = floor.exec(select(Inspection).order_by(Inspection.id)).first()
    assert stored is not None
    assert (stored.measured, stored.lower_limit, stored.upper_limit, stored.nominal) == (
        Decimal("10.1"), Decimal("9.5"), Decimal("10.5"), Decimal(10)
    )
    assert (stored.inspector, stored.instrument, stored.inspected_at) == ("j.doe", "CAL-042", INSPECTED_AT)


def test_attribute_inspections_take_the_given_result(floor: Session) -> None:
    attribute = {"lower_limit": None, "upper_limit": None, "nominal": None, "measured": None, "unit": None}
    visual = inspect(floor, characteristic="visual", attribute_result="no burrs", result="pass", **attribute)
    assert (visual.result, visual.attribute_result, visual.measured) == ("pass", "no burrs", None)
    refused("INSPECTION_RESULT_INVALID", inspect, floor, attribute_result="ok", **attribute)  # no result
    refused("INSPECTION_LIMITS_INVALID", inspect, floor, attribute_result="ok", result="pass",
            **{**attribute, "upper_limit": Decimal(1)})


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"lower_limit": None, "upper_limit": None, "nominal": None}, "INSPECTION_LIMITS_INVALID"),
        ({"lower_limit": Decimal(11)}, "INSPECTION_LIMITS_INVALID"),
        ({"nominal": Decimal(12)}, "INSPECTION_LIMITS_INVALID"),
        ({"measured": Decimal("10.6"), "result": "pass"}, "INSPECTION_RESULT_MISMATCH"),
        ({"attribute_result": "ok"}, "INSPECTION_RESULT_INVALID"),  # both a value and an attribute
        ({"lot_number": "W-404"}, "INSPECTION_LOT_UNKNOWN"),
    ],
)
def test_inconsistent_inspections_are_refused(floor: Session, overrides: dict[str, Any], code: str) -> None:
    refused(code, inspect, floor, **overrides)
    assert count(floor, Inspection) == 0


def test_inspection_input_needs_an_aware_time_and_known_stage() -> None:
    base = {"item_number": "W", "lot_number": "L", "stage": "final", "characteristic": "d", "measured": Decimal(1),
            "upper_limit": Decimal(2), "inspector": "x", "inspected_at": INSPECTED_AT}
    InspectionInput(**base)  # type: ignore[arg-type]
    naive = datetime(2025, 12, 4, 9, 30)
    for bad in ({"inspected_at": naive}, {"stage": "incoming"}, {"measured": Decimal("0.1234567")}):
        with pytest.raises(ValidationError):
            InspectionInput(**{**base, **bad})  # type: ignore[arg-type]


# -- nonconformances and the verdict --------------------------------------------------------


def test_verdict_needs_passing_final_inspections_and_no_open_nonconformance(floor: Session) -> None:
    lot = lot_id(floor)
    assert inspections.lot_verdict(floor, lot).reasons == ("no final inspection recorded",)
    refused("LOT_VERDICT_FAIL", inspections.release_lot, floor, lot)
    inspect(floor, stage="in_process", measured=Decimal(20))  # a failed in-process result does not count
    inspect(floor)
    assert inspections.lot_verdict(floor, lot).passed
    nc(floor, "NCR-1")
    verdict = inspections.lot_verdict(floor, lot)
    assert (verdict.passed, verdict.reasons) == (False, ("nonconformance NCR-1 is open",))
    refused("NC_DISPOSITION_MISSING", inspections.close_nonconformance, floor, "NCR-1")
    inspections.close_nonconformance(floor, "NCR-1", "use_as_is")
    assert inspections.release_lot(floor, lot).status == "released"
    inspect(floor, characteristic="length", measured=Decimal(11))
    assert inspections.lot_verdict(floor, lot).reasons == ("final inspection length failed",)


def test_nonconformance_rules(floor: Session) -> None:
    opened = datetime(2025, 12, 5, 8, 0, tzinfo=UTC)
    nc(floor, "NCR-1", opened_at=opened)
    refused("NC_EXISTS", nc, floor, "NCR-1")
    refused("NC_LOT_UNKNOWN", nc, floor, "NCR-2", lot_number="W-404")
    refused("NC_CLOSED_BEFORE_OPENED", inspections.close_nonconformance, floor, "NCR-1", "rework",
            datetime(2025, 12, 4, tzinfo=UTC))
    refused("NC_UNKNOWN", inspections.close_nonconformance, floor, "NCR-404", "rework")
    closed = inspections.close_nonconformance(floor, "NCR-1", "scrap", datetime(2025, 12, 6, tzinfo=UTC))
    assert closed.disposition == "scrap"
    refused("NC_ALREADY_CLOSED", inspections.close_nonconformance, floor, "NCR-1", "scrap")
    floor.commit()
    assert floor.get(Lot, lot_id(floor)).status == "rejected"  # type: ignore[union-attr]
    # recorded already closed: the disposition is required
    refused("NC_DISPOSITION_MISSING", nc, floor, "NCR-3", closed_at=opened)
    done = nc(floor, "NCR-3", disposition="rework", opened_at=opened, closed_at=opened)
    assert done.closed_at == opened


# -- alert limits and alerts ----------------------------------------------------------------


def limit(session: Session, partner_id: str, lower: str | None, upper: str | None) -> AlertLimit:
    data = AlertLimitInput(partner_id=partner_id, item_number="WIDGET-1", characteristic="diameter",
                           lower=None if lower is None else Decimal(lower),
                           upper=None if upper is None else Decimal(upper))
    return quality_alerts.set_alert_limit(session, data)


def test_results_outside_partner_limits_raise_one_alert_per_partner(floor: Session) -> None:
    partners.add_partner(floor, "beta", name="Beta Devices")
    limit(floor, "acme", "9.9", "10.2")
    limit(floor, "acme", "9.9", "10.05")  # replaced, not added
    limit(floor, "beta", None, "10.3")
    assert count(floor, AlertLimit) == 2
    inside = inspect(floor, measured=Decimal("10.05"))
    outside = inspect(floor, measured=Decimal("10.1"))  # passes spec, breaks acme's limit only
    other = inspect(floor, characteristic="length", measured=Decimal("10.4"))  # no limits on length
    floor.commit()
    assert inside.result == outside.result == other.result == "pass"
    pending = quality_alerts.pending_alerts(floor)
    assert [(a.partner_id, a.kind, a.inspection_id, a.lot_number) for a in pending] == [
        ("acme", "limit", outside.id, "W-001")
    ]
    assert pending[0].message == "lot W-001 final diameter = 10.1 mm outside alert limits 9.9..10.05"
    lot = floor.get(Lot, lot_id(floor))
    assert lot is not None
    assert quality_alerts.raise_limit_alerts(floor, outside, lot) == []  # raising again adds nothing
    assert count(floor, QualityAlert) == 1


def test_alert_limit_refusals(floor: Session) -> None:
    refused("ALERT_LIMIT_INVALID", limit, floor, "acme", None, None)
    refused("ALERT_LIMIT_INVALID", limit, floor, "acme", "10.2", "10.1")
    refused("ALERT_LIMIT_PARTNER_UNKNOWN", limit, floor, "nobody", "1", "2")
    data = AlertLimitInput(partner_id="acme", item_number="NOPE-1", characteristic="d", upper=Decimal(1))
    refused("ALERT_LIMIT_ITEM_UNKNOWN", quality_alerts.set_alert_limit, floor, data)
    assert count(floor, AlertLimit) == 0


def test_nonconformance_on_a_component_lot_alerts_buyers_of_what_it_went_into(floor: Session) -> None:
    partners.add_partner(floor, "beta", name="Beta Devices")  # ordered nothing
    lots.record_consumption(floor, ConsumptionInput(item_number="WIDGET-1", lot_number="W-001",
                                                    component_item_number="RESIN-1", component_lot_number="R-100",
                                                    quantity=Decimal(2)))
    made = nc(floor, "NCR-9", lot_number="R-100", item_number="RESIN-1")
    floor.commit()
    pending = quality_alerts.pending_alerts(floor, "acme")
    assert [(a.kind, a.nonconformance_id, a.item_number, a.lot_number) for a in pending] == [
        ("nonconformance", made.id, "RESIN-1", "R-100")
    ]
    assert pending[0].message.startswith("nonconformance NCR-9 (major) on lot R-100")
    assert quality_alerts.pending_alerts(floor, "beta") == []
    # sending: recorded once; the same reference again is a no-op, another is refused
    quality_alerts.mark_alert_sent(floor, pending[0].id, "842:000000017")
    quality_alerts.mark_alert_sent(floor, pending[0].id, "842:000000017")
    refused("ALERT_ALREADY_SENT", quality_alerts.mark_alert_sent, floor, pending[0].id, "842:000000018")
    refused("ALERT_UNKNOWN", quality_alerts.mark_alert_sent, floor, 999_999, "842:1")
    floor.commit()
    assert quality_alerts.pending_alerts(floor) == []
    assert [a.sent_message_ref for a in quality_alerts.alert_records(floor, lot_id(floor, "R-100"))] == [
        "842:000000017"
    ]
