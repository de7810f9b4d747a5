"""The AS2 side of the SIGKILL trials: a trading partner's AS2 product posting 850s to the gateway being killed.

The peer behaves like a real AS2 sender (RFC 4130): every message is built once,
signed and encrypted, and re-posted with the *same* Message-ID until a signed,
positive MDN carrying our MIC comes back. A refused connection, a dropped one, an
empty or negative answer are all "not delivered": the peer tries again. A
``processed/warning: duplicate-document`` MDN is positive (the gateway already had
the message), so the peer stops there too.

The checks read the gateway's ledger: a message the peer holds a positive MDN for
must have its payload committed (the MDN promises exactly that), a duplicate-document
MDN may only come for a message stored before, and at the end each message is
stored under one Message-ID key, its interchange acknowledged once, its POs booked once.
Shared by ``tests/crash_chain.py`` (and so by the crash test and ``bench/crash_trials.py``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml
from as2_fixtures import Identity, make_identity
from sqlalchemy import select
from sqlmodel import Session
from support import interchange_copy

from gateway.as2.models import STORED, As2Message, As2ReceivedId
from gateway.ledger.models import ReceivedFile
from transports.as2.client import check_mdn
from transports.as2.config import Partnership
from transports.as2.errors import As2Error
from transports.as2.mdn import parse_mdn
from transports.as2.message import OutboundMessage, build_message
from transports.as2.mime import headers_from_mapping

PARTNER = "beta"  # the ERP partner whose orders arrive over AS2
PARTNER_X12 = "ZZ:BETAMED"
OUR_AS2_ID, PEER_AS2_ID = "PULSEAS2", "BETAAS2"
SOURCE = f"as2:{PARTNER}"  # received_file.source of a payload stored from the peer
RETRY_PAUSE = 0.1  # seconds between rounds of re-posting what is unconfirmed (the gateway may be down)
# A negative MDN the gateway may give while it cannot store (AS2_DELIVERY_FAILED): the peer re-sends.
# Any other negative MDN, or an MDN that does not verify, is a defect.
TOLERATED_NEGATIVE = "processed/error: unexpected-processing-error"
HTTP_TIMEOUT = 30.0  # a ceiling for one POST; a killed gateway resets the connection long before
DRAIN_CEILING = 120.0  # seconds ``drain`` waits for the last MDNs before it reports what stays unconfirmed


@dataclass(frozen=True, slots=True)
class As2Keys:
    """Our key pair (the gateway's) and the peer's, as PEM files the config names."""

    ours: Identity
    peer: Identity


def make_keys(folder: Path) -> As2Keys:
    return As2Keys(make_identity(folder, "pulse"), make_identity(folder, "beta"))


def add_as2(site: Path, keys: As2Keys, port: int) -> str:
    """Append the ``as2:`` section (listening on ``port``) to the site's config; returns the /as2 URL."""
    section = {"as2": {
        "as2_id": OUR_AS2_ID, "keys": [{"key": str(keys.ours.key_path), "cert": str(keys.ours.cert_path)}],
        "listen": {"host": "127.0.0.1", "port": port},
        "partners": [{"partner": PARTNER, "as2_id": PEER_AS2_ID, "certificates": [str(keys.peer.cert_path)]}]}}
    config = site / "config.yaml"
    config.write_text(config.read_text() + yaml.safe_dump(section, sort_keys=False))
    return f"http://127.0.0.1:{port}/as2"


def payload(isa13: int, po_base: int) -> bytes:
    """The sample 850 interchange from the AS2 partner (sender ZZ:BETAMED), own ISA13 and two PO numbers."""
    return interchange_copy(isa13, po_base).replace("ACMEMED", "BETAMED").encode()


@dataclass(slots=True)
class Outgoing:
    """One message of the peer and what became of each POST of it."""

    name: str  # the payload's file name (Content-Disposition), also received_file.name
    isa13: str
    po_numbers: tuple[str, ...]
    message: OutboundMessage
    posts: int = 0
    confirmed_on: int = 0  # the POST whose MDN confirmed it (0: not yet)
    duplicate_mdn: bool = False  # confirmed by "processed/warning: duplicate-document"
    refused: int = 0  # POSTs whose connection was refused (the gateway was down or still starting)
    cut: int = 0  # POSTs the gateway accepted but never answered with an MDN (killed mid-request)
    negative: list[str] = field(default_factory=list)  # dispositions of negative MDNs
    bad_mdns: list[str] = field(default_factory=list)  # MDNs that did not verify (signature, MIC, Message-ID)

    @property
    def message_id(self) -> str:
        return self.message.message_id


@dataclass(frozen=True, slots=True)
class PeerView:
    """A consistent copy of the peer's state (taken under its lock)."""

    message_id: str
    name: str
    isa13: str
    po_numbers: tuple[str, ...]
    posts: int
    cut: int
    confirmed_on: int
    duplicate_mdn: bool
    negative: tuple[str, ...]
    bad_mdns: tuple[str, ...]


class As2Peer:
    """The partner's AS2 product: a thread that re-posts every unconfirmed message until its MDN is positive."""

    def __init__(self, keys: As2Keys, url: str) -> None:
        self._partnership = Partnership(local_id=PEER_AS2_ID, partner_id=OUR_AS2_ID, our_keys=(keys.peer.pair,),
                                        partner_certs=(keys.ours.pair.cert,), url=url)
        self._url = url
        self._lock = threading.Lock()
        self._messages: list[Outgoing] = []
        self._stopping = threading.Event()
        # Set whenever a request has gone out in full: the gateway is working on it (a kill may be aimed there).
        self.request_sent = threading.Event()
        self.mdn_received = threading.Event()  # set whenever a positive MDN confirmed a message
        # One connection per POST (no keep-alive): a re-sent message never rides a socket of a killed gateway.
        self._http = httpx.Client(timeout=HTTP_TIMEOUT, limits=httpx.Limits(max_keepalive_connections=0))
        self._thread = threading.Thread(target=self._run, name=f"as2-peer-{url}", daemon=True)

    def queue(self, isa13: int, po_base: int) -> Outgoing:
        """Build (sign, encrypt) one 850 once; every later POST of it carries the same Message-ID and bytes."""
        name = f"as2-po-{isa13:09d}.x12"
        built = build_message(payload(isa13, po_base), self._partnership, filename=name, subject=name,
                              domain="beta.test")
        item = Outgoing(name, f"{isa13:09d}", (f"{po_base:010d}", f"{po_base + 1:010d}"), built)
        with self._lock:
            self._messages.append(item)
        return item

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=HTTP_TIMEOUT + 5)
        self._http.close()

    def view(self) -> list[PeerView]:
        with self._lock:
            return [PeerView(m.message_id, m.name, m.isa13, m.po_numbers, m.posts, m.cut, m.confirmed_on,
                             m.duplicate_mdn, tuple(m.negative), tuple(m.bad_mdns)) for m in self._messages]

    def wait_listening(self, exited: Callable[[], int | None], ceiling: float = DRAIN_CEILING) -> bool:
        """Wait until the gateway answers /healthz (False if it exited first or never did)."""
        health = self._url.removesuffix("/as2") + "/healthz"
        pause = threading.Event()
        deadline = time.monotonic() + ceiling
        while exited() is None and time.monotonic() < deadline:
            try:
                if self._http.get(health).status_code == 200:
                    return True
            except httpx.HTTPError:
                pass  # not listening yet
            pause.wait(RETRY_PAUSE)
        return False

    def drain(self, ceiling: float = DRAIN_CEILING) -> bool:
        """Wait until every message is confirmed (the gateway must be up); False if some never were."""
        pause = threading.Event()
        deadline = time.monotonic() + ceiling
        while not all(v.confirmed_on for v in self.view()):
            if time.monotonic() > deadline:
                return False
            pause.wait(RETRY_PAUSE)
        return True

    def _unconfirmed(self) -> list[Outgoing]:
        with self._lock:
            return [m for m in self._messages if not m.confirmed_on]

    def _run(self) -> None:
        while not self._stopping.is_set():
            for item in self._unconfirmed():
                if self._stopping.is_set() or not self._post(item):
                    break  # the gateway is down: the whole queue waits for the next round
            self._stopping.wait(RETRY_PAUSE)

    def _post(self, item: Outgoing) -> bool:
        """One POST of ``item`` and its synchronous MDN; a failure of any kind leaves it for the next round.

        Returns False when the connection was refused (nobody listens: no use trying the rest now).
        """
        with self._lock:
            item.posts += 1
            attempt = item.posts
        try:
            response = self._http.post(self._url, headers=item.message.headers, content=item.message.body,
                                       extensions={"trace": self._trace})
        except httpx.ConnectError:  # the gateway is down or not listening yet
            self._note(item, refused=True)
            return False
        except httpx.HTTPError:  # reset or closed mid-request (killed), timed out
            self._note(item)
            return True
        problem, duplicate = self._judge(item, response)
        if problem is not None:
            self._note(item, text=f"post {attempt}: {problem}",
                       negative=problem.endswith(TOLERATED_NEGATIVE))
            return True
        with self._lock:
            item.confirmed_on, item.duplicate_mdn = attempt, duplicate
        self.mdn_received.set()
        return True

    def _judge(self, item: Outgoing, response: httpx.Response) -> tuple[str | None, bool]:
        """(what is wrong, or None for a verified positive MDN for ``item``; whether it says duplicate-document)."""
        if response.status_code != 200 or not response.content:  # a complete answer without an MDN: a defect
            return f"HTTP {response.status_code} with {len(response.content)} bytes, no MDN", False
        try:
            report = parse_mdn(headers_from_mapping(response.headers.multi_items()), response.content,
                               self._partnership.partner_certs, require_signed=True)
            if not report.disposition.ok:
                return f"negative MDN {report.disposition.render()}", False
            check_mdn(report, message_id=item.message_id, mic=item.message.mic, mic_digest=item.message.mic_digest)
        except As2Error as exc:
            return str(exc), False
        return None, "duplicate-document" in (report.disposition.description or "")

    def _trace(self, event: str, _info: object) -> None:
        if event == "http11.send_request_body.complete":
            self.request_sent.set()

    def _note(self, item: Outgoing, *, refused: bool = False, negative: bool = False, text: str = "") -> None:
        """Record a POST that did not confirm ``item``: refused, cut, negative, or with an MDN that did not verify."""
        with self._lock:
            if refused:
                item.refused += 1
            elif not text:
                item.cut += 1
            elif negative:
                item.negative.append(text)
            else:
                item.bad_mdns.append(text)


