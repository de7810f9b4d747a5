"""Mapping benchmark: the default 850 mapping applied to pre-parsed transaction sets.

Generates (with gen_x12) one interchange of ``--pos`` 850s x ``--lines`` lines, reads it
once with edi.x12.reader.read_events, and times ``CompiledMapping.apply`` alone over
every set (parsing excluded), best of ``--repeat``. Prints POs/s against the mapping
budget of the gateway (>= 10,000 POs/s leaves room for parse + validate + book at 3,000
POs/s end to end). ``--explain`` times the explain path instead.

The gateway streams: it holds one transaction set at a time and drops each result once
booked. To measure the same thing, each result is checked and dropped at once, and the
pre-parsed input (2000 sets, ~100k segment lists that the gateway never holds together)
is moved out of the garbage collector's view with ``gc.freeze()``; otherwise every full
collection would walk that input and the figure would mostly measure the heap size.
``--no-freeze`` keeps it visible (the pessimistic figure).

    python bench/bench_map.py [--pos 2000] [--lines 20] [--repeat 5] [--explain] [--no-freeze]
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_x12 import write_850_interchange  # noqa: E402

from edi.mapping import CompiledMapping, load_mapping  # noqa: E402
from edi.x12.model import TransactionSet  # noqa: E402
from edi.x12.reader import read_events  # noqa: E402

MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"
TARGET_POS_PER_S = 10_000


def transaction_sets(tmp: Path, pos: int, lines: int) -> list[TransactionSet]:
    """Generate and read the interchange once; the benchmark maps these parsed sets."""
    path = tmp / "bench_map.x12"
    buffer = io.StringIO()
    write_850_interchange(buffer, pos, lines, "004010", "ACMEMED", "EDIPULSE", 1)
    path.write_text(buffer.getvalue(), encoding="ascii", newline="")
    return [e for e in read_events(path) if isinstance(e, TransactionSet)]


def map_all(mapping: CompiledMapping, sets: list[TransactionSet], explain: bool) -> tuple[float, float]:
    """(wall, CPU) seconds to map every set; fails loudly if any set does not map cleanly."""
    start, cpu = time.perf_counter(), time.process_time()
    for tx in sets:
        result = mapping.apply(tx, partner="acme", explain=explain)
        if result.document is None:
            raise AssertionError(f"set {tx.control_number} did not map: {result.errors}")
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="time apply(explain=True)")
    parser.add_argument("--no-freeze", action="store_true", help="leave the parsed input visible to the GC")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = transaction_sets(Path(tmp), args.pos, args.lines)
    mapping = load_mapping(MAPPINGS / "default" / "850.yaml", [MAPPINGS])
    if not args.no_freeze:
        gc.collect()
        gc.freeze()
    timings = [map_all(mapping, sets, args.explain) for _ in range(args.repeat)]
    best = min(wall for wall, _ in timings)
    best_cpu = min(cpu for _, cpu in timings)
    rate = len(sets) / best
    mode = ("explain" if args.explain else "map") + (", input visible to GC" if args.no_freeze else "")
    verdict = "ok" if rate >= TARGET_POS_PER_S else "MISSED"
    print(f"{mode}: {len(sets)} POs x {args.lines} lines, best of {args.repeat}: {best:.3f} s, "
          f"{rate:,.0f} POs/s, {best / len(sets) * 1e6:.1f} us/PO (target >= {TARGET_POS_PER_S:,} POs/s: {verdict}); "
          f"CPU time {best_cpu:.3f} s, {len(sets) / best_cpu:,.0f} POs/s")


if __name__ == "__main__":
    main()
