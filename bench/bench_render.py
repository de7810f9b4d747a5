"""Rendering benchmark: 855 purchase-order acknowledgements from the default template.

Builds ``--docs`` canonical acknowledgements of ``--lines`` lines each (not timed),
then renders each with edi.render.render_x12_set over the shipped
``mappings/templates/x12/855.j2`` ``--repeat`` times and prints segments/s and docs/s
of the best run. ``--write`` also times turning every set into interchange text with
the writer (render + write, what the gateway does per document); ``--check``
additionally validates every rendered set against the 855 schema.

The ship notice / invoice target that reuses this path is 1,000 documents/s.

    python bench/bench_render.py [--docs 2000] [--lines 20] [--repeat 5] [--write] [--check]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edi.canonical.order import Party as CanonicalParty  # noqa: E402
from edi.canonical.order_ack import AckLine, OrderAcknowledgement  # noqa: E402
from edi.render import TemplateLibrary, TemplateSet, check_out_set, render_x12_set  # noqa: E402
from edi.x12.model import Delimiters  # noqa: E402
from edi.x12.writer import OutGroup, OutSet, Party, render_interchange  # noqa: E402

DOCS_PER_SECOND_TARGET = 1_000
MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
DELIMITERS = Delimiters(element="*", component=":", segment="~", repetition="^", suffix="\n")
STATUSES = ("accept", "accept_changed", "backorder", "date_changed", "quantity_changed", "price_changed", "accept")


def make_acks(docs: int, lines: int) -> list[OrderAcknowledgement]:
    """Acknowledgements with every line status, parties and descriptions: a realistic 855."""
    buyer = CanonicalParty(name="Mercy General Hospital", id="MGH-001", address1="1200 Meridian Street",
                           city="Indianapolis", state="IN", postal_code="46202", country="US")
    seller = CanonicalParty(name="Acme Medical Devices Inc.", id="ACME")
    acks = []
    for doc in range(docs):
        ack_lines = [
            AckLine(line_no=str(n), buyer_part=f"MH-{doc:05d}-{n}", vendor_part=f"ACM-{n:04d}",
                    gtin=f"1088540{n:07d}", description=f"Catheter size {n}, sterile",
                    ordered_quantity=Decimal(10 + n), uom="EA", unit_price=Decimal("12.50"),
                    status=STATUSES[n % len(STATUSES)], scheduled_quantity=Decimal(8 + n),
                    scheduled_date=dt.date(2024, 4, 1) + dt.timedelta(days=n))
            for n in range(1, lines + 1)
        ]
        acks.append(OrderAcknowledgement(po_number=f"PO{doc:08d}", po_date=dt.date(2024, 3, 15),
                                         ack_date=dt.date(2024, 3, 16), ack_type="accept_with_changes",
                                         reference=f"SO{doc:07d}", currency="USD", buyer=buyer, seller=seller,
                                         lines=ack_lines))
    return acks


def render_all(templates: TemplateSet, acks: list[OrderAcknowledgement], write: bool) -> tuple[float, int]:
    """Render every acknowledgement (and write it when asked); (seconds, segments)."""
    start = time.perf_counter()
    segments = 0
    for number, ack in enumerate(acks, 1):
        out_set = render_x12_set(templates, "x12/855.j2", {"ack": ack}, set_id="855", control_number=number,
                                 version="004010", delimiters=DELIMITERS)
        segments += len(out_set.body) + 2
        if write:
            write_interchange(out_set, number)
    return time.perf_counter() - start, segments


def write_interchange(out_set: OutSet, number: int) -> str:
    group = OutGroup("PR", "ACMEMED", "MERCY", number, "004010", [out_set])
    return render_interchange(sender=Party("ZZ", "ACMEMED"), receiver=Party("ZZ", "MERCY"), groups=[group],
                              control_number=number, delimiters=DELIMITERS, version="00501",
                              when=dt.datetime(2024, 3, 16, 10, 15))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="also write each set as interchange text")
    parser.add_argument("--check", action="store_true", help="validate every rendered set (not timed)")
    args = parser.parse_args()
    acks = make_acks(args.docs, args.lines)
    templates = TemplateLibrary(MAPPINGS, auto_reload=False).for_partner(None)
    if args.check:
        for number, ack in enumerate(acks, 1):
            out_set = render_x12_set(templates, "x12/855.j2", {"ack": ack}, set_id="855", control_number=number,
                                     version="004010", delimiters=DELIMITERS)
            errors = check_out_set(out_set, "004010", DELIMITERS)
            if errors:
                raise AssertionError(f"rendered 855 for {ack.po_number} is invalid: {errors[0]}")
    runs = [render_all(templates, acks, args.write) for _ in range(args.repeat)]
    seconds, segments = min(runs)
    docs_per_second = args.docs / seconds
    verdict = "met" if docs_per_second >= DOCS_PER_SECOND_TARGET else "MISSED"
    what = "render + write" if args.write else "render"
    print(f"{what}: {args.docs} x 855 of {args.lines} lines, {segments} segments, best of {args.repeat}: "
          f"{seconds:.3f} s")
    print(f"  {segments / seconds:,.0f} segments/s, {docs_per_second:,.0f} docs/s "
          f"(target {DOCS_PER_SECOND_TARGET:,} docs/s: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
