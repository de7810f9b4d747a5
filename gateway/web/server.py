"""Serving the gateway's ASGI app with uvicorn in a background thread of ``edipulse run``.

uvicorn only installs signal handlers in the main thread, so in its own thread it leaves
SIGTERM and Ctrl-C to the polling loop, which stops the server on its way out.
"""

from __future__ import annotations

import logging
import threading

import uvicorn

from gateway.as2.directory import As2Directory
from gateway.context import Context
from gateway.errors import ConfigError
from gateway.web.app import create_web_app

log = logging.getLogger(__name__)
STOP_TIMEOUT = 15.0


class WebServer:
    def __init__(self, app: object, host: str, port: int) -> None:
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="edipulse-web", daemon=True)
        self.host, self.port = host, port

    def start(self) -> None:
        """Start and wait until the socket listens (or the server failed, e.g. the port is taken)."""
        self._thread.start()
        ready = threading.Event()
        while not self._server.started and self._thread.is_alive():
            ready.wait(0.02)
        if not self._server.started:
            raise ConfigError(f"cannot serve HTTP on {self.host}:{self.port} (port in use or not allowed?)")
        log.info("serving AS2 on http://%s:%d/as2", self.host, self.port)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STOP_TIMEOUT)


def start_web_server(ctx: Context) -> WebServer | None:
    """Start the web server when ``as2.listen`` is configured; None otherwise."""
    as2 = ctx.settings.as2
    if as2 is None or as2.listen is None:
        return None
    server = WebServer(create_web_app(ctx, As2Directory.load(ctx.settings, ctx.engine)), as2.listen.host,
                       as2.listen.port)
    server.start()
    return server
