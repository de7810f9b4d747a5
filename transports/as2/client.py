"""Sending AS2 messages and checking their MDNs.

``send`` builds the message, POSTs it with httpx and, for a synchronous MDN, verifies the
receipt at once: signature (with the partner's certificates), Original-Message-ID and the
Received-content-MIC against the MIC we computed while signing. For an asynchronous MDN it
returns a :class:`PendingMdn` that the gateway stores; :func:`match_async_mdn` later pairs
an incoming MDN with it and applies the same checks.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message

import httpx

from transports.as2.config import Partnership
from transports.as2.errors import As2Error
from transports.as2.mdn import MdnReport, parse_mdn
from transports.as2.message import OutboundMessage, build_message
from transports.as2.mime import headers_from_mapping, unquote_as2_name
from transports.as2.receiver import PartnerLookup


@dataclass(frozen=True, slots=True)
class PendingMdn:
    """What is needed to check an asynchronous MDN that arrives later."""

    message_id: str
    partner_id: str
    local_id: str
    mic: str
    mic_digest: str
    signed_mdn: bool
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class SendResult:
    message_id: str
    mic: str
    mic_digest: str
    http_status: int
    mdn: MdnReport | None  # verified synchronous MDN
    pending: PendingMdn | None  # asynchronous MDN still to come


def check_mdn(report: MdnReport, *, message_id: str, mic: str, mic_digest: str) -> None:
    """Raise a coded error unless ``report`` is a positive receipt for exactly what we sent."""
    if report.original_message_id != message_id:
        raise As2Error("AS2_MDN_MESSAGE_ID_MISMATCH",
                       f"MDN answers <{report.original_message_id}>, we sent <{message_id}>")
    if not report.disposition.ok:
        raise As2Error("AS2_MDN_NEGATIVE", f"partner reported {report.disposition.render()!r}")
    if report.mic is None or report.mic_digest != mic_digest or not hmac.compare_digest(report.mic, mic):
        raise As2Error("AS2_MDN_MIC_MISMATCH",
                       f"MDN MIC {report.mic!r} ({report.mic_digest}) != ours {mic!r} ({mic_digest})")


def post_as2(http: httpx.Client, partnership: Partnership, message: OutboundMessage) -> httpx.Response:
    """POST a built message; HTTP failures are coded ``As2Error`` (unreachable and 5xx are retryable)."""
    if not partnership.url:
        raise As2Error("AS2_HTTP_REFUSED", f"partner {partnership.partner_id} has no URL configured")
    try:
        response = http.post(partnership.url, headers=message.headers, content=message.body,
                             timeout=partnership.timeout_seconds)
    except httpx.HTTPError as exc:
        raise As2Error("AS2_HTTP_UNREACHABLE", f"{partnership.url}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 500:
        raise As2Error("AS2_HTTP_STATUS", f"{partnership.url} answered HTTP {response.status_code}")
    if response.status_code >= 300:
        raise As2Error("AS2_HTTP_REFUSED", f"{partnership.url} answered HTTP {response.status_code}: "
                                           f"{response.text[:200]!r}")
    return response


def check_sync_mdn(headers: Iterable[tuple[str, str]], body: bytes, partnership: Partnership,
                   message: OutboundMessage) -> MdnReport:
    """The synchronous MDN in an HTTP response, verified: signed by the partner, for ``message``, positive, our MIC."""
    if not body:
        raise As2Error("AS2_MDN_MALFORMED", "a synchronous MDN was requested but the response body is empty")
    report = parse_mdn(headers_from_mapping(headers), body, partnership.partner_certs,
                       require_signed=partnership.mdn_signed)
    check_mdn(report, message_id=message.message_id, mic=message.mic, mic_digest=message.mic_digest)
    return report


def send(
    payload: bytes,
    partnership: Partnership,
    *,
    http: httpx.Client,
    content_type: str = "application/edi-x12",
    filename: str | None = None,
    subject: str = "EDI message",
    domain: str = "edipulse.local",
) -> SendResult:
    """Send ``payload``; returns a verified sync MDN, or a pending record for an async one."""
    message = build_message(payload, partnership, content_type=content_type, filename=filename,
                            subject=subject, domain=domain)
    response = post_as2(http, partnership, message)
    base = {"message_id": message.message_id, "mic": message.mic, "mic_digest": message.mic_digest,
            "http_status": response.status_code}
    if partnership.mdn == "none":
        return SendResult(**base, mdn=None, pending=None)
    if partnership.mdn == "async":
        pending = PendingMdn(message.message_id, partnership.partner_id, partnership.local_id, message.mic,
                             message.mic_digest, partnership.mdn_signed, datetime.now(UTC))
        return SendResult(**base, mdn=None, pending=pending)
    report = check_sync_mdn(response.headers.multi_items(), response.content, partnership, message)
    return SendResult(**base, mdn=report, pending=None)


@dataclass(frozen=True, slots=True)
class MatchedMdn:
    pending: PendingMdn
    report: MdnReport


def match_async_mdn(
    headers: Message,
    body: bytes,
    lookup: PartnerLookup,
    find_pending: Callable[[str], PendingMdn | None],
) -> MatchedMdn:
    """Verify an asynchronous MDN and pair it with the message it answers (errors coded AS2_MDN_*).

    The MDN's AS2-From names the partner whose certificates must have signed it;
    ``find_pending(original_message_id)`` returns what we recorded when sending.
    """
    as2_from, as2_to = headers.get("AS2-From"), headers.get("AS2-To")
    if not as2_from or not as2_to:
        raise As2Error("AS2_MDN_MALFORMED", "asynchronous MDN lacks AS2-From/AS2-To")
    partnership = lookup(unquote_as2_name(as2_from), unquote_as2_name(as2_to))
    if partnership is None:
        raise As2Error("AS2_MDN_UNMATCHED", f"no partnership from {as2_from!r} to {as2_to!r}")
    report = parse_mdn(headers, body, partnership.partner_certs, require_signed=partnership.mdn_signed)
    pending = find_pending(report.original_message_id)
    if pending is None or pending.partner_id != partnership.partner_id:
        raise As2Error("AS2_MDN_UNMATCHED", f"no message <{report.original_message_id}> awaits an MDN from "
                                            f"{partnership.partner_id}")
    check_mdn(report, message_id=pending.message_id, mic=pending.mic, mic_digest=pending.mic_digest)
    return MatchedMdn(pending, report)
