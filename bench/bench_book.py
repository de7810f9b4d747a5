"""Booking benchmark: erp_core input construction and ``book_orders`` on SQLite and PostgreSQL.

Builds ``--pos`` purchase orders of ``--lines`` lines the way the gateway does (one
``OrderLineInput`` per line from keyword arguments, then ``OrderInput``) and, for
comparison, with one ``OrderInput.model_validate`` per order over plain dicts; times
both, then times ``book_orders`` + commit into a fresh, migrated database per run: a
SQLite file, and a throwaway PostgreSQL database on 127.0.0.1:5432 (skipped when
unreachable). Prints POs/s of the best of ``--repeat`` runs of each. Every timed
phase starts after a full garbage collection; ``--gc-freeze`` also freezes what is
alive then (see ``_settle_gc``).

The gateway's budget: 3,000 POs/s of 20 lines end to end (parse + validate + map +
book), so input construction plus booking must stay well under a third of a second
for 2,000 such POs.

    python3 bench/bench_book.py [--pos 2000] [--lines 20] [--repeat 3] [--no-postgres] [--profile sqlite]
                                [--gc-freeze]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from gen_x12 import CATALOGUE  # noqa: E402
from psycopg import sql  # noqa: E402
from sqlmodel import Session  # noqa: E402

from erp_core.db import make_engine, upgrade  # noqa: E402
from erp_core.inputs import OrderInput, OrderLineInput, PartyInput  # noqa: E402
from erp_core.services import items, partners  # noqa: E402
from erp_core.services.booking import book_orders  # noqa: E402

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

# The device catalogue of the X12 generator. The first two items exist in the database (one
# through a cross-reference, one by vendor part), the third by GTIN only.
_CATALOGUE = CATALOGUE


_SHIP_TO = {"name": "ACME MEDICAL DC WEST", "id_code": "DC-WEST", "address1": "1200 INNOVATION WAY",
            "address2": "BLDG 4", "city": "SAN DIEGO", "state": "CA", "postal_code": "92121", "country": "US"}
_BILL_TO = {"name": "ACME MEDICAL INC", "id_code": "ACME-AP", "address1": "PO BOX 5500", "city": "MINNEAPOLIS",
            "state": "MN", "postal_code": "55440", "country": "US"}


def _line_fields(n: int, line: int) -> dict[str, object]:
    part, vendor, gtin, description, price = _CATALOGUE[(n + line) % len(_CATALOGUE)]
    return {"buyer_line_ref": str(line), "buyer_part": part, "vendor_part": vendor, "gtin": gtin,
            "description": description, "quantity": Decimal(10 * (1 + (n * 7 + line * 3) % 50)), "uom": "EA",
            "unit_price": Decimal(price), "requested_date": date(2026, 12, 15)}


def _order_fields(n: int) -> dict[str, object]:
    return {"partner_id": "acme", "po_number": str(4_501_000_000 + n), "order_date": date(2026, 11, 20),
            "purpose": "original", "currency": "USD", "source_ref": f"isa:ZZ:ACMEMED:000000001/gs:1/st:{n:04d}"}


def build_inputs(pos: int, lines: int) -> list[OrderInput]:
    """``pos`` orders built like gateway.inbound.booking.to_order_input builds them."""
    return [
        OrderInput(
            **_order_fields(n),  # type: ignore[arg-type]
            ship_to=PartyInput(**_SHIP_TO), bill_to=PartyInput(**_BILL_TO),
            lines=tuple(OrderLineInput(**_line_fields(n, line)) for line in range(1, lines + 1)),  # type: ignore[arg-type]
        )
        for n in range(1, pos + 1)
    ]


def build_inputs_from_dicts(pos: int, lines: int) -> list[OrderInput]:
    """The same orders, each validated by one ``model_validate`` call over plain dicts."""
    return [
        OrderInput.model_validate({
            **_order_fields(n), "ship_to": _SHIP_TO, "bill_to": _BILL_TO,
            "lines": [_line_fields(n, line) for line in range(1, lines + 1)],
        })
        for n in range(1, pos + 1)
    ]


def _seed(session: Session) -> None:
    partners.add_partner(session, "acme", name="Acme Medical", x12_ids=[("ZZ", "ACMEMED")])
    for number, (_part, vendor, gtin, description, _price) in enumerate(_CATALOGUE[:3]):
        items.add_item(session, vendor if number < 2 else f"OUR-{number}", description=description, gtin=gtin)
    items.add_xref(session, "acme", _CATALOGUE[0][0], _CATALOGUE[0][1])
    session.commit()


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'erp.db'}"


@contextmanager
def postgres_url() -> Iterator[str]:
    name = f"erp_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


UrlFactory = Callable[[], AbstractContextManager[str]]


def time_build(build: Callable[[int, int], list[OrderInput]], pos: int, lines: int) -> tuple[float, list[OrderInput]]:
    """Seconds to build the inputs, and the inputs."""
    _settle_gc(False)
    start = time.perf_counter()
    orders = build(pos, lines)
    return time.perf_counter() - start, orders


def time_booking(url_factory: UrlFactory, orders: list[OrderInput], profile: bool, freeze: bool) -> float:
    """Seconds for book_orders + commit into a fresh migrated database."""
    with url_factory() as url:
        engine = make_engine(url)
        try:
            upgrade(engine)
            with Session(engine) as session:
                _seed(session)
                _settle_gc(freeze)
                profiler = cProfile.Profile() if profile else None
                start = time.perf_counter()
                if profiler:
                    profiler.enable()
                results = book_orders(session, orders)
                session.commit()
                if profiler:
                    profiler.disable()
                elapsed = time.perf_counter() - start
                gc.unfreeze()
            assert sum(r.status == "booked" for r in results) == len(orders), "every order must be booked"
            if profiler:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            return elapsed
        finally:
            engine.dispose()


def _settle_gc(freeze: bool) -> None:
    """Start a timed phase without garbage from earlier phases; optionally exempt what lives now.

    ``gc.freeze()`` is what a long-running gateway can do after start-up: objects that
    live on (the input orders here) are then never rescanned by full collections.
    """
    gc.collect()
    if freeze:
        gc.freeze()


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_DSN):
            return True
    except psycopg.OperationalError:
        return False


def _report(what: str, pos: int, lines: int, seconds: float) -> None:
    print(f"{what:<28} {seconds:7.3f} s   {pos / seconds:>9,.0f} POs/s   {pos * lines / seconds:>11,.0f} lines/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--profile", choices=("inputs", "sqlite", "postgresql"))
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() before each timed booking")
    args = parser.parse_args()
    print(f"{args.pos} POs x {args.lines} lines, best of {args.repeat}")
    build = min(time_build(build_inputs, args.pos, args.lines)[0] for _ in range(args.repeat))
    _report("build OrderInput", args.pos, args.lines, build)
    from_dicts = min(time_build(build_inputs_from_dicts, args.pos, args.lines)[0] for _ in range(args.repeat))
    _report("  ... from dicts", args.pos, args.lines, from_dicts)
    if args.profile == "inputs":
        cProfile.runctx("build_inputs(args.pos, args.lines)", globals(), {"args": args}, sort="tottime")
    orders = build_inputs(args.pos, args.lines)
    for name, factory in _backends(args.no_postgres):
        best = min(time_booking(factory, orders, args.profile == name, args.gc_freeze) for _ in range(args.repeat))
        _report(f"book_orders on {name}", args.pos, args.lines, best)
        _report(f"  build + book on {name}", args.pos, args.lines, build + best)


def _backends(no_postgres: bool) -> list[tuple[str, UrlFactory]]:
    backends: list[tuple[str, UrlFactory]] = [("sqlite", sqlite_url)]
    if no_postgres:
        return backends
    if postgres_reachable():
        backends.append(("postgresql", postgres_url))
    else:
        print("PostgreSQL at 127.0.0.1:5432 is not reachable: skipped")
    return backends


if __name__ == "__main__":
    main()
