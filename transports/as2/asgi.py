"""ASGI application for the AS2 receive side (runs under uvicorn or mounts into any ASGI router).

The body is streamed and counted: a request whose Content-Length or actual size exceeds
the partner's limit is answered 413 without buffering the excess. The partnership is
resolved from the headers before the body is read, so the limit is the partner's own.
Processing (crypto, ``deliver``) runs in a worker thread; the MDN is sent only after
``deliver`` returned. Asynchronous MDNs are handed to ``on_async_mdn`` after the
response went out; without one they are posted right away in a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from email.message import Message
from typing import Any

import anyio.to_thread

from transports.as2.errors import As2Error
from transports.as2.mime import headers_from_mapping
from transports.as2.receiver import As2Receiver, AsyncMdnJob, HttpResponse, post_async_mdn

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
MdnHandler = Callable[[Message, bytes], HttpResponse]

log = logging.getLogger(__name__)
DEFAULT_MDN_MAX_BODY = 1024 * 1024


class _TooLarge(Exception):
    """The body outgrew its limit while streaming."""


def _headers(scope: Scope) -> Message:
    return headers_from_mapping((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            raise ConnectionError("client disconnected")
        chunk = event.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge(f"body exceeds {limit} bytes")
        chunks.append(chunk)
        if not event.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, response: HttpResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _declared_length(headers: Message) -> int | None:
    value = headers.get("Content-Length")
    return int(value) if value and value.strip().isdigit() else None


def _post_quietly(job: AsyncMdnJob) -> None:
    try:
        post_async_mdn(job)
    except As2Error as exc:
        log.warning("async MDN for <%s> not delivered: %s", job.original_message_id, exc)


def create_app(
    receiver: As2Receiver,
    *,
    on_async_mdn: Callable[[AsyncMdnJob], None] | None = None,
    mdn_path: str | None = None,
    on_mdn: MdnHandler | None = None,
    mdn_max_body: int = DEFAULT_MDN_MAX_BODY,
) -> AsgiApp:
    """The ASGI app: AS2 messages on any path, asynchronous MDNs from partners on ``mdn_path``."""
    if (mdn_path is None) != (on_mdn is None):
        raise ValueError("mdn_path and on_mdn go together")

    async def _message(scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        try:
            partnership = receiver.identify(headers)
            limit = partnership.max_body_bytes
            declared = _declared_length(headers)
            if declared is not None and declared > limit:
                raise As2Error("AS2_TOO_LARGE", f"Content-Length {declared} exceeds the limit of {limit} bytes")
            try:
                body = await _read_body(receive, limit)
            except _TooLarge as exc:
                raise As2Error("AS2_TOO_LARGE", str(exc)) from exc
        except As2Error as exc:
            await _respond(send, receiver.refuse(exc).response)
            return
        outcome = await anyio.to_thread.run_sync(receiver.handle, headers, body, partnership)
        await _respond(send, outcome.response)
        if outcome.async_mdn is not None:
            if on_async_mdn is not None:
                on_async_mdn(outcome.async_mdn)
            else:
                await anyio.to_thread.run_sync(_post_quietly, outcome.async_mdn)

    async def _mdn(scope: Scope, receive: Receive, send: Send) -> None:
        assert on_mdn is not None  # checked above
        try:
            body = await _read_body(receive, mdn_max_body)
        except _TooLarge:
            await _respond(send, receiver.refuse(As2Error("AS2_TOO_LARGE", "MDN too large")).response)
            return
        await _respond(send, await anyio.to_thread.run_sync(on_mdn, _headers(scope), body))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _respond(send, receiver.refuse(As2Error("AS2_METHOD", f"{scope['method']} not allowed")).response)
        elif mdn_path is not None and scope["path"] == mdn_path:
            await _mdn(scope, receive, send)
        else:
            try:
                await _message(scope, receive, send)
            except ConnectionError:
                log.info("AS2 sender disconnected before the body was complete")

    return app
