"""Our AS2 client against our AS2 server, over real HTTP on loopback (two servers, two ports)."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from as2_fixtures import Identity, Inbox, make_identity, partnership, serve

from transports.as2.asgi import create_app
from transports.as2.client import MatchedMdn, PendingMdn, match_async_mdn, send
from transports.as2.errors import As2Error
from transports.as2.receiver import As2Receiver, HttpResponse

PAYLOAD = (b"ISA*00*          *00*          *ZZ*EDIPULSE       *ZZ*ACMEMED        *261125*1200*U*00401*"
           b"000000001*0*P*>~\n")


@pytest.fixture(scope="module")
def ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Identity]:
    folder = tmp_path_factory.mktemp("pki")
    return {name: make_identity(folder, name) for name in ("pulse", "acme")}


@pytest.mark.parametrize(
    "settings",
    [
        {"cipher": "aes256-cbc", "digest": "sha256"},
        {"cipher": "aes128-gcm", "digest": "sha512", "compress": True},
        {"cipher": "3des", "digest": "sha1", "mdn_digest": "sha1"},
        {"cipher": "aes192-cbc", "digest": "sha384", "mdn_digest": "sha384"},
    ],
    ids=["aes256-sha256", "gcm-sha512-compressed", "3des-sha1", "aes192-sha384"],
)
def test_sync_round_trip_signed_mdn(ids: dict[str, Identity], tmp_path: Path, settings: dict) -> None:
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["acme"], ids["pulse"], "ACME", "PULSE"))
    app = create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))
    with serve(app) as url, httpx.Client() as http:
        ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", url=url + "/as2", **settings)
        result = send(PAYLOAD, ours, http=http, filename="po.x12")
    assert result.mdn is not None and result.mdn.signed and result.mdn.disposition.ok
    assert result.mdn.mic == result.mic
    assert [payload for payload, _ in inbox.received] == [PAYLOAD]
    meta = inbox.received[0][1]
    assert (meta.message_id, meta.signed, meta.encrypted, meta.filename) == (result.message_id, True, True, "po.x12")
    assert meta.compressed is bool(settings.get("compress"))
    assert meta.cipher == settings["cipher"]
    assert (tmp_path / "in" / "0000.bin").read_bytes() == PAYLOAD  # committed before the MDN came back


def test_async_mdn_round_trip(ids: dict[str, Identity], tmp_path: Path) -> None:
    """The partner answers HTTP 200 at once and later POSTs a signed MDN to our MDN endpoint."""
    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["acme"], ids["pulse"], "ACME", "PULSE"))
    pending: dict[str, PendingMdn] = {}
    matched: list[MatchedMdn] = []
    errors: list[As2Error] = []
    arrived = threading.Event()
    ours_by_id = {}

    def on_mdn(headers, body) -> HttpResponse:  # our MDN endpoint
        try:
            matched.append(match_async_mdn(headers, body, lambda f, t: ours_by_id.get((f, t)), pending.get))
        except As2Error as exc:
            errors.append(exc)
        arrived.set()
        return HttpResponse(200, {})

    partner_app = create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))
    our_app = create_app(As2Receiver(lambda f, t: None, lambda p, m: False, lambda p, m: None),
                         mdn_path="/mdn", on_mdn=on_mdn)
    with serve(partner_app) as partner_url, serve(our_app) as our_url, httpx.Client() as http:
        ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", url=partner_url, mdn="async",
                           async_mdn_url=our_url + "/mdn")
        ours_by_id[("ACME", "PULSE")] = ours
        result = send(PAYLOAD, ours, http=http)
        assert result.mdn is None and result.pending is not None
        pending[result.message_id] = result.pending
        assert arrived.wait(30), "the asynchronous MDN never arrived"
    assert errors == []
    assert matched[0].pending.message_id == result.message_id
    assert matched[0].report.signed and matched[0].report.mic == result.mic
    assert [payload for payload, _ in inbox.received] == [PAYLOAD]


def test_negative_mdn_raises_coded_error(ids: dict[str, Identity], tmp_path: Path) -> None:
    """The partner cannot store the payload: our client sees AS2_MDN_NEGATIVE, not a success."""
    inbox = Inbox(tmp_path / "in", fail_delivery=True)
    inbox.add(partnership(ids["acme"], ids["pulse"], "ACME", "PULSE"))
    app = create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver))
    with serve(app) as url, httpx.Client() as http:
        ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", url=url)
        with pytest.raises(As2Error) as caught:
            send(PAYLOAD, ours, http=http)
    assert caught.value.code == "AS2_MDN_NEGATIVE"
    assert "unexpected-processing-error" in caught.value.message


def test_unreachable_partner_is_retryable(ids: dict[str, Identity]) -> None:
    from as2_fixtures import free_port

    ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", url=f"http://127.0.0.1:{free_port()}/as2",
                       timeout_seconds=5)
    with httpx.Client() as http, pytest.raises(As2Error) as caught:
        send(PAYLOAD, ours, http=http)
    assert caught.value.code == "AS2_HTTP_UNREACHABLE" and caught.value.retryable


def test_injected_async_scheduler_and_failed_post(ids: dict[str, Identity], tmp_path: Path) -> None:
    """With ``on_async_mdn`` the app hands the MDN over instead of posting; a failed post is retryable."""
    from as2_fixtures import free_port

    from transports.as2.receiver import AsyncMdnJob, post_async_mdn

    inbox = Inbox(tmp_path / "in")
    inbox.add(partnership(ids["acme"], ids["pulse"], "ACME", "PULSE"))
    jobs: list[AsyncMdnJob] = []
    dead_url = f"http://127.0.0.1:{free_port()}/mdn"
    app = create_app(As2Receiver(inbox.lookup, inbox.is_duplicate, inbox.deliver), on_async_mdn=jobs.append)
    with serve(app) as url, httpx.Client() as http:
        ours = partnership(ids["pulse"], ids["acme"], "PULSE", "ACME", url=url, mdn="async", async_mdn_url=dead_url)
        result = send(PAYLOAD, ours, http=http)
    assert [job.original_message_id for job in jobs] == [result.message_id] and jobs[0].url == dead_url
    with pytest.raises(As2Error) as caught:
        post_async_mdn(jobs[0], timeout=5)
    assert caught.value.code == "AS2_MDN_POST_FAILED" and caught.value.retryable


def test_mdn_checks(ids: dict[str, Identity]) -> None:
    """Unsigned MDN when a signed one was asked for, wrong message, wrong MIC: each has its own code."""
    from transports.as2.client import check_mdn
    from transports.as2.mdn import Disposition, build_mdn, parse_mdn
    from transports.as2.mime import headers_from_mapping

    def mdn(signer, disposition: Disposition | None = None):
        built = build_mdn(original_message_id="m1@x", local_id="ACME", partner_id="PULSE",
                          disposition=disposition or Disposition(), mic="bWlj", mic_digest="sha256", signer=signer)
        return parse_mdn(headers_from_mapping(built.headers), built.body, [ids["acme"].pair.cert],
                         require_signed=signer is not None)

    with pytest.raises(As2Error) as unsigned:
        built = build_mdn(original_message_id="m1@x", local_id="ACME", partner_id="PULSE",
                          disposition=Disposition(), mic=None, mic_digest=None, signer=None)
        parse_mdn(headers_from_mapping(built.headers), built.body, [ids["acme"].pair.cert], require_signed=True)
    assert unsigned.value.code == "AS2_MDN_UNSIGNED"
    good = mdn(ids["acme"].pair)
    assert (good.original_message_id, good.mic, good.mic_digest, good.as2_from) == ("m1@x", "bWlj", "sha256", "ACME")
    check_mdn(good, message_id="m1@x", mic="bWlj", mic_digest="sha256")
    cases = [("m2@x", "bWlj", "AS2_MDN_MESSAGE_ID_MISMATCH"), ("m1@x", "b3RoZXI=", "AS2_MDN_MIC_MISMATCH")]
    for message_id, mic, code in cases:
        with pytest.raises(As2Error) as caught:
            check_mdn(good, message_id=message_id, mic=mic, mic_digest="sha256")
        assert caught.value.code == code
    negative = mdn(None, disposition=Disposition("processed", "error", "decryption-failed"))
    with pytest.raises(As2Error) as caught:
        check_mdn(negative, message_id="m1@x", mic="bWlj", mic_digest="sha256")
    assert caught.value.code == "AS2_MDN_NEGATIVE" and "decryption-failed" in caught.value.message
