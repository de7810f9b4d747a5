"""SIGKILL trials of ``edipulse run`` fed by a real sshd, its inbox and an AS2 peer: one site, a chain of trials.

Each trial adds two files at the partner's SFTP folder, one in the local inbox and,
with an AS2 peer (:mod:`crash_as2`), one 850 for the peer to post; it starts the real
console script, kills it (SIGKILL) after a random amount of CPU time, and checks what
must hold at *any* moment: a file gone from its source has a committed ledger row, an
AS2 message the peer holds a positive MDN for is committed, and no purchase order is
booked twice. The peer keeps re-posting across kills and restarts. After the chain a
clean ``run`` (serving AS2 until the peer has every MDN) and ``run --once`` finish the
work, and the terminal checks run: every source file and message is in exactly one
terminal state, none lost, nothing booked or answered twice.
Shared by ``tests/test_crash_transports.py`` and ``bench/crash_trials.py``.
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
from crash_as2 import (
    PARTNER,
    PARTNER_X12,
    SOURCE,
    As2Counts,
    As2Peer,
    safety_violations,
    terminal_violations,
)
from sqlalchemy import create_engine, func, select
from sqlmodel import Session
from support import interchange_copy

from erp_core.models import SalesOrder
from gateway.ledger.models import Message, ReceivedFile, TransferAttempt
from gateway.settings import default_config_text

EXE = Path(sys.executable).with_name("edipulse")
CHANNEL = "acme-sftp"
AS2_ISA13, AS2_PO = 900_000, 7_000_000_000  # numbering of the AS2 peer's interchanges and orders
SOURCES = ("sftp", "inbox", "as2")
# How a trial picks its moment (with an AS2 peer the modes take turns; without one, always "cpu"):
# "cpu": a random CPU time since start-up; "request": a random CPU slice after an AS2 request reached the
# gateway (decrypt, verify, commit, MDN, booking); "commit": a few random milliseconds after the intake
# committed an AS2 payload, where its key commit, the MDN and the recording of the exchange happen;
# "mdn": a few random milliseconds after the peer got a positive MDN (which promises a durable commit).
KILL_MODES = ("cpu", "request", "commit", "mdn")
AS2_KILL_WINDOW = 0.25  # CPU seconds after a request reached the gateway
AS2_SLACK = 0.03  # wall seconds after a committed AS2 payload or a positive MDN
AS2_CEILING = 10.0  # seconds to wait for the AS2 event a kill is aimed at (a ceiling; then it is killed anyway)
STOP_CEILING = 60.0  # seconds a SIGTERMed run may take to finish its round (a ceiling, not a measurement)


@dataclass(slots=True)
class SourceCounts:
    """Per source: what was sent, what the source saw confirmed, duplicates it saw, POs booked, violations."""

    sent: int = 0
    confirmed: int = 0
    duplicates: int = 0
    booked: int = 0
    violations: int = 0


@dataclass(slots=True)
class ChainResult:
    trials: int = 0
    finished_before_kill: int = 0  # the victim had exited on its own (possible only with a crash of its own)
    files: int = 0  # interchanges sent, all sources
    duplicates: int = 0  # sftp re-fetches after a kill between commit and acknowledge
    inbox_reread: int = 0  # inbox files received twice (claim released after a kill between commit and removal)
    taken_by_victims: int = 0  # received files recorded by killed runs (the rest: by the final clean run)
    kill_modes: Counter[str] = field(default_factory=Counter)  # trials per way of picking the moment
    violations: list[str] = field(default_factory=list)
    as2: As2Counts | None = None
    sources: dict[str, SourceCounts] = field(default_factory=lambda: {name: SourceCounts() for name in SOURCES})


def make_template(root: Path) -> Path:
    """A scaffolded working directory with partners acme (SFTP, inbox) and beta (AS2), built once, copied per site."""
    env = {**os.environ, "EDIPULSE_CONFIG": str(root / "config.yaml")}
    for args in (["init", str(root), "--x12-id", "ZZ:EDIPULSE"], ["partners", "add", "acme", "--x12", "ZZ:ACMEMED"],
                 ["partners", "add", PARTNER, "--x12", PARTNER_X12]):
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
    def __init__(self, site: Path, seed: int, delays: tuple[float, float], peer: As2Peer | None = None) -> None:
        """``delays``: the range of CPU seconds the victim may use before it is killed; ``peer``: posts over AS2."""
        self.site = site
        self.rng = random.Random(seed)
        self.delays = delays
        self.peer = peer
        self.env = {**os.environ, "EDIPULSE_CONFIG": str(site / "config.yaml")}
        self.remote: dict[str, str] = {}  # name -> sha256
        self.inbox: dict[str, str] = {}
        self.isa13: list[str] = []  # acme's interchanges (sftp and inbox)
        self.po_source: dict[str, str] = {}  # PO number -> the source that sent it
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
            source = "sftp" if book is self.remote else "inbox"
            self.po_source.update({f"{6_000_000_000 + 10 * isa13 + i:010d}": source for i in (0, 1)})
        if self.peer is not None:
            item = self.peer.queue(AS2_ISA13 + n, AS2_PO + 10 * n)
            self.po_source.update({po: "as2" for po in item.po_numbers})

    def trial(self, n: int) -> None:
        self._add_files(n)
        if self.peer is not None:
            self.peer.request_sent.clear()
            self.peer.mdn_received.clear()
        victim = subprocess.Popen([str(EXE), "run"], env=self.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        mode = KILL_MODES[n % len(KILL_MODES)] if self.peer is not None else "cpu"
        if mode in ("request", "mdn"):
            self._wait_as2_event(victim, mode)
        elif mode == "commit":
            self._wait_as2_commit(victim)
        else:
            _wait_cpu(victim, self.rng.uniform(*self.delays))
        self.result.kill_modes[mode] += 1
        if victim.poll() is not None:
            self.result.finished_before_kill += 1
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
        self.result.trials += 1
        self._check_safety(f"trial {n}")

    def _wait_as2_event(self, victim: subprocess.Popen[bytes], mode: str) -> None:
        """Aim at the AS2 intake: a random CPU slice after a request arrived, or random milliseconds after an MDN.

        A random CPU time from start-up seldom lands inside the ~10 ms a warm request takes;
        this still picks the moment at random, but within the request's handling, or just
        after the MDN, when whatever the MDN promised must already be committed.
        """
        assert self.peer is not None
        event = self.peer.request_sent if mode == "request" else self.peer.mdn_received
        deadline = time.monotonic() + AS2_CEILING
        while not event.wait(0.01):
            if victim.poll() is not None or time.monotonic() > deadline:
                return
        if mode == "mdn":
            time.sleep(self.rng.uniform(0, AS2_SLACK))
            return
        try:
            times = psutil.Process(victim.pid).cpu_times()
        except psutil.NoSuchProcess:
            return
        _wait_cpu(victim, times.user + times.system + self.rng.uniform(0, AS2_KILL_WINDOW))

    def _wait_as2_commit(self, victim: subprocess.Popen[bytes]) -> None:
        """Aim at the hand-off: a few random milliseconds after an AS2 payload was committed.

        Between that commit and the MDN lie the Message-ID key's commit and the signing of
        the MDN: a kill there must make the peer's re-send a duplicate (or a second copy
        the interchange check catches), never a lost message.
        """
        before = self._as2_copies()
        deadline = time.monotonic() + AS2_CEILING
        while self._as2_copies() == before:
            if victim.poll() is not None or time.monotonic() > deadline:
                return
            time.sleep(0.002)
        time.sleep(self.rng.uniform(0, AS2_SLACK))

    def _as2_copies(self) -> int:
        with Session(self.engine) as session:
            return session.execute(select(func.count(ReceivedFile.id)).where(
                ReceivedFile.source == SOURCE)).scalar_one()

    def finish(self) -> ChainResult:
        with Session(self.engine) as session:
            self.result.taken_by_victims = session.execute(select(func.count(ReceivedFile.id))).scalar_one()
        if self.peer is not None:
            self._serve_until_confirmed()
        done = subprocess.run([str(EXE), "run", "--once"], env=self.env, capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            self._fail("final", f"run --once exited {done.returncode}: {done.stderr.strip()}")
        self._check_safety("final")
        self._check_terminal()
        self.engine.dispose()
        return self.result

    def _serve_until_confirmed(self) -> None:
        """A clean ``run`` serves AS2 until the peer holds an MDN for every message, then stops on SIGTERM."""
        assert self.peer is not None
        server = subprocess.Popen([str(EXE), "run"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  text=True)
        try:
            if not self.peer.wait_listening(server.poll):
                self._fail("final", "the clean run never answered on /healthz", "as2")
            elif not self.peer.drain():
                self._fail("final", "the AS2 peer still lacks MDNs after the clean restart", "as2")
        finally:
            server.send_signal(signal.SIGTERM)
            _out, err = server.communicate(timeout=STOP_CEILING)
            self.peer.stop()
        if server.returncode != 0 or "Traceback" in err:
            self._fail("final", f"clean run exited {server.returncode}: {err.strip()[-500:]}")

    # -- checks ------------------------------------------------------------------------------------------------
    def _fail(self, where: str, what: str, source: str | None = None) -> None:
        self.result.violations.append(f"{self.site.name} {where}: [{source or 'all'}] {what}")
        if source is not None:
            self.result.sources[source].violations += 1

    def _check_safety(self, where: str) -> None:
        views = self.peer.view() if self.peer is not None else []  # after the kill: no MDN can come any more
        with Session(self.engine) as session:
            ok_rows = set(session.execute(select(TransferAttempt.remote_name, TransferAttempt.sha256).where(
                TransferAttempt.direction == "in", TransferAttempt.result == "ok")).all())
            sources = Counter(session.execute(select(ReceivedFile.source, ReceivedFile.sha256)).all())
            orders = session.execute(select(func.count(SalesOrder.id),
                                            func.count(func.distinct(SalesOrder.po_number)))).one()
            as2_found = safety_violations(session, views)
        present = {p.name for p in (self.site / "partner" / "in").iterdir()}
        for name, sha in self.remote.items():
            if name not in present and (name, sha) not in ok_rows:
                self._fail(where, f"remote {name} removed without a committed ok row", "sftp")
            if sources[(f"sftp:{CHANNEL}/{name}", sha)] > 1:
                self._fail(where, f"remote {name} received {sources[(f'sftp:{CHANNEL}/{name}', sha)]} times", "sftp")
        waiting = {p.name for p in (self.site / "inbox").rglob("*") if p.is_file()}
        for name, sha in self.inbox.items():
            if name not in waiting and sources[(f"inbox:{name}", sha)] == 0:
                self._fail(where, f"inbox {name} removed without a committed received row", "inbox")
        for what in as2_found:
            self._fail(where, what, "as2")
        if orders[0] != orders[1]:
            self._fail(where, f"{orders[0]} orders for {orders[1]} PO numbers: a PO was booked twice")

    def _check_terminal(self) -> None:
        views = self.peer.view() if self.peer is not None else []
        as2_isa13 = [v.isa13 for v in views]
        if any((self.site / "partner" / "in").iterdir()) or any(p.is_file() for p in (self.site / "inbox").rglob("*")):
            self._fail("end", "files left at a source")
        with Session(self.engine) as session:
            rows = session.execute(select(TransferAttempt.remote_name, TransferAttempt.result).where(
                TransferAttempt.direction == "in")).all()
            files = session.execute(select(ReceivedFile.source, ReceivedFile.status)).all()
            interchanges = session.execute(select(Message.isa13, Message.status).where(
                Message.kind == "interchange")).all()
            acks = session.execute(select(Message.status).where(Message.kind == "ack")).scalars().all()
            booked = session.execute(select(SalesOrder.po_number)).scalars().all()
            as2_found, as2_counts = terminal_violations(session, views) if self.peer is not None else ([], None)
        ok = Counter(name for name, result in rows if result == "ok")
        self.result.duplicates += sum(1 for _name, result in rows if result == "duplicate")
        for name in self.remote:
            if ok[name] != 1:
                self._fail("end", f"remote {name} has {ok[name]} ok transfer rows", "sftp")
        inbox_rows = Counter(source.removeprefix("inbox:") for source, _ in files if source.startswith("inbox:"))
        self.result.inbox_reread += sum(count - 1 for count in inbox_rows.values())
        if any(inbox_rows[name] < 1 for name in self.inbox):
            self._fail("end", "an inbox file was never received", "inbox")
        if {status for _, status in files} - {"processed"}:
            self._fail("end", f"file statuses {sorted({s for _, s in files})}")
        expected = sorted(self.isa13 + as2_isa13)
        acknowledged = sorted(isa13 for isa13, status in interchanges if status == "acknowledged")
        if acknowledged != expected:
            self._fail("end", f"acknowledged ISA13s {acknowledged} != sent {expected}")
        if {status for _, status in interchanges} - {"acknowledged", "duplicate"}:
            self._fail("end", f"interchange statuses {sorted({s for _, s in interchanges})}")
        if acks.count("sent") != len(expected) or len(acks) != len(expected):
            self._fail("end", f"acks {Counter(acks)} for {len(expected)} interchanges")
        self._check_answers(len(self.isa13), len(as2_isa13))
        for what in as2_found:
            self._fail("end", what, "as2")
        self._check_booked(booked)
        self._count(ok, inbox_rows, as2_counts)

    def _check_answers(self, acme: int, as2: int) -> None:
        """acme's 997s went back over its SFTP channel, beta's (no AS2 URL) to its outbox folder."""
        sent = sorted(p.name for p in (self.site / "partner" / "out").iterdir())
        if len(sent) != acme or any(name.startswith(".") for name in sent):
            self._fail("end", f"partner outbox holds {sent}", "sftp")
        folder = self.site / "outbox" / PARTNER
        answered = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        if len(answered) != as2:
            self._fail("end", f"{len(answered)} acknowledgements in outbox/{PARTNER} for {as2} AS2 interchanges",
                       "as2")

    def _check_booked(self, booked: list[str]) -> None:
        if sorted(booked) != sorted(self.po_source):
            twice = sorted(po for po, count in Counter(booked).items() if count > 1)
            missing = sorted(set(self.po_source) - set(booked))
            self._fail("end", f"{len(booked)} orders booked for {len(self.po_source)} POs sent; "
                              f"twice: {twice[:5]}, missing: {missing[:5]}")
        for po in set(booked):
            source = self.po_source.get(po)
            if source is not None:
                self.result.sources[source].booked += 1

    def _count(self, ok: Counter[str], inbox_rows: Counter[str], as2: As2Counts | None) -> None:
        counts = self.result.sources
        counts["sftp"].sent, counts["sftp"].confirmed = len(self.remote), sum(1 for n in self.remote if ok[n])
        counts["sftp"].duplicates = self.result.duplicates
        counts["inbox"].sent = len(self.inbox)
        counts["inbox"].confirmed = sum(1 for n in self.inbox if inbox_rows[n])
        counts["inbox"].duplicates = self.result.inbox_reread
        if as2 is not None:
            self.result.as2 = as2
            counts["as2"].sent, counts["as2"].confirmed, counts["as2"].duplicates = as2.sent, as2.confirmed, \
                as2.duplicates
        self.result.files = len(self.isa13) + (as2.sent if as2 else 0)


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


def run_chain(site: Path, trials: int, seed: int, delays: tuple[float, float],
              peer: As2Peer | None = None) -> ChainResult:
    """``trials`` kills of one site, then the clean finish and the terminal checks; ``peer`` is started here."""
    chain = Chain(site, seed, delays, peer)
    if peer is not None:
        peer.start()
    try:
        for n in range(trials):
            chain.trial(n)
    except BaseException:
        if peer is not None:
            peer.stop()
        raise
    return chain.finish()
