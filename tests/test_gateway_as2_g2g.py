"""Two gateways, two working directories, two loopback ports: an 850 goes over AS2, its 997 comes back over AS2.

alpha sends with an asynchronous MDN (beta posts it to alpha's /as2/mdn); beta answers with
a synchronous one. Both ledgers must show the message, its MDN and the 997.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from as2_fixtures import make_identity
from gateway_as2_fixtures import Site, make_site, partner_entry, running, wait_for
from support import DATA

from gateway.as2.queue import queue_file


def _po_from_alpha_to_beta(tmp: Path) -> Path:
    text = (DATA / "gateway" / "acme-850-4010.x12").read_text()
    text = text.replace("ZZ*ACMEMED        ", "ZZ*ALPHA          ").replace("ZZ*EDIPULSE       ", "ZZ*BETA           ")
    text = text.replace("*ACMEMED*EDIPULSE*", "*ALPHA*BETA*")
    target = tmp / "po-alpha.x12"
    target.write_text(text)
    return target


@pytest.fixture
def sites(tmp_path: Path) -> tuple[Site, Site]:
    pki = {name: make_identity(tmp_path / "pki", name) for name in ("alpha", "beta")}
    alpha = make_site(tmp_path / "alpha", "ZZ:ALPHA", "ALPHA-AS2", pki["alpha"], {"beta": "ZZ:BETA"})
    beta = make_site(tmp_path / "beta", "ZZ:BETA", "BETA AS2", pki["beta"], {"alpha": "ZZ:ALPHA"})
    alpha.set_as2([partner_entry("beta", "BETA AS2", pki["beta"], beta.url + "/as2", mdn="async")])
    beta.set_as2([partner_entry("alpha", "ALPHA-AS2", pki["alpha"], alpha.url + "/as2", mdn="sync")])
    return alpha, beta


def test_850_over_as2_and_997_back_over_as2(sites: tuple[Site, Site], tmp_path: Path) -> None:
    alpha, beta = sites
    ctx = alpha.context()
    try:
        queued = queue_file(ctx, "beta", _po_from_alpha_to_beta(tmp_path))
    finally:
        ctx.close()
    with running(beta), running(alpha):
        wait_for(lambda: [m.status for m in alpha.messages(id=queued.id)] == ["sent"], "alpha's 850 confirmed")
        wait_for(lambda: [m.status for m in beta.messages(kind="ack")] == ["sent"], "beta's 997 confirmed")
        wait_for(lambda: alpha.messages(kind="interchange", direction="in"), "alpha processed the 997")

    # alpha: the 850 went out once, its asynchronous MDN matched; the 997 came in over AS2.
    [out] = alpha.as2_rows(direction="out")
    assert (out.message_id, out.status, out.mdn_mode, out.as2_to) == (queued.id, "confirmed", "async", "BETA AS2")
    assert out.mdn_disposition.endswith("; processed") and out.mdn_archive_path
    [ack_in] = alpha.as2_rows(direction="in")
    assert (ack_in.status, ack_in.partner_id, ack_in.mdn_status) == ("stored", "beta", "returned")
    [interchange] = alpha.messages(kind="interchange", direction="in")
    assert (interchange.partner_id, interchange.sender, interchange.receiver) == ("beta", "ZZ:BETA", "ZZ:ALPHA")
    [ack_set] = alpha.messages(kind="set", direction="in")
    assert ack_set.set_id == "997"

    # beta: the 850 came in (async MDN posted to alpha), booked, answered; the 997 went out with a verified MDN.
    [po_in] = beta.as2_rows(direction="in")
    assert (po_in.status, po_in.mdn_mode, po_in.mdn_status) == ("stored", "async", "posted")
    assert po_in.mic == out.mic, "both sides computed the same MIC"
    assert po_in.mdn_url == alpha.url + "/as2/mdn"
    assert sorted(m.doc_ref for m in beta.messages(kind="set", status="acknowledged")) == ["4500012345",
                                                                                          "4500012346"]
    [ack_out] = beta.as2_rows(direction="out")
    assert (ack_out.status, ack_out.mdn_mode, ack_out.mic) == ("confirmed", "sync", ack_in.mic)
    assert not list((beta.root / "outbox").rglob("*.x12")), "an AS2 partner's 997 never goes to the outbox"
