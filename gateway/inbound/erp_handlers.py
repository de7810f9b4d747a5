"""Handlers for the documents other than new orders: order changes, schedules, BOMs.

Each document is applied alone, inside its own savepoint: a document the ERP core
refuses leaves nothing behind, and its neighbours in the group are unaffected. The ERP
core answers with its own problem codes; the ones the catalogue knows become coded
EDI errors as they are, any other becomes the document type's generic refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from edi.canonical import Document
from edi.errors import CATALOGUE, EdiError
from gateway.inbound.booking import refusal_text
from gateway.inbound.handlers import BOOKED, DUPLICATE, FAILED, Applied, source_ref
from gateway.ledger.store import SetRow


@dataclass(frozen=True, slots=True)
class Prepared:
    """A document reduced to the ERP core's input fields (``source_ref`` is added when applied)."""

    ref: str
    fields: dict[str, Any] | None
    problem: EdiError | None = None


def erp_error(code: str, message: str, fallback: str) -> EdiError:
    return EdiError(code if code in CATALOGUE else fallback, message)


def validation_error(ref: str, exc: ValidationError | ValueError, code: str) -> EdiError:
    return EdiError(code, f"{ref}: {refusal_text(exc)}")


class SingleHandler:
    """Base of the one-at-a-time handlers: savepoint per document, input validation errors coded."""

    batched = False
    invalid_code = "BOOK_FAILED"

    def prepare(self, document: Document, partner_id: str) -> object:
        raise NotImplementedError

    def apply_one(self, session: Session, prepared: Prepared, source: str) -> Applied:
        raise NotImplementedError

    def invalid(self, prepared: Prepared, exc: ValidationError | ValueError) -> Applied:
        """The refusal of a document whose fields the ERP core's input model does not take."""
        return Applied(FAILED, prepared.ref, errors=(validation_error(prepared.ref, exc, self.invalid_code),))

    def apply(self, session: Session, items: Sequence[tuple[object, SetRow]]) -> list[Applied]:
        results = []
        for prepared, row in items:
            if not isinstance(prepared, Prepared) or prepared.fields is None:
                problem = prepared.problem if isinstance(prepared, Prepared) else None
                results.append(Applied(FAILED, getattr(prepared, "ref", "?"),
                                       errors=(problem or EdiError(self.invalid_code, "document cannot be applied"),)))
                continue
            results.append(_in_savepoint(session, lambda p=prepared, r=row: self.apply_one(session, p, source_ref(r))))
        return results


def _in_savepoint(session: Session, apply: Callable[[], Applied]) -> Applied:
    savepoint = session.begin_nested()
    result = apply()
    if result.status == BOOKED:
        savepoint.commit()
    else:
        savepoint.rollback()
    return result


def refused(ref: str, problems: Sequence[Any], fallback: str, duplicate_code: str | None = None,
            status: str = FAILED) -> Applied:
    errors = tuple(erp_error(p.code, p.message, fallback) for p in problems) or (EdiError(fallback, ref),)
    if status == DUPLICATE and duplicate_code:
        errors = (EdiError(duplicate_code, f"{ref} was already applied"),)
    return Applied(status, ref, errors=errors)
