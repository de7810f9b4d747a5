"""The contract every transport keeps, its coded errors, and the rules they share.

A transport only moves bytes. The gateway drives it in a fixed order:

1. ``connect()``;
2. ``list_ready()`` - files that are complete (not a temporary name, size and mtime
   unchanged over two looks); a file listed here may be listed again until it is
   acknowledged, so the gateway deduplicates (by name and sha256) in its ledger;
3. ``fetch(remote)`` - the bytes, bounded by the configured size limit;
4. the gateway commits the bytes and a ledger row, *then* calls ``acknowledge(remote)``
   (delete, or move to a processed folder), so a crash in between re-delivers the
   file instead of losing it;
5. ``send(name, data)`` for outbound files, complete under the final name or not at all;
6. ``close()``.

Retries, backoff and circuit breaking belong to the gateway. Transports only say,
through :attr:`TransportError.retryable`, whether trying again later can help.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

# Names a sender uses while a file is still being written (WinSCP "*.filepart", our own ".x.part", editors "~").
DEFAULT_TEMP_PATTERNS: tuple[str, ...] = (".*", "*.tmp", "*.part", "*.partial", "*.filepart", "*~")
MAX_NAME_BYTES = 255  # the common filesystem limit for one path component


@dataclass(frozen=True, slots=True)
class ErrorKind:
    code: str
    retryable: bool  # True: the same call may succeed later without anyone changing configuration
    title: str


_KINDS: tuple[ErrorKind, ...] = (
    ErrorKind("SFTP_CONNECT_FAILED", True, "could not reach the SFTP server or finish the SSH handshake"),
    ErrorKind("SFTP_CONNECTION_LOST", True, "the SSH connection dropped during an operation"),
    ErrorKind("SFTP_TIMEOUT", True, "the SFTP server did not answer within the operation timeout"),
    ErrorKind("SFTP_REMOTE_ERROR", True, "the SFTP server reported a failure"),
    ErrorKind("SFTP_REMOTE_CHANGED", True, "the remote file changed while it was read; it must settle again"),
    ErrorKind("SFTP_UPLOAD_INCOMPLETE", True, "the uploaded file does not have the size that was sent"),
    ErrorKind("SFTP_AUTH_FAILED", False, "the server refused our private key"),
    ErrorKind("SFTP_KEY_UNREADABLE", False, "the private key cannot be loaded (missing, wrong passphrase, bad type)"),
    ErrorKind("SFTP_HOSTKEY_UNKNOWN", False, "the server's host key is not in the pinned known_hosts file"),
    ErrorKind("SFTP_HOSTKEY_CHANGED", False, "the server's host key differs from the pinned one"),
    ErrorKind("SFTP_KNOWN_HOSTS_UNREADABLE", False, "the known_hosts file cannot be read"),
    ErrorKind("SFTP_PERMISSION_DENIED", False, "the server denied access to a remote path"),
    ErrorKind("SFTP_REMOTE_MISSING", False, "the remote file or folder does not exist"),
    ErrorKind("SFTP_PATH_UNSAFE", False, "a file name would leave the configured folder"),
    ErrorKind("FILE_TOO_LARGE", False, "file exceeds the configured size limit"),
    ErrorKind("TRANSPORT_NOT_CONNECTED", False, "the transport was used before connect() or after close()"),
    ErrorKind("LOCAL_WRITE_FAILED", True, "a local file could not be written"),
    ErrorKind("LOCAL_FILE_EXISTS", True, "a local file of that name is still waiting to be processed"),
)

ERROR_KINDS: dict[str, ErrorKind] = {kind.code: kind for kind in _KINDS}


class TransportError(Exception):
    """One coded transport failure; ``retryable`` tells the gateway whether to try again later."""

    def __init__(self, code: str, message: str, *, retryable: bool | None = None) -> None:
        kind = ERROR_KINDS[code]  # KeyError for an uncatalogued code: a bug, not bad input
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = kind.retryable if retryable is None else retryable


class UnsafeNameError(TransportError, ValueError):
    """A file name that could escape its folder (also a ValueError, as callers of ``deliver`` expect)."""

    def __init__(self, message: str) -> None:
        super().__init__("SFTP_PATH_UNSAFE", message)


def check_name(name: str) -> str:
    """Return ``name`` if it is one plain file name; raise :class:`UnsafeNameError` otherwise.

    Remote listings come from a server we do not control and outbound names can come
    from partner data, so a name is never allowed to carry a separator, a parent
    reference, an absolute path, NUL or other control characters (which forge log lines).
    """
    if not name or name in (".", ".."):
        raise UnsafeNameError(f"file name {name!r} is not a plain file name")
    if "/" in name or "\\" in name:
        raise UnsafeNameError(f"file name {name!r} contains a path separator")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        raise UnsafeNameError(f"file name {name!r} contains NUL or a control character")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise UnsafeNameError(f"file name {name[:40]!r}... is longer than {MAX_NAME_BYTES} bytes")
    return name


def matches_any(name: str, patterns: Iterable[str]) -> bool:
    """Case-insensitive glob match (partners send ``PO1.X12`` as often as ``po1.x12``)."""
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in patterns)


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file seen in a transport's inbox; ``path`` is where it lives on the far side."""

    name: str
    size: int
    mtime: int  # seconds since the epoch as the far side reports it (SFTPv3 has whole seconds only)
    path: str


