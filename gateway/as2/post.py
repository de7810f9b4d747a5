"""One AS2 POST and the verification of its synchronous MDN.

The transport's ``send`` builds and posts in one call; the gateway needs the Message-ID
and MIC *before* the POST (they are committed first, so an asynchronous MDN that races
the HTTP response still finds its message), so it builds with ``build_message`` and
posts here, with the same error codes and checks as the transport's client.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from transports.as2.client import check_mdn
from transports.as2.config import Partnership
from transports.as2.errors import As2Error
from transports.as2.mdn import MdnReport, parse_mdn
from transports.as2.message import OutboundMessage
from transports.as2.mime import headers_from_mapping


@dataclass(frozen=True, slots=True)
class PostResult:
    """The partner's HTTP answer to a message (its body is the MDN when one was asked for synchronously)."""

    http_status: int
    headers: dict[str, str]
    body: bytes


def post_message(http: httpx.Client, partnership: Partnership, message: OutboundMessage) -> PostResult:
    """POST ``message``; HTTP failures are coded ``As2Error`` (unreachable and 5xx are retryable)."""
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
    return PostResult(response.status_code, dict(response.headers.items()), response.content)


def verify_sync_mdn(result: PostResult, partnership: Partnership, message: OutboundMessage) -> MdnReport:
    """The synchronous MDN, verified: signed by the partner, for this message, positive, our MIC."""
    if not result.body:
        raise As2Error("AS2_MDN_MALFORMED", "a synchronous MDN was requested but the response body is empty")
    report = parse_mdn(headers_from_mapping(result.headers.items()), result.body, partnership.partner_certs,
                       require_signed=partnership.mdn_signed)
    check_mdn(report, message_id=message.message_id, mic=message.mic, mic_digest=message.mic_digest)
    return report
