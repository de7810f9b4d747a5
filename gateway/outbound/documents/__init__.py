"""Outbound business documents owed to partners from what happened in the ERP core.

A confirmed shipment owes its partner an 856 ship notice and an 810 invoice (the invoice
is created in the ERP core once); each lot it shipped a quality certificate (X12 863 and/or
a PDF), only when the lot's verdict passes; a pending quality alert an 842; open orders an
870 status report when one is asked for. Which partner takes which document, and what the
documents need beyond the ERP's data, is ``outbound:`` in config.yaml
(:mod:`gateway.outbound.documents.config`).

:func:`run_due` builds what is due, one transaction per partner, and records each document
in ``outbound_document`` (:class:`gateway.ledger.models.OutboundDocument`) so nothing is ever
sent twice; :func:`messages_for` finds the messages that carried an ERP record's documents.

The functions here import their implementation when called: the settings module imports
the configuration models of this package, and the implementation needs the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from gateway.outbound.documents.config import DOCUMENT_KINDS

if TYPE_CHECKING:
    from sqlmodel import Session

    from gateway.context import Context
    from gateway.ledger.models import Message

__all__ = ["DOCUMENT_KINDS", "messages_for", "run_due"]


def run_due(ctx: Context, partner_id: str | None = None, kinds: Sequence[str] | None = None) -> list[int]:
    """Build, envelope and record every document due (see :mod:`gateway.outbound.documents.runner`).

    Returns the ids of the outbound messages created (interchanges and PDF files), ready for
    delivery. ``partner_id`` limits the run to one partner, ``kinds`` to some document kinds.
    """
    from gateway.outbound.documents.runner import run_due as run

    return run(ctx, partner_id, kinds)


def messages_for(session: Session, erp_table: str, ids: Sequence[int]) -> list[Message]:
    """The outbound messages that carried documents about these ERP records (oldest first)."""
    from gateway.outbound.documents.ledger import messages_for as find

    return find(session, erp_table, ids)
