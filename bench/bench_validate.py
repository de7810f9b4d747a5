"""Validation benchmark: edi.x12.validate.validate_set on generated 850s.

Generates (with gen_x12) one interchange of ``--pos`` 850s x ``--lines`` lines in a
temp dir, reads it into memory with edi.x12.reader.read_events (not timed), then
validates every set ``--repeat`` times and prints segments/s and POs/s of the best
run. ``--detailed`` also times the detailed (always field-by-field) path that the
fast path falls back to, for comparison.

The gateway's budget: 3,000 POs/s of 20 lines end to end (parse + validate + map +
book), so validation alone should stay at or above 1M segments/s.

    python bench/bench_validate.py [--pos 2000] [--lines 20] [--repeat 5] [--version 004010] [--detailed]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_x12 import write_850_interchange  # noqa: E402

from edi.errors import EdiError  # noqa: E402
from edi.x12.model import TransactionSet  # noqa: E402
from edi.x12.reader import read_events  # noqa: E402
from edi.x12.schema import SetSchema, load_schema  # noqa: E402
from edi.x12.validate import validate_set, validate_set_detailed  # noqa: E402

SEGMENTS_PER_SECOND_TARGET = 1_000_000

Validator = Callable[[TransactionSet, SetSchema], list[EdiError]]


def load_sets(pos: int, lines: int, version: str) -> list[TransactionSet]:
    """Generate the interchange and read its transaction sets into memory."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.x12"
        with open(path, "w", encoding="ascii", newline="") as handle:
            write_850_interchange(handle, pos, lines, version, "ACMEMED", "EDIPULSE", 1)
        return [event for event in read_events(path) if isinstance(event, TransactionSet)]


def best_time(validator: Validator, sets: list[TransactionSet], schema: SetSchema, repeat: int) -> float:
    """Best wall time of ``repeat`` runs over every set; fails loudly on any error."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for tx in sets:
            errors = validator(tx, schema)
            if errors:
                raise AssertionError(f"generated set {tx.control_number} is invalid: {errors[0]}")
        timings.append(time.perf_counter() - start)
    return min(timings)


def report(label: str, elapsed: float, sets: int, segments: int) -> None:
    rate = segments / elapsed
    verdict = "ok" if rate >= SEGMENTS_PER_SECOND_TARGET else "MISSED"
    print(f"  {label:<22} best {elapsed:.3f} s   {rate:12,.0f} segments/s   {sets / elapsed:10,.0f} POs/s"
          f"   (target >= {SEGMENTS_PER_SECOND_TARGET:,} segments/s: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--version", choices=["004010", "005010"], default="004010")
    parser.add_argument("--detailed", action="store_true", help="also time the detailed path")
    args = parser.parse_args()
    sets = load_sets(args.pos, args.lines, args.version)
    schema = load_schema("850", args.version)
    if schema is None:
        raise SystemExit(f"no 850 schema for {args.version}")
    segments = sum(len(tx.segments) for tx in sets)
    print(f"{len(sets)} POs x {args.lines} lines ({segments:,} segments, {args.version}), best of {args.repeat}")
    report("validate_set", best_time(validate_set, sets, schema, args.repeat), len(sets), segments)
    if args.detailed:
        report("validate_set_detailed", best_time(validate_set_detailed, sets, schema, args.repeat),
               len(sets), segments)


if __name__ == "__main__":
    main()
