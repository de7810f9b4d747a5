"""BOM revisions: multi-level import, ECO diff, effectivity, cycles, explosion, booking link."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from erp_fixtures import count, make_order
from pydantic import ValidationError
from sqlmodel import Session, select

from erp_core.errors import NotFoundError
from erp_core.inputs import OrderInput, OrderLineInput
from erp_core.inputs_bom import BomComponentInput, normalize_ref_designators
from erp_core.models import Item, SalesOrderLine
from erp_core.models_bom import BomComponent, BomRevision
from erp_core.services import boms, booking, items

JAN, FEB, MAR = date(2026, 1, 5), date(2026, 2, 2), date(2026, 3, 2)


def board(revision: str = "A", effective_from: date | None = JAN, **overrides: Any) -> dict[str, Any]:
    """A two-level BOM as a flat file: BOARD-1 holds PSU-1 (a sub-assembly) and loose parts."""
    data: dict[str, Any] = {
        "item_number": "BOARD-1",
        "revision": revision,
        "effective_from": effective_from,
        "description": "Controller board",
        "source_ref": f"plm:BOARD-1:{revision}",
        "components": [
            {"part": "PCB-1", "description": "Bare PCB", "quantity": Decimal(1), "find_number": 10},
            {"part": "RES-10K", "description": "Resistor 10k", "quantity": Decimal(4), "ref_designators": ["r1-r4"]},
            {"part": "PSU-1", "description": "Power supply module", "quantity": Decimal(1)},
            {
                "part": "CAP-1U",
                "description": "Cap 1uF",
                "quantity": Decimal(2),
                "parent": "PSU-1",
                "ref_designators": ["C1", "C2"],
            },
            {"part": "REG-5V", "description": "Regulator 5V", "quantity": Decimal(1), "parent": "PSU-1"},
        ],
    }
    data.update(overrides)
    return data


def component(data: dict[str, Any], part: str) -> dict[str, Any]:
    return next(line for line in data["components"] if line["part"] == part)


# -- input normalisation ----------------------------------------------------------------


def test_reference_designators_are_normalised() -> None:
    assert normalize_ref_designators(["r10, R2;c1", "R3-R4", "U1-3"]) == (
        "C1",
        "R2",
        "R3",
        "R4",
        "R10",
        "U1",
        "U2",
        "U3",
    )
    for bad in (["R1", "r1"], ["R4-R1"], ["R1-R5000"], ["1R"]):
        with pytest.raises(ValueError):
            normalize_ref_designators(bad)
    with pytest.raises(ValidationError):
        BomComponentInput(part="X", quantity=Decimal(0))
    with pytest.raises(ValidationError):
        BomComponentInput(part="X", quantity=Decimal(1), ref_designators=("R1", "R1"))


# -- import -----------------------------------------------------------------------------


def test_multi_level_import_creates_one_revision_per_assembly_and_unknown_items(session: Session) -> None:
    result = boms.import_bom(session, board())
    session.commit()
    assert result.status == "created", result.problems
    assert [(a.part, a.revision, a.status) for a in result.assemblies] == [
        ("BOARD-1", "A", "created"),
        ("PSU-1", "A", "created"),
    ]
    assert set(result.created_items) == {"BOARD-1", "PCB-1", "RES-10K", "PSU-1", "CAP-1U", "REG-5V"}
    assert [line.part for line in result.diff.added] == ["PCB-1", "RES-10K", "PSU-1"]  # type: ignore[union-attr]
    view = boms.get_bom(session, "BOARD-1", on=JAN)
    assert [(c.find_number, c.part, c.quantity) for c in view.components] == [
        (10, "PCB-1", Decimal("1")),
        (11, "RES-10K", Decimal("4")),  # numbered after the highest given find number
        (12, "PSU-1", Decimal("1")),
    ]
    assert view.components[1].ref_designators == ("R1", "R2", "R3", "R4")
    assert view.subassemblies == {"PSU-1"}
    psu = items.get_item(session, "PSU-1")
    assert psu is not None and psu.description == "Power supply module"
    record = boms.bom_record(view)
    assert record["components"][2] == {  # type: ignore[index]
        "find_number": 12,
        "part": "PSU-1",
        "description": "Power supply module",
        "quantity": "1",
        "uom": "EA",
        "ref_designators": [],
        "notes": None,
        "subassembly": True,
    }
    stored = session.exec(select(BomComponent).where(BomComponent.find_number == 11)).one()
    assert stored.ref_designators == "R1 R2 R3 R4"


def test_reimport_is_unchanged_and_writes_nothing(session: Session) -> None:
    first = boms.import_bom(session, board())
    session.commit()
    again = boms.import_bom(session, board(effective_from=None))  # default date is not compared
    session.commit()
    assert again.status == "unchanged"
    assert again.revision_ids == first.revision_ids
    assert count(session, BomRevision) == 2 and count(session, BomComponent) == 5


def test_new_revision_reports_an_eco_diff_and_closes_its_predecessor(session: Session) -> None:
    boms.import_bom(session, board())
    session.commit()
    data = board("B", FEB)
    component(data, "RES-10K").update(quantity=Decimal(6), ref_designators=["R1-R6"])
    data["components"] = [line for line in data["components"] if line["part"] != "PCB-1"]
    data["components"].append({"part": "PCB-2", "description": "PCB v2", "quantity": Decimal(1), "find_number": 10})
    result = boms.import_bom(session, data)
    session.commit()
    assert result.status == "created", result.problems
    assert [(a.part, a.revision, a.status) for a in result.assemblies] == [
        ("BOARD-1", "B", "created"),
        ("PSU-1", "A", "unchanged"),  # same content, implied label: the current revision is kept
    ]
    diff = result.diff
    assert diff is not None
    assert [line.part for line in diff.added] == ["PCB-2"] and [line.part for line in diff.removed] == ["PCB-1"]
    assert [(c.part, c.field, c.old, c.new) for c in diff.changed] == [
        ("RES-10K", "quantity", "4", "6"),
        ("RES-10K", "ref_designators", "R1 R2 R3 R4", "R1 R2 R3 R4 R5 R6"),
    ]
    assert boms.bom_diff(session, "BOARD-1", "A", "B") == diff
    assert boms.diff_record(diff)["changed"][0] == {"part": "RES-10K", "field": "quantity", "old": "4", "new": "6"}  # type: ignore[index]
    revisions = boms.revision_records(session, "BOARD-1")
    assert [(r["revision"], r["effective_from"], r["effective_to"]) for r in revisions] == [
        ("A", "2026-01-05", "2026-02-02"),
        ("B", "2026-02-02", None),
    ]


def test_effectivity_selects_the_revision_by_date(session: Session) -> None:
    boms.import_bom(session, board())
    data = board("B", MAR)
    component(data, "PCB-1")["quantity"] = Decimal(2)
    boms.import_bom(session, data)
    session.commit()
    item = items.get_item(session, "BOARD-1")
    assert item is not None
    assert boms.effective_revision(session, item.id, date(2026, 1, 4)) is None  # before revision A
    assert boms.effective_revision(session, item.id, JAN).revision == "A"  # type: ignore[union-attr]
    assert boms.effective_revision(session, item.id, date(2026, 3, 1)).revision == "A"  # type: ignore[union-attr]
    assert boms.effective_revision(session, item.id, MAR).revision == "B"  # type: ignore[union-attr]
    assert boms.get_bom(session, "BOARD-1", on=FEB).revision == "A"
    assert boms.get_bom(session, "BOARD-1", "B").components[0].quantity == Decimal(2)
    boms.end_bom(session, "BOARD-1", date(2026, 6, 1))  # obsolete from June
    session.commit()
    assert boms.effective_revision(session, item.id, date(2026, 6, 1)) is None
    with pytest.raises(NotFoundError):
        boms.get_bom(session, "BOARD-1", on=date(2026, 7, 1))


def test_same_revision_with_other_content_is_refused(session: Session) -> None:
    boms.import_bom(session, board())
    session.commit()
    data = board()
    component(data, "PCB-1")["quantity"] = Decimal(3)
    result = boms.import_bom(session, data)
    assert result.status == "rejected"
    assert [(p.code, p.part) for p in result.problems] == [("BOM_REVISION_EXISTS", "BOARD-1")]
    moved = boms.import_bom(session, board(effective_from=FEB))
    assert [(p.code, p.part) for p in moved.problems] == [  # both assemblies carry revision A
        ("BOM_REVISION_EXISTS", "BOARD-1"),
        ("BOM_REVISION_EXISTS", "PSU-1"),
    ]


def test_revision_starting_before_the_latest_is_refused(session: Session) -> None:
    boms.import_bom(session, board("B", FEB))
    session.commit()
    data = board("C", JAN)
    component(data, "PCB-1")["quantity"] = Decimal(2)
    result = boms.import_bom(session, data)
    assert [(p.code, p.part) for p in result.problems] == [("BOM_EFFECTIVITY", "BOARD-1")]
    assert count(session, BomRevision) == 2


def test_cycles_are_refused_within_the_file_and_through_stored_boms(session: Session) -> None:
    direct = board()
    direct["components"].append({"part": "BOARD-1", "quantity": Decimal(1), "parent": "PSU-1"})
    result = boms.import_bom(session, direct)
    assert [p.code for p in result.problems] == ["BOM_CYCLE"]
    assert "BOARD-1 > PSU-1 > BOARD-1" in result.problems[0].message
    boms.import_bom(session, board())
    session.commit()
    # REG-5V is a stored component of PSU-1, itself of BOARD-1: a REG-5V BOM holding BOARD-1 loops.
    looped = {"item_number": "REG-5V", "revision": "1", "components": [{"part": "BOARD-1", "quantity": 1}]}
    result = boms.import_bom(session, looped)
    assert result.status == "rejected"
    assert [p.code for p in result.problems] == ["BOM_CYCLE"]
    assert result.problems[0].message.endswith("REG-5V > BOARD-1 > PSU-1 > REG-5V")
    self_ref = {"item_number": "X-1", "revision": "1", "components": [{"part": "X-1", "quantity": 1}]}
    assert [p.code for p in boms.import_bom(session, self_ref).problems] == ["BOM_CYCLE"]
    assert items.get_item(session, "X-1") is None  # nothing written for a rejected import


def test_duplicate_lines_merge_or_are_refused(session: Session) -> None:
    data = board()
    data["components"].append({"part": "RES-10K", "quantity": Decimal(2), "ref_designators": ["R7", "R8"]})
    result = boms.import_bom(session, data)
    assert result.status == "created"
    merged = boms.get_bom(session, "BOARD-1", "A").components[1]
    assert (merged.part, merged.quantity, merged.ref_designators) == (
        "RES-10K",
        Decimal(6),
        ("R1", "R2", "R3", "R4", "R7", "R8"),
    )
    session.rollback()
    for extra, fragment in (
        ({"part": "RES-10K", "quantity": Decimal(1), "uom": "M"}, "listed in EA and in M"),
        ({"part": "RES-10K", "quantity": Decimal(1), "ref_designators": ["R4"]}, "places R4 twice"),
        ({"part": "RES-22K", "quantity": Decimal(1), "ref_designators": ["R2"]}, "R2 under BOARD-1 is placed by both"),
        ({"part": "RES-22K", "quantity": Decimal(1), "find_number": 10}, "find number 10"),
        ({"part": "RES-22K", "quantity": Decimal(1), "parent": "NOPE"}, "parent NOPE"),
    ):
        data = board()
        data["components"].append(extra)
        result = boms.import_bom(session, data)
        assert [p.code for p in result.problems] == ["BOM_INVALID"], extra
        assert fragment in result.problems[0].message
    assert count(session, BomRevision) == 0 and items.get_item(session, "PCB-1") is None


def test_invalid_fields_come_back_as_problems_not_tracebacks(session: Session) -> None:
    data = board()
    component(data, "PCB-1")["quantity"] = Decimal(-1)
    data["components"][1]["ref_designators"] = ["R9-R1"]
    result = boms.import_bom(session, data)
    assert result.status == "rejected"
    assert [p.code for p in result.problems] == ["BOM_INVALID", "BOM_INVALID"]
    assert result.problems[0].message.startswith("components[0].quantity: ")
    assert "must ascend" in result.problems[1].message
    assert boms.import_record(result)["problems"][0]["code"] == "BOM_INVALID"  # type: ignore[index]


def test_explicit_subassembly_revision_label(session: Session) -> None:
    boms.import_bom(session, board())
    data = board("B", FEB, subassembly_revisions={"PSU-1": "P2"})
    component(data, "REG-5V")["quantity"] = Decimal(2)
    result = boms.import_bom(session, data)
    assert [(a.part, a.revision, a.status, a.previous_revision) for a in result.assemblies] == [
        ("BOARD-1", "B", "created", "A"),
        ("PSU-1", "P2", "created", "A"),
    ]
    assert result.diff is not None and result.diff.is_empty  # the top level itself did not change
    wrong = board("C", MAR, subassembly_revisions={"PCB-1": "Z"})
    assert [p.code for p in boms.import_bom(session, wrong).problems] == ["BOM_INVALID"]


# -- explosion ------------------------------------------------------------------------------


def test_explode_multiplies_through_levels_using_each_levels_revision_on_the_date(session: Session) -> None:
    boms.import_bom(session, board())
    psu_b = {
        "item_number": "PSU-1",
        "revision": "B",
        "effective_from": MAR,
        "components": [{"part": "CAP-1U", "quantity": Decimal("2.5")}, {"part": "REG-5V", "quantity": 1}],
    }
    assert boms.import_bom(session, psu_b).status == "created"
    session.commit()
    rows = [
        (e.level, e.parent, e.part, e.quantity_per, e.total_quantity, e.bom_revision)
        for e in boms.explode(session, "BOARD-1", 10, FEB)
    ]
    assert rows == [
        (1, "BOARD-1", "PCB-1", Decimal(1), Decimal(10), "A"),
        (1, "BOARD-1", "RES-10K", Decimal(4), Decimal(40), "A"),
        (1, "BOARD-1", "PSU-1", Decimal(1), Decimal(10), "A"),
        (2, "PSU-1", "CAP-1U", Decimal(2), Decimal(20), "A"),
        (2, "PSU-1", "REG-5V", Decimal(1), Decimal(10), "A"),
    ]
    later = [(e.part, e.total_quantity, e.bom_revision) for e in boms.explode(session, "BOARD-1", 10, MAR)]
    assert later[3] == ("CAP-1U", Decimal(25), "B")  # the sub-assembly's revision B applies from March
    with pytest.raises(NotFoundError):
        boms.explode(session, "BOARD-1", 1, date(2025, 12, 1))


# -- booking link ---------------------------------------------------------------------------


def bom_order(po_number: str, *lines: tuple[str, date | None]) -> OrderInput:
    return OrderInput(
        partner_id="acme",
        po_number=po_number,
        order_date=date(2026, 1, 20),
        lines=tuple(
            OrderLineInput(vendor_part=part, quantity=Decimal(5), uom="EA", requested_date=when) for part, when in lines
        ),
    )


def test_booking_links_each_line_to_the_revision_in_force_on_its_date(session: Session) -> None:
    boms.import_bom(session, board())
    data = board("B", MAR)
    component(data, "PCB-1")["quantity"] = Decimal(2)
    result = boms.import_bom(session, data)
    session.commit()
    revision_a = boms.get_bom(session, "BOARD-1", "A").revision_id
    revision_b = result.revision_ids[0]
    order = bom_order(
        "PO-BOM",
        ("BOARD-1", FEB),
        ("BOARD-1", MAR),
        ("BOARD-1", None),
        ("GASKET-7", FEB),
        ("BOARD-1", date(2025, 12, 1)),
    )
    booked = booking.book_orders(session, [order])
    session.commit()
    expected = [revision_a, revision_b, revision_a, None, None]  # no date: the order date (January) decides
    assert [line.bom_revision_id for line in booked[0].lines] == expected
    stored = session.exec(
        select(SalesOrderLine.bom_revision_id)
        .where(SalesOrderLine.order_id == booked[0].order_id)
        .order_by(SalesOrderLine.line_no)
    ).all()
    assert list(stored) == expected


def test_booking_without_boms_links_nothing(session: Session) -> None:
    booked = booking.book_orders(session, [make_order("PO-PLAIN")])
    session.commit()
    assert all(line.bom_revision_id is None for line in booked[0].lines)


def test_booking_links_revisions_in_bulk(session: Session) -> None:
    """120 lines: on PostgreSQL the COPY path."""
    boms.import_bom(session, board())
    session.commit()
    revision_a = boms.get_bom(session, "BOARD-1", "A").revision_id
    orders = [bom_order(f"PO-{n}", *[("BOARD-1", FEB)] * 40) for n in range(3)]
    booked = booking.book_orders(session, orders)
    session.commit()
    assert {line.bom_revision_id for result in booked for line in result.lines} == {revision_a}
    linked = session.exec(select(SalesOrderLine).where(SalesOrderLine.bom_revision_id == revision_a)).all()
    assert len(linked) == 120
    assert session.get(Item, linked[0].item_id).item_number == "BOARD-1"  # type: ignore[union-attr]
