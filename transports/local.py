"""Local folder transport: partners (or an internal-sftp chroot) drop files into a spool folder.

A file is picked up only when it is complete: names matching a temporary pattern are
skipped, and its size and mtime must be unchanged over two looks ``settle`` seconds
apart. Several workers may poll one folder: a worker first claims a file by renaming
it into its own hidden folder, so exactly one of them takes it. The caller removes a
file only after its bytes are durably stored elsewhere (:meth:`LocalFolder.remove`),
and delivers outbound files atomically (temporary name, fsync, rename) so a partner
never reads half a file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from transports.base import DEFAULT_TEMP_PATTERNS, SettleTracker, UnsafeNameError, matches_any

__all__ = ["CLAIM_DIR", "DEFAULT_TEMP_PATTERNS", "LocalFolder", "SpoolEntry", "claim_folder_name"]
CLAIM_DIR = ".claimed"  # hidden, so never picked up as a new file


def claim_folder_name(worker: str) -> str:
    """The folder under ``.claimed/`` that holds ``worker``'s files (a name safe on any filesystem)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in worker)


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
        return matches_any(name, self.temp_patterns)

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

    def settled(self, tracker: SettleTracker) -> list[SpoolEntry]:
        """One look without sleeping: the files ``tracker`` saw unchanged since an earlier look ``settle`` ago.

        The same two-look rule as :meth:`ready`, with the previous look kept in the
        tracker, so a poller that looks every few seconds never blocks in between.
        """
        scan = self._scan()
        return [scan[rel] for rel in tracker.ready({rel: (e.size, e.mtime_ns) for rel, e in scan.items()})]

    def remove(self, entry: SpoolEntry) -> None:
        """Acknowledge a picked-up file (call only after it is durably stored)."""
        entry.path.unlink(missing_ok=True)
        self._prune_claims(entry.path.parent)

    def _prune_claims(self, folder: Path) -> None:
        """Remove emptied claim folders, from ``folder`` up to ``.claimed`` itself."""
        claims = self.root / CLAIM_DIR
        while folder != self.root and claims in (folder, *folder.parents):
            try:
                folder.rmdir()  # only succeeds once empty; other workers' files keep theirs
            except OSError:
                return
            folder = folder.parent

    def claim(self, entry: SpoolEntry, worker: str) -> SpoolEntry | None:
        """Move a ready file under ``.claimed/<worker>/`` (an atomic rename): one worker wins.

        Returns the claimed entry, or None when another worker took the file first.
        """
        target = self.root / CLAIM_DIR / claim_folder_name(worker) / entry.relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(entry.path, target)
        except FileNotFoundError:
            self._prune_claims(target.parent)
            return None
        return SpoolEntry(target, entry.relative, entry.size, entry.mtime_ns)

    def release_claims(self, is_dead: Callable[[str], bool]) -> list[str]:
        """Put back the files claimed by workers that died before storing them."""
        released: list[str] = []
        claims = self.root / CLAIM_DIR
        if not claims.is_dir():
            return released
        for worker_dir in sorted(p for p in claims.iterdir() if p.is_dir()):
            if not is_dead(worker_dir.name):
                continue
            for path in sorted(p for p in worker_dir.rglob("*") if p.is_file()):
                relative = path.relative_to(worker_dir).as_posix()
                back = self.root / relative
                back.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, back)
                released.append(relative)
        return released

    def deliver(self, relative: str, data: bytes) -> Path:
        """Write ``data`` at ``relative`` below the root atomically; returns the final path."""
        target = (self.root / relative).resolve()
        if self.root.resolve() not in target.parents:
            raise UnsafeNameError(f"refusing to write outside {self.root}: {relative!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        with open(temp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
        return target
