"""Which worker processes which received file: a lease in the ledger, safe for several workers.

A file is claimed with one conditional UPDATE (it succeeds for exactly one worker);
the claim is a lease that the worker renews as it commits interchanges. A worker
that died leaves a claim that others take over once the lease has run out, or at
once when the claimant is a process on this host that no longer exists.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.ledger.models import PROCESSING, RECEIVED, ReceivedFile, utcnow
from transports.local import claim_folder_name


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead_worker(name: str) -> bool:
    """True for a worker id ("host:pid", or its folder-safe form "host_pid") of a gone local process."""
    host, _, pid = name.rpartition(":" if ":" in name else "_")
    if claim_folder_name(host) != claim_folder_name(socket.gethostname()) or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by another user
        return False
    return False


def _dead_local_workers(claimants: set[str]) -> set[str]:
    """Claimants on this host whose process is gone."""
    return {claimant for claimant in claimants if is_dead_worker(claimant)}


def claim(engine: Engine, file_id: int, worker: str, lease: timedelta) -> bool:
    """Claim one file for ``worker``; True when this worker now owns it."""
    now = utcnow()
    table = ReceivedFile.__table__  # type: ignore[attr-defined]
    with Session(engine) as session:
        row = session.get(ReceivedFile, file_id)
        if row is None:
            return False
        takeable = table.c.status == RECEIVED
        if row.status == PROCESSING and row.claimed_by in _dead_local_workers({row.claimed_by or ""}):
            takeable = or_(takeable, and_(table.c.status == PROCESSING, table.c.claimed_by == row.claimed_by))
        takeable = or_(takeable, and_(table.c.status == PROCESSING, table.c.claimed_at < now - lease))
        result = session.execute(update(table).where(table.c.id == file_id, takeable)
                                 .values(status=PROCESSING, claimed_by=worker, claimed_at=now))
        session.commit()
        return result.rowcount == 1


def renew(session: Session, file_id: int, worker: str) -> None:
    """Extend the lease (inside the caller's transaction)."""
    table = ReceivedFile.__table__  # type: ignore[attr-defined]
    session.execute(update(table).where(table.c.id == file_id, table.c.claimed_by == worker)
                    .values(claimed_at=utcnow()))


def claimable(engine: Engine, lease: timedelta, limit: int = 100) -> list[int]:
    """Files waiting for a worker: received, or processing under an expired or orphaned claim."""
    cutoff = utcnow() - lease
    with Session(engine) as session:
        rows = session.execute(select(ReceivedFile.id, ReceivedFile.status, ReceivedFile.claimed_by,
                                      ReceivedFile.claimed_at)
                               .where(ReceivedFile.status.in_([RECEIVED, PROCESSING]))
                               .order_by(ReceivedFile.id).limit(limit)).all()
    dead = _dead_local_workers({r.claimed_by for r in rows if r.status == PROCESSING and r.claimed_by})
    return [r.id for r in rows if r.status == RECEIVED or r.claimed_by in dead
            or (r.claimed_at is not None and r.claimed_at < cutoff)]
