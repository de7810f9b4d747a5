"""Exceptions raised by erp_core services.

Invalid input is reported by pydantic's ``ValidationError`` (a ``ValueError``) while
the input models are built; the classes here cover outcomes that depend on what is
already in the database.
"""

from __future__ import annotations


class ErpError(Exception):
    """Base class of erp_core's domain errors."""


class NotFoundError(ErpError, LookupError):
    """A referenced row (partner, item, order) does not exist."""


class AlreadyExistsError(ErpError):
    """A row with the same natural key exists already."""


class InUseError(ErpError):
    """A row cannot be deleted because other rows still reference it."""


class UnknownPartnerError(NotFoundError):
    """Orders name partner ids that are not in the partner table."""

    def __init__(self, partner_ids: frozenset[str]) -> None:
        self.partner_ids = partner_ids
        super().__init__(f"unknown partner id(s): {', '.join(sorted(partner_ids))}")
