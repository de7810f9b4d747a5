"""Coded failures of the gateway's channel code, beside the transports' own (``transports.base``).

A transport says what went wrong moving bytes; these codes say what the gateway
refused or could not do around a transfer. Both reach the transfer ledger as a
:class:`gateway.ledger.transfers.Failure`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.ledger.transfers import Failure
from transports.base import TransportError


@dataclass(frozen=True, slots=True)
class ChannelErrorKind:
    code: str
    retryable: bool
    title: str


_KINDS: tuple[ChannelErrorKind, ...] = (
    ChannelErrorKind("CHANNEL_PATH_UNSAFE", False, "a file in a local channel folder is a link or not a plain file"),
    ChannelErrorKind("CHANNEL_FILE_CHANGED", True, "a file in a local channel folder changed or vanished after "
                     "it was listed; it must settle again"),
    ChannelErrorKind("CHANNEL_READ_FAILED", True, "a file in a local channel folder could not be read"),
    ChannelErrorKind("CHANNEL_PARTNER_UNKNOWN", False, "the channel's partner is not an ERP partner"),
    ChannelErrorKind("CHANNEL_ARCHIVE_FAILED", True, "received bytes could not be archived or recorded"),
    ChannelErrorKind("CHANNEL_OUTBOUND_MISSING", False, "an outbound message has no archived bytes to send"),
)
CHANNEL_ERROR_KINDS: dict[str, ChannelErrorKind] = {kind.code: kind for kind in _KINDS}

# Failures of one file, not of the channel: recorded, the file is skipped, the channel goes on.
FILE_LEVEL_CODES = frozenset({"FILE_TOO_LARGE", "SFTP_PATH_UNSAFE", "SFTP_REMOTE_CHANGED", "SFTP_REMOTE_MISSING",
                              "SFTP_PERMISSION_DENIED", "CHANNEL_PATH_UNSAFE", "CHANNEL_FILE_CHANGED",
                              "CHANNEL_OUTBOUND_MISSING"})
# File failures that stay until the file changes: recorded once, then the file is left alone.
STICKY_FILE_CODES = frozenset({"FILE_TOO_LARGE", "SFTP_PATH_UNSAFE", "SFTP_PERMISSION_DENIED", "CHANNEL_PATH_UNSAFE",
                               "CHANNEL_OUTBOUND_MISSING"})


class ChannelError(Exception):
    """A coded failure raised by the gateway's channel code (never by a transport)."""

    def __init__(self, code: str, message: str) -> None:
        kind = CHANNEL_ERROR_KINDS[code]  # KeyError for an uncatalogued code: a bug, not bad input
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = kind.retryable


def failure_of(exc: TransportError | ChannelError) -> Failure:
    return Failure(exc.code, exc.message, exc.retryable)
