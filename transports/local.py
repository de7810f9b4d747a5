"""Local folder transport: partners (or an internal-sftp chroot) drop files into a spool folder.

A file is picked up only when it is complete: names matching a temporary pattern are
skipped, and its size and mtime must be unchanged over two looks ``settle`` seconds
apart. The caller removes a file only after its bytes are durably stored elsewhere
(:meth:`LocalFolder.remove`), and delivers outbound files atomically (temporary name,
fsync, rename) so a partner never reads half a file.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TEMP_PATTERNS = (".*", "*.tmp", "*.part", "*.partial", "*.filepart", "*~")


@dataclass(frozen=True, slots=True)
class SpoolEntry:
    path: Path
    relative: str  # path below the spool root, "/"-separated (e.g. "acme/po123.x12")
    size: int
    mtime_ns: int


class LocalFolder:
    def __init__(self, root: Path, temp_patterns: Sequence[str] = DEFAULT_TEMP_PATTERNS) -> None:
        self.root = root
        self.temp_patterns = tuple(temp_patterns)

    def _is_temp(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.temp_patterns)

    def _scan(self) -> dict[str, SpoolEntry]:
        found: dict[str, SpoolEntry] = {}
        if not self.root.is_dir():
            return found
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not self._is_temp(d))
            for name in sorted(filenames):
                if self._is_temp(name):
                    continue
                path = Path(dirpath) / name
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                rel = path.relative_to(self.root).as_posix()
                found[rel] = SpoolEntry(path, rel, stat.st_size, stat.st_mtime_ns)
        return found

    def ready(self, settle: float) -> Iterator[SpoolEntry]:
        """Files whose size and mtime did not change over ``settle`` seconds."""
        first = self._scan()
        if not first:
            return
        if settle > 0:
            time.sleep(settle)
        second = self._scan()
        for rel, entry in first.items():
            again = second.get(rel)
            if again is not None and (again.size, again.mtime_ns) == (entry.size, entry.mtime_ns):
                yield again

    def remove(self, entry: SpoolEntry) -> None:
        """Acknowledge a picked-up file (call only after it is durably stored)."""
        entry.path.unlink(missing_ok=True)

    def deliver(self, relative: str, data: bytes) -> Path:
        """Write ``data`` at ``relative`` below the root atomically; returns the final path."""
        target = (self.root / relative).resolve()
        if self.root.resolve() not in target.parents:
            raise ValueError(f"refusing to write outside {self.root}: {relative!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        with open(temp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
        return target
