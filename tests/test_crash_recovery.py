"""Kill the gateway (SIGKILL) at random moments while it works through its inbox, restart it,
and check that every order is booked exactly once and every interchange answered exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import interchange_copy

EXE = Path(sys.executable).with_name("edipulse")
FILES = 16
TRIALS = 5


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_sigkill_then_restart_loses_nothing_and_doubles_nothing(tmp_path: Path, trial: int) -> None:
    if not EXE.exists():
        pytest.skip("edipulse console script not installed next to this interpreter")
    root = tmp_path / "site"
    env = {**os.environ, "EDIPULSE_CONFIG": str(root / "config.yaml")}
    assert _run(env, "init", str(root)).returncode == 0
    config = root / "config.yaml"
    config.write_text(config.read_text().replace("settle_seconds: 1", "settle_seconds: 0"))
    assert _run(env, "partners", "add", "acme", "--x12", "ZZ:ACMEMED").returncode == 0
    for n in range(FILES):
        (root / "inbox" / f"po-{n:02d}.x12").write_text(interchange_copy(500 + n, 8_000_000_000 + 10 * n))

    rng = random.Random(trial)
    victim = subprocess.Popen([str(EXE), "run", "--once"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.4, 2.5))
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)

    again = _run(env, "run", "--once")
    assert again.returncode == 0, again.stderr

    orders = json.loads(_run(env, "orders", "--limit", "1000", "--json").stdout)
    numbers = [o["po_number"] for o in orders]
    assert len(numbers) == 2 * FILES and len(set(numbers)) == 2 * FILES, "each PO booked exactly once"
    interchanges = json.loads(_run(env, "messages", "--kind", "interchange", "--limit", "1000", "--json").stdout)
    acknowledged = [m for m in interchanges if m["status"] == "acknowledged"]
    assert sorted(m["isa13"] for m in acknowledged) == [f"{500 + n:09d}" for n in range(FILES)]
    assert {m["status"] for m in interchanges} <= {"acknowledged", "duplicate"}
    acks = sorted((root / "outbox" / "acme").glob("*.x12"))
    assert len(acks) == FILES, "one acknowledgement per interchange, none twice"
    pending = json.loads(_run(env, "messages", "--kind", "ack", "--status", "pending", "--json").stdout)
    assert pending == []
    assert [p for p in (root / "inbox").rglob("*") if p.is_file()] == [], "nothing left behind in the inbox"
