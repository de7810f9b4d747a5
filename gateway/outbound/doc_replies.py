"""Answers to XML and CSV documents (filled in with the purchase-order acknowledgements)."""

from __future__ import annotations

from sqlmodel import Session

from gateway.context import Context
from gateway.inbound.docfile import DocOutcome
from gateway.ledger.models import Message


def create_doc_replies(ctx: Context, session: Session, file_message: Message, outcome: DocOutcome) -> None:
    return None
