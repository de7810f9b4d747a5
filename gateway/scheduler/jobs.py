"""The job functions a schedule can name: ``JOBS`` maps a config's ``job:`` to its function.

Each takes the gateway (its context, channels, AS2 round) and the job's settings and returns
a one-line summary for the ledger; a failure raises and is recorded by the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from sqlmodel import Session

from gateway.app import Gateway
from gateway.errors import GatewayError
from gateway.ledger import claims
from gateway.outbound.documents import run_due
from gateway.outbound.reconcile import mark_overdue
from gateway.scheduler.config import JobSettings

JobFunction = Callable[[Gateway, JobSettings], str]


class JobUnavailable(GatewayError):
    """A configured job's implementation is not installed (code SCHEDULE_JOB_UNAVAILABLE)."""

    code = "SCHEDULE_JOB_UNAVAILABLE"


def poll_job(gateway: Gateway, job: JobSettings) -> str:
    """Inbox and inbound channels: receive, process, acknowledge, deliver what is pending."""
    del job
    report = gateway.run_once()
    return (f"received {len(report.received)} file(s), processed {len(report.processed)}, "
            f"delivered {len(report.delivered)}")


def outbound_job(gateway: Gateway, job: JobSettings) -> str:
    """Create the business documents due for the job's partner and kinds, then deliver them."""
    created = run_due(gateway.ctx, partner_id=job.partner, kinds=list(job.documents) or None)
    delivered = gateway.deliver() if created else []
    return f"created {len(created)} outbound message(s), delivered {len(delivered)}"


def housekeeping_job(gateway: Gateway, job: JobSettings) -> str:
    """Claims of dead workers given back; sets without a 997/999 in their window marked overdue (once)."""
    del job
    ctx = gateway.ctx
    released = ctx.inbox.release_claims(claims.is_dead_worker)
    stale = len(claims.claimable(ctx.engine, gateway.lease))  # taken up by the next poll
    with Session(ctx.engine) as session:
        overdue = mark_overdue(session, ctx.settings.functional_acks)
        session.commit()
    summary = f"released {len(released)} inbox claim(s), {stale} file(s) waiting, {len(overdue)} set(s) now overdue"
    expiring = gateway.as2.certificate_warnings()  # recorded with the job's run in the ledger
    return summary + (f"; AS2 certificates: {'; '.join(expiring)}" if expiring else "")


#: ``job:`` of config.yaml -> its function (``config.JobName`` lists the same names).
JOBS: Mapping[str, JobFunction] = MappingProxyType({
    "poll": poll_job,
    "outbound": outbound_job,
    "housekeeping": housekeeping_job,
})
