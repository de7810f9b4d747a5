"""A partner folder on this machine as a channel transport (same contract as the SFTP transport).

Typical use: the chrooted inbox of a partner who uploads to our own OpenSSH server.
The partner controls what lies in that folder, links included, so only plain files
directly in it are taken, opened without following links, and read up to the limit.
Outbound files are written under a temporary name, fsynced and renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from gateway.channels.errors import ChannelError
from transports.base import (
    ReceivedBytes,
    RemoteFile,
    SendReceipt,
    SettleTracker,
    TransportError,
    check_name,
    matches_any,
    sha256_hex,
)

_CHUNK = 1 << 20


class LocalChannelTransport:
    """Reads a partner's folder and writes into another; one instance per channel (it keeps the settle state)."""

    def __init__(self, channel: str, inbox: Path, outbox: Path, *, max_file_bytes: int, settle_seconds: float,
                 temp_patterns: tuple[str, ...], clock: Callable[[], float] = time.monotonic) -> None:
        self.channel = channel
        self.inbox = inbox
        self.outbox = outbox
        self.max_file_bytes = max_file_bytes
        self.temp_patterns = temp_patterns
        self._settle = SettleTracker(settle_seconds, clock)
        self.unsafe: list[tuple[str, TransportError | ChannelError]] = []  # refused names of the last listing

    def connect(self) -> None:
        """Nothing to open; a missing folder is reported by the listing."""

    def close(self) -> None:
        """Nothing to close."""

    def list_ready(self) -> list[RemoteFile]:
        """Settled plain files directly in the inbox; links and other entries are reported in :attr:`unsafe`."""
        self.unsafe = []
        seen: dict[str, RemoteFile] = {}
        try:
            entries = sorted(os.scandir(self.inbox), key=lambda e: e.name)
        except OSError as exc:
            raise ChannelError("CHANNEL_READ_FAILED", f"cannot list {self.inbox}: {exc.strerror}") from exc
        for entry in entries:
            if matches_any(entry.name, self.temp_patterns) or entry.is_dir(follow_symlinks=False):
                continue
            try:
                check_name(entry.name)
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    raise ChannelError("CHANNEL_PATH_UNSAFE", f"{self.inbox / entry.name} is a link or a special "
                                       "file; only plain files are taken")
            except (TransportError, ChannelError) as exc:
                self.unsafe.append((entry.name, exc))
                continue
            except FileNotFoundError:
                continue
            seen[entry.name] = RemoteFile(entry.name, info.st_size, info.st_mtime_ns, str(self.inbox / entry.name))
        ready = set(self._settle.ready({name: (f.size, f.mtime) for name, f in seen.items()}))
        return [f for name, f in seen.items() if name in ready]

    def fetch(self, remote: RemoteFile) -> ReceivedBytes:
        """The file's bytes, read without following a link and never beyond the size limit."""
        path = self.inbox / check_name(remote.name)
        if remote.size > self.max_file_bytes:
            raise TransportError("FILE_TOO_LARGE", f"{path} has {remote.size} bytes, over the limit of "
                                 f"{self.max_file_bytes}")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError as exc:
            self._settle.forget(remote.name)
            raise ChannelError("CHANNEL_FILE_CHANGED", f"{path} vanished after it was listed") from exc
        except OSError as exc:  # ELOOP: it became a link after the listing
            raise ChannelError("CHANNEL_PATH_UNSAFE", f"cannot open {path} as a plain file: {exc.strerror}") from exc
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or (info.st_size, info.st_mtime_ns) != (remote.size, remote.mtime):
                self._settle.forget(remote.name)
                raise ChannelError("CHANNEL_FILE_CHANGED", f"{path} changed after it was listed")
            data = self._read_bounded(fh, path)
        return ReceivedBytes(remote, data, sha256_hex(data))

    def _read_bounded(self, fh: object, path: Path) -> bytes:
        digest, chunks, total = hashlib.sha256(), [], 0
        while chunk := fh.read(min(_CHUNK, self.max_file_bytes + 1 - total)):  # type: ignore[attr-defined]
            total += len(chunk)
            if total > self.max_file_bytes:
                raise TransportError("FILE_TOO_LARGE", f"{path} grew over the limit of {self.max_file_bytes}")
            digest.update(chunk)
            chunks.append(chunk)
        return b"".join(chunks)

    def acknowledge(self, remote: RemoteFile) -> None:
        """Remove the taken file (already gone counts as done)."""
        self._settle.forget(remote.name)
        (self.inbox / check_name(remote.name)).unlink(missing_ok=True)

    def send(self, name: str, data: bytes) -> SendReceipt:
        """Write ``data`` as ``<outbox>/<name>``: temporary name, fsync, rename; done only after the rename."""
        target = self.outbox / check_name(name)
        temp = self.outbox / f".{name}.part"
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise TransportError("LOCAL_WRITE_FAILED", f"cannot write {target}: {exc.strerror}") from exc
        return SendReceipt(name, str(target), len(data), sha256_hex(data))
