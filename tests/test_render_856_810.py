"""Outbound 856 ship notices and 810 invoices: canonical models, default templates, schemas.

The shipped templates render canonical documents; the output is written by the real
writer, read back by the real reader and checked against what the document says,
computed here independently of the templates: the HL tree of packs and items, SSCCs,
lots, serials, quantities, the invoice total in cents. Every output also passes our
856/810 schemas for 004010 and 005010, and those schemas catch broken output.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from edi.canonical import DOCUMENTS
from edi.canonical.invoice import Invoice
from edi.canonical.ship_notice import ShipNotice, ShippedItem, gs1_check_digit_ok
from edi.render import TemplateLibrary, TemplateSet, check_out_set, render_x12_set
from edi.x12.model import Delimiters, TransactionSet
from edi.x12.reader import read_events
from edi.x12.schema import load_schema
from edi.x12.validate import validate_set
from edi.x12.writer import OutGroup, OutSet, Party, effective_delimiters, render_interchange

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
EXAMPLES = MAPPINGS / "templates" / "examples"
D5 = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")
WHEN = dt.datetime(2024, 3, 29, 16, 40)
LEVEL = {"pallet": "T", "carton": "P"}


def case_document(case: str, key: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / case / "case.json").read_text(encoding="utf-8"))["context"][key]


def sscc(serial: int) -> str:
    body = f"10885403{serial:09d}"
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def render(document: ShipNotice | Invoice, version: str = "004010",
           templates: TemplateSet | None = None) -> tuple[OutSet, list[list[str]]]:
    """Render with the default template, check the schema, write and read back: (set, segments)."""
    set_id, key = ("856", "shipment") if isinstance(document, ShipNotice) else ("810", "invoice")
    templates = templates or TemplateLibrary(MAPPINGS).for_partner(None)
    isa_version = "00501" if version >= "005010" else "00401"
    delimiters = effective_delimiters(D5, isa_version)
    out_set = render_x12_set(templates, f"x12/{set_id}.j2", {key: document}, set_id=set_id, control_number=41,
                             version=version, delimiters=delimiters)
    assert check_out_set(out_set, version, delimiters) == []
    group = OutGroup("SH" if set_id == "856" else "IN", "ACME", "MERCY", 1, version, [out_set])
    text = render_interchange(sender=Party("ZZ", "ACME"), receiver=Party("ZZ", "MERCY"), groups=[group],
                              control_number=1, delimiters=D5, version=isa_version, when=WHEN)
    (tx,) = [e for e in read_events(io.BytesIO(text.encode())) if isinstance(e, TransactionSet)]
    assert tx.errors == []
    return out_set, [list(segment) for segment in tx.segments]


def hl_tree(segments: list[list[str]]) -> list[tuple[str, str | None, list[list[str]]]]:
    """Per HL segment: (HL03, HL03 of the parent, the segments of the level) after checking
    HL01 is sequential, HL02 names an earlier level and HL04 says whether children follow."""
    levels: list[tuple[list[str], list[list[str]]]] = []
    for seg in segments:
        if seg[0] == "HL":
            levels.append((seg, []))
        elif levels and seg[0] not in {"CTT", "SE"}:
            levels[-1][1].append(seg)
    codes = {hl[1]: hl[3] for hl, _ in levels}
    with_children = {hl[2] for hl, _ in levels if len(hl) > 2 and hl[2]}
    tree = []
    for number, (hl, body) in enumerate(levels, 1):
        assert hl[1] == str(number)
        parent = hl[2] if len(hl) > 2 and hl[2] else None
        assert parent is None or int(parent) < number
        assert hl[4] == ("1" if hl[1] in with_children else "0")
        tree.append((hl[3], codes[parent] if parent else None, body))
    return tree


def hierarchy(notice: ShipNotice) -> list[tuple[str, str | None, str | None, ShippedItem | None]]:
    """(level, parent level, PO / SSCC / line number, item) depth-first, from the model alone."""
    out: list[tuple[str, str | None, str | None, ShippedItem | None]] = [("S", None, None, None)]
    for order in notice.orders:
        out.append(("O", "S", order.po_number, None))
        for pack in (p for p in order.packs if p.parent_sscc is None):
            out.append((LEVEL[pack.level], "O", pack.sscc, None))
            for inner in (p for p in order.packs if p.parent_sscc == pack.sscc):
                out.append(("P", "T", inner.sscc, None))
                out.extend(("I", "P", item.line_no, item) for item in inner.items)
            out.extend(("I", LEVEL[pack.level], item.line_no, item) for item in pack.items)
    return out


def expected_levels(notice: ShipNotice) -> list[tuple[str, str | None, str | None]]:
    return [(code, parent, key) for code, parent, key, _ in hierarchy(notice)]


def seen_levels(tree: list[tuple[str, str | None, list[list[str]]]]) -> list[tuple[str, str | None, str | None]]:
    def key(code: str, body: list[list[str]]) -> str | None:
        first = {seg[0]: seg for seg in body}
        if code == "O":
            return first["PRF"][1]
        if code in {"T", "P"}:
            assert first["MAN"][1] == "GM" and first["MAN"][2].startswith("00")
            return first["MAN"][2][2:]
        return first["LIN"][1] if code == "I" else None
    return [(code, parent, key(code, body)) for code, parent, body in tree]


# -- 856 ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_ship_notice_hierarchy_agrees_with_the_shipment(version: str) -> None:
    notice = ShipNotice.model_validate(case_document("ship-notice-004010", "shipment"))
    _, segments = render(notice, version)
    tree = hl_tree(segments)
    assert seen_levels(tree) == expected_levels(notice)
    ctt = next(seg for seg in segments if seg[0] == "CTT")
    assert ctt[1:] == [str(len(tree)), "217"]
    items = [item for code, _, _, item in hierarchy(notice) if code == "I"]
    for item, body in zip(items, (body for code, _, body in tree if code == "I"), strict=True):
        assert item is not None
        lin = next(seg for seg in body if seg[0] == "LIN")
        ids = dict(zip(lin[2::2], lin[3::2], strict=True))
        assert ids.get("LT") == item.lot and ids.get("VP") == item.vendor_part
        assert item.gtin is None or item.gtin in ids.values()
        sn1 = next(seg for seg in body if seg[0] == "SN1")
        assert Decimal(sn1[2]) == item.quantity and sn1[3] == item.uom
        assert [seg[2] for seg in body if seg[:2] == ["REF", "SE"]] == item.serials
        dates = {seg[1]: seg[2] for seg in body if seg[0] == "DTM"}
        assert dates.get("036") == (f"{item.expiry:%Y%m%d}" if item.expiry else None)
        assert dates.get("094") == (f"{item.manufactured:%Y%m%d}" if item.manufactured else None)


def generated_notice(orders: int, pallets: int, cartons: int, items: int, loose: int) -> ShipNotice:
    """A shipment of the given shape: per order, pallets of cartons plus loose cartons."""
    serial = iter(range(1, 10_000))
    data: dict[str, Any] = {"shipment_number": "SH-GEN", "issued_at": "2024-03-29T16:40:00",
                            "ship_date": "2024-03-29", "ship_from": {"name": "Acme"}, "ship_to": {"id": "MGH"},
                            "orders": []}

    def carton(parent: str | None) -> dict[str, Any]:
        lines = [{"line_no": str(n), "vendor_part": f"V{n}", "quantity": "2", "uom": "EA", "lot": f"L{n}",
                  "serials": [f"S{next(serial)}", f"S{next(serial)}"] if n % 2 else []} for n in range(1, items + 1)]
        return {"sscc": sscc(next(serial)), "level": "carton", "parent_sscc": parent, "items": lines}

    for number in range(orders):
        packs = []
        for _ in range(pallets):
            pallet = sscc(next(serial))
            packs.append({"sscc": pallet, "level": "pallet"})
            packs.extend(carton(pallet) for _ in range(cartons))
        packs.extend(carton(None) for _ in range(loose))
        data["orders"].append({"po_number": f"PO{number}", "packs": packs})
    return ShipNotice.model_validate(data)


@pytest.mark.parametrize(("orders", "pallets", "cartons", "items", "loose"),
                         [(1, 0, 0, 1, 1), (2, 1, 3, 2, 0), (3, 2, 2, 1, 2), (1, 3, 1, 4, 1)])
def test_generated_shapes_render_valid_hierarchies(orders: int, pallets: int, cartons: int, items: int,
                                                   loose: int) -> None:
    notice = generated_notice(orders, pallets, cartons, items, loose)
    for version in ("004010", "005010"):
        _, segments = render(notice, version)
        assert seen_levels(hl_tree(segments)) == expected_levels(notice)


def test_a_pallet_holding_items_directly_is_a_tare_with_items() -> None:
    data = case_document("ship-notice-004010", "shipment")
    data["orders"][0]["packs"][0]["items"] = [{"line_no": "9", "vendor_part": "BULK", "quantity": "1", "uom": "EA"}]
    notice = ShipNotice.model_validate(data)
    _, segments = render(notice)
    assert ("I", "T", "9") in seen_levels(hl_tree(segments))


def test_a_mixed_pallet_appears_under_each_order_and_is_counted_once() -> None:
    data = case_document("ship-notice-004010", "shipment")
    pallet = data["orders"][0]["packs"][0]["sscc"]
    data["orders"][1]["packs"].insert(0, {"sscc": pallet, "level": "pallet"})
    data["orders"][1]["packs"][1]["parent_sscc"] = pallet
    notice = ShipNotice.model_validate(data)
    _, segments = render(notice, "003040")
    assert seen_levels(hl_tree(segments)) == expected_levels(notice)
    assert [seg[2] for seg in segments if seg[0] == "MAN"].count("00" + pallet) == 2
    assert next(seg for seg in segments if seg[0] == "TD1")[1:3] == ["PLT94", "2"]  # the pallet, the loose carton
    assert next(seg for seg in segments if seg[0] == "BSN")[3] == "240329"  # YYMMDD before 004010


def test_a_partner_override_of_the_code_table_changes_the_sscc_form(tmp_path: Path) -> None:
    shutil.copytree(MAPPINGS / "templates", tmp_path / "templates", ignore=shutil.ignore_patterns("examples", "*.py"))
    override = tmp_path / "partners" / "mercy" / "templates" / "x12" / "ship_notice_codes.j2"
    override.parent.mkdir(parents=True)
    codes = (MAPPINGS / "templates" / "x12" / "ship_notice_codes.j2").read_text(encoding="utf-8")
    override.write_text(codes.replace('{% set sscc_ai = "00" %}', '{% set sscc_ai = "" %}'), encoding="utf-8")
    notice = ShipNotice.model_validate(case_document("ship-notice-004010", "shipment"))
    _, segments = render(notice, templates=TemplateLibrary(tmp_path).for_partner("mercy"))
    assert [seg[2] for seg in segments if seg[0] == "MAN"][0] == "108854030000000010"


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda d: d["orders"][0]["packs"][1].update(sscc="108854030000000028"), "check digit"),
    (lambda d: d["orders"][0]["packs"][1].update(parent_sscc="108854030000000041"), "not a pallet"),
    (lambda d: d["orders"][0]["packs"][3]["items"][0]["serials"].pop(), "2 serial numbers for a quantity of 3"),
    (lambda d: d["orders"][0]["packs"][3].update(items=[]), "holds nothing"),
    (lambda d: d["orders"][1]["packs"].append(dict(d["orders"][0]["packs"][3])), "listed under orders"),
    (lambda d: d["orders"][0]["packs"][1]["items"][0].update(gtin="10885403123451"), "check digit"),
    (lambda d: d["orders"][1]["packs"][0]["items"][1].update(vendor_part=None), "needs a buyer part"),
    (lambda d: d["orders"][0]["packs"][1]["items"][0].update(quantity="0"), "greater than 0"),
    (lambda d: d.update(ship_to={"city": "Indianapolis"}), "ship_to needs a name or an id"),
])
def test_a_shipment_a_partner_could_not_receive_is_refused(change: Any, fragment: str) -> None:
    data = case_document("ship-notice-004010", "shipment")
    change(data)
    with pytest.raises(ValidationError, match=fragment):
        ShipNotice.model_validate(data)


def test_udi_and_gs1_check_digits() -> None:
    notice = ShipNotice.model_validate(case_document("ship-notice-004010", "shipment"))
    item = notice.orders[0].packs[1].items[0]
    assert item.udi == "(01)10885403123450(17)270228(10)L24031"
    assert gs1_check_digit_ok("106141411234567897") and not gs1_check_digit_ok("106141411234567890")
    assert DOCUMENTS["ship_notice"] is ShipNotice and DOCUMENTS["invoice"] is Invoice


# -- 810 ----------------------------------------------------------------------------


@pytest.mark.parametrize(("case", "version", "total", "big07"), [
    ("invoice-005010", "005010", "1140568", None), ("invoice-005010", "004010", "1140568", None),
    ("credit-memo-004010", "004010", "36280", "CR"),
])
def test_invoice_totals_are_computed_in_cents(case: str, version: str, total: str, big07: str | None) -> None:
    invoice = Invoice.model_validate(case_document(case, "invoice"))
    _, segments = render(invoice, version)
    big = next(seg for seg in segments if seg[0] == "BIG")
    assert (big[7] if len(big) > 7 else None) == big07
    assert next(seg for seg in segments if seg[0] == "TDS")[1] == total
    it1 = [seg for seg in segments if seg[0] == "IT1"]
    assert [(seg[1], Decimal(seg[2]), seg[3], Decimal(seg[4])) for seg in it1] == [
        (line.line_no, line.quantity, line.uom, line.unit_price) for line in invoice.lines]
    assert next(seg for seg in segments if seg[0] == "CTT")[1] == str(len(invoice.lines))
    refs = {seg[1]: seg[2] for seg in segments if seg[0] == "REF"}
    assert refs.get("OI") == invoice.original_invoice_number


def test_invoice_money_by_hand() -> None:
    """24 x 186.40 + 3 x 2150 + 7 x 3.3333 (23.3331 -> 23.33) + 85 + 12.50 freight/handling + 361.25 tax."""
    invoice = Invoice.model_validate(case_document("invoice-005010", "invoice"))
    assert invoice.lines_total == Decimal("10946.93")
    assert invoice.total == Decimal("11405.68")
    assert invoice.discount_base == Decimal("10946.93")
    assert invoice.units_by_uom == [("BX", Decimal(24)), ("EA", Decimal(10))]
    _, segments = render(invoice, "005010")
    assert [seg[1:6] for seg in segments if seg[0] == "SAC"] == [["C", "D240", "", "", "8500"],
                                                                 ["C", "D500", "", "", "1250"]]
    assert [seg[1:4] for seg in segments if seg[0] == "TXI"] == [["LS", "361.25", "3.25"]]
    assert [seg[1:3] for seg in segments if seg[0] == "ISS"] == [["24", "BX"], ["10", "EA"]]


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda d: d["lines"][0].update(amount="4473.61"), "is not 24 x 186.40"),
    (lambda d: d["lines"][0].update(amount="4473.600"), None),  # same value, more zeros: accepted
    (lambda d: d["charges"][0].update(amount="85.001"), "more than two decimals"),
    (lambda d: d["taxes"][0].update(amount="1.005"), "more than two decimals"),
    (lambda d: d.update(original_invoice_number="INV-1"), "only for a credit note"),
    (lambda d: d.update(kind="credit_note"), "needs original_invoice_number"),
    (lambda d: d["charges"].append({"type": "allowance", "reason": "discount", "amount": "20000.00"}), "exceed"),
    (lambda d: d["terms"].update(discount_days=None), "needs discount_days"),
    (lambda d: d["charges"][0].update(type="charge", reason="discount"), "a discount is an allowance"),
    (lambda d: d.update(remit_to={"address1": "Lockbox 44120"}), "remit_to needs a name or an id"),
])
def test_an_invoice_that_does_not_add_up_is_refused(change: Any, fragment: str | None) -> None:
    data = case_document("invoice-005010", "invoice")
    change(data)
    if fragment is None:
        assert Invoice.model_validate(data).lines[0].extended_amount == Decimal("4473.60")
        return
    with pytest.raises(ValidationError, match=fragment):
        Invoice.model_validate(data)


# -- schemas: real partners' documents, and broken output ----------------------------

DATA = Path(__file__).resolve().parent / "data" / "x12"


@pytest.mark.parametrize(("name", "valid"), [
    ("x12-856/nodex12-856.edi", True),
    ("x12-810/edinet-x12.810a.edi", True),
    ("x12-810/staedi-simple810.edi", True),
    ("x12-810/stupidedi-004010-X348-pass-basic-invoice.edi", True),
    ("x12-856/stupidedi-004010-SH856-fail-2.edi", False),  # an N1 running into the N4 after it
])
def test_the_schemas_read_other_implementations_documents(name: str, valid: bool) -> None:
    sets = [e for e in read_events((DATA / name).open("rb")) if isinstance(e, TransactionSet)]
    assert sets
    for tx in sets:
        schema = load_schema(tx.id, tx.group.version)
        assert schema is not None
        assert (validate_set(tx, schema) == []) is valid


@pytest.mark.parametrize(("set_id", "source", "fragment"), [
    ("856", '{{ seg("DTM", "011", "20240329") }}', "BSN"),  # mandatory BSN missing
    ("856", '{{ seg("BSN", "00", "SH1", "20240329", "1640", "0009") }}', "0009"),  # not a structure code
    ("856", '{{ seg("BSN", "00", "SH1", "20240329", "1640") }}{{ seg("HL", "1", None, "S", "2") }}', "HL04"),
    ("810", '{{ seg("BIG", "20240330", "INV1") }}{{ seg("IT1", "1", "2", "EA", "3") }}', "TDS"),
    ("810", '{{ seg("BIG", "20240330", "INV1") }}{{ seg("IT1", "1", "2") }}{{ seg("TDS", "100") }}', "IT1"),
])
def test_the_schemas_refuse_what_a_partner_would(tmp_path: Path, set_id: str, source: str, fragment: str) -> None:
    if "HL" in source:  # a literal HL cannot be rendered (RENDER_HL): build the set as a buggy writer would
        out_set = OutSet(set_id, 1, [["BSN", "00", "SH1", "20240329", "1640"], ["HL", "1", "", "S", "2"]])
    else:
        (tmp_path / "t.j2").write_text(source, encoding="utf-8")
        out_set = render_x12_set(TemplateSet([tmp_path]), "t.j2", {}, set_id=set_id, control_number=1,
                                 version="004010", delimiters=D5)
    errors = check_out_set(out_set, "004010", D5)
    assert errors and any(fragment in str(error) for error in errors), errors