# -- checks against the gateway's ledger -------------------------------------------------------------------------
@dataclass(slots=True)
class As2Counts:
    sent: int = 0  # messages the peer queued
    confirmed: int = 0  # messages with a positive MDN
    posts: int = 0  # POSTs in all (first sends and re-sends)
    cut: int = 0  # POSTs the gateway took but was killed before its MDN went out
    duplicates: int = 0  # messages confirmed by a duplicate-document MDN (their first copy's MDN was lost)
    stored_twice: int = 0  # payloads stored again (a kill between the two commits of the intake)
    negative: int = 0  # negative MDNs (the peer re-sent)


def _stored(session: Session) -> tuple[set[str], Counter[str], dict[str, list[str]]]:
    """Message-IDs with a committed key; stored rows per Message-ID; received-file statuses per payload name."""
    keys = set(session.execute(select(As2ReceivedId.as2_message_id).where(
        As2ReceivedId.as2_from == PEER_AS2_ID)).scalars())
    rows = Counter(session.execute(select(As2Message.as2_message_id).where(
        As2Message.direction == "in", As2Message.status == STORED)).scalars())
    files: dict[str, list[str]] = {}
    for name, status in session.execute(select(ReceivedFile.name, ReceivedFile.status).where(
            ReceivedFile.source == SOURCE)).all():
        files.setdefault(name, []).append(status)
    return keys, rows, files


