"""Receiving AS2 messages, independent of any web framework.

The gateway injects three callables:

* ``lookup(as2_from, as2_to)`` -> :class:`Partnership` or None (certificates, policy, our keys);
* ``is_duplicate(partner_id, message_id)`` -> bool;
* ``deliver(payload, meta)`` which must commit the payload durably before it returns,
  because the MDN built afterwards tells the partner it may forget the message.

Refusals that are answered at HTTP level, without an MDN (see ``docs/as2.md``):
missing AS2 headers -> 400, unknown AS2-From/AS2-To pair -> 403 (we neither sign for nor
post to a party we do not know), body over the partner's limit -> 413. Every other
failure yields a negative MDN with the catalogue's disposition modifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Protocol

import httpx

from transports.as2.config import Partnership
from transports.as2.errors import As2Error
from transports.as2.mdn import Disposition, MdnRequest, build_mdn
from transports.as2.message import Unwrapped, unwrap
from transports.as2.mime import strip_angle, unquote_as2_name

ERROR_HEADER = "X-EDIPulse-Error"


class PartnerLookup(Protocol):
    def __call__(self, as2_from: str, as2_to: str) -> Partnership | None: ...


class DuplicateCheck(Protocol):
    def __call__(self, partner_id: str, message_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class ReceivedMeta:
    """Facts about a received message, handed to ``deliver`` with the payload."""

    message_id: str
    as2_from: str
    as2_to: str
    content_type: str
    filename: str | None
    signed: bool
    encrypted: bool
    compressed: bool
    cipher: str | None
    mic: str | None
    mic_digest: str | None
    subject: str | None


class Deliver(Protocol):
    def __call__(self, payload: bytes, meta: ReceivedMeta) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class AsyncMdnJob:
    """An MDN to POST to the sender after the HTTP exchange ended (the gateway schedules it)."""

    url: str
    headers: dict[str, str]
    body: bytes
    original_message_id: str
    partner_id: str


@dataclass(frozen=True, slots=True)
class ReceiveOutcome:
    response: HttpResponse
    async_mdn: AsyncMdnJob | None = None
    error: As2Error | None = None
    meta: ReceivedMeta | None = None


def _refusal(error: As2Error) -> ReceiveOutcome:
    body = f"{error.code}: {error.message}\n".encode()
    headers = {"Content-Type": "text/plain; charset=utf-8", ERROR_HEADER: error.code}
    return ReceiveOutcome(HttpResponse(error.http_status, headers, body), error=error)


def _http_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


class As2Receiver:
    def __init__(
        self,
        lookup: PartnerLookup,
        is_duplicate: DuplicateCheck,
        deliver: Deliver,
        *,
        domain: str = "edipulse.local",
        async_url_allowed: Callable[[Partnership, str], bool] | None = None,
    ) -> None:
        self._lookup = lookup
        self._is_duplicate = is_duplicate
        self._deliver = deliver
        self._domain = domain
        # The receipt URL is chosen by the sender: the default only admits http(s) URLs;
        # the gateway may pin it to the partner's registered endpoint.
        self._async_url_allowed = async_url_allowed or (lambda _partnership, url: _http_url(url))

    def identify(self, headers: Message) -> Partnership:
        """The partnership a request belongs to, from its AS2 headers (before reading the body)."""
        as2_from, as2_to, message_id = (headers.get(name) for name in ("AS2-From", "AS2-To", "Message-ID"))
        if not as2_from or not as2_to or not message_id or not strip_angle(message_id):
            raise As2Error("AS2_HEADERS_MISSING", "AS2-From, AS2-To and Message-ID are required")
        partnership = self._lookup(unquote_as2_name(as2_from), unquote_as2_name(as2_to))
        if partnership is None:
            raise As2Error("AS2_UNKNOWN_PARTNER", f"no partnership from {as2_from!r} to {as2_to!r}")
        return partnership

    def refuse(self, error: As2Error) -> ReceiveOutcome:
        """The HTTP answer to a request refused before (or while) reading its body."""
        return _refusal(error)

    def handle(self, headers: Message, body: bytes, partnership: Partnership | None = None) -> ReceiveOutcome:
        """Process one request completely and return the HTTP response (and any async MDN to send)."""
        try:
            partnership = partnership or self.identify(headers)
        except As2Error as exc:
            return _refusal(exc)
        if len(body) > partnership.max_body_bytes:
            return _refusal(As2Error("AS2_TOO_LARGE", f"{len(body)} bytes > limit {partnership.max_body_bytes}"))
        request = MdnRequest.from_headers(headers)
        message_id = strip_angle(str(headers["Message-ID"]))
        state: Unwrapped | None = None
        meta: ReceivedMeta | None = None
        error: As2Error | None = None
        try:
            state = unwrap(headers, body, partnership, unsigned_mic_digest=request.digest)
            meta = self._meta(headers, message_id, partnership, state)
            if self._is_duplicate(partnership.partner_id, message_id):
                raise As2Error("AS2_DUPLICATE", f"Message-ID <{message_id}> was already received")
            self._commit(state.payload, meta)
        except As2Error as exc:
            error = exc
        disposition = Disposition.for_error(error) if error else Disposition()
        return self._answer(partnership, request, message_id, disposition, state, error, meta)

    def _commit(self, payload: bytes, meta: ReceivedMeta) -> None:
        try:
            self._deliver(payload, meta)
        except Exception as exc:  # boundary: any storage failure becomes a coded, retryable negative MDN
            raise As2Error("AS2_DELIVERY_FAILED", f"{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _meta(headers: Message, message_id: str, partnership: Partnership, state: Unwrapped) -> ReceivedMeta:
        return ReceivedMeta(
            message_id=message_id,
            as2_from=partnership.partner_id,
            as2_to=partnership.local_id,
            content_type=state.content_type,
            filename=state.filename,
            signed=state.signed,
            encrypted=state.encrypted,
            compressed=state.compressed,
            cipher=state.cipher,
            mic=state.mic,
            mic_digest=state.mic_digest,
            subject=headers.get("Subject"),
        )

    def _answer(
        self,
        partnership: Partnership,
        request: MdnRequest,
        message_id: str,
        disposition: Disposition,
        state: Unwrapped | None,
        error: As2Error | None,
        meta: ReceivedMeta | None,
    ) -> ReceiveOutcome:
        extra = {ERROR_HEADER: error.code} if error else {}
        if not request.requested:
            return ReceiveOutcome(HttpResponse(200, extra), error=error, meta=meta)
        mdn = build_mdn(
            original_message_id=message_id,
            local_id=partnership.local_id,
            partner_id=partnership.partner_id,
            disposition=disposition,
            mic=state.mic if state else None,
            mic_digest=state.mic_digest if state else None,
            signer=partnership.signer if request.signed else None,
            sign_digest=request.digest,
            text=f"{error.code}: {error.message}" if error else None,
            domain=self._domain,
        )
        url = request.async_url
        if url and self._async_url_allowed(partnership, url):
            job = AsyncMdnJob(url, mdn.headers, mdn.body, message_id, partnership.partner_id)
            return ReceiveOutcome(HttpResponse(200, extra), async_mdn=job, error=error, meta=meta)
        return ReceiveOutcome(HttpResponse(200, {**mdn.headers, **extra}, mdn.body), error=error, meta=meta)


def post_async_mdn(job: AsyncMdnJob, *, timeout: float = 60.0, client: httpx.Client | None = None) -> int:
    """POST an asynchronous MDN; returns the HTTP status, raises retryable AS2_MDN_POST_FAILED."""
    try:
        if client is None:
            with httpx.Client(timeout=timeout) as own:
                response = own.post(job.url, headers=job.headers, content=job.body)
        else:
            response = client.post(job.url, headers=job.headers, content=job.body, timeout=timeout)
    except httpx.HTTPError as exc:
        raise As2Error("AS2_MDN_POST_FAILED", f"{job.url}: {type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise As2Error("AS2_MDN_POST_FAILED", f"{job.url} answered HTTP {response.status_code}")
    return response.status_code
