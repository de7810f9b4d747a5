"""SIGKILL the real ``edipulse run`` at random moments while it takes files from a real sshd, its inbox and AS2.

Two sites run their chains of kill-and-restart trials side by side (one sshd for all,
one AS2 peer per site posting signed and encrypted 850s to the site's ``/as2``); see
``crash_chain`` and ``crash_as2`` for what is checked after every kill and at the end.
``bench/crash_trials.py`` runs longer chains and prints the counts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from as2_fixtures import free_port
from crash_as2 import As2Peer, add_as2, make_keys
from crash_chain import EXE, make_site, make_template, run_chain
from sshd import SshKeys, SshServer, start_sshd

CHAINS = 2
TRIALS_PER_CHAIN = 25  # 50 SIGKILLs in all
DELAYS = (1.2, 1.9)  # CPU seconds before a "cpu" SIGKILL: late start-up, mid-transfer, mid-booking, idle


@pytest.fixture(scope="module")
def server(ssh_keys: SshKeys) -> Iterator[SshServer]:
    folder = Path(tempfile.mkdtemp(prefix="edipulse-crash-sshd-"))
    running = start_sshd(folder, ssh_keys.host, ssh_keys.authorized)
    yield running
    running.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_sigkill_trials_lose_nothing_and_book_nothing_twice(
        tmp_path: Path, server: SshServer, ssh_keys: SshKeys) -> None:
    if not EXE.exists():
        pytest.skip("edipulse console script not installed next to this interpreter")
    template = make_template(tmp_path / "template")
    known = server.known_hosts(tmp_path / "known_hosts")
    keys = make_keys(tmp_path / "pki")
    sites = [make_site(template, tmp_path / f"site{i}", server.port, ssh_keys.client.private, known)
             for i in range(CHAINS)]
    peers = [As2Peer(keys, add_as2(site, keys, free_port())) for site in sites]
    with ThreadPoolExecutor(CHAINS) as pool:
        results = list(pool.map(lambda i: run_chain(sites[i], TRIALS_PER_CHAIN, seed=i, delays=DELAYS,
                                                    peer=peers[i]), range(CHAINS)))
    as2 = [r.as2 for r in results if r.as2 is not None]
    print(f"{sum(r.trials for r in results)} SIGKILLs; AS2: {sum(c.posts for c in as2)} POSTs, "
          f"{sum(c.cut for c in as2)} cut by a kill, {sum(c.duplicates for c in as2)} duplicate-document MDNs, "
          f"{sum(c.stored_twice for c in as2)} payloads stored twice; sftp re-fetches: "
          f"{sum(r.duplicates for r in results)}; inbox re-reads: {sum(r.inbox_reread for r in results)}")
    violations = [v for r in results for v in r.violations]
    assert violations == []
    assert sum(r.trials for r in results) >= 50
    assert sum(r.files for r in results) == 4 * CHAINS * TRIALS_PER_CHAIN
    assert sum(r.taken_by_victims for r in results) > 0, "the kills must land while files are being taken"
    assert len(as2) == CHAINS and sum(c.confirmed for c in as2) == CHAINS * TRIALS_PER_CHAIN
    assert sum(c.cut for c in as2) > 0, "some kills must land inside an AS2 request (the peer posts again)"
