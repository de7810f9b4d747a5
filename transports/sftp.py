"""SFTP transport: poll a partner's inbox folder, fetch complete files, upload atomically.

Inbound, a file is offered only when it is complete: temporary names are ignored and
its size and mtime must be unchanged over two listings ``settle_seconds`` apart (the
previous listing is kept in the instance, so polling never sleeps). Reads are bounded
by ``max_file_bytes`` and checked against the size the file had when it settled.

Outbound, bytes go to ``.<name>.part`` and are renamed into place with the OpenSSH
``posix-rename`` extension (plain SFTPv3 rename refuses to replace an existing file);
the size is checked before the rename, so the partner never sees a partial file.

Reads go one request at a time: slower than pipelined prefetch on a long link, but
memory stays bounded and a dropped connection stops the transfer at once.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import posixpath
import stat
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

import paramiko

from transports.base import (
    ReceivedBytes,
    ReceivedFile,
    RemoteFile,
    SendReceipt,
    SettleTracker,
    TransportError,
    check_name,
    matches_any,
    sha256_hex,
)
from transports.sftp_config import SftpConfig
from transports.sftp_connect import Session, open_session, remote_errors

log = logging.getLogger(__name__)

CHUNK = 32 * 1024  # paramiko's largest single SFTP read/write request
Progress = Callable[[int], None]  # called with the byte count transferred so far


class SftpTransport:
    """One SFTP channel; not thread-safe (one poller per channel)."""

    def __init__(self, config: SftpConfig, channel: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.channel = channel
        self._settle = SettleTracker(config.settle_seconds, clock)
        self._session: Session | None = None
        self.unsafe: list[tuple[str, TransportError]] = []  # names the last listing refused, for the gateway's ledger

    # -- connection ---------------------------------------------------------------------------
    def connect(self) -> None:
        self.close()
        self._session = open_session(self.config)

    def close(self) -> None:
        """Drop the connection (safe to call twice, or after the connection was lost)."""
        session, self._session = self._session, None
        if session is not None:
            session.close()

    def __enter__(self) -> SftpTransport:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _sftp(self) -> paramiko.SFTPClient:
        if self._session is None:
            raise TransportError("TRANSPORT_NOT_CONNECTED", f"channel {self.channel}: call connect() first")
        if not self._session.alive():
            raise TransportError("SFTP_CONNECTION_LOST", f"{self.config.endpoint}: the connection is closed")
        return self._session.sftp

    def _errors(self, what: str) -> AbstractContextManager[None]:
        return remote_errors(self.config.endpoint, what, self._session)

    # -- inbound ---------------------------------------------------------------------------
    def list_ready(self) -> list[RemoteFile]:
        """Complete files in the inbox (see the module docstring); oversize ones too, so they get reported."""
        sftp = self._sftp()
        inbox = self.config.inbox_dir
        with self._errors(f"listing {inbox}"):
            entries = sftp.listdir_attr(inbox)
        seen: list[RemoteFile] = []
        self.unsafe = []
        for attr in sorted(entries, key=lambda a: a.filename):
            if attr.st_mode is None or not stat.S_ISREG(attr.st_mode):
                continue  # folders, symlinks (the server lists them with lstat), devices
            name = attr.filename
            if matches_any(name, self.config.temp_patterns) or not matches_any(name, self.config.include):
                continue
            try:
                check_name(name)
            except TransportError as exc:
                log.warning("%s: skipping %s", self.channel, exc)
                self.unsafe.append((name, exc))
                continue
            seen.append(RemoteFile(name, attr.st_size or 0, int(attr.st_mtime or 0), posixpath.join(inbox, name)))
        settled = set(self._settle.ready({f.name: (f.size, f.mtime) for f in seen}))
        return [f for f in seen if f.name in settled]

    def _inbox_path(self, remote: RemoteFile) -> str:
        """The server path of ``remote``, rebuilt from the inbox and a checked name (never trusted as given)."""
        path = posixpath.join(self.config.inbox_dir, check_name(remote.name))
        if remote.path != path:
            raise TransportError("SFTP_PATH_UNSAFE", f"{remote.path!r} is not {remote.name!r} in the inbox {path!r}")
        return path

    def _too_large(self, remote: RemoteFile, size: int) -> TransportError:
        return TransportError("FILE_TOO_LARGE", f"{self.config.endpoint}:{remote.path} has {size} bytes, over the "
                              f"limit of {self.config.max_file_bytes}")

    def _copy(self, remote: RemoteFile, sink: BinaryIO, progress: Progress | None) -> tuple[int, str]:
        """Stream ``remote`` into ``sink``; returns (size, sha256). Reads at most the limit plus one byte."""
        path = self._inbox_path(remote)
        if remote.size > self.config.max_file_bytes:
            raise self._too_large(remote, remote.size)
        sftp = self._sftp()
        digest = hashlib.sha256()
        total = 0
        with self._errors(f"reading {path}"), sftp.open(path, "rb") as fh:
            now = fh.stat()
            if (now.st_size or 0) > self.config.max_file_bytes:
                raise self._too_large(remote, now.st_size or 0)
            if (now.st_size, int(now.st_mtime or 0)) != (remote.size, remote.mtime):
                self._settle.forget(remote.name)
                raise TransportError("SFTP_REMOTE_CHANGED", f"{path} changed after it was listed")
            while chunk := fh.read(min(CHUNK, self.config.max_file_bytes + 1 - total)):
                total += len(chunk)
                if total > self.config.max_file_bytes:
                    raise self._too_large(remote, total)
                digest.update(chunk)
                sink.write(chunk)
                if progress is not None:
                    progress(total)
        if total != remote.size:
            self._settle.forget(remote.name)
            raise TransportError("SFTP_REMOTE_CHANGED", f"{path} had {remote.size} bytes when listed, {total} now")
        return total, digest.hexdigest()

    def fetch(self, remote: RemoteFile, progress: Progress | None = None) -> ReceivedBytes:
        buffer = io.BytesIO()
        self._copy(remote, buffer, progress)
        data = buffer.getvalue()
        return ReceivedBytes(remote, data, sha256_hex(data))

    def fetch_to(self, remote: RemoteFile, folder: Path, progress: Progress | None = None) -> ReceivedFile:
        """Stream ``remote`` into ``folder/<name>``: all of it (fsynced) or nothing; never replaces a local file."""
        target = folder / check_name(remote.name)
        fd, temp_name = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=folder)
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as fh:
                size, sha = self._copy(remote, fh, progress)
                fh.flush()
                os.fsync(fh.fileno())
            os.link(temp, target)  # unlike rename, refuses to replace a file not yet processed
        except FileExistsError as exc:
            raise TransportError("LOCAL_FILE_EXISTS", f"{target} already exists and was not processed yet") from exc
        except OSError as exc:
            raise TransportError("LOCAL_WRITE_FAILED", f"cannot write {target}: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)
        return ReceivedFile(remote, str(target), size, sha)

    def acknowledge(self, remote: RemoteFile) -> None:
        """Delete ``remote`` or move it to the processed folder; a file already gone counts as done."""
        path = self._inbox_path(remote)
        sftp = self._sftp()
        self._settle.forget(remote.name)
        try:
            with self._errors(f"acknowledging {path}"):
                if self.config.processed_dir is None:
                    sftp.remove(path)
                else:
                    sftp.posix_rename(path, self._processed_path(sftp, remote.name))
        except TransportError as exc:
            if exc.code != "SFTP_REMOTE_MISSING":
                raise

    def _processed_path(self, sftp: paramiko.SFTPClient, name: str) -> str:
        """``processed/<name>``, or ``processed/<name>.<UTC time>`` when a file of that name was archived before."""
        folder = self.config.processed_dir or ""
        target = posixpath.join(folder, name)
        try:
            sftp.stat(target)
        except FileNotFoundError:
            return target
        return posixpath.join(folder, f"{name}.{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.{os.getpid()}")

    # -- outbound ---------------------------------------------------------------------------
    def send(self, name: str, data: bytes, progress: Progress | None = None) -> SendReceipt:
        """Upload under ``.<name>.part``, check its size, then rename over ``<name>`` (done only after that)."""
        check_name(name)
        final = posixpath.join(self.config.outbox_dir, name)
        temp = posixpath.join(self.config.outbox_dir, f".{name}.part")
        sftp = self._sftp()
        try:
            with self._errors(f"uploading {temp}"):
                self._upload(sftp, temp, data, progress)
                size = sftp.stat(temp).st_size
                if size != len(data):
                    raise TransportError("SFTP_UPLOAD_INCOMPLETE", f"{temp} has {size} bytes, {len(data)} were sent")
            with self._errors(f"renaming {temp} to {final}"):
                sftp.posix_rename(temp, final)
        except TransportError:
            self._discard(temp)
            raise
        return SendReceipt(name, final, len(data), sha256_hex(data))

    @staticmethod
    def _upload(sftp: paramiko.SFTPClient, path: str, data: bytes, progress: Progress | None) -> None:
        with sftp.open(path, "wb") as fh:
            fh.set_pipelined(True)  # write errors surface at close, which is inside the caller's error mapping
            view = memoryview(data)
            for start in range(0, len(data), CHUNK):
                fh.write(view[start:start + CHUNK])
                if progress is not None:
                    progress(min(start + CHUNK, len(data)))

    def _discard(self, temp: str) -> None:
        """Best effort: remove a failed upload's temporary (partners ignore it anyway; the next send replaces it)."""
        session = self._session
        if session is None or not session.alive():
            return
        try:
            session.sftp.remove(temp)
        except (OSError, EOFError, paramiko.SSHException) as exc:  # the connection may die under us
            log.info("%s: could not remove %s after a failed upload: %s", self.channel, temp, exc)
