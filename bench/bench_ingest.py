"""End-to-end ingest benchmark: one interchange of N purchase orders into SQLite.

Parse + envelope validation + syntax validation + mapping + booking + ledger rows +
997, timed in-process around ``Gateway.ingest`` on a fresh working directory, best of
``--repeat`` runs (each on a fresh directory). Prints POs/s and MB/s.

    python3 bench/bench_ingest.py [--pos 2000] [--lines 20] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_x12 import write_850_interchange  # noqa: E402
from sqlmodel import Session  # noqa: E402

from erp_core.services import orders as erp_orders  # noqa: E402
from erp_core.services import partners as erp_partners  # noqa: E402
from gateway.app import Gateway  # noqa: E402
from gateway.context import Context  # noqa: E402
from gateway.settings import default_config_text, load_settings  # noqa: E402


def fresh_gateway(root: Path) -> Gateway:
    root.mkdir(parents=True)
    (root / "config.yaml").write_text(default_config_text("ZZ:EDIPULSE"))
    ctx = Context.open(load_settings(root / "config.yaml"))
    with Session(ctx.engine) as session:
        erp_partners.add_partner(session, "acme", name="Acme Medical", x12_ids=[("ZZ", "ACMEMED")])
        session.commit()
    return Gateway(ctx)


def run_once(source: Path, pos: int, profile: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        gateway = fresh_gateway(Path(tmp) / "gw")
        profiler = cProfile.Profile() if profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        report = gateway.ingest([source])
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - start
        assert report.processed and not report.processed[0].errors, report.processed
        assert len(report.delivered) == 1, "one 997 expected"
        with Session(gateway.ctx.engine) as session:
            booked = len(erp_orders.list_orders(session, limit=pos + 1))
        assert booked == pos, f"only {booked} of {pos} orders were booked"
        gateway.ctx.close()
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "load.x12"
        with open(source, "w", encoding="ascii", newline="") as fh:
            write_850_interchange(fh, pos=args.pos, lines=args.lines, version="004010", sender="ACMEMED",
                                  receiver="EDIPULSE", isa13=1)
        size_mb = source.stat().st_size / 1e6
        best = min(run_once(source, args.pos, args.profile) for _ in range(args.repeat))
    print(f"ingest {args.pos} POs x {args.lines} lines ({size_mb:.2f} MB) into SQLite: best {best:.3f} s")
    print(f"  {args.pos / best:,.0f} POs/s   {size_mb / best:.1f} MB/s   (target >= 3,000 POs/s)")


if __name__ == "__main__":
    main()
