"""SIGKILL the real ``edipulse run`` at random moments while it takes files from a real sshd and its inbox.

Three sites run their chains of kill-and-restart trials side by side (one sshd for
all); see ``crash_chain`` for what is checked after every kill and at the end.
``bench/crash_trials.py`` runs longer chains and prints the counts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from crash_chain import EXE, make_site, make_template, run_chain
from sshd import SshKeys, SshServer, start_sshd

CHAINS = 2
TRIALS_PER_CHAIN = 25  # 50 SIGKILLs in all
DELAYS = (1.2, 1.9)  # CPU seconds before the SIGKILL: late start-up, mid-transfer, mid-booking, idle


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
    sites = [make_site(template, tmp_path / f"site{i}", server.port, ssh_keys.client.private, known)
             for i in range(CHAINS)]
    with ThreadPoolExecutor(CHAINS) as pool:
        results = list(pool.map(lambda i: run_chain(sites[i], TRIALS_PER_CHAIN, seed=i, delays=DELAYS),
                                range(CHAINS)))
    violations = [v for r in results for v in r.violations]
    assert violations == []
    assert sum(r.trials for r in results) >= 50
    assert sum(r.files for r in results) == 3 * CHAINS * TRIALS_PER_CHAIN
    assert sum(r.taken_by_victims for r in results) > 0, "the kills must land while files are being taken"
