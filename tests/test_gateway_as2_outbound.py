"""Outbound AS2 tracking with an injected clock: sent only on a verified/matched MDN, overdue after the
window, resent by policy, retryable and final failures. The partner is the AS2 transport's own receiver
over real HTTP on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from as2_fixtures import Identity, Inbox, free_port, make_identity, partnership, serve
from gateway_as2_fixtures import Site, cli, make_site, partner_entry

from gateway.as2.directory import As2Directory
from gateway.as2.outbound import As2Sender
from gateway.as2.queue import queue_file
from gateway.context import Context
from gateway.ledger.models import Message, utcnow
from gateway.web.app import create_web_app
from transports.as2.asgi import create_app
from transports.as2.receiver import As2Receiver, AsyncMdnJob


@dataclass
class Partner:
    """A trading partner's AS2 server that stores what it gets and keeps its async MDNs for the test."""

    url: str
    inbox: Inbox
    jobs: list[AsyncMdnJob]


@pytest.fixture
def t0() -> datetime:
    """The injected clock starts with each test (the rows' own stamps come from the wall clock, seconds away)."""
    return utcnow()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("pki")
    return {name: make_identity(folder, name) for name in ("pulse", "beta")}


@pytest.fixture
def partner(pki: dict[str, Identity], tmp_path: Path) -> Iterator[Partner]:
    inbox = Inbox(tmp_path / "beta-in")
    inbox.add(partnership(pki["beta"], pki["pulse"], "BETA", "PULSE"))
    jobs: list[AsyncMdnJob] = []
    app = create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver), on_async_mdn=jobs.append)
    with serve(app) as url:
        yield Partner(url + "/as2", inbox, jobs)


def _site(tmp_path: Path, pki: dict[str, Identity], url: str, **settings: object) -> tuple[Site, Context, int]:
    site = make_site(tmp_path / "gw", "ZZ:EDIPULSE", "PULSE", pki["pulse"], {"beta": "ZZ:BETA"})
    site.set_as2([partner_entry("beta", "BETA", pki["beta"], url, **settings)])
    document = tmp_path / "po.x12"
    document.write_bytes(b"ISA*00*...~IEA*1*000000001~\n")
    ctx = site.context()
    return site, ctx, queue_file(ctx, "beta", document).id or 0


def _status(ctx: Context, message_id: int) -> tuple[str, str | None, int]:
    with ctx.engine.connect() as connection:
        row = connection.execute(Message.__table__.select().where(Message.__table__.c.id == message_id)).one()
    return row.status, row.error_code, row.attempts


def test_async_send_goes_overdue_is_resent_and_a_late_mdn_confirms_it(
        tmp_path: Path, pki, t0: datetime, partner: Partner, capsys: pytest.CaptureFixture[str]) -> None:
    site, ctx, message_id = _site(tmp_path, pki, partner.url, mdn="async", mdn_window_minutes=5, retry_minutes=10,
                                  max_attempts=2)
    sender = As2Sender(ctx, As2Directory.load(ctx.settings, ctx.engine))
    assert sender.run(t0) == []
    assert _status(ctx, message_id) == ("awaiting-mdn", None, 1)
    assert len(partner.inbox.received) == 1 and len(partner.jobs) == 1
    assert partner.jobs[0].url == site.url + "/as2/mdn"

    sender.run(t0 + timedelta(minutes=4))
    assert _status(ctx, message_id)[0] == "awaiting-mdn", "still inside the window"
    sender.run(t0 + timedelta(minutes=6))
    assert _status(ctx, message_id) == ("overdue", "AS2_MDN_OVERDUE", 1)
    capsys.readouterr()
    assert cli("--config", site.config, "messages", "--status", "overdue", "--json") == 0
    assert [m["id"] for m in json.loads(capsys.readouterr().out)] == [message_id]

    sender.run(t0 + timedelta(minutes=8))
    assert len(partner.inbox.received) == 1, "not resent before retry_minutes"
    sender.run(t0 + timedelta(minutes=17))
    assert _status(ctx, message_id) == ("awaiting-mdn", None, 2)
    assert len(partner.inbox.received) == 2
    sender.run(t0 + timedelta(minutes=30))
    sender.run(t0 + timedelta(minutes=60))
    assert _status(ctx, message_id) == ("overdue", "AS2_MDN_OVERDUE", 2)
    assert len(partner.inbox.received) == 2, "max_attempts reached: it waits for a person"

    # The partner's MDN for the first send arrives late, at our async MDN endpoint: it still confirms.
    with serve(create_web_app(ctx, As2Directory.load(ctx.settings, ctx.engine))) as url:
        job = partner.jobs[0]
        response = httpx.post(url + "/as2/mdn", headers=job.headers, content=job.body, timeout=30)
        assert response.status_code == 200 and "X-EDIPulse-Error" not in response.headers, response.text
        again = httpx.post(url + "/as2/mdn", headers=job.headers, content=job.body[:-40], timeout=30)
        assert again.status_code == 400 and again.headers["X-EDIPulse-Error"].startswith("AS2_MDN_")
    assert _status(ctx, message_id) == ("sent", None, 2)
    ctx.close()


def test_sync_send_is_sent_only_with_a_verified_mdn(tmp_path: Path, pki, t0: datetime, partner: Partner) -> None:
    _site_, ctx, message_id = _site(tmp_path, pki, partner.url, mdn="sync")
    sender = As2Sender(ctx, As2Directory.load(ctx.settings, ctx.engine))
    assert len(sender.run(t0)) == 1
    assert _status(ctx, message_id) == ("sent", None, 1)
    [(payload, meta)] = partner.inbox.received
    assert payload == b"ISA*00*...~IEA*1*000000001~\n" and meta.signed and meta.encrypted
    ctx.close()


def test_negative_sync_mdn_is_an_error_for_a_person(tmp_path: Path, pki, t0: datetime, partner: Partner) -> None:
    partner.inbox.fail_delivery = True
    _site_, ctx, message_id = _site(tmp_path, pki, partner.url, mdn="sync")
    sender = As2Sender(ctx, As2Directory.load(ctx.settings, ctx.engine))
    assert sender.run(t0) == []
    assert _status(ctx, message_id) == ("error", "AS2_MDN_NEGATIVE", 1)
    assert sender.run(t0 + timedelta(hours=1)) == [] and len(partner.jobs) == 0
    ctx.close()


def test_unreachable_partner_is_retried_by_policy_then_an_error(tmp_path: Path, pki, t0: datetime) -> None:
    url = f"http://127.0.0.1:{free_port()}/as2"  # nothing listens there
    _site_, ctx, message_id = _site(tmp_path, pki, url, mdn="sync", retry_minutes=10, max_attempts=2)
    sender = As2Sender(ctx, As2Directory.load(ctx.settings, ctx.engine))
    sender.run(t0)
    assert _status(ctx, message_id) == ("pending", "AS2_HTTP_UNREACHABLE", 1)
    sender.run(t0 + timedelta(minutes=5))
    assert _status(ctx, message_id)[2] == 1, "not before retry_minutes"
    sender.run(t0 + timedelta(minutes=11))
    assert _status(ctx, message_id) == ("error", "AS2_HTTP_UNREACHABLE", 2)
    ctx.close()
