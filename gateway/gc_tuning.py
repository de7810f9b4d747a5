"""Garbage-collector pacing for bulk work.

Processing an interchange allocates millions of small, acyclic objects (segments,
documents, rows). With CPython's default generation-0 threshold (700 allocations) the
collector runs thousands of times over the long-lived heap for nothing; raising the
threshold while a file is processed keeps collection but makes it rare. The old
setting is always restored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLD = 50_000


@contextmanager
def bulk_allocation() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], BULK_THRESHOLD), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
