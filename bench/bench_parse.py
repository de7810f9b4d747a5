"""Parse benchmark: edi.x12.reader.read_events against pyx12 4.0.0 on the same file.

Generates (with gen_x12) one interchange of 2000 850s x 20 lines in a temp dir and
prints MB/s, best of ``--repeat``, for:
  - read_events (parse + envelope validation, every event consumed),
  - pyx12 RawX12File (segment splitting only),
  - pyx12 X12Reader (segments + its envelope counting).
With ``--big`` it also writes a ``--big-size`` (default 1 GiB) interchange and parses
it in a child process, printing MB/s and the child's peak RSS (target < 250 MB).

    python bench/bench_parse.py [--pos 2000] [--lines 20] [--repeat 3] [--big] [--big-size 1G]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_x12 import parse_size, write_850_interchange, write_850_to_size  # noqa: E402
from pyx12.rawx12file import RawX12File  # noqa: E402
from pyx12.x12file import X12Reader  # noqa: E402

from edi.x12.model import FileError, GroupEnd, InterchangeEnd, TransactionSet  # noqa: E402
from edi.x12.reader import read_events  # noqa: E402

RSS_TARGET_MB = 250
SPEED_TARGET_MBS = 30


def consume_events(path: Path) -> int:
    """Read every event; fail loudly if the generated file is not envelope-clean."""
    sets = 0
    for event in read_events(path):
        if isinstance(event, FileError):
            raise AssertionError(f"unexpected {event.error}")
        if isinstance(event, TransactionSet | GroupEnd | InterchangeEnd) and event.errors:
            raise AssertionError(f"unexpected {event.errors[0]}")
        sets += isinstance(event, TransactionSet)
    return sets


def consume_pyx12_raw(path: Path) -> int:
    with open(path, encoding="ascii", newline="") as handle:
        return sum(1 for _ in RawX12File(handle))


def consume_pyx12_reader(path: Path) -> int:
    with X12Reader(str(path)) as reader:
        return sum(1 for _ in reader)


def best_rate(label: str, func: Callable[[Path], int], path: Path, repeat: int) -> float:
    size_mb = path.stat().st_size / 1e6
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        count = func(path)
        timings.append(time.perf_counter() - start)
    rate = size_mb / min(timings)
    print(f"  {label:<34} {rate:7.1f} MB/s   best {min(timings):.3f} s   ({count} items)")
    return rate


def run_small(tmp: Path, pos: int, lines: int, repeat: int) -> None:
    path = tmp / "small.x12"
    with open(path, "w", encoding="ascii", newline="") as handle:
        write_850_interchange(handle, pos, lines, "004010", "ACMEMED", "EDIPULSE", 1)
    print(f"{pos} POs x {lines} lines: {path.stat().st_size / 1e6:.2f} MB, best of {repeat}")
    ours = best_rate("edi.x12.reader.read_events", consume_events, path, repeat)
    raw = best_rate("pyx12 RawX12File", consume_pyx12_raw, path, repeat)
    full = best_rate("pyx12 X12Reader", consume_pyx12_reader, path, repeat)
    print(f"  read_events vs X12Reader: {ours / full:.1f}x   vs RawX12File: {ours / raw:.2f}x   "
          f"(target >= {SPEED_TARGET_MBS} MB/s: {'ok' if ours >= SPEED_TARGET_MBS else 'MISSED'})")


def run_big(tmp: Path, size: int, lines: int) -> None:
    path = tmp / "big.x12"
    start = time.perf_counter()
    with open(path, "w", encoding="ascii", newline="") as handle:
        pos = write_850_to_size(handle, size, lines, "004010", "ACMEMED", "EDIPULSE", 1)
    size_mb = path.stat().st_size / 1e6
    print(f"big file: {pos} POs, {size_mb:.0f} MB, generated in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True,
                           capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    print(f"  read_events in a child process: {size_mb / elapsed:.1f} MB/s ({elapsed:.1f} s, {child.stdout.strip()})")
    print(f"  peak RSS of the child: {peak_mb:.0f} MB "
          f"(target < {RSS_TARGET_MB} MB: {'ok' if peak_mb < RSS_TARGET_MB else 'MISSED'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pos", type=int, default=2000)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also parse a large file in a child process")
    parser.add_argument("--big-size", type=parse_size, default=parse_size("1G"))
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # internal: parse one file and exit
    args = parser.parse_args()
    if args.child:
        print(f"{consume_events(args.child)} sets")
        return
    with tempfile.TemporaryDirectory() as tmp:
        run_small(Path(tmp), args.pos, args.lines, args.repeat)
        if args.big:
            run_big(Path(tmp), args.big_size, args.lines)


if __name__ == "__main__":
    main()
