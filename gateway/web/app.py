"""The gateway's ASGI application.

Routes: ``POST /as2`` (and below) receives AS2 messages, ``POST /as2/mdn`` takes the
asynchronous MDNs partners send for our messages, ``GET /healthz`` answers ``ok`` once the
database answers. Every AS2 request is recorded after its response went out (see
:mod:`gateway.as2.exchange`); the AS2 protocol work itself is the transport's.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

import anyio.to_thread
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from gateway.as2.config import AS2_PATH, MDN_PATH
from gateway.as2.directory import As2Directory
from gateway.as2.exchange import Exchange, ExchangeRecorder
from gateway.as2.inbound import As2Intake
from gateway.as2.receipts import MdnReceiver
from gateway.context import Context
from transports.as2.asgi import AsgiApp, Receive, Scope, Send, create_app
from transports.as2.mime import headers_from_mapping, strip_angle, unquote_as2_name
from transports.as2.receiver import As2Receiver, AsyncMdnJob

log = logging.getLogger(__name__)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _decoded(pairs: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs]


class GatewayWeb:
    """The ASGI callable: routes, records AS2 exchanges, keeps owed async MDNs until recorded."""

    def __init__(self, ctx: Context, directory: As2Directory) -> None:
        self._ctx = ctx
        intake = As2Intake(ctx, directory)
        receiver = As2Receiver(directory.lookup, intake.is_duplicate, intake.deliver,
                               domain=directory.settings.domain, async_url_allowed=intake.async_url_allowed)
        self._recorder = ExchangeRecorder(ctx, directory)
        # Owed async MDNs, handed over by the AS2 app inside the request that produced them and
        # taken back by that same request once its response is out (so recording and posting stay in order).
        self._jobs: dict[tuple[str, str], AsyncMdnJob] = {}
        self._as2: AsgiApp = create_app(receiver, on_async_mdn=self._keep_job, mdn_path=MDN_PATH,
                                        on_mdn=MdnReceiver(ctx, directory))

    def _keep_job(self, job: AsyncMdnJob) -> None:
        self._jobs[(job.partner_id, job.original_message_id)] = job

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._as2(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"].rstrip("/") or "/"
        if path == "/healthz":
            await self._health(send)
        elif path == MDN_PATH:
            await self._as2(scope, receive, send)
        elif path == AS2_PATH or path.startswith(AS2_PATH + "/"):
            await self._message(scope, receive, send)
        else:
            await _plain(send, 404, b"not found\n")

    async def _health(self, send: Send) -> None:
        try:
            await anyio.to_thread.run_sync(self._ping)
        except SQLAlchemyError as exc:
            log.warning("health check: database unavailable: %s", exc)
            await _plain(send, 503, b"database unavailable\n")
            return
        await _plain(send, 200, b"ok\n")

    def _ping(self) -> None:
        with self._ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    async def _message(self, scope: Scope, receive: Receive, send: Send) -> None:
        captured: MutableMapping[str, Any] = {"status": None, "headers": [], "body": bytearray()}

        async def capture(event: MutableMapping[str, Any]) -> None:
            if event["type"] == "http.response.start":
                captured["status"], captured["headers"] = event["status"], event.get("headers", [])
            elif event["type"] == "http.response.body":
                captured["body"].extend(event.get("body", b""))
            await send(event)

        await self._as2(scope, receive, capture)
        if captured["status"] is None:  # the sender went away before we answered
            return
        request = headers_from_mapping(_decoded(scope["headers"]))
        key = (unquote_as2_name(request.get("AS2-From") or ""), strip_angle(request.get("Message-ID") or ""))
        exchange = Exchange(request, captured["status"], headers_from_mapping(_decoded(captured["headers"])),
                            bytes(captured["body"]), self._jobs.pop(key, None))
        await anyio.to_thread.run_sync(self._record, exchange)

    def _record(self, exchange: Exchange) -> None:
        try:
            self._recorder.record(exchange)
        except Exception:  # boundary: the partner has its answer; a recording failure is logged, not raised
            log.exception("AS2 <%s> from %s: recording the exchange failed", exchange.message_id, exchange.as2_from)


def create_web_app(ctx: Context, directory: As2Directory) -> GatewayWeb:
    """The gateway's ASGI application (serve it with :class:`gateway.web.server.WebServer`)."""
    return GatewayWeb(ctx, directory)
