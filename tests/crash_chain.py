"""SIGKILL trials of ``edipulse run`` against a real sshd: one site, a chain of kill-and-restart trials.

Each trial adds one file at the partner's SFTP folder and one in the local inbox,
starts the real console script, kills it (SIGKILL) after a random delay, and checks
what must hold at *any* moment: a file gone from its source has a committed ledger
row, and no purchase order is booked twice. After the chain a clean ``run --once``
finishes the work and the terminal checks run: every source file is in exactly one
terminal state, none lost, nothing booked or answered twice.
Shared by ``tests/test_crash_sftp.py`` and ``bench/crash_trials.py``.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import yaml
from sqlalchemy import create_engine, func, select
from sqlmodel import Session
from support import interchange_copy

from erp_core.models import SalesOrder
from gateway.ledger.models import Message, ReceivedFile, TransferAttempt
from gateway.settings import default_config_text

EXE = Path(sys.executable).with_name("edipulse")
CHANNEL = "acme-sftp"


@dataclass(slots=True)
class ChainResult:
    trials: int = 0
    finished_before_kill: int = 0  # the victim had exited on its own (possible only with a crash of its own)
    files: int = 0
    duplicates: int = 0  # re-fetches after a kill between commit and acknowledge
    inbox_reread: int = 0  # inbox files received twice (claim released after a kill between commit and removal)
    taken_by_victims: int = 0  # received files recorded by killed runs (the rest: by the final clean run)
    violations: list[str] = field(default_factory=list)


def make_template(root: Path) -> Path:
    """A scaffolded working directory with partner acme (built once, copied per site)."""
    env = {**os.environ, "EDIPULSE_CONFIG": str(root / "config.yaml")}
    for args in (["init", str(root), "--x12-id", "ZZ:EDIPULSE"], ["partners", "add", "acme", "--x12", "ZZ:ACMEMED"]):
        done = subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"edipulse {args[0]} failed: {done.stderr}")
    return root


def make_site(template: Path, site: Path, port: int, key: Path, known_hosts: Path) -> Path:
    shutil.copytree(template, site)
    config = site / "config.yaml"
    assert config.read_text() == default_config_text("ZZ:EDIPULSE")
    text = config.read_text().replace("settle_seconds: 1", "settle_seconds: 0").replace("poll_seconds: 5",
                                                                                     "poll_seconds: 0.2")
    partner = site / "partner"
    for sub in ("in", "out"):
        (partner / sub).mkdir(parents=True)
    channel = {"name": CHANNEL, "partner": "acme", "direction": "both", "transport": "sftp",
               "retry": {"attempts": 3, "backoff_seconds": 0.05, "max_backoff_seconds": 0.2},
               "breaker": {"failures": 1000, "cool_off_seconds": 1},
               "sftp": {"host": "127.0.0.1", "port": port, "username": "root", "private_key_file": str(key),
                        "known_hosts_file": str(known_hosts), "inbox_dir": str(partner / "in"),
                        "outbox_dir": str(partner / "out"), "settle_seconds": 0, "connect_timeout": 10}}
    config.write_text(text + yaml.safe_dump({"channels": [channel]}, sort_keys=False))
    return site


class Chain:
    def __init__(self, site: Path, seed: int, delays: tuple[float, float]) -> None:
        """``delays``: the range of CPU seconds the victim may use before it is killed."""
        self.site = site
        self.rng = random.Random(seed)
        self.delays = delays
        self.env = {**os.environ, "EDIPULSE_CONFIG": str(site / "config.yaml")}
        self.remote: dict[str, str] = {}  # name -> sha256
        self.inbox: dict[str, str] = {}
        self.isa13: list[str] = []
        self.result = ChainResult()
        db = site / "data" / "edipulse.db"
        self.engine = create_engine(f"sqlite:///{db}")

    def _add_files(self, n: int) -> None:
        base = 100 + 3 * n
        remote, inbox = (self.site / "partner" / "in", self.remote), (self.site / "inbox", self.inbox)
        for offset, (folder, book) in enumerate((remote, remote, inbox)):
            isa13 = base + offset
            data = interchange_copy(isa13, 6_000_000_000 + 10 * isa13).encode()
            name = f"po-{isa13:05d}.x12"
            temp = folder / f".{name}.part"
            temp.write_bytes(data)
            temp.rename(folder / name)  # a sender that writes under a temporary name
            book[name] = hashlib.sha256(data).hexdigest()
            self.isa13.append(f"{isa13:09d}")

    def trial(self, n: int) -> None:
        self._add_files(n)
        victim = subprocess.Popen([str(EXE), "run"], env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        _wait_cpu(victim, self.rng.uniform(*self.delays))
        if victim.poll() is not None:
            self.result.finished_before_kill += 1
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        self.result.trials += 1
        self._check_safety(f"trial {n}")

    def finish(self) -> ChainResult:
        with Session(self.engine) as session:
            self.result.taken_by_victims = session.execute(select(func.count(ReceivedFile.id))).scalar_one()
        done = subprocess.run([str(EXE), "run", "--once"], env=self.env, capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            self.result.violations.append(f"final run --once exited {done.returncode}: {done.stderr.strip()}")
        self._check_safety("final")
        self._check_terminal()
        self.engine.dispose()
        return self.result

    # -- checks ------------------------------------------------------------------------------------------------
    def _fail(self, where: str, what: str) -> None:
        self.result.violations.append(f"{self.site.name} {where}: {what}")

    def _check_safety(self, where: str) -> None:
        with Session(self.engine) as session:
            ok_rows = set(session.execute(select(TransferAttempt.remote_name, TransferAttempt.sha256).where(
                TransferAttempt.direction == "in", TransferAttempt.result == "ok")).all())
            sources = Counter(session.execute(select(ReceivedFile.source, ReceivedFile.sha256)).all())
            orders = session.execute(select(func.count(SalesOrder.id),
                                            func.count(func.distinct(SalesOrder.po_number)))).one()
        present = {p.name for p in (self.site / "partner" / "in").iterdir()}
        for name, sha in self.remote.items():
            if name not in present and (name, sha) not in ok_rows:
                self._fail(where, f"remote {name} removed without a committed ok row")
            if sources[(f"sftp:{CHANNEL}/{name}", sha)] > 1:
                self._fail(where, f"remote {name} received {sources[(f'sftp:{CHANNEL}/{name}', sha)]} times")
        waiting = {p.name for p in (self.site / "inbox").rglob("*") if p.is_file()}
        for name, sha in self.inbox.items():
            if name not in waiting and sources[(f"inbox:{name}", sha)] == 0:
                self._fail(where, f"inbox {name} removed without a committed received row")
        if orders[0] != orders[1]:
            self._fail(where, f"{orders[0]} orders for {orders[1]} PO numbers: a PO was booked twice")

    def _check_terminal(self) -> None:
        if any((self.site / "partner" / "in").iterdir()) or any(p.is_file() for p in (self.site / "inbox").rglob("*")):
            self._fail("end", "files left at a source")
        with Session(self.engine) as session:
            rows = session.execute(select(TransferAttempt.remote_name, TransferAttempt.result).where(
                TransferAttempt.direction == "in")).all()
            files = session.execute(select(ReceivedFile.source, ReceivedFile.status)).all()
            interchanges = session.execute(select(Message.isa13, Message.status).where(
                Message.kind == "interchange")).all()
            acks = session.execute(select(Message.status).where(Message.kind == "ack")).scalars().all()
            orders = session.execute(select(func.count(SalesOrder.id),
                                            func.count(func.distinct(SalesOrder.po_number)))).one()
        ok = Counter(name for name, result in rows if result == "ok")
        self.result.duplicates += sum(1 for _name, result in rows if result == "duplicate")
        for name in self.remote:
            if ok[name] != 1:
                self._fail("end", f"remote {name} has {ok[name]} ok transfer rows")
        inbox_rows = Counter(source.removeprefix("inbox:") for source, _ in files if source.startswith("inbox:"))
        self.result.inbox_reread += sum(count - 1 for count in inbox_rows.values())
        if any(inbox_rows[name] < 1 for name in self.inbox):
            self._fail("end", "an inbox file was never received")
        if {status for _, status in files} - {"processed"}:
            self._fail("end", f"file statuses {sorted({s for _, s in files})}")
        acknowledged = sorted(isa13 for isa13, status in interchanges if status == "acknowledged")
        if acknowledged != sorted(self.isa13):
            self._fail("end", f"acknowledged ISA13s {acknowledged} != sent {sorted(self.isa13)}")
        if {status for _, status in interchanges} - {"acknowledged", "duplicate"}:
            self._fail("end", f"interchange statuses {sorted({s for _, s in interchanges})}")
        if acks.count("sent") != len(self.isa13) or len(acks) != len(self.isa13):
            self._fail("end", f"acks {Counter(acks)} for {len(self.isa13)} interchanges")
        sent = sorted(p.name for p in (self.site / "partner" / "out").iterdir())
        if len(sent) != len(self.isa13) or any(name.startswith(".") for name in sent):
            self._fail("end", f"partner outbox holds {sent}")
        if orders != (2 * len(self.isa13), 2 * len(self.isa13)):
            self._fail("end", f"orders {tuple(orders)}, expected {2 * len(self.isa13)} distinct")
        self.result.files = len(self.isa13)


def _wait_cpu(victim: subprocess.Popen[bytes], seconds: float, wall_cap: float = 3.0) -> None:
    """Wait until the victim has used ``seconds`` of CPU (start-up costs ~1.5 s), or ``wall_cap`` passed (idle).

    CPU time, not wall time, places the kill: on a loaded machine a wall-clock delay
    lands in the interpreter's start-up far more often than in the work.
    """
    deadline = time.monotonic() + wall_cap
    try:
        process = psutil.Process(victim.pid)
        while time.monotonic() < deadline and victim.poll() is None:
            times = process.cpu_times()
            if times.user + times.system >= seconds:
                return
            time.sleep(0.005)
    except psutil.NoSuchProcess:
        return


def run_chain(site: Path, trials: int, seed: int, delays: tuple[float, float]) -> ChainResult:
    chain = Chain(site, seed, delays)
    for n in range(trials):
        chain.trial(n)
    return chain.finish()
