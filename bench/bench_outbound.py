"""Outbound benchmark: ship notices (856) and invoices (810) rendered and written, as the gateway does.

Builds ``--shipments`` canonical shipments (not timed), each with ``--orders`` purchase
orders, ``--cartons`` SSCC-labelled cartons and ``--items`` item lines spread over
them (lots, expiry and manufacture dates, every third line serialised), and the
invoice of each shipment (its lines at contract prices, freight, tax, terms). Then,
timed, for every shipment: render the 856 and the 810 from the shipped templates
(``mappings/templates/x12/``) and write each into an interchange with the real
writer. Prints documents/s (856 and 810 each count as one) and segments/s of the
best of ``--repeat`` runs; ``--check`` first validates every rendered set against
the 856/810 schemas (not timed).

Target: 1,000 documents/s on a 2-core box.

    python bench/bench_outbound.py [--shipments 10000] [--orders 2] [--cartons 3] [--items 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edi.canonical.invoice import Charge, Invoice, InvoiceLine, Tax, Terms  # noqa: E402
from edi.canonical.order import Party as CanonicalParty  # noqa: E402
from edi.canonical.ship_notice import Carrier, Pack, ShipNotice, ShippedItem, ShippedOrder  # noqa: E402
from edi.render import TemplateLibrary, TemplateSet, check_out_set, render_x12_set  # noqa: E402
from edi.x12.model import Delimiters  # noqa: E402
from edi.x12.writer import OutGroup, OutSet, Party, render_interchange  # noqa: E402

DOCS_PER_SECOND_TARGET = 1_000
MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
DELIMITERS = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")
VERSION = "004010"
WHEN = dt.datetime(2024, 3, 29, 16, 40)
SHIP_TO = CanonicalParty(name="Mercy General Hospital", id="MGH-001", address1="1200 Meridian Street",
                         city="Indianapolis", state="IN", postal_code="46202", country="US")
SHIP_FROM = CanonicalParty(name="Acme Medical Devices Inc.", id="ACME-PLANT-1", city="Warsaw", state="IN")


def gs1(body: str) -> str:
    """``body`` with its GS1 mod-10 check digit appended."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def make_item(number: int, line: int) -> ShippedItem:
    serialised = line % 3 == 0
    quantity = Decimal(2 if serialised else 10 + line)
    return ShippedItem(line_no=str(line), buyer_part=f"MH-{line:05d}", vendor_part=f"ACM-{line:04d}",
                       gtin=gs1(f"1088540{line:06d}"), quantity=quantity, uom="EA", quantity_ordered=quantity,
                       lot=f"L{number:06d}-{line}", expiry=dt.date(2027, 1, 31), manufactured=dt.date(2024, 3, 1),
                       serials=[f"SN{number:06d}{line:02d}{k}" for k in range(2)] if serialised else [])


def make_shipment(number: int, orders: int, cartons: int, items: int) -> ShipNotice:
    """One shipment: cartons dealt round-robin to the orders, item lines round-robin to the cartons."""
    packs: list[list[Pack]] = [[] for _ in range(orders)]
    for carton in range(cartons):
        packs[carton % orders].append(Pack(sscc=gs1(f"1088540{number:07d}{carton:03d}"), level="carton"))
    flat = [pack for order_packs in packs for pack in order_packs]
    for line in range(1, items + 1):
        flat[(line - 1) % len(flat)].items.append(make_item(number, line))
    shipped = [ShippedOrder(po_number=f"PO{number:07d}{o}", po_date=dt.date(2024, 3, 15), packs=packs[o])
               for o in range(orders)]
    return ShipNotice(shipment_number=f"SH{number:08d}", issued_at=WHEN, ship_date=dt.date(2024, 3, 29),
                      carrier=Carrier(scac="UPSN", name="UPS Ground", transport_method="parcel"),
                      tracking_number=f"1Z999AA1{number:010d}", bill_of_lading=f"BOL{number:07d}",
                      gross_weight=Decimal("42.5"), ship_from=SHIP_FROM, ship_to=SHIP_TO, orders=shipped)


