"""Content-addressed archive of raw bytes (received files and what we send).

Bytes are streamed into a temporary file while hashed, fsynced, then renamed to
``<root>/<sha[:2]>/<sha[2:4]>/<sha>``: the same content is stored once, and a crash
leaves either the complete file or a stray temporary, never a torn archive entry.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 20


class FileTooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file exceeds the size limit ({size} > {limit} bytes)")
        self.size = size
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Archived:
    sha256: str
    size: int
    relative: str  # path below the archive root


class Archive:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, relative: str) -> Path:
        return self.root / relative

    def store_stream(self, stream: BinaryIO, limit: int | None = None) -> Archived:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, temp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if limit is not None and size > limit:
                        raise FileTooLarge(size, limit)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            relative = f"{sha[:2]}/{sha[2:4]}/{sha}"
            final = self.root / relative
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, final)
            _fsync_dir(final.parent)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return Archived(sha, size, relative)

    def store_bytes(self, data: bytes) -> Archived:
        return self.store_stream(BytesIO(data))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