@dataclass(frozen=True, slots=True)
class ReceivedBytes:
    remote: RemoteFile
    data: bytes
    sha256: str


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """A fetch streamed to a local file (complete: written under a temporary name, then renamed)."""

    remote: RemoteFile
    local_path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class SendReceipt:
    name: str
    path: str  # final path on the far side
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class TransferAttempt:
    """One transfer try as the gateway writes it to its ledger (success or failure)."""

    channel: str
    direction: Literal["inbound", "outbound"]
    remote_name: str
    started: datetime  # UTC
    duration_ms: int
    result: Literal["ok", "failed"]
    size: int | None = None
    sha256: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool | None = None

    @classmethod
    def ok(cls, channel: str, direction: Literal["inbound", "outbound"], remote_name: str, started: datetime,
           duration_ms: int, size: int, sha256: str) -> TransferAttempt:
        return cls(channel, direction, remote_name, started, duration_ms, "ok", size=size, sha256=sha256)

    @classmethod
    def failed(cls, channel: str, direction: Literal["inbound", "outbound"], remote_name: str,
               started: datetime, duration_ms: int, error: TransportError) -> TransferAttempt:
        return cls(channel, direction, remote_name, started, duration_ms, "failed", error_code=error.code,
                   error_message=error.message, retryable=error.retryable)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(slots=True)
class SettleTracker:
    """The two-look rule: a file is ready once a later look, ``settle`` seconds on, sees the same size and mtime.

    The state of the previous look lives here (one tracker per transport instance),
    so polling needs no sleep: the first look only records a file, a later one (at
    least ``settle`` seconds after that size and mtime were first seen) releases it.
    A file missing from a look is forgotten and must settle again if it comes back.
    """

    settle: float
    clock: Callable[[], float]
    _seen: dict[str, tuple[int, int, float]] = field(default_factory=dict)

    def ready(self, look: Mapping[str, tuple[int, int]]) -> list[str]:
        """Take one look (key -> (size, mtime)); return the keys that are settled, in the look's order."""
        now = self.clock()
        previous, self._seen = self._seen, {}
        settled: list[str] = []
        for key, state in look.items():
            before = previous.get(key)
            if before is not None and before[:2] == state:
                self._seen[key] = before
                if now - before[2] >= self.settle:
                    settled.append(key)
            else:
                self._seen[key] = (*state, now)
        return settled

    def forget(self, key: str) -> None:
        """Drop a file's state (acknowledged, or seen changing while read): it must settle again."""
        self._seen.pop(key, None)


@runtime_checkable
class Transport(Protocol):
    """What the gateway needs from any channel (SFTP, local drop folder, ...)."""

    channel: str

    def connect(self) -> None: ...

    def list_ready(self) -> list[RemoteFile]: ...

    def fetch(self, remote: RemoteFile) -> ReceivedBytes: ...

    def acknowledge(self, remote: RemoteFile) -> None: ...

    def send(self, name: str, data: bytes) -> SendReceipt: ...

    def close(self) -> None: ...