def make_invoice(notice: ShipNotice, number: int) -> Invoice:
    lines = [InvoiceLine(line_no=item.line_no, buyer_part=item.buyer_part, vendor_part=item.vendor_part,
                         gtin=item.gtin, quantity=item.quantity, uom=item.uom, unit_price=Decimal("12.75"))
             for order in notice.orders for item in order.items()]
    return Invoice(invoice_number=f"INV{number:08d}", invoice_date=dt.date(2024, 3, 30),
                   po_number=notice.orders[0].po_number, shipment_number=notice.shipment_number,
                   ship_date=notice.ship_date, currency="USD", terms=Terms(net_days=30), bill_to=SHIP_TO,
                   remit_to=SHIP_FROM, lines=lines,
                   charges=[Charge(type="charge", reason="freight", amount=Decimal("18.00"))],
                   taxes=[Tax(kind="sales", amount=Decimal("4.10"), percent=Decimal("7"))])


def render_pair(templates: TemplateSet, notice: ShipNotice, invoice: Invoice, number: int) -> list[OutSet]:
    asn = render_x12_set(templates, "x12/856.j2", {"shipment": notice}, set_id="856", control_number=number,
                         version=VERSION, delimiters=DELIMITERS)
    bill = render_x12_set(templates, "x12/810.j2", {"invoice": invoice}, set_id="810", control_number=number,
                          version=VERSION, delimiters=DELIMITERS)
    return [asn, bill]


def write(out_set: OutSet, number: int) -> str:
    group = OutGroup("SH" if out_set.set_id == "856" else "IN", "ACMEMED", "MERCY", number, VERSION, [out_set])
    return render_interchange(sender=Party("ZZ", "ACMEMED"), receiver=Party("ZZ", "MERCY"), groups=[group],
                              control_number=number, delimiters=DELIMITERS, version="00401", when=WHEN)


def run(templates: TemplateSet, documents: list[tuple[ShipNotice, Invoice]]) -> tuple[float, int]:
    """Render and write every 856 and 810; (seconds, segments)."""
    start = time.perf_counter()
    segments = 0
    for number, (notice, invoice) in enumerate(documents, 1):
        for out_set in render_pair(templates, notice, invoice, number):
            segments += len(out_set.body) + 2
            write(out_set, number)
    return time.perf_counter() - start, segments


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=2)
    parser.add_argument("--cartons", type=int, default=3)
    parser.add_argument("--items", type=int, default=5, help="item lines per shipment")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true", help="validate every rendered set first (not timed)")
    args = parser.parse_args()
    if not 1 <= args.orders <= args.cartons:
        parser.error("need 1 <= --orders <= --cartons (every order has a carton)")
    if args.items < args.cartons:
        parser.error("need --items >= --cartons (every carton holds something)")
    built = time.perf_counter()
    documents = []
    for number in range(1, args.shipments + 1):
        notice = make_shipment(number, args.orders, args.cartons, args.items)
        documents.append((notice, make_invoice(notice, number)))
    built = time.perf_counter() - built
    templates = TemplateLibrary(MAPPINGS, auto_reload=False).for_partner(None)
    if args.check:
        for number, (notice, invoice) in enumerate(documents, 1):
            for out_set in render_pair(templates, notice, invoice, number):
                errors = check_out_set(out_set, VERSION, DELIMITERS)
                if errors:
                    raise AssertionError(f"{out_set.set_id} of shipment {number} is invalid: {errors[0]}")
    seconds, segments = min(run(templates, documents) for _ in range(args.repeat))
    docs = 2 * args.shipments
    docs_per_second = docs / seconds
    verdict = "met" if docs_per_second >= DOCS_PER_SECOND_TARGET else "MISSED"
    print(f"built {args.shipments} shipments + invoices ({args.orders} orders, {args.cartons} cartons, "
          f"{args.items} item lines each) in {built:.1f} s (not timed)")
    print(f"render + write: {docs} documents (856 + 810), {segments} segments, best of {args.repeat}: "
          f"{seconds:.3f} s")
    print(f"  {segments / seconds:,.0f} segments/s, {docs_per_second:,.0f} docs/s "
          f"(target {DOCS_PER_SECOND_TARGET:,} docs/s: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
