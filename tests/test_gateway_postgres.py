"""Several gateway workers sharing one PostgreSQL database and one inbox.

Real PostgreSQL on 127.0.0.1:5432 (`.ci/run` starts it); each test gets a fresh database
(``erp_fixtures.postgres_database``: a missing server fails under CI, skips elsewhere).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from erp_fixtures import postgres_database
from support import DATA, interchange_copy

PO_4010 = DATA / "gateway" / "acme-850-4010.x12"
EXE = Path(sys.executable).with_name("edipulse")

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def _site(tmp_path: Path, url: str) -> tuple[Path, dict[str, str]]:
    if not EXE.exists():
        pytest.skip("edipulse console script not installed next to this interpreter")
    root = tmp_path / "site"
    env = {**os.environ, "EDIPULSE_TEST_DB": url, "EDIPULSE_CONFIG": str(root / "config.yaml")}
    subprocess.run([str(EXE), "init", str(root)], env=env, check=True, capture_output=True, timeout=120)
    config = root / "config.yaml"
    text_ = config.read_text().replace("# url_env: EDIPULSE_DATABASE_URL", "url_env: EDIPULSE_TEST_DB")
    config.write_text(text_.replace("settle_seconds: 1", "settle_seconds: 0"))
    for leftover in (root / "data").glob("edipulse.db*"):  # init made the SQLite default; not used here
        leftover.unlink()
    return root, env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def test_gateway_runs_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    root, env = _site(tmp_path, pg_url)
    assert _run(env, "partners", "add", "acme", "--x12", "ZZ:ACMEMED").returncode == 0
    (root / "inbox" / "po.x12").write_bytes(PO_4010.read_bytes())
    done = _run(env, "run", "--once")
    assert done.returncode == 0, done.stderr
    orders = json.loads(_run(env, "orders", "--json").stdout)
    assert sorted(o["po_number"] for o in orders) == ["4500012345", "4500012346"]
    assert not (root / "data" / "edipulse.db").exists(), "the SQLite default must not be used"


def test_two_workers_share_the_inbox_without_double_booking(tmp_path: Path, pg_url: str) -> None:
    root, env = _site(tmp_path, pg_url)
    assert _run(env, "partners", "add", "acme", "--x12", "ZZ:ACMEMED").returncode == 0
    distinct = 24
    for n in range(distinct):
        (root / "inbox" / f"po-{n:02d}.x12").write_text(interchange_copy(1000 + n, 7_000_000_000 + 10 * n))
    for n in range(6):  # resubmissions of interchanges already in the inbox
        (root / "inbox" / f"again-{n}.x12").write_text(interchange_copy(1000 + n, 7_000_000_000 + 10 * n))
    workers = [subprocess.Popen([str(EXE), "run", "--once"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err

    orders = json.loads(_run(env, "orders", "--limit", "1000", "--json").stdout)
    po_numbers = [o["po_number"] for o in orders]
    assert len(po_numbers) == 2 * distinct and len(set(po_numbers)) == 2 * distinct
    files = json.loads(_run(env, "messages", "--kind", "file", "--limit", "1000", "--json").stdout)
    assert len(files) == distinct + 6, "every file was received exactly once"
    interchanges = json.loads(_run(env, "messages", "--kind", "interchange", "--limit", "1000", "--json").stdout)
    statuses = sorted(m["status"] for m in interchanges)
    assert statuses.count("acknowledged") == distinct and statuses.count("duplicate") == 6
    acks = sorted((root / "outbox" / "acme").glob("*.x12"))
    numbers = sorted(int(p.read_text().split("~")[0].split("*")[13]) for p in acks)
    assert numbers == list(range(1, distinct + 1)), "ISA13 of our acks: unique and gap-free"
    assert list((root / "inbox").iterdir()) == []
