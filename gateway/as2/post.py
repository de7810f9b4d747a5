"""One AS2 POST and the verification of its synchronous MDN.

The transport's ``send`` builds and posts in one call; the gateway needs the Message-ID
and MIC *before* the POST (they are committed first, so an asynchronous MDN that races
the HTTP response still finds its message), so it builds with ``build_message`` and
posts here, through the transport client's own POST and MDN checks (same error codes).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from transports.as2.client import check_sync_mdn, post_as2
from transports.as2.config import Partnership
from transports.as2.mdn import MdnReport
from transports.as2.message import OutboundMessage


@dataclass(frozen=True, slots=True)
class PostResult:
    """The partner's HTTP answer to a message (its body is the MDN when one was asked for synchronously)."""

    http_status: int
    headers: dict[str, str]
    body: bytes


def post_message(http: httpx.Client, partnership: Partnership, message: OutboundMessage) -> PostResult:
    """POST ``message``; HTTP failures are coded ``As2Error`` (unreachable and 5xx are retryable)."""
    response = post_as2(http, partnership, message)
    return PostResult(response.status_code, dict(response.headers.items()), response.content)


def verify_sync_mdn(result: PostResult, partnership: Partnership, message: OutboundMessage) -> MdnReport:
    """The synchronous MDN, verified: signed by the partner, for this message, positive, our MIC."""
    return check_sync_mdn(result.headers.items(), result.body, partnership, message)
