"""SIGKILL trials of ``edipulse run`` fed by a real sshd, its inbox and an AS2 peer; prints the counts per source.

    python bench/crash_trials.py [--chains 2] [--trials 40] [--min-delay 1.2] [--max-delay 2.0] [--no-as2]

Needs root and /usr/sbin/sshd (like the SFTP tests). Exit status 1 when any check failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS.parent))

from as2_fixtures import free_port  # noqa: E402
from crash_as2 import As2Peer, add_as2, make_keys  # noqa: E402
from crash_chain import SOURCES, ChainResult, make_site, make_template, run_chain  # noqa: E402
from sshd import keygen, start_sshd  # noqa: E402


def _report(results: list[ChainResult], chains: int, elapsed: float) -> None:
    total = {name: sum(getattr(r, name) for r in results)
             for name in ("trials", "files", "taken_by_victims", "finished_before_kill")}
    print(f"SIGKILL trials: {total['trials']} on {chains} sites in {elapsed:.1f} s; interchanges sent: "
          f"{total['files']}; received by killed runs: {total['taken_by_victims']}; runs that ended before the "
          f"kill: {total['finished_before_kill']}")
    modes = sum((r.kill_modes for r in results), Counter())
    print("kills aimed by: " + ", ".join(f"{mode} {count}" for mode, count in sorted(modes.items())))
    print(f"{'source':<8}{'sent':>8}{'confirmed':>11}{'dup seen':>10}{'booked':>8}{'violations':>12}")
    for source in SOURCES:
        counts = [r.sources[source] for r in results]
        row = [sum(getattr(c, name) for c in counts) for name in ("sent", "confirmed", "duplicates", "booked",
                                                                   "violations")]
        print(f"{source:<8}{row[0]:>8}{row[1]:>11}{row[2]:>10}{row[3]:>8}{row[4]:>12}")
    print("  sent: interchanges; confirmed: sftp deleted at the server / inbox taken / AS2 positive MDN; "
          "dup seen: sftp re-fetches, inbox files received twice, AS2 duplicate-document MDNs; booked: POs")
    as2 = [r.as2 for r in results if r.as2 is not None]
    if as2:
        print(f"AS2: {sum(c.posts for c in as2)} POSTs for {sum(c.sent for c in as2)} messages, "
              f"{sum(c.cut for c in as2)} of them cut by a kill before the MDN; payloads stored "
              f"twice (kill between the intake's commits): {sum(c.stored_twice for c in as2)}; negative MDNs: "
              f"{sum(c.negative for c in as2)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=2, help="sites killed side by side")
    parser.add_argument("--trials", type=int, default=40, help="SIGKILLs per site")
    parser.add_argument("--min-delay", type=float, default=1.2, help="CPU seconds before the kill")
    parser.add_argument("--max-delay", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-as2", action="store_true", help="SFTP and inbox only, no AS2 peer")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="edipulse-crash-") as temp:
        root = Path(temp)
        (root / "sshd").mkdir()
        host, client = keygen(root, "host"), keygen(root, "client")
        server = start_sshd(root / "sshd", host, [client])
        try:
            template = make_template(root / "template")
            known = server.known_hosts(root / "known_hosts")
            keys = make_keys(root / "pki")
            sites = [make_site(template, root / f"site{i}", server.port, client.private, known)
                     for i in range(args.chains)]
            peers = [None if args.no_as2 else As2Peer(keys, add_as2(site, keys, free_port())) for site in sites]
            began = time.monotonic()
            with ThreadPoolExecutor(args.chains) as pool:
                results = list(pool.map(lambda i: run_chain(sites[i], args.trials, args.seed * 1000 + i,
                                                            (args.min_delay, args.max_delay), peers[i]),
                                        range(args.chains)))
            elapsed = time.monotonic() - began
        finally:
            server.stop()
    _report(results, args.chains, elapsed)
    violations = [v for r in results for v in r.violations]
    print(f"violations: {len(violations)}")
    for violation in violations[:20]:
        print(f"  {violation}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
