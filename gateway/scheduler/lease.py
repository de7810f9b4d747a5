"""The leader lease: at most one scheduler per deployment runs jobs.

APScheduler's job stores must not be shared by two processes (two schedulers on one store
ran every job twice), so each process keeps its jobs in memory and only the holder of the
``scheduler_lease`` row runs them. The row is taken with one conditional UPDATE (free,
expired, already ours, or held by a process of this host that no longer exists) or, the
first time, one INSERT that only one process can win. The holder renews it well before it
expires; a holder that stops renewing is replaced once ``expires_at`` has passed. Times come
from the hosts' clocks: several hosts must keep them in sync (NTP), well within the lease.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from gateway.ledger.claims import is_dead_worker
from gateway.ledger.models import utcnow
from gateway.scheduler.models import SchedulerLease

LEASE_NAME = "scheduler"


class LeaderLease:
    """One process's view of the lease: ``acquire`` takes or renews it, ``held`` says whether it still may lead."""

    def __init__(self, engine: Engine, holder: str, ttl: timedelta, *, name: str = LEASE_NAME,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._engine, self.holder, self.ttl, self.name, self._clock = engine, holder, ttl, name, clock
        self._valid_until: datetime | None = None

    def acquire(self) -> bool:
        """Take the lease or renew it; True when this process leads until ``now + ttl``."""
        now = self._clock()
        expires = now + self.ttl
        table = SchedulerLease.__table__  # type: ignore[attr-defined]
        with Session(self._engine) as session:
            current = session.get(SchedulerLease, self.name)
            if current is None:
                won = self._insert(session, now, expires)
            else:
                takeable = or_(table.c.holder == self.holder, table.c.expires_at < now)
                if current.holder != self.holder and is_dead_worker(current.holder):
                    takeable = or_(takeable, table.c.holder == current.holder)
                acquired = table.c.acquired_at if current.holder == self.holder else now
                result = session.execute(update(table).where(table.c.name == self.name, takeable)
                                         .values(holder=self.holder, acquired_at=acquired, expires_at=expires))
                session.commit()
                won = result.rowcount == 1
        self._valid_until = expires if won else None
        return won

    def _insert(self, session: Session, now: datetime, expires: datetime) -> bool:
        try:
            session.add(SchedulerLease(name=self.name, holder=self.holder, acquired_at=now, expires_at=expires))
            session.commit()
        except IntegrityError:  # another process inserted it first: it leads
            session.rollback()
            return False
        return True

    def held(self) -> bool:
        """Whether this process may run jobs now (its last acquire succeeded and has not run out)."""
        return self._valid_until is not None and self._clock() < self._valid_until

    def release(self) -> None:
        """Give the lease up at once (a clean shutdown), so another process can lead without waiting."""
        table = SchedulerLease.__table__  # type: ignore[attr-defined]
        with Session(self._engine) as session:
            session.execute(update(table).where(table.c.name == self.name, table.c.holder == self.holder)
                            .values(expires_at=self._clock() - timedelta(seconds=1)))
            session.commit()
        self._valid_until = None

    def current(self) -> SchedulerLease | None:
        """The lease row as stored (who leads, until when), for ``edipulse schedule``."""
        with Session(self._engine) as session:
            row = session.get(SchedulerLease, self.name)
            if row is not None:
                session.expunge(row)
            return row
