"""Small conversions every document builder shares: parties, units, GTINs, validation errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from edi.canonical.order import Party
from gateway.outbound.documents.config import CompanySettings
from gateway.outbound.documents.errors import DOC_DATA_INVALID, DOC_UNIT_UNKNOWN, DocumentError

T = TypeVar("T")

# Units as the factory records them (free text, any case) -> X12 unit of measure codes (355).
_UNIT_NAMES = {"N": "NW", "G": "GR", "%": "P1", "PCT": "P1", "UM": "4H", "µM": "4H", "DEG": "DE", "C": "CE",
               "S": "03", "SEC": "03", "MIN": "MJ", "H": "HR", "PSI": "PS", "ML": "ML", "L": "LT", "MPA": "MP",
               "OHM": "OM"}


def x12_unit(unit: str | None, what: str) -> str | None:
    """The X12 unit code of ``unit`` ("mm" -> "MM", "N" -> "NW"); DocumentError for one we cannot say."""
    if unit is None:
        return None
    text = unit.strip().upper()
    code = _UNIT_NAMES.get(text, text)
    if len(code) == 2 and code.isascii() and code.isalnum():
        return code
    raise DocumentError(DOC_UNIT_UNKNOWN, f"{what}: unit {unit!r} has no X12 unit code")


def company_party(company: CompanySettings) -> Party:
    return Party(**company.model_dump())


def party_of(fields: Mapping[str, Any] | None) -> Party | None:
    """A canonical party from the ERP's party fields (``id_code`` is the id); None without name or id."""
    if not fields or not (fields.get("name") or fields.get("id_code")):
        return None
    return Party(name=fields.get("name"), id=fields.get("id_code"), address1=fields.get("address1"),
                 address2=fields.get("address2"), city=fields.get("city"), state=fields.get("state"),
                 postal_code=fields.get("postal_code"), country=fields.get("country"))


def validated(build: Callable[[], T], what: str) -> T:
    """Run a canonical model's constructor; its refusal becomes DOC_DATA_INVALID naming ``what``."""
    try:
        return build()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DocumentError(DOC_DATA_INVALID, f"{what}: {where + ': ' if where else ''}{first['msg']}{more}") from None


def two_char_uom(uom: str, what: str) -> str:
    """Order units are X12 codes already (EA, BX); anything else cannot go into SN1/IT1/MEA."""
    code = uom.strip().upper()
    if len(code) != 2 or not code.isalnum():
        raise DocumentError(DOC_UNIT_UNKNOWN, f"{what}: unit {uom!r} is not a 2-character X12 unit code")
    return code
