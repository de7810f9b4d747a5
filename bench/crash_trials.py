"""SIGKILL trials of ``edipulse run`` against a real sshd, longer than the test suite's; prints the counts.

    python bench/crash_trials.py [--chains 3] [--trials 40] [--min-delay 0.3] [--max-delay 1.6]

Needs root and /usr/sbin/sshd (like the SFTP tests). Exit status 1 when any check failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent))

from crash_chain import make_site, make_template, run_chain  # noqa: E402
from sshd import keygen, start_sshd  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=2, help="sites killed side by side")
    parser.add_argument("--trials", type=int, default=40, help="SIGKILLs per site")
    parser.add_argument("--min-delay", type=float, default=1.2, help="CPU seconds before the kill")
    parser.add_argument("--max-delay", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="edipulse-crash-") as temp:
        root = Path(temp)
        (root / "sshd").mkdir()
        host, client = keygen(root, "host"), keygen(root, "client")
        server = start_sshd(root / "sshd", host, [client])
        try:
            template = make_template(root / "template")
            known = server.known_hosts(root / "known_hosts")
            sites = [make_site(template, root / f"site{i}", server.port, client.private, known)
                     for i in range(args.chains)]
            began = time.monotonic()
            with ThreadPoolExecutor(args.chains) as pool:
                results = list(pool.map(lambda i: run_chain(sites[i], args.trials, args.seed * 1000 + i,
                                                            (args.min_delay, args.max_delay)), range(args.chains)))
            elapsed = time.monotonic() - began
        finally:
            server.stop()
    total = {name: sum(getattr(r, name) for r in results)
             for name in ("trials", "files", "taken_by_victims", "duplicates", "inbox_reread", "finished_before_kill")}
    violations = [v for r in results for v in r.violations]
    print(f"SIGKILL trials: {total['trials']} on {args.chains} sites in {elapsed:.1f} s")
    print(f"source files: {total['files']} (sftp + inbox); received by killed runs: {total['taken_by_victims']}")
    print(f"sftp re-fetches recognised as duplicates: {total['duplicates']}; "
          f"inbox files received twice: {total['inbox_reread']}; runs that ended before the kill: "
          f"{total['finished_before_kill']}")
    print(f"violations: {len(violations)}")
    for violation in violations[:20]:
        print(f"  {violation}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
