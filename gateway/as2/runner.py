"""The AS2 part of one ``Gateway.run_once`` round (sending, overdue checks, owed MDNs)."""

from __future__ import annotations

from datetime import datetime

from gateway.as2.directory import As2Directory
from gateway.as2.outbound import As2Sender
from gateway.context import Context


class As2Round:
    """Loads the partnerships on first use (a gateway without ``as2:`` never touches key files)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._sender: As2Sender | None = None

    def run(self, now: datetime | None = None) -> list[str]:
        """Send what is due over AS2; returns a line per message confirmed sent."""
        if self._ctx.settings.as2 is None:
            return []
        return self._load().run(now)

    def certificate_warnings(self) -> list[str]:
        """One line per certificate (ours or a partner's) expiring within ``as2.warn_days``."""
        if self._ctx.settings.as2 is None:
            return []
        return [f"{w.side}{' ' + w.partner_id if w.partner_id else ''}: {w.warning.subject} "
                f"{'expired' if w.warning.expired else 'expires'} {w.warning.not_after:%Y-%m-%d}"
                for w in self._load().directory.certificate_warnings()]

    def _load(self) -> As2Sender:
        if self._sender is None:
            self._sender = As2Sender(self._ctx, As2Directory.load(self._ctx.settings, self._ctx.engine))
        return self._sender