def safety_violations(session: Session, views: list[PeerView]) -> list[str]:
    """What must hold at any moment: a positive MDN only for a committed payload, duplicate MDNs only for re-sends."""
    keys, rows, files = _stored(session)
    found = []
    for view in views:
        if view.confirmed_on and (view.message_id not in keys or not files.get(view.name) or not rows[view.message_id]):
            found.append(f"MDN for <{view.message_id}> ({view.name}) but its payload is not committed")
        if view.duplicate_mdn and view.confirmed_on == 1:
            found.append(f"duplicate-document MDN for <{view.message_id}> on its first POST")
        if view.bad_mdns:
            found.append(f"<{view.message_id}>: answers that are no valid positive MDN: {list(view.bad_mdns)}")
    unknown = keys - {v.message_id for v in views}
    if unknown:
        found.append(f"Message-ID keys the peer never sent: {sorted(unknown)}")
    return found


def terminal_violations(session: Session, views: list[PeerView]) -> tuple[list[str], As2Counts]:
    """After the final run: every message confirmed, stored under one key, all its copies processed."""
    keys, rows, files = _stored(session)
    refused = session.execute(select(As2Message.as2_message_id, As2Message.status, As2Message.error_code).where(
        As2Message.direction == "in", As2Message.status != STORED)).all()
    counts = As2Counts(sent=len(views), confirmed=sum(1 for v in views if v.confirmed_on),
                       posts=sum(v.posts for v in views), cut=sum(v.cut for v in views),
                       duplicates=sum(1 for v in views if v.duplicate_mdn),
                       negative=sum(len(v.negative) for v in views))
    found = []
    for view in views:
        copies = files.get(view.name, [])
        counts.stored_twice += max(0, len(copies) - 1)
        if not view.confirmed_on:
            found.append(f"<{view.message_id}> never confirmed after {view.posts} POSTs")
        if view.message_id not in keys or not copies:
            found.append(f"<{view.message_id}> ({view.name}) lost: key {view.message_id in keys}, copies {copies}")
        if set(copies) - {"processed"}:
            found.append(f"{view.name}: received-file statuses {copies}")
        if rows[view.message_id] != 1:  # a copy stored before a kill between the intake's commits has no row
            found.append(f"{view.name}: {rows[view.message_id]} stored AS2 rows ({len(copies)} received copies)")
    strays = [(mid, status, code) for mid, status, code in refused if status != "duplicate"]
    if strays:
        found.append(f"AS2 messages refused or rejected: {strays}")
    return found, counts
