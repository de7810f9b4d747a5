"""Waiting, in PostgreSQL tests, until one session is blocked on another's row lock."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text


def wait_for_lock_wait(engine: Engine, timeout_s: float = 10.0) -> None:
    """Return once some session waits for a lock (the other worker reached the row lock).

    The timeout only bounds a broken test; no assertion depends on timing.
    """
    deadline = time.monotonic() + timeout_s
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted")
    while time.monotonic() < deadline:
        with engine.connect() as probe:
            if probe.execute(query).scalar_one() > 0:
                return
        time.sleep(0.02)
    raise AssertionError("the second session never waited for the first one's row lock")
